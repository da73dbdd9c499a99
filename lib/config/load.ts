import { readFileSync } from 'node:fs';
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

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
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
    return `${formatPath(issue.path, raw)}: ${describe(issue)}`;
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
