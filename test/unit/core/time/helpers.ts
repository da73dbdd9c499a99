import { compileTimeParser, toIsoTimestamp } from '../../../../lambda/core/time';

/** `@timestamp` string of a value, or 'invalid'. */
export function iso(format: string, value: string | number, zone = 'UTC'): string {
  const ms = compileTimeParser(format, zone)(value);
  return Number.isNaN(ms) ? 'invalid' : toIsoTimestamp(ms);
}
