/**
 * JSON lines: one object per line, kept as it is (nested objects stay nested) unless `flattenJson` is set, in which
 * case nested objects become dotted keys (`{"a":{"b":1}}` → `{"a.b":1}`; arrays are values and stay as they are;
 * empty objects disappear).
 *
 * Fields named in `logFormat.fields` (dotted paths reach into nested objects) are coerced to their type: strings are
 * converted (`"200"` → 200 for an integer field), numbers and booleans are checked; a mismatch fails the line.
 * `@timestamp` is set only when `timeKey` (a dotted path) is set: with `timeFormat`, or else string values are
 * read as iso8601 and numbers as epoch_ms.
 */
import type { LogFormat } from '../config/log-format';
import { INVALID, TIMESTAMP_FIELD, coerceJsonValue, converterFor, invalidReason, resolveFieldTypes, type Converter, type FieldType } from '../fields';
import { toStrptimeFormat } from '../java-time';
import { createTimestamper } from '../time';
import type { LineParser, ParseResult } from './index';

type Obj = Record<string, unknown>;

/** Value at a dotted path: an own key with that exact name first (flattened docs), else walking nested objects. */
export function getPath(doc: Obj, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(doc, path)) return doc[path];
  if (path.indexOf('.') === -1) return undefined;
  let node: unknown = doc;
  for (const seg of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(node, seg)) return undefined;
    node = (node as Obj)[seg];
  }
  return node;
}

function setPath(doc: Obj, path: string, value: unknown): void {
  if (Object.prototype.hasOwnProperty.call(doc, path) || path.indexOf('.') === -1) {
    doc[path] = value;
    return;
  }
  const segs = path.split('.');
  let node = doc;
  for (let i = 0; i < segs.length - 1; i++) node = node[segs[i]] as Obj;
  node[segs[segs.length - 1]] = value;
}

export function flattenObject(obj: Obj, prefix = '', out: Obj = {}): Obj {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const name = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenObject(v as Obj, name, out);
    else out[name] = v;
  }
  return out;
}

export function compileJson(format: LogFormat): LineParser {
  const overrides = format.fields ?? {};
  const types = resolveFieldTypes([], () => 'keyword', overrides);
  const zone = format.timeZone ?? 'UTC';
  const coerce: Array<{ path: string; type: FieldType; convert: Converter }> = Object.entries(overrides)
    .filter(([path]) => path !== TIMESTAMP_FIELD)
    .map(([path, type]) => ({ path, type, convert: converterFor(type, zone) }));
  const flatten = format.flattenJson ?? false;
  const timeKey = format.timeKey;
  const timeFormat = format.timeFormat;
  const stringTime = timeKey ? createTimestamper(toStrptimeFormat(timeFormat ?? 'iso8601'), zone) : undefined;
  const numberTime = timeKey ? (timeFormat ? stringTime : createTimestamper('epoch_ms', zone)) : undefined;

  function parse(text: string): ParseResult {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { ok: false, reason: `not a JSON object (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})` };
    }
    const doc = flatten ? flattenObject(value as Obj) : (value as Obj);
    for (let i = 0; i < coerce.length; i++) {
      const c = coerce[i];
      const v = getPath(doc, c.path);
      if (v === undefined) continue;
      const out = coerceJsonValue(c.type, v, c.convert);
      if (out === INVALID) return { ok: false, reason: invalidReason(c.path, c.type, v) };
      if (out !== v) setPath(doc, c.path, out);
    }
    if (timeKey) {
      const raw = getPath(doc, timeKey);
      if (raw === undefined || raw === null) return { ok: false, reason: `time key ${timeKey} is missing` };
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        return { ok: false, reason: `${timeKey} ${JSON.stringify(raw).slice(0, 200)} is not a time (string or number)` };
      }
      const ts = typeof raw === 'string' ? stringTime!(raw) : numberTime!(raw);
      if (ts === undefined) {
        const fmt = timeFormat ?? (typeof raw === 'string' ? 'iso8601' : 'epoch_ms');
        return { ok: false, reason: `${timeKey} ${JSON.stringify(raw)} does not match ${fmt}` };
      }
      doc[TIMESTAMP_FIELD] = ts;
    }
    return { ok: true, doc };
  }

  return { fields: types, parse };
}
