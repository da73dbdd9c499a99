/**
 * `iso8601`: the one ISO-8601 parser of the codebase (the Light Engine's timestamp columns read strings with it too).
 *
 *   YYYY-MM-DD[(T|t|space)hh:mm[:ss[(.|,)f]]][[space](Z|z|±hh[[:]mm])]     f: 1-9 digits, truncated to milliseconds
 *
 * Without an offset the wall-clock time is read in the configured zone. A field out of range (month 13, 30 Feb,
 * hour 24, minute 60, offset hour 24 or minute 60) or a result outside years 0000-9999 is NaN, never rolled over
 * into the next unit; a leap second 60 is the next minute's first second, as strptime's %S reads it.
 */
import { DAY, HOUR, MINUTE, daysFromCivil, daysInMonth } from './calendar';
import { fractionMs, parseOffset, toEpoch, type TimeParser } from './wall-clock';
import type { ZoneResolver } from './zones';

// The processor's accepted shapes since the first release (RFC 3339's lower-case t and z, ISO's ±hh): a log line that
// parsed before must parse now. What is new is only that an impossible field is refused (below), not rolled over.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)? ?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function parseGeneral(value: string, resolve: ZoneResolver): number {
  const m = ISO_RE.exec(value);
  if (!m) return NaN;
  // a leap second 60 is read as strptime's %S reads it (the next minute's first second)
  const second = m[6] ? +m[6] : 0;
  const offsetMs = m[8] ? parseOffset(m[8]) : NaN;
  // an offset that is there but impossible must not read as "no offset" (the zone's time)
  if (m[8] && Number.isNaN(offsetMs)) return NaN;
  return toEpoch(
    {
      year: +m[1],
      month: +m[2],
      day: +m[3],
      yday: 0,
      hour: m[4] ? +m[4] : 0,
      minute: m[5] ? +m[5] : 0,
      second,
      ms: m[7] ? fractionMs(m[7]) : 0,
      pm: -1,
      offsetMs,
      epochMs: NaN,
    },
    resolve,
  );
}

/** s[from..to) as a number, or -1 when it holds a non-digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Epoch millis of `YYYY-MM-DDTHH:mm:ss.sssZ` exactly (24 chars: `@timestamp`, and every date field the parsers
 * write), without the regex; NaN when s has another shape (the general parse decides then) or an impossible field.
 */
function canonicalMillis(s: string): number {
  if (
    s.charCodeAt(4) !== 45 || // -
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 || // :
    s.charCodeAt(16) !== 58 ||
    s.charCodeAt(19) !== 46 // .
  ) {
    return NaN;
  }
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 7);
  const d = digits(s, 8, 10);
  const h = digits(s, 11, 13);
  const mi = digits(s, 14, 16);
  const se = digits(s, 17, 19);
  const ms = digits(s, 20, 23);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 || ms < 0) return NaN;
  if (d > daysInMonth(y, mo)) return NaN;
  // years 0000-9999 with Z: always within the output range
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + se * 1000 + ms;
}

export function isoParser(resolve: ZoneResolver): TimeParser {
  // Consecutive values mostly share their hour: the `YYYY-MM-DDTHH:` prefix of the last canonical value (as char
  // codes: startsWith with a string cost ~100 ns a call, more than the rest of this path) and its hour's millis;
  // a value with the same prefix only adds its own `mm:ss.sss`, checked as canonicalMillis checks it.
  const prefix = new Uint16Array(14);
  let cached = false;
  let hourMs = 0;
  const samePrefix = (s: string): boolean => {
    for (let i = 13; i >= 0; i--) if (s.charCodeAt(i) !== prefix[i]) return false;
    return true;
  };
  return (value) => {
    if (typeof value !== 'string') return NaN;
    if (value.length === 24 && value.charCodeAt(23) === 90) {
      if (cached && samePrefix(value)) {
        const i1 = value.charCodeAt(14) - 48;
        const i2 = value.charCodeAt(15) - 48;
        const s1 = value.charCodeAt(17) - 48;
        const s2 = value.charCodeAt(18) - 48;
        const m1 = value.charCodeAt(20) - 48;
        const m2 = value.charCodeAt(21) - 48;
        const m3 = value.charCodeAt(22) - 48;
        if (
          value.charCodeAt(16) === 58 &&
          value.charCodeAt(19) === 46 &&
          i1 >>> 0 <= 5 &&
          i2 >>> 0 <= 9 &&
          s1 >>> 0 <= 5 &&
          s2 >>> 0 <= 9 &&
          m1 >>> 0 <= 9 &&
          m2 >>> 0 <= 9 &&
          m3 >>> 0 <= 9
        ) {
          return hourMs + (i1 * 10 + i2) * MINUTE + (s1 * 10 + s2) * 1000 + m1 * 100 + m2 * 10 + m3;
        }
      }
      const t = canonicalMillis(value);
      if (!Number.isNaN(t)) {
        for (let i = 0; i < 14; i++) prefix[i] = value.charCodeAt(i);
        cached = true;
        hourMs = t - digits(value, 14, 16) * MINUTE - digits(value, 17, 19) * 1000 - digits(value, 20, 23);
        return t;
      }
    }
    return parseGeneral(value, resolve);
  };
}
