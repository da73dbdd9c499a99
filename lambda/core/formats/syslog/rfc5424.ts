/**
 * RFC 5424  `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`, from after PRI.
 *   - nil values (`-`) → null; STRUCTURED-DATA → `{ "sd-id": { param: "value" } }` with `\"`, `\\`, `\]` unescaped
 *     (a backslash before any other character stays, as the RFC says); a param repeated inside one element → array
 *     of its values; an SD-ID repeated → its params merged;
 *   - TIMESTAMP: RFC 3339 with 1-9 fraction digits and `Z` / `±hh:mm` (without an offset: read in `timeZone`);
 *   - a UTF-8 BOM at the start of MSG is removed; no MSG → message null.
 */
import { toIsoTimestamp, type ZoneResolver } from '../../time';
import type { ParseResult } from '../index';
import { clip, emptyDoc, fail, setPri } from './message';
import { isoParser } from '../../time/iso8601';
import { RFC3339_SHAPE } from './timestamp';

const BOM = 0xfeff;

export type StructuredData = Record<string, Record<string, string | string[]>>;

/** obj[key] = value, also for `__proto__` (an own data property, not the prototype). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Parses the RFC 5424 STRUCTURED-DATA at s[i..]; returns the object and the index after it, or a reason. */
function parseStructuredData(s: string, i: number): { sd: StructuredData; end: number } | string {
  const sd: StructuredData = {};
  const n = s.length;
  while (i < n && s.charCodeAt(i) === 91 /* [ */) {
    i++;
    const idStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 93 || c === 61 || c === 34) break;
      if (c < 33 || c > 126) return `bad SD-ID at column ${i + 1}: character ${JSON.stringify(s[i])}`;
      i++;
    }
    if (i === idStart) return `empty SD-ID at column ${i + 1}`;
    if (i >= n) return 'unterminated STRUCTURED-DATA element';
    const id = s.slice(idStart, i);
    let params = Object.hasOwn(sd, id) ? sd[id] : undefined;
    if (!params) {
      params = {};
      setOwn(sd, id, params);
    }
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 93 /* ] */) {
        i++;
        break;
      }
      if (c !== 32) return `expected SP or "]" in STRUCTURED-DATA element ${JSON.stringify(id)} at column ${i + 1}`;
      i++;
      const nameStart = i;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 61 || d === 32 || d === 93 || d === 34) break;
        if (d < 33 || d > 126) return `bad PARAM-NAME in ${JSON.stringify(id)} at column ${i + 1}`;
        i++;
      }
      if (i === nameStart) return `empty PARAM-NAME in ${JSON.stringify(id)} at column ${i + 1}`;
      const name = s.slice(nameStart, i);
      if (s.charCodeAt(i) !== 61 || s.charCodeAt(i + 1) !== 34) return `expected ="…" after PARAM-NAME ${JSON.stringify(name)} in ${JSON.stringify(id)}`;
      i += 2;
      let value = '';
      let from = i;
      for (;;) {
        if (i >= n) return `unterminated PARAM-VALUE of ${JSON.stringify(name)} in ${JSON.stringify(id)}`;
        const d = s.charCodeAt(i);
        if (d === 34) break;
        if (d === 92 /* \ */ && i + 1 < n) {
          const e = s.charCodeAt(i + 1);
          if (e === 34 || e === 92 || e === 93) {
            value += s.slice(from, i);
            from = i + 1; // keep the escaped character
            i += 2;
            continue;
          }
        }
        i++;
      }
      value += s.slice(from, i);
      i++; // closing quote
      const prev = Object.hasOwn(params, name) ? params[name] : undefined;
      setOwn(params, name, prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]);
      if (i >= n) return `unterminated STRUCTURED-DATA element ${JSON.stringify(id)}`;
    }
  }
  return { sd, end: i };
}

/** Next SP-delimited token of an RFC 5424 header at s[i..]. */
function token(s: string, i: number): number {
  const sp = s.indexOf(' ', i);
  return sp < 0 ? s.length : sp;
}

const names = ['TIMESTAMP', 'HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'];
const keys = ['timestamp', 'hostname', 'app_name', 'procid', 'msgid'];

/** The RFC 5424 parser of one compiled format: `(line, index after PRI, PRI)`. */
export function rfc5424Parser(resolve: ZoneResolver): (s: string, i: number, pri: number) => ParseResult {
  const iso = isoParser(resolve);
  const rfc3339 = (v: string): number => (RFC3339_SHAPE.test(v) ? iso(v) : NaN);
  // last RFC 5424 TIMESTAMP text → its ISO string (consecutive messages often share it)
  let last5424 = '';
  let last5424Iso = '';

  function parse5424(s: string, i: number, pri: number): ParseResult {
    const doc = emptyDoc();
    setPri(doc, pri);
    let j = token(s, i);
    const version = +s.slice(i, j);
    if (version !== 1) return fail(`unsupported syslog protocol version ${s.slice(i, j)} (RFC 5424 is version 1)`);
    doc.version = 1;
    for (let k = 0; k < names.length; k++) {
      if (j >= s.length) return fail(`RFC 5424 header ends before ${names[k]}`);
      i = j + 1;
      j = token(s, i);
      if (j === i) return fail(`RFC 5424 header: empty ${names[k]} (two spaces at column ${i + 1})`);
      const v = s.slice(i, j);
      if (v === '-') continue;
      if (k === 0) {
        if (v !== last5424) {
          const ms = rfc3339(v);
          if (Number.isNaN(ms)) return fail(`bad RFC 5424 timestamp ${clip(v)}`);
          last5424 = v;
          last5424Iso = toIsoTimestamp(ms);
        }
        doc['@timestamp'] = last5424Iso;
        doc.timestamp = last5424Iso;
      } else doc[keys[k]] = v;
    }
    if (j >= s.length) return fail('RFC 5424 header ends before STRUCTURED-DATA');
    i = j + 1;
    const c = s.charCodeAt(i);
    if (c === 45 /* - */ && (i + 1 === s.length || s.charCodeAt(i + 1) === 32)) {
      i++;
    } else if (c === 91 /* [ */) {
      const r = parseStructuredData(s, i);
      if (typeof r === 'string') return fail(`bad RFC 5424 STRUCTURED-DATA: ${r}`);
      doc.structured_data = r.sd;
      i = r.end;
    } else {
      return fail(`bad RFC 5424 STRUCTURED-DATA: expected "-" or "[" at column ${i + 1}, got ${clip(s.slice(i, i + 20))}`);
    }
    if (i < s.length) {
      if (s.charCodeAt(i) !== 32) return fail(`bad RFC 5424 STRUCTURED-DATA: expected SP before MSG at column ${i + 1}`);
      i++;
      if (s.charCodeAt(i) === BOM) i++;
      doc.message = s.slice(i);
    }
    return { ok: true, doc };
  }

  return parse5424;
}
