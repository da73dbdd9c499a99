/** Proleptic Gregorian calendar arithmetic shared by the time parsers, and the range their results must fall in. */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
export const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
export const MONTH_BY_NAME = new Map<string, number>();
MONTH_NAMES.forEach((name, i) => {
  MONTH_BY_NAME.set(name, i + 1);
  MONTH_BY_NAME.set(name.slice(0, 3), i + 1);
});
MONTH_BY_NAME.set('sept', 9);

/** Three ASCII letters (any case) → month 1..12, keyed by their lower-cased char codes packed in an int. */
export const MONTH_BY_CODE = new Map<number, number>();
MONTH_NAMES.forEach((name, i) => MONTH_BY_CODE.set((name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2), i + 1));

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
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

export function inRange(ms: number): number {
  return ms >= MIN_MS && ms <= MAX_MS ? ms : NaN;
}

/** Wall time (as if UTC) of a date and time, or NaN when a part is out of range (a leap second 60 is allowed). */
export function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return NaN;
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * 1000 + ms;
}
