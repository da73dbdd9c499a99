/**
 * What the generated agent pipeline does to one raw line, run with JS RegExp on the Onigmo-converted patterns: fast
 * and in-process for the unit tests. test/integration/fluent-bit-regex.test.ts runs the same patterns in the real
 * Fluent Bit 4.2.2 and holds it to these rules, so a rule written here is one the real agent was seen to follow.
 * Rules, each from the Fluent Bit source:
 * - regex parser (flb_parser_regex.c, flb_regex.c): a match where no named group took part is no match (the parse
 *   reports the end of the last group it visited, -1 when none had a position); named groups that captured an empty
 *   value are dropped (skip_empty_values, on by default); `types` converts with atoll / atof / a "true"/"false"
 *   prefix (flb_parser_typecast), a value that does not convert stays as it is (bool) or becomes 0 (integer, float);
 * - parser filter: removes the parsed key unless preserve_key; a failed parse leaves the record as it was;
 * - modify (filter_modify): applies only when every condition holds, its rules in the order they are written; rename
 *   and copy only to a key not there yet, add only a key not there yet;
 * - grep (filter_grep): `regex` keeps a record whose key exists, is a string and matches, `exclude` drops one that
 *   matches.
 * The time lookup is not imitated: a time Fluent Bit cannot read drops the time key (even with time_keep) and leaves
 * the record its read time.
 */
import { parse as parseYaml } from 'yaml';
import type { FluentBitConfigDocument } from '../../../lib/agent/fluent-bit-config';
import type { FluentBitParser } from '../../../lib/agent/parser-regex';

export type AgentOutcome = { kind: 'indexed'; record: Record<string, unknown> } | { kind: 'failed' } | { kind: 'filtered' };

const C_SPACE = /^[ \t\n\v\f\r]*/;
const INT64_MAX = 2n ** 63n - 1n;

/** C's atoll (glibc: strtoll, which saturates at the int64 range), as a JS number. */
export function atoll(s: string): number {
  const m = /^([+-]?)(\d+)/.exec(s.replace(C_SPACE, ''));
  if (!m) return 0;
  let v = BigInt(m[2]);
  if (v > INT64_MAX + (m[1] === '-' ? 1n : 0n)) v = INT64_MAX + (m[1] === '-' ? 1n : 0n);
  return Number(m[1] === '-' ? -v : v);
}

/** C's atof (strtod): a decimal or hex prefix, inf/infinity/nan; 0 when none. */
export function atof(s: string): number {
  const t = s.replace(C_SPACE, '');
  const special = /^([+-]?)(inf(?:inity)?|nan)/i.exec(t);
  if (special) return special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  const hex = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?/i.exec(t);
  if (hex && (hex[2] || hex[3])) {
    const digits = `${hex[2]}${hex[3] ?? ''}`;
    const v = (digits ? parseInt(digits, 16) : 0) * 2 ** (Number(hex[4] ?? 0) - 4 * (hex[3] ?? '').length);
    return hex[1] === '-' ? -v : v;
  }
  const m = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(t);
  return m ? Number(m[0]) : 0;
}

/** flb_parser_typecast for one value. */
export function typecast(type: string, v: string): unknown {
  if (type === 'integer') return atoll(v);
  if (type === 'float') return atof(v);
  if (type === 'bool') return /^true/i.test(v) ? true : /^false/i.test(v) ? false : v;
  return v;
}

/**
 * The record Fluent Bit's regex parser makes of `text` with `re` (compiled by JS) and `types`, or undefined when it
 * does not parse. The integration test calls it with the processor's own (unconverted) regex.
 */
export function regexRecord(re: RegExp, types: string | undefined, text: string): Record<string, unknown> | undefined {
  const m = re.exec(text);
  if (!m || !Object.values(m.groups ?? {}).some((v) => v !== undefined)) return undefined;
  const rec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined && v !== '') rec[k] = v;
  for (const t of (types ?? '').split(' ').filter(Boolean)) {
    const [k, type] = t.split(':');
    if (typeof rec[k] === 'string') rec[k] = typecast(type, rec[k] as string);
  }
  return rec;
}

function applyParser(p: FluentBitParser, text: string): Record<string, unknown> | undefined {
  if (p.format === 'regex') return regexRecord(new RegExp(p.regex!), p.types, text);
  let rec: Record<string, unknown>;
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    rec = v;
  } catch {
    return undefined;
  }
  // Fluent Bit's json parser applies no `types` (src/flb_parser_json.c)
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

/** A filter_modify condition (the ones the generator writes). */
function holds(condition: string, rec: Record<string, unknown>): boolean {
  const [kind, key] = condition.split(' ');
  if (kind === 'Key_exists') return key in rec;
  if (kind === 'Key_does_not_exist') return !(key in rec);
  throw new Error(`modify condition ${condition}: not simulated`);
}

/** A plugin property Fluent Bit allows several times: one string or a list. */
const all = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * Follows the generated filters for one tailed line: each filter applies while the record's tag is its match
 * (`rewrite_tag` moves the record to another tag). `indexed` is a record still under the input's tag after the last
 * filter, its fields without the `logtong` object (where the line was read, for the document id; no processor field).
 */
export function runAgent(doc: FluentBitConfigDocument, line: string): AgentOutcome {
  const parsers = new Map((doc.parsers ?? []).map((p) => [p.name, p]));
  const inputTag = String(doc.pipeline.inputs[0].tag);
  let tag = inputTag;
  let rec: Record<string, unknown> = { log: line };
  for (const f of doc.pipeline.filters ?? []) {
    if (f.match !== tag) continue;
    if (f.name === 'modify') {
      // every condition must hold (filter_modify), then the rules apply in the order they are written
      if (!all(f.condition).every((c) => holds(c, rec))) continue;
      for (const [op, v] of Object.entries(f)) {
        for (const r of all(v)) {
          const sp = r.indexOf(' ');
          const [key, arg] = sp === -1 ? [r, ''] : [r.slice(0, sp), r.slice(sp + 1)];
          if (op === 'rename' && key in rec && !(arg in rec)) {
            rec[arg] = rec[key];
            delete rec[key];
          } else if (op === 'copy' && key in rec && !(arg in rec)) rec[arg] = rec[key];
          else if (op === 'add' && !(key in rec)) rec[key] = arg.replace(/^"(.*)"$/, '$1');
          else if (op === 'remove') delete rec[key];
          else if (op === 'remove_wildcard') for (const k of Object.keys(rec).filter((k) => k.startsWith(key))) delete rec[k];
          else if (op === 'remove_regex') for (const k of Object.keys(rec).filter((k) => new RegExp(key).test(k))) delete rec[k];
        }
      }
    } else if (f.name === 'parser') {
      const key = f.key_name as string;
      if (typeof rec[key] !== 'string') continue;
      const parsed = applyParser(parsers.get(f.parser as string)!, rec[key] as string);
      if (!parsed) continue;
      const rest = f.reserve_data ? { ...rec } : {};
      if (f.reserve_data && !f.preserve_key) delete rest[key];
      rec = { ...rest, ...parsed };
    } else if (f.name === 'rewrite_tag') {
      const [key, regex, newTag] = String(f.rule).split(' ');
      const v = accessor(key, rec);
      if (typeof v === 'string' && new RegExp(regex).test(v)) tag = newTag;
    } else if (f.name === 'grep') {
      const rule = (f.regex ?? f.exclude) as string;
      const sp = rule.indexOf(' ');
      const v = accessor(rule.slice(0, sp), rec);
      const hit = typeof v === 'string' && new RegExp(rule.slice(sp + 1)).test(v);
      if (f.regex !== undefined ? !hit : hit) return { kind: 'filtered' };
    } else if (f.name === 'nest' && f.operation === 'nest') {
      const prefix = String(f.wildcard).replace(/\*$/, '');
      const nested: Record<string, unknown> = {};
      for (const k of Object.keys(rec).filter((k) => k.startsWith(prefix))) {
        nested[f.remove_prefix ? k.slice(String(f.remove_prefix).length) : k] = rec[k];
        delete rec[k];
      }
      if (Object.keys(nested).length) rec[String(f.nest_under)] = nested;
    }
  }
  if (tag !== inputTag) return { kind: 'failed' };
  delete rec.logtong;
  return { kind: 'indexed', record: rec };
}

/**
 * JS regex sources and inputs on which toOnigmo's output must behave as the source does: in JS (onigmo.test.ts) and
 * in the real Fluent Bit (fluent-bit-regex.test.ts). Grouped by the conversion rule they exercise.
 */
export const ONIGMO_SAMPLES: Record<string, Array<[source: string, inputs: string[]]>> = {
  anchors: [['^a$', ['a', 'a\nb', 'b\na', 'a\n']]],
  dot: [['a.b', ['axb', 'a\rb', 'a\nb', 'a\u2028b']]],
  shorthands: [
    ['(?<n>\\d+)\\s(?<w>\\w+)\\S\\D\\W', ['12 ab!x!', '١٢ ab', '12\u00a0ab-x-', '12\u3000ab\u00e9x!']],
    ['\\d+', ['12', 'x', '١٢']],
    ['[\\w.-]+', ['a.b-c', '!', 'é']],
    ['[\\w-z]+', ['a-z', '`|~', 'ab_']],
    ['[a-\\d]+', ['a-1', 'b', '-']],
    ['[\\s\\S]*', ['a\nb', '']],
    ['[^\\s\\S]', ['a', '\n']],
  ],
  wordBoundary: [
    ['\\bfoo\\b', ['a foo b', 'afoo', 'foo_', 'éfooé']],
    ['\\Boo', ['foo', 'oo']],
  ],
  identityEscapes: [
    ['\\h\\a', ['ha', 'h\u0007']],
    ['\\h\\a\\p', ['hap', 'h\u0007p']],
    ['\\x41\\u00e9\\0', ['Aé\u0000', 'Aé']],
  ],
  braces: [
    ['a{,3}', ['a{,3}', 'aaa']],
    ['a{2,}b{3}', ['aabbb', 'abbb']],
  ],
  classes: [
    ['[[a&]+', ['[&a', 'x']],
    ['[[a&&b]', ['&', 'c', '[']],
    ['[^]', ['x', '\n']],
    ['a[]', ['a', 'ab']],
  ],
  slashes: [
    ['/api/', ['GET /api/v1', '/api']],
    ['\\/x', ['/x', 'x']],
  ],
  groups: [
    ['(?<q>["\'])(?<v>(?:(?!\\k<q>).)*)\\k<q>(?=;)(?<!x)', ['"ab";', "'a\"b';", '"ab"x']],
    ['(?<=a|bb)c', ['ac', 'bbc', 'c']],
    // a match where the only named group does not take part: Fluent Bit reports no match
    ['^(?:(?<a>x)|y)$', ['x', 'y']],
  ],
};
