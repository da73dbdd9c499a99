/**
 * Syslog wall-clock fields → millis (RFC 3164's `Mmm dd hh:mm:ss`, with the year the parser infers). RFC 5424's
 * TIMESTAMP and rsyslog's high-precision 3164 one are RFC 3339, read by the codebase's one ISO-8601 parser
 * (lambda/core/time/iso8601.ts).
 */
import { DAY, HOUR, MINUTE, daysFromCivil, daysInMonth } from '../../time/calendar';

export { DAY, HOUR, MINUTE };

/** Wall time (as if UTC) of a date and time, or NaN when a part is out of range (a leap second 60 is allowed). */
export function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return NaN;
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * 1000 + ms;
}

/**
 * RFC 3339's profile of ISO 8601 (a full date and time, seconds, `Z` or `±hh:mm`): what RFC 5424 allows. The value is
 * then read by the one ISO-8601 parser; this only refuses the shorter forms ISO also has (a date alone, no seconds).
 */
export const RFC3339_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?$/;
