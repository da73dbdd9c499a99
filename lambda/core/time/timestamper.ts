/**
 * Time parsers that give the `@timestamp` itself (a string, or bytes written into the caller's buffer), remembering
 * the last value and, for time_local, the last minute: the processor's hot path.
 */
import { compileTimeParser } from './compile';
import { PAD2, toIsoTimestamp, writeIsoTimestamp } from './iso-timestamp';
import { TIME_LOCAL_FORMAT } from './time-local';

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
