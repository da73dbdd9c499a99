/**
 * Timestamp parsing for the processor hot path: strptime-style formats compiled once into a function
 * `(value) => epoch millis` that returns NaN when the value does not parse (never "now").
 *
 * Supported directives: %Y %y %m %d %e %j %H %I %p %M %S %L (milliseconds, 3 digits) %f (fraction, 1-9 digits)
 * %b %h %B (month names, case-insensitive) %a %A (weekday names, ignored) %z (`+0800`, `+08:00`, `+08`, `Z`)
 * %Z (only `UTC`, `GMT`, `UT`, `Z`) %s (epoch seconds, optional fraction) %T (= %H:%M:%S) %F (= %Y-%m-%d)
 * %D (= %m/%d/%y) %R (= %H:%M) %n %t (whitespace) %%. A space in the format matches one or more spaces.
 * Special formats: `iso8601` (`YYYY-MM-DD[Thh:mm[:ss[.f]]][Z|±hh[:mm]]`, `T` or space), `epoch_s`, `epoch_ms`,
 * `epoch_us` (numbers or numeric strings).
 *
 * Wall-clock times without an offset are read in the configured IANA zone. Around DST changes: a wall time that
 * occurs twice (fall back) is the earlier instant; a wall time that does not exist (spring forward) is read with the
 * offset in force before the change, i.e. moved forward by the gap (02:30 in New York on a spring-forward day is
 * 03:30 EDT = 07:30Z), as java.time does.
 *
 * Output range: 0000-01-01 .. 9999-12-31 (so that `toIsoTimestamp` is always `YYYY-MM-DDTHH:mm:ss.sssZ`).
 */

export type TimeParser = (value: string | number) => number;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

export const TIME_LOCAL_FORMAT = '%d/%b/%Y:%H:%M:%S %z';

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_BY_NAME = new Map<string, number>();
MONTH_NAMES.forEach((name, i) => {
  MONTH_BY_NAME.set(name, i + 1);
  MONTH_BY_NAME.set(name.slice(0, 3), i + 1);
});
MONTH_BY_NAME.set('sept', 9);

/** Three ASCII letters (any case) → month 1..12, keyed by their lower-cased char codes packed in an int. */
const MONTH_BY_CODE = new Map<number, number>();
MONTH_NAMES.forEach((name, i) => MONTH_BY_CODE.set((name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2), i + 1));

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); valid for any year. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const PAD2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let isoDay = NaN;
let isoDayPrefix = '';

/**
 * ISO-8601 UTC with milliseconds (`2015-05-17T10:05:03.000Z`), the shape of `@timestamp`; same output as
 * `new Date(ms).toISOString()` for years 0000-9999, several times faster (the date part is remembered).
 */
export function toIsoTimestamp(ms: number): string {
  const day = Math.floor(ms / DAY);
  if (day !== isoDay) {
    const iso = new Date(day * DAY).toISOString();
    if (iso.length !== 24) return new Date(ms).toISOString();
    isoDay = day;
    isoDayPrefix = iso.slice(0, 11);
  }
  let rem = ms - day * DAY;
  const h = Math.floor(rem / HOUR);
  rem -= h * HOUR;
  const m = Math.floor(rem / MINUTE);
  rem -= m * MINUTE;
  const s = Math.floor(rem / 1000);
  return `${isoDayPrefix}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[rem - s * 1000]}Z`;
}

function inRange(ms: number): number {
  return ms >= MIN_MS && ms <= MAX_MS ? ms : NaN;
}

// ---------------------------------------------------------------------------------------------------------------
// Time zones

const UTC_ZONES = new Set(['utc', 'etc/utc', 'etc/uct', 'uct', 'gmt', 'etc/gmt', 'etc/gmt0', 'etc/gmt+0', 'etc/gmt-0', 'etc/universal', 'universal', 'etc/zulu', 'zulu', 'greenwich', 'etc/greenwich', 'gmt0', 'gmt+0', 'gmt-0']);

/** Converts a wall-clock time (encoded as if it were UTC) in one zone to epoch millis. */
export type ZoneResolver = (wallMs: number) => number;

const resolvers = new Map<string, ZoneResolver>();

export function zoneResolver(timeZone: string): ZoneResolver {
  let r = resolvers.get(timeZone);
  if (!r) {
    r = UTC_ZONES.has(timeZone.toLowerCase()) ? (wall) => wall : makeZoneResolver(timeZone);
    resolvers.set(timeZone, r);
  }
  return r;
}

function makeZoneResolver(timeZone: string): ZoneResolver {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
  });
  /** Exact offset (ms, wall - utc) in force at an instant. */
  const exactOffset = (utc: number): number => {
    const secs = Math.floor(utc / 1000) * 1000;
    const v: Record<string, string> = {};
    for (const p of dtf.formatToParts(secs)) v[p.type] = p.value;
    let y = +v.year;
    if (/^b/i.test(v.era ?? '')) y = 1 - y;
    return daysFromCivil(y, +v.month, +v.day) * DAY + +v.hour * HOUR + +v.minute * MINUTE + +v.second * 1000 - secs;
  };
  // Offsets are cached per UTC hour when the whole hour has one offset (transitions are rare).
  const hourCache = new Map<number, number>();
  const offsetAt = (utc: number): number => {
    const hb = Math.floor(utc / HOUR);
    let off = hourCache.get(hb);
    if (off === undefined) {
      const a = exactOffset(hb * HOUR);
      const b = exactOffset(hb * HOUR + HOUR - 1);
      off = a === b ? a : NaN;
      if (hourCache.size > 100_000) hourCache.clear();
      hourCache.set(hb, off);
    }
    return Number.isNaN(off) ? exactOffset(utc) : off;
  };
  const resolveSlow = (wall: number): number => {
    const before = offsetAt(wall - DAY);
    const after = offsetAt(wall + DAY);
    let best = NaN;
    for (const off of before === after ? [before] : [before, after]) {
      const t = wall - off;
      if (offsetAt(t) === off && !(t >= best)) best = t; // the earlier instant when the wall time occurs twice
    }
    // A wall time in a gap: read it with the offset before the transition (moves it forward by the gap).
    return Number.isNaN(best) ? wall - before : best;
  };
  // Per wall-clock hour: the offset when no transition is within a day of it, else NaN (slow path).
  const wallCache = new Map<number, number>();
  let lastHb = NaN;
  let lastOff = NaN;
  return (wall: number): number => {
    const hb = Math.floor(wall / HOUR);
    if (hb === lastHb) return wall - lastOff;
    let off = wallCache.get(hb);
    if (off === undefined) {
      const a = offsetAt(hb * HOUR - DAY);
      const b = offsetAt(hb * HOUR + HOUR + DAY);
      off = a === b && offsetAt(hb * HOUR - a) === a ? a : NaN;
      if (wallCache.size > 100_000) wallCache.clear();
      wallCache.set(hb, off);
    }
    if (Number.isNaN(off)) return resolveSlow(wall);
    lastHb = hb;
    lastOff = off;
    return wall - off;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Epoch formats

/** Parses a plain decimal (`-12`, `1446249499.322`) into integer units × 10^scale, truncating extra digits. */
function decimalScaled(s: string, scale: number): number {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 0 && (s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43)) {
    neg = s.charCodeAt(0) === 45;
    i = 1;
  }
  let int = 0;
  let digits = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    int = int * 10 + c;
    digits++;
  }
  if (digits === 0 || digits > 17) return NaN;
  let frac = 0;
  let fracDigits = 0;
  if (i < n) {
    if (s.charCodeAt(i) !== 46) return NaN;
    i++;
    if (i === n) return NaN;
    for (; i < n; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return NaN;
      if (fracDigits < scale) {
        frac = frac * 10 + c;
        fracDigits++;
      }
    }
  }
  while (fracDigits < scale) {
    frac *= 10;
    fracDigits++;
  }
  const v = int * 10 ** scale + frac;
  return neg ? -v : v;
}

function epochParser(unit: 's' | 'ms' | 'us'): TimeParser {
  return (value) => {
    const s = typeof value === 'number' ? String(value) : value;
    if (unit === 's') return inRange(decimalScaled(s, 3));
    if (unit === 'ms') return inRange(decimalScaled(s, 0));
    return inRange(Math.floor(decimalScaled(s, 0) / 1000));
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Wall-clock fields → epoch millis

interface Parts {
  year: number;
  month: number;
  day: number;
  yday: number; // %j, 0 = unset
  hour: number;
  minute: number;
  second: number;
  ms: number;
  pm: number; // -1 unset, 0 am, 1 pm
  offsetMs: number; // NaN = no offset in the text
  epochMs: number; // %s, NaN = unset
}

function toEpoch(p: Parts, resolve: ZoneResolver): number {
  if (!Number.isNaN(p.epochMs)) return inRange(p.epochMs);
  let { month, day, hour } = p;
  const { year, minute, second } = p;
  if (p.yday > 0) {
    if (p.yday > (isLeap(year) ? 366 : 365)) return NaN;
    const d = daysFromCivil(year, 1, 1) + p.yday - 1;
    const wall = d * DAY + hour * HOUR + minute * MINUTE + second * 1000 + p.ms;
    return Number.isNaN(p.offsetMs) ? inRange(resolve(wall)) : inRange(wall - p.offsetMs);
  }
  if (p.pm >= 0) {
    if (hour < 1 || hour > 12) return NaN;
    hour = (hour % 12) + (p.pm ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) return NaN;
  const wall = daysFromCivil(year, month, day) * DAY + hour * HOUR + minute * MINUTE + second * 1000 + p.ms;
  return Number.isNaN(p.offsetMs) ? inRange(resolve(wall)) : inRange(wall - p.offsetMs);
}

/** `Z`, `+08`, `+0800`, `+08:00` → offset millis, or NaN. */
function parseOffset(s: string): number {
  const c0 = s.charCodeAt(0);
  if (s.length === 1 && (c0 === 90 || c0 === 122)) return 0;
  if (c0 !== 43 && c0 !== 45) return NaN;
  const h = +s.slice(1, 3);
  const m = s.length > 3 ? +s.slice(s.length - 2) : 0;
  if (h > 23 || m > 59) return NaN;
  return (c0 === 45 ? -1 : 1) * (h * HOUR + m * MINUTE);
}

function fractionMs(digits: string): number {
  // first three digits, right-padded: "5" → 500, "0042" → 4
  return digits.length >= 3 ? +digits.slice(0, 3) : +(digits + '00').slice(0, 3);
}

// ---------------------------------------------------------------------------------------------------------------
// iso8601

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)? ?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function isoParser(resolve: ZoneResolver): TimeParser {
  return (value) => {
    if (typeof value !== 'string') return NaN;
    const m = ISO_RE.exec(value);
    if (!m) return NaN;
    return toEpoch(
      {
        year: +m[1],
        month: +m[2],
        day: +m[3],
        yday: 0,
        hour: m[4] ? +m[4] : 0,
        minute: m[5] ? +m[5] : 0,
        second: m[6] ? +m[6] : 0,
        ms: m[7] ? fractionMs(m[7]) : 0,
        pm: -1,
        offsetMs: m[8] ? parseOffset(m[8]) : NaN,
        epochMs: NaN,
      },
      resolve,
    );
  };
}

// ---------------------------------------------------------------------------------------------------------------
// nginx $time_local / Apache %t fast path: `17/May/2015:10:05:03 +0000` (fixed width, 26 chars)

function timeLocalFast(s: string): number {
  if (s.length !== 26 || s.charCodeAt(2) !== 47 || s.charCodeAt(6) !== 47 || s.charCodeAt(11) !== 58) return NaN;
  if (s.charCodeAt(14) !== 58 || s.charCodeAt(17) !== 58 || s.charCodeAt(20) !== 32) return NaN;
  const d0 = s.charCodeAt(0) - 48, d1 = s.charCodeAt(1) - 48;
  const y0 = s.charCodeAt(7) - 48, y1 = s.charCodeAt(8) - 48, y2 = s.charCodeAt(9) - 48, y3 = s.charCodeAt(10) - 48;
  const h0 = s.charCodeAt(12) - 48, h1 = s.charCodeAt(13) - 48;
  const m0 = s.charCodeAt(15) - 48, m1 = s.charCodeAt(16) - 48;
  const s0 = s.charCodeAt(18) - 48, s1 = s.charCodeAt(19) - 48;
  const z0 = s.charCodeAt(22) - 48, z1 = s.charCodeAt(23) - 48, z2 = s.charCodeAt(24) - 48, z3 = s.charCodeAt(25) - 48;
  // every digit must be 0..9 (a non-digit is negative or > 9; `>>> 0` makes negatives huge)
  if (d0 >>> 0 > 9 || d1 >>> 0 > 9 || y0 >>> 0 > 9 || y1 >>> 0 > 9 || y2 >>> 0 > 9 || y3 >>> 0 > 9) return NaN;
  if (h0 >>> 0 > 9 || h1 >>> 0 > 9 || m0 >>> 0 > 9 || m1 >>> 0 > 9 || s0 >>> 0 > 9 || s1 >>> 0 > 9) return NaN;
  if (z0 >>> 0 > 9 || z1 >>> 0 > 9 || z2 >>> 0 > 9 || z3 >>> 0 > 9) return NaN;
  const month = MONTH_BY_CODE.get(((s.charCodeAt(3) | 32) << 16) | ((s.charCodeAt(4) | 32) << 8) | (s.charCodeAt(5) | 32));
  if (month === undefined) return NaN;
  const sign = s.charCodeAt(21);
  if (sign !== 43 && sign !== 45) return NaN;
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const day = d0 * 10 + d1;
  const hour = h0 * 10 + h1;
  const minute = m0 * 10 + m1;
  const second = s0 * 10 + s1;
  const oh = z0 * 10 + z1;
  const om = z2 * 10 + z3;
  if (day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60 || oh > 23 || om > 59) return NaN;
  const wall = daysFromCivil(year, month, day) * DAY + hour * HOUR + minute * MINUTE + second * 1000;
  return inRange(wall - (sign === 45 ? -1 : 1) * (oh * HOUR + om * MINUTE));
}

// ---------------------------------------------------------------------------------------------------------------
// Generic strptime → one anchored regex compiled once

type Setter = (p: Parts, v: string) => boolean;

interface Directive {
  re: string;
  set?: Setter;
}

const num = (key: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'yday'): Setter => (p, v) => {
  p[key] = +v;
  return true;
};

const DIRECTIVES: Record<string, Directive> = {
  Y: { re: '(\\d{4})', set: num('year') },
  y: {
    re: '(\\d{2})',
    set: (p, v) => {
      const n = +v;
      p.year = n < 69 ? 2000 + n : 1900 + n;
      return true;
    },
  },
  m: { re: '(\\d{1,2})', set: num('month') },
  d: { re: '(\\d{1,2})', set: num('day') },
  e: { re: ' ?(\\d{1,2})', set: num('day') },
  j: { re: '(\\d{1,3})', set: num('yday') },
  H: { re: '(\\d{1,2})', set: num('hour') },
  k: { re: ' ?(\\d{1,2})', set: num('hour') },
  I: { re: '(\\d{1,2})', set: num('hour') },
  l: { re: ' ?(\\d{1,2})', set: num('hour') },
  M: { re: '(\\d{1,2})', set: num('minute') },
  S: { re: '(\\d{1,2})', set: num('second') },
  L: {
    re: '(\\d{3})',
    set: (p, v) => {
      p.ms = +v;
      return true;
    },
  },
  f: {
    re: '(\\d{1,9})',
    set: (p, v) => {
      p.ms = fractionMs(v);
      return true;
    },
  },
  b: { re: '([A-Za-z]{3})', set: setMonth },
  h: { re: '([A-Za-z]{3})', set: setMonth },
  B: { re: '([A-Za-z]{3,9})', set: setMonth },
  a: { re: '[A-Za-z]{3}' },
  A: { re: '[A-Za-z]{3,9}' },
  p: {
    re: '([AaPp]\\.?[Mm]\\.?)',
    set: (p, v) => {
      p.pm = v[0] === 'p' || v[0] === 'P' ? 1 : 0;
      return true;
    },
  },
  z: {
    re: '(Z|z|[+-]\\d{2}(?::?\\d{2})?)',
    set: (p, v) => {
      p.offsetMs = parseOffset(v);
      return !Number.isNaN(p.offsetMs);
    },
  },
  Z: {
    re: '([A-Za-z]{1,5})',
    set: (p, v) => {
      if (!/^(utc|gmt|ut|z)$/i.test(v)) return false;
      p.offsetMs = 0;
      return true;
    },
  },
  s: {
    re: '(-?\\d{1,12}(?:\\.\\d+)?)',
    set: (p, v) => {
      p.epochMs = decimalScaled(v, 3);
      return !Number.isNaN(p.epochMs);
    },
  },
  n: { re: '\\s+' },
  t: { re: '\\s+' },
  '%': { re: '%' },
};

/** strptime shorthands and what they stand for (also read by the agent's time shapes, lib/agent/parser-regex.ts). */
export const STRPTIME_EXPANSIONS: Record<string, string> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M', r: '%I:%M:%S %p' };

function setMonth(p: Parts, v: string): boolean {
  const m = MONTH_BY_NAME.get(v.toLowerCase());
  if (m === undefined) return false;
  p.month = m;
  return true;
}

/** s as a literal inside a regular expression. */
export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function strptimeParser(format: string, resolve: ZoneResolver): TimeParser {
  let expanded = format;
  for (let guard = 0; guard < 4 && /%[TFDRr]/.test(expanded); guard++) expanded = expanded.replace(/%([TFDRr])/g, (_, c: string) => STRPTIME_EXPANSIONS[c]);
  let re = '^';
  const setters: Setter[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i];
    if (ch === '%') {
      const d = expanded[i + 1];
      const dir = d === undefined ? undefined : DIRECTIVES[d];
      if (!dir) throw new Error(`time format ${JSON.stringify(format)}: unsupported directive %${d ?? ''}`);
      re += dir.re;
      if (dir.set) setters.push(dir.set);
      seen.add(d);
      i++;
    } else if (ch === ' ') {
      re += ' +';
    } else {
      re += escapeRe(ch);
    }
  }
  re += '$';
  if (!seen.has('s') && !seen.has('Y') && !seen.has('y')) {
    throw new Error(`time format ${JSON.stringify(format)} has no year (%Y or %y) nor %s`);
  }
  if ((seen.has('I') || seen.has('l')) !== seen.has('p')) {
    throw new Error(`time format ${JSON.stringify(format)}: %I/%l and %p go together`);
  }
  const regex = new RegExp(re);
  return (value) => {
    const m = regex.exec(typeof value === 'number' ? String(value) : value);
    if (!m) return NaN;
    const p: Parts = { year: 1970, month: 1, day: 1, yday: 0, hour: 0, minute: 0, second: 0, ms: 0, pm: -1, offsetMs: NaN, epochMs: NaN };
    for (let g = 0; g < setters.length; g++) if (!setters[g](p, m[g + 1])) return NaN;
    return toEpoch(p, resolve);
  };
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Compiles a time format (strptime-style or `iso8601` / `epoch_s` / `epoch_ms` / `epoch_us`) once into a
 * function returning epoch millis, or NaN when the value does not match. Throws on an invalid format or zone.
 */
export function compileTimeParser(format: string, timeZone = 'UTC'): TimeParser {
  const resolve = zoneResolver(timeZone);
  switch (format) {
    case 'iso8601':
      return isoParser(resolve);
    case 'epoch_s':
      return epochParser('s');
    case 'epoch_ms':
      return epochParser('ms');
    case 'epoch_us':
      return epochParser('us');
  }
  const generic = strptimeParser(format, resolve);
  if (format === TIME_LOCAL_FORMAT) {
    return (value) => {
      if (typeof value !== 'string') return NaN;
      const ms = timeLocalFast(value);
      return Number.isNaN(ms) ? generic(value) : ms; // e.g. `+08:00` or a one-digit day: let the general parser decide
    };
  }
  return generic;
}

/**
 * A time parser that returns the `@timestamp` string (or undefined when the value does not parse), remembering the
 * last value: consecutive log lines usually share their second.
 */
export function createTimestamper(format: string, timeZone = 'UTC'): (value: string | number) => string | undefined {
  const parse = compileTimeParser(format, timeZone);
  const timeLocal = format === TIME_LOCAL_FORMAT;
  let lastIn: string | number | undefined;
  let lastOut: string | undefined;
  let lastMs = NaN;
  // time_local: consecutive lines rarely share their second but usually their minute. Offsets are whole minutes,
  // so within one minute of `dd/Mon/yyyy:HH:MM:SS +zzzz` the output keeps the minute's ISO prefix and the value's
  // seconds (a leap second, :60, is left to the parser).
  let minuteKey = ''; // value[0..17) of the last full parse that set minutePrefix
  let zoneKey = ''; // its value[20..26)
  let minutePrefix = ''; // `YYYY-MM-DDTHH:MM:`
  return (value) => {
    if (value === lastIn) return lastOut;
    if (timeLocal && minuteKey !== '' && typeof value === 'string' && value.length === 26 && value.charCodeAt(17) === 58) {
      const s1 = value.charCodeAt(18) - 48;
      const s2 = value.charCodeAt(19) - 48;
      if (s1 >>> 0 <= 5 && s2 >>> 0 <= 9 && value.startsWith(minuteKey) && value.endsWith(zoneKey)) {
        lastIn = value;
        lastMs = NaN;
        lastOut = minutePrefix + SECONDS[s1 * 10 + s2];
        return lastOut;
      }
    }
    const ms = parse(value);
    lastIn = value;
    if (ms === lastMs) return lastOut;
    lastMs = ms;
    lastOut = Number.isNaN(ms) ? undefined : toIsoTimestamp(ms);
    if (timeLocal && lastOut !== undefined && typeof value === 'string' && value.length === 26 && sameSeconds(value, lastOut)) {
      minuteKey = value.slice(0, 17);
      zoneKey = value.slice(20);
      minutePrefix = lastOut.slice(0, 17);
    }
    return lastOut;
  };
}

/** `00.000Z` … `59.000Z`: the end of an `@timestamp` whose time_local had these seconds. */
const SECONDS: string[] = Array.from({ length: 60 }, (_, s) => `${PAD2[s]}.000Z`);

/** A 26-char time_local value whose ISO output (24 chars) has the value's `:SS` seconds and no milliseconds. */
function sameSeconds(value: string, iso: string): boolean {
  return iso.length === 24 && value.charCodeAt(17) === 58 && value.charCodeAt(18) <= 53 && iso.charCodeAt(16) === 58 && iso.endsWith(value.slice(18, 20) + '.000Z');
}

let wDay = NaN;
const wDayPrefix = new Uint8Array(11);

/** toIsoTimestamp(ms) written as ASCII bytes at B[o..] (no string made); returns the offset after it. */
export function writeIsoTimestamp(ms: number, B: Uint8Array, o: number): number {
  const day = Math.floor(ms / DAY);
  if (day !== wDay) {
    const iso = new Date(day * DAY).toISOString();
    if (iso.length !== 24) {
      const s = new Date(ms).toISOString();
      for (let i = 0; i < s.length; i++) B[o + i] = s.charCodeAt(i);
      return o + s.length;
    }
    wDay = day;
    for (let i = 0; i < 11; i++) wDayPrefix[i] = iso.charCodeAt(i);
  }
  for (let i = 0; i < 11; i++) B[o + i] = wDayPrefix[i];
  let rem = ms - day * DAY;
  const h = Math.floor(rem / HOUR);
  rem -= h * HOUR;
  const m = Math.floor(rem / MINUTE);
  rem -= m * MINUTE;
  const s = Math.floor(rem / 1000);
  const f = rem - s * 1000;
  B[o + 11] = 48 + ((h / 10) | 0);
  B[o + 12] = 48 + (h % 10);
  B[o + 13] = 58;
  B[o + 14] = 48 + ((m / 10) | 0);
  B[o + 15] = 48 + (m % 10);
  B[o + 16] = 58;
  B[o + 17] = 48 + ((s / 10) | 0);
  B[o + 18] = 48 + (s % 10);
  B[o + 19] = 46;
  B[o + 20] = 48 + ((f / 100) | 0);
  B[o + 21] = 48 + (((f / 10) | 0) % 10);
  B[o + 22] = 48 + (f % 10);
  B[o + 23] = 90;
  return o + 24;
}

/**
 * createTimestamper's result written as bytes: `(value, B, o)` writes the `@timestamp` of value at B[o..] and
 * returns the offset after it, or -1 when the value does not parse. Remembers the last value's bytes.
 */
export function createTimestampWriter(format: string, timeZone = 'UTC'): (value: string, B: Uint8Array, o: number) => number {
  const parse = compileTimeParser(format, timeZone);
  let lastIn: string | undefined;
  let lastLen = -1;
  const last = new Uint8Array(64);
  return (value, B, o) => {
    if (value !== lastIn) {
      const ms = parse(value);
      lastIn = value;
      lastLen = Number.isNaN(ms) ? -1 : writeIsoTimestamp(ms, last, 0);
    }
    if (lastLen < 0) return -1;
    for (let i = 0; i < lastLen; i++) B[o + i] = last[i];
    return o + lastLen;
  };
}

/**
 * createTimestampWriter for a value given as bytes B[X+a..X+b) (ASCII), without a string per call; `DV` is a
 * DataView of B (same offsets). time_local values of one minute (consecutive lines, usually) differ only in their
 * seconds, which are also the seconds of the ISO output (zone offsets are whole minutes): the minute's bytes are
 * compared and its output written a word at a time, with the seconds patched in.
 */
export function createTimestampRangeWriter(format: string, timeZone = 'UTC'): (B: Buffer, DV: DataView, X: number, a: number, b: number, o: number) => number {
  const write = createTimestampWriter(format, timeZone);
  const timeLocal = format === TIME_LOCAL_FORMAT;
  let lastIn = new Uint8Array(64);
  let lastInLen = -1;
  let lastEnd = -1;
  const last = new Uint8Array(64);
  const lastView = new DataView(last.buffer);
  // time_local: the minute of the last value read in full, as words of `dd/Mon/yyyy:HH:MM:` (bytes 0..18, the
  // last word overlapping) and ` +zzzz` (20..26), and the first 17 bytes of its output `YYYY-MM-DDTHH:MM:`
  let minute = false;
  let k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, z0 = 0, z1 = 0;
  let p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0;
  return (B, DV, X, a, b, o) => {
    const n = b - a;
    const at = X + a;
    if (minute && n === 26) {
      const s1 = B[at + 18] - 48;
      const s2 = B[at + 19] - 48;
      if (
        s1 >>> 0 <= 5 && s2 >>> 0 <= 9 &&
        DV.getInt32(at, true) === k0 && DV.getInt32(at + 4, true) === k1 && DV.getInt32(at + 8, true) === k2 &&
        DV.getInt32(at + 12, true) === k3 && DV.getInt32(at + 14, true) === k4 && DV.getInt32(at + 20, true) === z0 && DV.getUint16(at + 24, true) === z1
      ) {
        DV.setInt32(o, p0, true);
        DV.setInt32(o + 4, p1, true);
        DV.setInt32(o + 8, p2, true);
        DV.setInt32(o + 12, p3, true);
        // `:` byte 16 of the prefix, then the seconds and `.`; `000Z`
        DV.setInt32(o + 16, p4 | ((s1 + 48) << 8) | ((s2 + 48) << 16) | (46 << 24), true);
        DV.setInt32(o + 20, 0x5a303030, true);
        return o + 24;
      }
    }
    let hit = n === lastInLen;
    for (let i = 0; hit && i < n; i++) hit = B[at + i] === lastIn[i];
    if (!hit) {
      if (n > lastIn.length) lastIn = new Uint8Array(n);
      for (let i = 0; i < n; i++) lastIn[i] = B[at + i];
      lastInLen = n;
      lastEnd = write(B.toString('latin1', at, at + n), last, 0);
      const c1 = lastIn[18];
      const c2 = lastIn[19];
      minute =
        timeLocal && n === 26 && lastEnd === 24 && lastIn[17] === 58 && c1 >= 48 && c1 <= 53 && c2 >= 48 && c2 <= 57 &&
        last[16] === 58 && last[17] === c1 && last[18] === c2 && last[19] === 46 && last[20] === 48 && last[21] === 48 && last[22] === 48;
      if (minute) {
        k0 = DV.getInt32(at, true);
        k1 = DV.getInt32(at + 4, true);
        k2 = DV.getInt32(at + 8, true);
        k3 = DV.getInt32(at + 12, true);
        k4 = DV.getInt32(at + 14, true);
        z0 = DV.getInt32(at + 20, true);
        z1 = DV.getUint16(at + 24, true);
        p0 = lastView.getInt32(0, true);
        p1 = lastView.getInt32(4, true);
        p2 = lastView.getInt32(8, true);
        p3 = lastView.getInt32(12, true);
        p4 = last[16];
      }
    }
    if (lastEnd < 0) return -1;
    for (let i = 0; i < lastEnd; i++) B[o + i] = last[i];
    return o + lastEnd;
  };
}
