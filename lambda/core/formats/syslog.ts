/**
 * Syslog lines: RFC 5424 and RFC 3164 (BSD), detected per line, plus the RFC 6587 stream framing (splitSyslogFrames).
 *
 * RFC 5424  `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`
 *   - nil values (`-`) → null; STRUCTURED-DATA → `{ "sd-id": { param: "value" } }` with `\"`, `\\`, `\]` unescaped
 *     (a backslash before any other character stays, as the RFC says); a param repeated inside one element → array
 *     of its values; an SD-ID repeated → its params merged;
 *   - TIMESTAMP: RFC 3339 with 1-9 fraction digits and `Z` / `±hh:mm` (without an offset: read in `timeZone`);
 *   - a UTF-8 BOM at the start of MSG is removed; no MSG → message null.
 * RFC 3164  `[<PRI>]Mmm dd hh:mm:ss [HOSTNAME ]TAG[[pid]][:] MSG`
 *   - no PRI: facility and severity null (files such as /var/log/messages);
 *   - the timestamp also may be `Mmm dd yyyy hh:mm:ss`, carry a fraction (`.123`), or be RFC 3339 (rsyslog's
 *     high-precision forward format); day padded with a space or a zero;
 *   - a timestamp without a year gets the latest year that does not put it more than 2 days after "now"
 *     (so `Dec 31 23:59:59` read on Jan 1 is last year, `Jan 1 00:00:01` read on Dec 31 23:59:58 is next year); it is
 *     read in `timeZone` (IANA, default UTC);
 *   - the token after the timestamp is the HOSTNAME unless it looks like a TAG (ends with `:` or holds `[`);
 *     TAG ends at `[`, `:` or a space: `sshd(pam_unix)[19939]:` → app_name `sshd(pam_unix)`, procid `19939`;
 *     `kernel:` → app_name `kernel`; `syslogd 1.4.1: restart.` → app_name `syslogd`, message `1.4.1: restart.`;
 *   - `<PRI>` followed by no timestamp: the rest is the message (RFC 3164 §4.3.3), timestamp null.
 *   - version, msgid and structured_data are null.
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
import type { LogFormat } from '../config/log-format';
import { INVALID, converterFor, invalidReason, resolveFieldTypes, type FieldType, type FieldTypes } from '../fields';
import { daysFromCivil, toIsoTimestamp, zoneResolver, type ZoneResolver } from '../time';
import type { LineParser, ParseResult } from './index';

export const SYSLOG_FACILITY_NAMES: readonly string[] = Object.freeze([
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security',
  'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]);
export const SYSLOG_SEVERITY_NAMES: readonly string[] = Object.freeze(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']);

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

export type StructuredData = Record<string, Record<string, string | string[]>>;

export interface SyslogOptions {
  /** Reference time (epoch ms) for the year of RFC 3164 timestamps: a number or a clock; default Date.now. */
  now?: number | (() => number);
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** How far after "now" an RFC 3164 timestamp without a year may be (clock skew, a wrong zone). */
const FUTURE_SLACK_MS = 2 * DAY;
const BOM = 0xfeff;

const MONTHS = new Map<string, number>(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i + 1]),
);

function clip(s: string, n = 40): string {
  return JSON.stringify(s.length > n ? `${s.slice(0, n)}…` : s);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Wall time (as if UTC) of a date and time, or NaN when a part is out of range. */
function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return NaN;
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * 1000 + ms;
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})?$/;

/** RFC 3339 timestamp → epoch ms, or NaN. Without an offset: read in the zone. */
function parseRfc3339(s: string, resolve: ZoneResolver): number {
  const m = RFC3339_RE.exec(s);
  if (!m) return NaN;
  const frac = m[7] ? +(m[7] + '00').slice(0, 3) : 0;
  const wall = wallMs(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], frac);
  if (Number.isNaN(wall)) return NaN;
  const z = m[8];
  if (!z) return resolve(wall);
  if (z === 'Z' || z === 'z') return wall;
  const oh = +z.slice(1, 3);
  const om = +z.slice(4, 6);
  if (oh > 23 || om > 59) return NaN;
  return wall - (z.charCodeAt(0) === 45 ? -1 : 1) * (oh * HOUR + om * MINUTE);
}

// `Mmm dd hh:mm:ss`, `Mmm  d hh:mm:ss`, `Mmm dd yyyy hh:mm:ss` (Cisco), optional `.fff`
const BSD_TS_RE = /^([A-Za-z]{3}) (?: ?(\d{1,2})) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?= |$)/;

interface Header {
  /** index after PRI (0 when no PRI) */
  pos: number;
  pri: number; // -1: no PRI
}

function emptyDoc(): Record<string, unknown> {
  return {
    '@timestamp': null,
    facility: null,
    facility_name: null,
    severity: null,
    severity_name: null,
    version: null,
    timestamp: null,
    hostname: null,
    app_name: null,
    procid: null,
    msgid: null,
    structured_data: null,
    message: null,
  };
}

type Fail = { ok: false; reason: string };
const fail = (reason: string): Fail => ({ ok: false, reason });

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

  // last RFC 3164 timestamp (text without year → ms), valid while "now" stays in the same hour
  let lastBsd = '';
  let lastBsdMs = NaN;
  let lastBsdHour = NaN;
  // last RFC 5424 TIMESTAMP text → its ISO string (consecutive messages often share it)
  let last5424 = '';
  let last5424Iso = '';

  /** A year-less wall time → epoch ms with the inferred year, or NaN (e.g. Feb 30, Feb 29 for 8 years). */
  function inferYear(mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
    const ref = now();
    const limit = ref + FUTURE_SLACK_MS;
    const y0 = new Date(ref).getUTCFullYear() + 1;
    for (let y = y0; y > y0 - 9; y--) {
      const wall = wallMs(y, mo, d, h, mi, s, ms);
      if (Number.isNaN(wall)) {
        if (mo === 2 && d === 29) continue;
        return NaN;
      }
      const t = resolve(wall);
      if (t <= limit) return t;
    }
    return NaN;
  }

  function parsePri(s: string): Header | Fail {
    if (s.charCodeAt(0) !== 60 /* < */) return { pos: 0, pri: -1 };
    let i = 1;
    let v = 0;
    while (i < s.length && i <= 4 && isDigit(s.charCodeAt(i))) v = v * 10 + s.charCodeAt(i++) - 48;
    if (i === 1 || i > 4 || s.charCodeAt(i) !== 62 /* > */) return fail(`not a syslog line: bad PRI ${clip(s.slice(0, 6), 6)}`);
    if (v > 191) return fail(`PRI ${v} out of range (0-191)`);
    return { pos: i + 1, pri: v };
  }

  function setPri(doc: Record<string, unknown>, pri: number): void {
    if (pri < 0) return;
    const fac = pri >> 3;
    const sev = pri & 7;
    doc.facility = fac;
    doc.facility_name = SYSLOG_FACILITY_NAMES[fac];
    doc.severity = sev;
    doc.severity_name = SYSLOG_SEVERITY_NAMES[sev];
  }

  function setTime(doc: Record<string, unknown>, ms: number): void {
    const iso = toIsoTimestamp(ms);
    doc['@timestamp'] = iso;
    doc.timestamp = iso;
  }

  /** Next SP-delimited token of an RFC 5424 header at s[i..]. */
  function token(s: string, i: number): number {
    const sp = s.indexOf(' ', i);
    return sp < 0 ? s.length : sp;
  }

  const names = ['TIMESTAMP', 'HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'];
  const keys = ['timestamp', 'hostname', 'app_name', 'procid', 'msgid'];

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
          const ms = parseRfc3339(v, resolve);
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

  /** RFC 3164 (or a bare BSD line without PRI) from s[i..]. */
  function parse3164(s: string, i: number, pri: number): ParseResult {
    const doc = emptyDoc();
    setPri(doc, pri);
    const rest = i === 0 ? s : s.slice(i);
    let p: number; // index in rest after the timestamp
    const m = BSD_TS_RE.exec(rest);
    if (m) {
      const mo = MONTHS.get(m[1].toLowerCase());
      if (mo === undefined) return fail(`not a syslog line: bad month ${clip(m[1])}`);
      const d = +m[2];
      const h = +m[4];
      const mi = +m[5];
      const sec = +m[6];
      const ms = m[7] ? +(m[7] + '00').slice(0, 3) : 0;
      const yearText = m[3];
      let t: number;
      if (yearText) {
        const wall = wallMs(+yearText, mo, d, h, mi, sec, ms);
        t = Number.isNaN(wall) ? NaN : resolve(wall);
      } else {
        const hour = Math.floor(now() / HOUR);
        if (m[0] === lastBsd && hour === lastBsdHour) t = lastBsdMs;
        else {
          t = inferYear(mo, d, h, mi, sec, ms);
          lastBsd = m[0];
          lastBsdMs = t;
          lastBsdHour = hour;
        }
      }
      if (Number.isNaN(t)) return fail(`bad RFC 3164 timestamp ${clip(m[0])}`);
      setTime(doc, t);
      p = m[0].length;
    } else {
      const sp = rest.indexOf(' ');
      const first = sp < 0 ? rest : rest.slice(0, sp);
      const c0 = first.charCodeAt(0);
      if (isDigit(c0) && first.length >= 19 && first.charCodeAt(4) === 45) {
        const t = parseRfc3339(first, resolve);
        if (Number.isNaN(t)) return fail(`bad RFC 3339 timestamp ${clip(first)}`);
        setTime(doc, t);
        p = first.length;
      } else if (pri >= 0) {
        // RFC 3164 §4.3.3: no valid TIMESTAMP: everything after PRI is the message
        doc.message = rest;
        return { ok: true, doc };
      } else {
        return fail(`not a syslog line: no <PRI> and no timestamp at the start: ${clip(s)}`);
      }
    }
    // HOSTNAME and TAG
    const n = rest.length;
    while (p < n && rest.charCodeAt(p) === 32) p++;
    let sp = rest.indexOf(' ', p);
    if (sp < 0) sp = n;
    const first = rest.slice(p, sp);
    if (first.length > 0 && !first.endsWith(':') && !first.includes('[')) {
      doc.hostname = first;
      p = sp;
      while (p < n && rest.charCodeAt(p) === 32) p++;
    }
    // TAG: up to `[`, `:` or a space
    let q = p;
    while (q < n) {
      const c = rest.charCodeAt(q);
      if (c === 91 || c === 58 || c === 32) break;
      q++;
    }
    if (q === p) {
      doc.message = rest.slice(p);
      return { ok: true, doc };
    }
    const tag = rest.slice(p, q);
    let msgAt = q;
    let ok = true;
    if (rest.charCodeAt(q) === 91) {
      const close = rest.indexOf(']', q + 1);
      const pid = close < 0 ? '' : rest.slice(q + 1, close);
      if (close < 0 || pid.length === 0 || pid.includes(' ')) ok = false;
      else {
        doc.procid = pid;
        msgAt = close + 1;
      }
    }
    if (!ok) {
      // `name[` without a pid: not a TAG, the whole rest is the message
      doc.message = rest.slice(p);
      return { ok: true, doc };
    }
    doc.app_name = tag;
    if (rest.charCodeAt(msgAt) === 58) msgAt++;
    if (rest.charCodeAt(msgAt) === 32) msgAt++;
    doc.message = rest.slice(msgAt);
    return { ok: true, doc };
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

// ---------------------------------------------------------------------------------------------------------------
// RFC 6587 framing

const OCTET_COUNTED = /^([1-9]\d{0,9}) </;

/** Largest octet count taken as a frame length; a bigger number is read as the start of an LF-terminated frame. */
export const MAX_OCTET_COUNT = 64 * 1024 * 1024;

/** UTF-8 length of s[a..b) (a lone surrogate, as TextEncoder writes it, is 3 bytes). */
function utf8Length(s: string, a: number, b: number): number {
  let len = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < b && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 4;
      i++;
    } else len += 3;
  }
  return len;
}

/** Index after `octets` UTF-8 bytes from s[a..], or -1 when s ends first (or the count splits a character). */
function advanceOctets(s: string, a: number, octets: number): number {
  let i = a;
  let left = octets;
  while (left > 0) {
    if (i >= s.length) return -1;
    const c = s.charCodeAt(i);
    let w: number;
    let step = 1;
    if (c < 0x80) w = 1;
    else if (c < 0x800) w = 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      w = 4;
      step = 2;
    } else w = 3;
    if (w > left) return i; // a count that ends inside a character: cut before it
    left -= w;
    i += step;
  }
  return i;
}

function stripLf(frame: string): string {
  let n = frame.length;
  if (n > 0 && frame.charCodeAt(n - 1) === 10) {
    n--;
    if (n > 0 && frame.charCodeAt(n - 1) === 13) n--;
    return frame.slice(0, n);
  }
  return frame;
}

/**
 * Splits what a syslog TCP stream delivered so far into frames (RFC 6587), octet-counted (`LEN SP MSG`, LEN counting
 * the UTF-8 bytes of MSG) and LF-terminated ("non-transparent") frames mixed as they come. A frame is octet-counted
 * when it starts with `LEN SP <` (LEN without a leading zero, ≤ MAX_OCTET_COUNT); anything else runs to the next LF.
 * Each frame loses one trailing LF (or CRLF): rsyslog counts the LF it appends in LEN. Empty frames (blank lines)
 * are skipped. `rest` is the incomplete tail to put before the next read; with `final` (end of stream) the tail is
 * the last frame instead. Decode the stream with a streaming UTF-8 decoder so that characters are not split.
 * UDP needs none of this: a datagram is one message.
 */
export function splitSyslogFrames(buffer: string, final = false): { frames: string[]; rest: string } {
  const frames: string[] = [];
  const n = buffer.length;
  let i = 0;
  while (i < n) {
    const c = buffer.charCodeAt(i);
    if (c === 10 || (c === 13 && buffer.charCodeAt(i + 1) === 10)) {
      i += c === 10 ? 1 : 2; // blank line between frames
      continue;
    }
    if (c >= 49 && c <= 57) {
      let j = i;
      let len = 0;
      while (j < n && j - i < 10 && isDigit(buffer.charCodeAt(j))) len = len * 10 + buffer.charCodeAt(j++) - 48;
      if (j === n && j - i < 10) break; // digits so far: a count or a line, wait for more
      if (buffer.charCodeAt(j) === 32 && len <= MAX_OCTET_COUNT) {
        if (j + 1 === n) break; // `LEN SP` so far
        if (buffer.charCodeAt(j + 1) === 60 /* < */) {
          const end = advanceOctets(buffer, j + 1, len);
          if (end < 0) break; // incomplete frame
          const frame = stripLf(buffer.slice(j + 1, end));
          if (frame.length > 0) frames.push(frame);
          i = end;
          continue;
        }
      }
    }
    const lf = buffer.indexOf('\n', i);
    if (lf < 0) break;
    const frame = stripLf(buffer.slice(i, lf + 1));
    if (frame.length > 0) frames.push(frame);
    i = lf + 1;
  }
  let rest = buffer.slice(i);
  if (final && rest.length > 0) {
    const m = /^([1-9]\d{0,9}) (<[\s\S]*)$/.exec(rest);
    const frame = stripLf(m && utf8Length(m[2], 0, m[2].length) <= +m[1] ? m[2] : rest);
    if (frame.length > 0) frames.push(frame);
    rest = '';
  }
  return { frames, rest };
}
