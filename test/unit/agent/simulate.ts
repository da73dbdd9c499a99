/**
 * What the generated agent pipeline does to one raw line, run with JS RegExp on the Onigmo-converted patterns.
 * Fluent Bit itself cannot be installed on the build machine; toOnigmo writes only constructs JS and Onigmo read
 * alike, so JS is the closest engine available. Mirrors Fluent Bit's rules: a regex parser keeps named groups that
 * captured a non-empty value (skip_empty_values), converts `types`, removes the parsed key unless preserve_key;
 * a failed parse leaves the record as it was; grep `regex` keeps a record whose key exists and matches, `exclude`
 * drops one that matches.
 */
import { parse as parseYaml } from 'yaml';
import type { FluentBitConfigDocument } from '../../../lib/agent/fluent-bit-config';
import type { FluentBitParser } from '../../../lib/agent/parser-regex';

export type AgentOutcome = { kind: 'indexed'; record: Record<string, unknown> } | { kind: 'failed' } | { kind: 'filtered' };

function applyParser(p: FluentBitParser, text: string): Record<string, unknown> | undefined {
  let rec: Record<string, unknown>;
  if (p.format === 'json') {
    try {
      const v = JSON.parse(text);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      rec = v;
    } catch {
      return undefined;
    }
  } else {
    const m = new RegExp(p.regex!).exec(text);
    if (!m) return undefined;
    rec = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined && v !== '') rec[k] = v;
  }
  for (const t of (p.types ?? '').split(' ').filter(Boolean)) {
    const [k, type] = t.split(':');
    const v = rec[k];
    if (typeof v !== 'string') continue;
    rec[k] = type === 'integer' ? Number.parseInt(v, 10) : type === 'float' ? Number.parseFloat(v) : type === 'bool' ? v === 'true' : v;
  }
  return rec;
}

function accessor(key: string, rec: Record<string, unknown>): unknown {
  const m = /^\$([^[]+)((?:\['[^']*'\])*)$/.exec(key)!;
  let node: unknown = rec[m[1]];
  for (const seg of m[2].match(/'[^']*'/g) ?? []) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg.slice(1, -1)];
  }
  return node;
}

/** The document as Fluent Bit reads it: the YAML text parsed back. */
export function readBack(yaml: string): FluentBitConfigDocument {
  return parseYaml(yaml) as FluentBitConfigDocument;
}

export function runAgent(doc: FluentBitConfigDocument, line: string): AgentOutcome {
  const parsers = new Map((doc.parsers ?? []).map((p) => [p.name, p]));
  let rec: Record<string, unknown> = { log: line };
  for (const f of doc.pipeline.filters ?? []) {
    if (f.name === 'parser') {
      const key = f.key_name as string;
      if (typeof rec[key] !== 'string') continue;
      const parsed = applyParser(parsers.get(f.parser as string)!, rec[key] as string);
      if (!parsed) continue;
      const rest = f.reserve_data ? { ...rec } : {};
      if (f.reserve_data && !f.preserve_key) delete rest[key];
      rec = { ...rest, ...parsed };
    } else if (f.name === 'rewrite_tag' && String(f.match).startsWith('logtong.')) {
      if ('log' in rec) return { kind: 'failed' };
    } else if (f.name === 'grep') {
      const rule = (f.regex ?? f.exclude) as string;
      const sp = rule.indexOf(' ');
      const v = accessor(rule.slice(0, sp), rec);
      const hit = typeof v === 'string' && new RegExp(rule.slice(sp + 1)).test(v);
      if (f.regex !== undefined ? !hit : hit) return { kind: 'filtered' };
    }
  }
  return { kind: 'indexed', record: rec };
}
