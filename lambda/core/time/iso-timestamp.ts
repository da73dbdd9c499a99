/** `@timestamp` output: epoch millis as `YYYY-MM-DDTHH:mm:ss.sssZ`, as a string or written as bytes. */
import { DAY, HOUR, MINUTE } from './calendar';

export const PAD2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
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
