/**
 * RFC 3164 (BSD)  `[<PRI>]Mmm dd hh:mm:ss [HOSTNAME ]TAG[[pid]][:] MSG`, from after PRI (or the whole line without one).
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
 */
import type { ZoneResolver } from '../../time';
import type { ParseResult } from '../index';
import { clip, emptyDoc, fail, isDigit, setPri, setTime } from './message';
import { isoParser } from '../../time/iso8601';
import { DAY, HOUR, wallMs } from '../../time/calendar';
import { RFC3339_SHAPE } from './timestamp';

/** How far after "now" an RFC 3164 timestamp without a year may be (clock skew, a wrong zone). */
const FUTURE_SLACK_MS = 2 * DAY;

const MONTHS = new Map<string, number>(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i + 1]),
);

// `Mmm dd hh:mm:ss`, `Mmm  d hh:mm:ss`, `Mmm dd yyyy hh:mm:ss` (Cisco), optional `.fff`
const BSD_TS_RE = /^([A-Za-z]{3}) (?: ?(\d{1,2})) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?= |$)/;

/** The RFC 3164 parser of one compiled format: `(line, index after PRI, PRI or -1)`; `now` gives the year. */
export function rfc3164Parser(resolve: ZoneResolver, now: () => number): (s: string, i: number, pri: number) => ParseResult {
  const iso = isoParser(resolve);
  const rfc3339 = (v: string): number => (RFC3339_SHAPE.test(v) ? iso(v) : NaN);
  // last RFC 3164 timestamp (text without year → ms), valid while "now" stays in the same hour
  let lastBsd = '';
  let lastBsdMs = NaN;
  let lastBsdHour = NaN;

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
        const t = rfc3339(first);
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

  return parse3164;
}
