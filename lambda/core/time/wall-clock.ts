/** Wall-clock fields read from a value → epoch millis, in the value's offset or else in the configured zone. */
import { DAY, HOUR, MINUTE, daysFromCivil, inRange, isLeap, wallMs } from './calendar';
import type { ZoneResolver } from './zones';

/** A compiled time format: epoch millis of a value, or NaN when it does not parse (never "now"). */
export type TimeParser = (value: string | number) => number;

export interface Parts {
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

export function toEpoch(p: Parts, resolve: ZoneResolver): number {
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
  const wall = wallMs(year, month, day, hour, minute, second, p.ms);
  if (Number.isNaN(wall)) return NaN;
  return Number.isNaN(p.offsetMs) ? inRange(resolve(wall)) : inRange(wall - p.offsetMs);
}

/** `Z`, `+08`, `+0800`, `+08:00` → offset millis, or NaN. */
export function parseOffset(s: string): number {
  const c0 = s.charCodeAt(0);
  if (s.length === 1 && (c0 === 90 || c0 === 122)) return 0;
  if (c0 !== 43 && c0 !== 45) return NaN;
  const h = +s.slice(1, 3);
  const m = s.length > 3 ? +s.slice(s.length - 2) : 0;
  if (h > 23 || m > 59) return NaN;
  return (c0 === 45 ? -1 : 1) * (h * HOUR + m * MINUTE);
}

export function fractionMs(digits: string): number {
  // first three digits, right-padded: "5" → 500, "0042" → 4
  return digits.length >= 3 ? +digits.slice(0, 3) : +(digits + '00').slice(0, 3);
}
