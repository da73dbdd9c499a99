import { readFileSync } from 'node:fs';
import leven from 'leven';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { compileParser } from '../../lambda/core/formats';
import { ConfigSchema, type Config } from './schema';

/** A config problem a user can fix: the message names the pipeline, the field path and what was expected. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `['pipelines', 2, 'engine', 'indexPrefix']` → `pipelines[2] (web-access).engine.indexPrefix`. */
export function formatPath(path: ReadonlyArray<PropertyKey>, raw: unknown): string {
  let out = '';
  let node: unknown = raw;
  path.forEach((seg, i) => {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += `${out ? '.' : ''}${String(seg)}`;
    node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[seg as string] : undefined;
    if (i === 1 && path[0] === 'pipelines' && node && typeof node === 'object') {
      const name = (node as { name?: unknown }).name;
      if (typeof name === 'string') out += ` (${name})`;
    }
  });
  return out || '(root)';
}

/** The value at `path` of the raw config (undefined where it has none). */
function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node = raw;
  for (const seg of path) node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[seg as string] : undefined;
  return node;
}

/** The schema below wrappers (optional, default, prefault, pipes of refinements). */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** The keys the schema allows for the object at `path`, choosing a union's variant by the raw value's discriminator. */
function knownKeys(schema: z.core.$ZodType, path: ReadonlyArray<PropertyKey>, raw: unknown): string[] {
  let s = unwrap(schema);
  let node = raw;
  const variant = () => {
    const def = s._zod.def as { type: string; options?: z.core.$ZodType[]; discriminator?: string };
    if (def.type !== 'union' || !def.options) return;
    const tag = def.discriminator && node && typeof node === 'object' ? (node as Record<string, unknown>)[def.discriminator] : undefined;
    const match = def.options.find((o) => {
      const shape = (unwrap(o)._zod.def as { shape?: Record<string, z.core.$ZodType> }).shape;
      const lit = shape && def.discriminator ? (unwrap(shape[def.discriminator])._zod.def as { values?: unknown[] }).values : undefined;
      return lit?.includes(tag);
    });
    if (match) s = unwrap(match);
  };
  for (const seg of path) {
    variant();
    const def = s._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    const next = def.type === 'array' ? def.element : def.shape?.[seg as string];
    if (!next) return [];
    s = unwrap(next);
    node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[seg as string] : undefined;
  }
  variant();
  return Object.keys((s._zod.def as { shape?: Record<string, unknown> }).shape ?? {});
}

/** `, did you mean "x"?` for the closest candidate a typo away (at most a third of its length edited), else ''. */
function didYouMean(value: unknown, candidates: readonly unknown[]): string {
  if (typeof value !== 'string') return '';
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (typeof c !== 'string') continue;
    const d = leven(value.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best === undefined) return '';
  // One edit for words of up to 3 letters; else two (a swapped pair of letters is two), or a third of longer words.
  const allowed = best.length <= 3 ? 1 : Math.max(2, Math.floor(best.length / 3));
  return bestDistance <= allowed ? `; did you mean ${JSON.stringify(best)}?` : '';
}

function describe(issue: z.core.$ZodIssue, raw: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      // A key that is not there at all: say so, not what type its absence is not.
      return valueAt(raw, issue.path) === undefined ? 'is required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${didYouMean(valueAt(raw, issue.path), issue.values)}`;
    case 'unrecognized_keys': {
      const known = knownKeys(ConfigSchema, issue.path, raw);
      return issue.keys.map((k) => `unknown key ${k}${didYouMean(k, known)}`).join('; ');
    }
    case 'invalid_union': {
      // The schema's own message lists a discriminated union's types ("must be one of "s3", …").
      const types = [...issue.message.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
      return `${issue.message}${didYouMean(valueAt(raw, issue.path), types)}`;
    }
    default:
      return issue.message;
  }
}

/** Validates a parsed YAML/JSON value; throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, source = 'pipelines.yaml'): Config {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) {
    // A format string the parser cannot compile is a config error too: better at synth than in the first Lambda.
    const problems = result.data.pipelines.flatMap((p, i) => {
      try {
        compileParser(p.logFormat);
        return [];
      } catch (e) {
        return [`${formatPath(['pipelines', i, 'logFormat'], raw)}: ${(e as Error).message}`];
      }
    });
    if (problems.length > 0) throw new ConfigError(source, problems);
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    return `${formatPath(issue.path, raw)}: ${describe(issue, raw)}`;
  });
  throw new ConfigError(source, problems);
}

export function parseConfigText(text: string, source = 'pipelines.yaml'): Config {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message}`));
  }
  return parseConfig(doc.toJS(), source);
}

export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, [`cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  return parseConfigText(text, path);
}
