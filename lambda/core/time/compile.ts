import { epochParser } from './epoch';
import { isoParser } from './iso8601';
import { strptimeParser } from './strptime';
import { TIME_LOCAL_FORMAT, timeLocalFast } from './time-local';
import type { TimeParser } from './wall-clock';
import { zoneResolver } from './zones';

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
