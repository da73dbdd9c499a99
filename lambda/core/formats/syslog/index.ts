/**
 * Syslog lines: RFC 5424 (rfc5424.ts) and RFC 3164 (BSD, rfc3164.ts), detected per line, plus the RFC 6587 stream
 * framing (framing.ts: splitSyslogFrames).
 *
 * Fields: `@timestamp` and `timestamp` (both UTC ISO-8601 with ms; null for a nil/absent timestamp), `facility`,
 * `facility_name`, `severity`, `severity_name` (from PRI), `version`, `hostname`, `app_name`, `procid`, `msgid`,
 * `structured_data`, `message`. `logFormat.fields` may retype them (e.g. `procid: integer`, `hostname: ip`,
 * `structured_data: keyword` for its JSON text); `timeKey` / `timeFormat` are not used: syslog carries its own time.
 *
 * A line ending in LF or CRLF has it removed; a line that is an octet-counted frame (`LEN <PRI>…`, as a TCP stream
 * written to a file has them) loses its count once the count is checked against the bytes that follow (the LF
 * included or not). parse() never throws: a line that is not syslog fails with a reason
 * (`not a syslog line: …`, `PRI 999 out of range (0-191)`, `bad RFC 5424 timestamp "…"`, …).
 */
import type { LogFormat } from '../../config/log-format';
import { INVALID, converterFor, invalidReason, resolveFieldTypes, type FieldType, type FieldTypes } from '../../fields';
import { zoneResolver } from '../../time';
import type { LineParser, ParseResult } from '../index';
import { OCTET_COUNTED, utf8Length } from './framing';
import { clip, fail, isDigit, type Fail } from './message';
import { rfc3164Parser } from './rfc3164';
import { rfc5424Parser } from './rfc5424';

export { MAX_OCTET_COUNT, splitSyslogFrames } from './framing';
export { SYSLOG_FACILITY_NAMES, SYSLOG_SEVERITY_NAMES } from './message';
export type { StructuredData } from './rfc5424';

/** Default field table of the syslog parser (before the user's overrides). */
export const SYSLOG_FIELD_TYPES: Readonly<FieldTypes> = Object.freeze({
  facility: 'integer',
  facility_name: 'keyword',
  severity: 'integer',
  severity_name: 'keyword',
  version: 'integer',
  timestamp: 'date',
  hostname: 'keyword',
  app_name: 'keyword',
  procid: 'keyword',
  msgid: 'keyword',
  structured_data: 'object',
  message: 'text',
});

export interface SyslogOptions {
  /** Reference time (epoch ms) for the year of RFC 3164 timestamps: a number or a clock; default Date.now. */
  now?: number | (() => number);
}

interface Header {
  /** index after PRI (0 when no PRI) */
  pos: number;
  pri: number; // -1: no PRI
}

interface FieldPlan {
  name: string;
  type: FieldType;
  kind: 'string' | 'number' | 'sd';
}

function planOverrides(types: FieldTypes, zone: string): Array<FieldPlan & { convert: (v: unknown) => unknown }> {
  const plans: Array<FieldPlan & { convert: (v: unknown) => unknown }> = [];
  for (const [name, def] of Object.entries(SYSLOG_FIELD_TYPES)) {
    const type = types[name];
    if (type === def) continue;
    const kind: FieldPlan['kind'] = name === 'structured_data' ? 'sd' : def === 'integer' ? 'number' : 'string';
    const bad = (): never => {
      throw new Error(`logFormat.fields.${name}: a syslog ${name} cannot be ${type}`);
    };
    if (name === 'timestamp') {
      if (type !== 'keyword' && type !== 'text') bad();
      continue; // the ISO string stays as is
    }
    if (kind === 'number') {
      if (type === 'keyword' || type === 'text') plans.push({ name, type, kind, convert: (v) => (v === null ? null : String(v)) });
      else if (type === 'long' || type === 'float' || type === 'double') continue;
      else bad();
    } else if (kind === 'sd') {
      if (type === 'keyword' || type === 'text') plans.push({ name, type, kind, convert: (v) => (v === null ? null : JSON.stringify(v)) });
      else bad();
    } else {
      if (type === 'keyword' || type === 'text') continue;
      if (type === 'object') bad();
      const conv = converterFor(type, zone);
      plans.push({ name, type, kind, convert: (v) => (v === null ? null : conv(v as string)) });
    }
  }
  return plans;
}

/** Compiles a `syslog` logFormat. Throws on a field override that cannot apply to a syslog field. */
export function compileSyslog(format: LogFormat, options: SyslogOptions = {}): LineParser {
  const zone = format.timeZone ?? 'UTC';
  const resolve = zoneResolver(zone);
  const fields = resolveFieldTypes(Object.keys(SYSLOG_FIELD_TYPES), (n) => SYSLOG_FIELD_TYPES[n], format.fields ?? {});
  const overrides = planOverrides(fields, zone);
  const nowOpt = options.now;
  const now: () => number = typeof nowOpt === 'number' ? () => nowOpt : (nowOpt ?? Date.now);

  const parse5424 = rfc5424Parser(resolve);
  const parse3164 = rfc3164Parser(resolve, now);

  function parsePri(s: string): Header | Fail {
    if (s.charCodeAt(0) !== 60 /* < */) return { pos: 0, pri: -1 };
    let i = 1;
    let v = 0;
    while (i < s.length && i <= 4 && isDigit(s.charCodeAt(i))) v = v * 10 + s.charCodeAt(i++) - 48;
    if (i === 1 || i > 4 || s.charCodeAt(i) !== 62 /* > */) return fail(`not a syslog line: bad PRI ${clip(s.slice(0, 6), 6)}`);
    if (v > 191) return fail(`PRI ${v} out of range (0-191)`);
    return { pos: i + 1, pri: v };
  }

  function parseLine(text: string): ParseResult {
    let s = text;
    let n = s.length;
    if (n > 0 && s.charCodeAt(n - 1) === 10) {
      n--;
      if (n > 0 && s.charCodeAt(n - 1) === 13) n--;
      s = s.slice(0, n);
    } else if (n > 0 && s.charCodeAt(n - 1) === 13) {
      s = s.slice(0, --n);
    }
    if (n === 0) return fail('not a syslog line: empty');
    const c0 = s.charCodeAt(0);
    if (c0 >= 49 && c0 <= 57) {
      // an octet-counted frame (RFC 6587) as a line of a file: the count, checked, then the message
      const m = OCTET_COUNTED.exec(s);
      if (m) {
        const count = Number(m[1]);
        const bytes = utf8Length(s, m[1].length + 1, n);
        // rsyslog counts the LF that ended the line; other senders may not
        if (bytes !== count && bytes !== count - 1) return fail(`octet-counted frame: count ${count}, but ${bytes} bytes follow`);
        s = s.slice(m[1].length + 1);
        n = s.length;
      }
    }
    const h = parsePri(s);
    if ('ok' in h) return h;
    const i = h.pos;
    // RFC 5424: `<PRI>VERSION SP` with VERSION = 1-2 digits (only 1 exists); a 3164 timestamp never starts so
    if (h.pri >= 0 && isDigit(s.charCodeAt(i))) {
      const c1 = s.charCodeAt(i + 1);
      if (c1 === 32 || (isDigit(c1) && s.charCodeAt(i + 2) === 32)) return parse5424(s, i, h.pri);
    }
    return parse3164(s, i, h.pri);
  }

  function parse(text: string): ParseResult {
    let r: ParseResult;
    try {
      r = parseLine(text);
    } catch (e) {
      // not expected; the contract is "never throw"
      return fail(`syslog parser error: ${(e as Error).message}`);
    }
    if (!r.ok || overrides.length === 0) return r;
    const doc = r.doc;
    for (const o of overrides) {
      const v = o.convert(doc[o.name]);
      if (v === INVALID) return fail(invalidReason(o.name, o.type, doc[o.name]));
      doc[o.name] = v;
    }
    return r;
  }

  return { fields, parse };
}
