/**
 * Timestamp parsing for the processor hot path: strptime-style formats compiled once into a function
 * `(value) => epoch millis` that returns NaN when the value does not parse (never "now").
 *
 * Supported directives: %Y %y %m %d %e %j %H %I %p %M %S %L (milliseconds, 3 digits) %f (fraction, 1-9 digits)
 * %b %h %B (month names, case-insensitive) %a %A (weekday names, ignored) %z (`+0800`, `+08:00`, `+08`, `Z`)
 * %Z (only `UTC`, `GMT`, `UT`, `Z`) %s (epoch seconds, optional fraction) %T (= %H:%M:%S) %F (= %Y-%m-%d)
 * %D (= %m/%d/%y) %R (= %H:%M) %n %t (whitespace) %%. A space in the format matches one or more spaces.
 * Special formats: `iso8601` (`YYYY-MM-DD[Thh:mm[:ss[.f]][Z|±hh[:]mm]]`, `T` or space: see iso8601.ts), `epoch_s`,
 * `epoch_ms`, `epoch_us` (numbers or numeric strings).
 *
 * Wall-clock times without an offset are read in the configured IANA zone. Around DST changes: a wall time that
 * occurs twice (fall back) is the earlier instant; a wall time that does not exist (spring forward) is read with the
 * offset in force before the change, i.e. moved forward by the gap (02:30 in New York on a spring-forward day is
 * 03:30 EDT = 07:30Z), as java.time does.
 *
 * Output range: 0000-01-01 .. 9999-12-31 (so that `toIsoTimestamp` is always `YYYY-MM-DDTHH:mm:ss.sssZ`).
 *
 * One module per section: calendar arithmetic, zones, the wall-clock fields every format fills, the formats
 * (epoch, iso8601, the time_local fast path, strptime), compileTimeParser over them, the `@timestamp` output and
 * the caching timestampers the parsers call per line.
 */
export { daysFromCivil } from './calendar';
export { compileTimeParser } from './compile';
export { toIsoTimestamp, writeIsoTimestamp } from './iso-timestamp';
export { STRPTIME_EXPANSIONS, escapeRe } from './strptime';
export { TIME_LOCAL_FORMAT } from './time-local';
export { createTimestampRangeWriter, createTimestampWriter, createTimestamper } from './timestamper';
export { zoneResolver, type ZoneResolver } from './zones';
