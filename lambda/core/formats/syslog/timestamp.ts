/** Syslog timestamps: wall-clock fields → millis, and RFC 3339 (RFC 5424's TIMESTAMP, rsyslog's high-precision 3164). */
import { daysFromCivil, type ZoneResolver } from '../../time';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Wall time (as if UTC) of a date and time, or NaN when a part is out of range. */
export function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return NaN;
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * 1000 + ms;
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})?$/;

/** RFC 3339 timestamp → epoch ms, or NaN. Without an offset: read in the zone. */
export function parseRfc3339(s: string, resolve: ZoneResolver): number {
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
