import { readFileSync } from 'node:fs';
import leven from 'leven';
import { isCollection, isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { compileParser } from '../../lambda/core/formats';
import { AgentConfigError, fluentBitConfig, placeholderTargets } from '../agent/fluent-bit-config';
import { configIssues, ConfigSchema, LogFormatSchema, PipelineSchema, type Config } from './schema';

/** Where a problem is in the file (1-based), when the config was read from text. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Config problems a user can fix, all of them at once: each names the field path (with the pipeline's name), what
 * was expected, and where it is in the file (`pipelines.yaml:12:7`, as compilers write it, so editors link it).
 */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
    /** positions[i]: where problems[i] is, when known. */
    readonly positions: ReadonlyArray<Position | undefined> = [],
  ) {
    const where = (i: number) => (positions[i] ? `${source}:${positions[i]!.line}:${positions[i]!.column}: ` : '');
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source}: invalid configuration (${count})\n${problems.map((p, i) => `  - ${where(i)}${p}`).join('\n')}`);
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

/** The candidate a typo away from `value` (at most a third of its length edited), if any. */
function closest(value: unknown, candidates: readonly unknown[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (typeof c !== 'string') continue;
    const d = leven(value.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best === undefined) return undefined;
  // One edit for words of up to 3 letters; else two (a swapped pair of letters is two), or a third of longer words.
  const allowed = best.length <= 3 ? 1 : Math.max(2, Math.floor(best.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** `; did you mean "x"?` for the closest candidate, else ''. */
function didYouMean(value: unknown, candidates: readonly unknown[]): string {
  const best = closest(value, candidates);
  return best === undefined ? '' : `; did you mean ${JSON.stringify(best)}?`;
}

/** The types a discriminated union's message lists ("must be one of "s3", …"). */
const unionTypes = (issue: z.core.$ZodIssue) => [...issue.message.matchAll(/"([^"]+)"/g)].map((m) => m[1]);

function describe(issue: z.core.$ZodIssue, raw: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      // A key that is not there at all: say so, not what type its absence is not.
      return valueAt(raw, issue.path) === undefined ? 'is required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${didYouMean(valueAt(raw, issue.path), issue.values)}`;
    case 'invalid_union':
      return `${issue.message}${didYouMean(valueAt(raw, issue.path), unionTypes(issue))}`;
    default:
      return issue.message;
  }
}

/** The problems found, each at a path of the raw config. */
interface Problem {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
  /** Points at this key of the object at `path` (an unknown key) instead of at the object. */
  readonly key?: string;
}

/** Where a path (or a key of the object there) is in the file; undefined when the config was not read from text. */
export type Locate = (path: ReadonlyArray<PropertyKey>, key?: string) => Position | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The discriminators a typo away from a valid one (`engine.type: opensearh`), with the type meant: the rest of that
 * object is checked as that type in the same round, instead of after the user fixed the type.
 */
function guessedTypes(issues: readonly z.core.$ZodIssue[], raw: unknown): Array<{ path: PropertyKey[]; type: string }> {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union') return [];
    const guess = closest(valueAt(raw, issue.path), unionTypes(issue));
    return guess ? [{ path: issue.path.slice(0, -1) as PropertyKey[], type: guess }] : [];
  });
}

function withTypes(raw: unknown, guesses: ReadonlyArray<{ path: PropertyKey[]; type: string }>): unknown {
  const copy = structuredClone(raw);
  for (const g of guesses) {
    const node = valueAt(copy, g.path);
    if (isObject(node)) node.type = g.type;
  }
  return copy;
}

/** Every problem of a config: the schema's, those a typo'd type hid, the format strings', and the cross-pipeline checks'. */
function problemsOf(raw: unknown): { config?: Config; problems: Problem[] } {
  const result = ConfigSchema.safeParse(raw);
  const problems: Problem[] = [];
  const issueProblems = (issues: readonly z.core.$ZodIssue[], of: unknown) =>
    issues.flatMap((issue): Problem[] =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => ({ path: issue.path, key: k, message: `unknown key ${k}${didYouMean(k, knownKeys(ConfigSchema, issue.path, of))}` }))
        : [{ path: issue.path, message: describe(issue, of) }],
    );
  if (!result.success) {
    problems.push(...issueProblems(result.error.issues, raw));
    const guesses = guessedTypes(result.error.issues, raw);
    if (guesses.length > 0) {
      const again = ConfigSchema.safeParse(withTypes(raw, guesses));
      const under = (p: ReadonlyArray<PropertyKey>) => guesses.some((g) => g.path.every((seg, i) => p[i] === seg) && p.length > g.path.length && p[g.path.length] !== 'type');
      if (!again.success) problems.push(...issueProblems(again.error.issues.filter((i) => under(i.path)), raw).map((p) => ({ ...p, message: `${p.message} (as type ${guesses.find((g) => g.path.every((seg, i) => p.path[i] === seg))!.type})` })));
    }
  }
  const rawPipelines = isObject(raw) && Array.isArray(raw.pipelines) ? raw.pipelines : [];
  // A format string the parser cannot compile is a config error too: better at synth than in the first Lambda. Each
  // pipeline's is compiled whenever its logFormat passes the schema, whatever else is wrong.
  rawPipelines.forEach((p, i) => {
    const format = LogFormatSchema.safeParse(isObject(p) ? p.logFormat : undefined);
    if (!format.success) return;
    try {
      compileParser(format.data);
    } catch (e) {
      const at = ['pipelines', i, 'logFormat', ...(format.data.format !== undefined ? ['format'] : format.data.regex !== undefined ? ['regex'] : [])];
      problems.push({ path: at, message: (e as Error).message });
    }
  });
  const pipelines = result.success ? result.data.pipelines : rawPipelines.map((p) => {
    const r = PipelineSchema.safeParse(p);
    return r.success ? r.data : undefined;
  });
  // What the agents or receivers cannot run as the processor would (a time zone with daylight saving time for an
  // agent that parses, …) is in the same report, not found later by synth.
  pipelines.forEach((p, i) => {
    if (!p || (p.source.type !== 'fluent-bit' && p.source.type !== 'syslog')) return;
    // The stack hands basic-auth agents their credentials from the secret; stand-ins are enough to render.
    const basic = p.engine.type === 'opensearch' && p.engine.domain.type === 'self-managed' && p.engine.domain.auth === 'basic';
    const credentials = basic ? { opensearch: { host: 'opensearch', port: '443', tls: true, httpUser: 'user', httpPasswd: 'password' } } : {};
    try {
      fluentBitConfig(p, { ...placeholderTargets(p), ...credentials });
    } catch (e) {
      if (!(e instanceof AgentConfigError)) throw e;
      problems.push({ path: ['pipelines', i, 'logFormat'], message: `the agent cannot run it: ${e.message.replace(`pipeline ${p.name}: `, '')}` });
    }
  });
  if (result.success) return { config: result.data, problems };
  // The schema checks across pipelines only once every pipeline passed: run them on those that pass on their own.
  if (pipelines.filter(Boolean).length > 1 || (isObject(raw) && 'syslog' in raw)) {
    configIssues({ syslog: isObject(raw) ? raw.syslog : undefined, pipelines }, (path, message) => problems.push({ path, message }));
  }
  return { problems };
}

/** Validates a parsed YAML/JSON value; throws ConfigError listing every problem (located when `locate` is given). */
export function parseConfig(raw: unknown, source = 'pipelines.yaml', locate?: Locate): Config {
  const { config, problems } = problemsOf(raw);
  if (config && problems.length === 0) return config;
  const seen = new Set<string>();
  const located = problems
    .map((p) => ({ text: `${formatPath(p.path, raw)}: ${p.message}`, at: locate?.(p.path, p.key) }))
    .filter((p) => !seen.has(p.text) && seen.add(p.text))
    // In file order: the report reads top to bottom with the file.
    .sort((a, b) => (a.at && b.at ? a.at.line - b.at.line || a.at.column - b.at.column : 0));
  throw new ConfigError(
    source,
    located.map((p) => p.text),
    located.map((p) => p.at),
  );
}

/** Where each path of a YAML document is: the node at the path, or the deepest one that exists (a missing key). */
function locator(doc: Document, lines: LineCounter): Locate {
  return (path, key) => {
    let node: unknown = doc.contents;
    let at: unknown = node;
    for (const seg of path) {
      if (!isCollection(node)) break;
      const next = node.get(seg as never, true);
      if (next === undefined) break;
      node = next;
      at = next;
    }
    if (key !== undefined && isMap(at)) {
      const pair = at.items.find((it) => isScalar(it.key) && it.key.value === key);
      if (pair && isScalar(pair.key)) at = pair.key;
    }
    const range = (at as { range?: [number, number, number] } | undefined)?.range;
    if (!range) return undefined;
    const { line, col } = lines.linePos(range[0]);
    return { line, column: col };
  };
}

export function parseConfigText(text: string, source = 'pipelines.yaml'): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message}`));
  }
  return parseConfig(doc.toJS(), source, locator(doc, lines));
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
