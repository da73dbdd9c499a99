/**
 * Regex lines: a JavaScript regular expression with named groups (`(?<status>\d+)`), compiled once. Each named group
 * becomes a field (a group that did not take part in the match → null), converted to its type from
 * `logFormat.fields` (default keyword). The regex is used as written: add `^…$` to anchor it.
 * `@timestamp` is set only when `timeKey` names a group (timeFormat default iso8601).
 */
import type { LogFormat } from '../config/log-format';
import { INVALID, converterFor, invalidReason, resolveFieldTypes, type Converter, type FieldType } from '../fields';
import { toStrptimeFormat } from '../java-time';
import { createTimestamper } from '../time';
import type { LineParser, ParseResult } from './index';

/** Names of the named groups of a regex source, in order. */
export function groupNames(source: string): string[] {
  const names: string[] = [];
  const re = /\\.|\[(?:\\.|[^\]\\])*\]|\(\?<([A-Za-z_$][\w$]*)>/g;
  for (let m = re.exec(source); m; m = re.exec(source)) if (m[1]) names.push(m[1]);
  return names;
}

export interface GroupField {
  readonly name: string;
  readonly type: FieldType;
  readonly convert: Converter;
  readonly isString: boolean;
}

/** One typed field per named group; dates without an offset are read in `zone`. */
export function groupFields(names: string[], types: Record<string, FieldType>, zone: string): GroupField[] {
  return names.map((name) => ({
    name,
    type: types[name],
    convert: converterFor(types[name], zone),
    isString: types[name] === 'keyword' || types[name] === 'text',
  }));
}

/**
 * Copies the groups of a match into `doc`, typed; a group that did not take part → null, and so does a non-string
 * value equal to `nullValue` (log4j's `?`). Returns the reason of the first value that does not convert.
 */
export function assignGroups(fields: GroupField[], g: Record<string, string | undefined>, doc: Record<string, unknown>, nullValue?: string): string | undefined {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const raw = g[f.name];
    if (raw === undefined) {
      doc[f.name] = null;
      continue;
    }
    if (f.isString) {
      doc[f.name] = raw;
      continue;
    }
    const v = raw === nullValue ? null : f.convert(raw);
    if (v === INVALID) return invalidReason(f.name, f.type, raw);
    doc[f.name] = v;
  }
  return undefined;
}

export function compileRegex(format: LogFormat): LineParser {
  if (!format.regex) throw new Error('logFormat.regex is required for type regex');
  const regex = new RegExp(format.regex);
  const names = groupNames(format.regex);
  if (names.length === 0) throw new Error('logFormat.regex has no named groups ((?<name>…))');
  const zone = format.timeZone ?? 'UTC';
  const types = resolveFieldTypes(names, () => 'keyword', format.fields ?? {});
  const groups = groupFields(names, types, zone);
  const timeKey = format.timeKey;
  if (timeKey && !names.includes(timeKey)) {
    throw new Error(`timeKey ${JSON.stringify(timeKey)} is not a named group of logFormat.regex (groups: ${names.join(', ')})`);
  }
  const timeFormat = format.timeFormat ?? 'iso8601';
  const timestamp = timeKey ? createTimestamper(toStrptimeFormat(timeFormat), zone) : undefined;

  function parse(text: string): ParseResult {
    const m = regex.exec(text);
    if (!m) return { ok: false, reason: 'does not match the regex' };
    const g = m.groups!;
    const doc: Record<string, unknown> = timestamp ? { '@timestamp': null } : {};
    const bad = assignGroups(groups, g, doc);
    if (bad) return { ok: false, reason: bad };
    if (timestamp) {
      const raw = g[timeKey!];
      const ts = raw === undefined ? undefined : timestamp(raw);
      if (ts === undefined) return { ok: false, reason: raw === undefined ? `${timeKey} is empty` : `${timeKey} ${JSON.stringify(raw)} does not match ${timeFormat}` };
      doc['@timestamp'] = ts;
    }
    return { ok: true, doc };
  }

  return { fields: types, parse };
}
