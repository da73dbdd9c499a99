/**
 * How the agent reads a record's time (buffer none): Fluent Bit's time_format / time_offset for the processor's time
 * format, and the shape of the values it takes, so that a time Fluent Bit would misread or lose fails the line at the
 * agent instead (AGENT_PARSE_DIFFERENCES `time-unreadable`).
 */
import { toStrptimeFormat } from '../../lambda/core/java-time';
import { escapeRe, STRPTIME_EXPANSIONS } from '../../lambda/core/time';
import { AgentConfigError } from './errors';
import type { FluentBitParser } from './parser-regex';

const SPECIAL_TIMES = new Set(['iso8601', 'epoch_s', 'epoch_ms', 'epoch_us']);

/** Offset (minutes) of a zone at an instant. */
function zoneOffsetMinutes(zone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((wall - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}

/**
 * Fluent Bit keeps a record's time as 32-bit signed seconds: a record whose time is before 1970 or from 2038-01-19 on
 * reads as a negative number, which its outputs take for an invalid group marker and drop with a debug-level line
 * (flb_log_event_decoder.c): lost. So the agent only takes a time whose year is 1971 – 2037 (a day of margin for
 * offsets), and the value must have the shape the processor reads (lambda/core/time/strptime.ts DIRECTIVES), with ranges
 * where Fluent Bit's strptime checks them. What does not fit fails at the agent instead (AGENT_PARSE_DIFFERENCES).
 */
const YEAR_SHAPE = '(?:197[1-9]|19[89][0-9]|20[0-2][0-9]|203[0-7])';
/** Seconds since the epoch from 1971 to the end of 2037 (31,536,000 – 2,145,916,799), roughly by digits. */
const EPOCH_SHAPE = '(?:[3-9][0-9]{7}|[1-9][0-9]{8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-4][0-9]{6}|2145[0-8][0-9]{5}|21459[01][0-9]{4})';
/** A word in any case, as strncasecmp compares it. */
export const anyCase = (word: string): string => [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join('');
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** Names as Fluent Bit's strptime takes them for %b / %B (%a / %A): full or abbreviated, any case. */
const abbreviated = (names: string[]) => `(?:${names.map((n) => anyCase(n.slice(0, 3))).join('|')})`;
const fullOrAbbreviated = (names: string[]) => `(?:${names.map((n) => `${anyCase(n.slice(0, 3))}(?:${anyCase(n.slice(3))})?`).join('|')})`;
const TIME_SHAPES: Record<string, string> = {
  Y: YEAR_SHAPE,
  y: '(?:7[1-9]|[89][0-9]|[0-2][0-9]|3[0-7])',
  m: '(?:0?[1-9]|1[0-2])',
  d: '(?:0?[1-9]|[12][0-9]|3[01])',
  e: ' ?(?:0?[1-9]|[12][0-9]|3[01])',
  j: '(?:00[1-9]|0?[1-9][0-9]|[1-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-6])',
  H: '(?:[01]?[0-9]|2[0-3])',
  k: ' ?(?:[01]?[0-9]|2[0-3])',
  I: '(?:0?[1-9]|1[0-2])',
  l: ' ?(?:0?[1-9]|1[0-2])',
  M: '[0-5]?[0-9]',
  S: '(?:[0-5]?[0-9]|60)',
  L: '[0-9]{3}',
  f: '[0-9]{1,9}',
  // the processor reads three letters for %b, any month name for %B (lambda/core/time/strptime.ts DIRECTIVES)
  b: abbreviated(MONTHS),
  h: abbreviated(MONTHS),
  B: fullOrAbbreviated(MONTHS),
  // weekday names: the processor ignores them, Fluent Bit's strptime fails on a name that is not one
  a: abbreviated(DAYS),
  A: fullOrAbbreviated(DAYS),
  p: '[AaPp]\\.?[Mm]\\.?',
  // Fluent Bit's %z takes Z but not z (flb_strptime.c), nor checks the ranges the processor checks
  z: '(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)',
  Z: '(?:[Uu][Tt][Cc]|[Gg][Mm][Tt]|[Uu][Tt]|Z)',
  s: EPOCH_SHAPE,
  n: '[\\s]+',
  t: '[\\s]+',
  '%': '%',
};

function expandTime(strptime: string): string {
  let expanded = strptime;
  for (let guard = 0; guard < 4 && /%[TFDRr]/.test(expanded); guard++) expanded = expanded.replace(/%([TFDRr])/g, (_, c: string) => STRPTIME_EXPANSIONS[c]);
  return expanded;
}

function renderTime(strptime: string, shapes: Record<string, string> = {}): string {
  const expanded = expandTime(strptime);
  let re = '';
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i];
    if (ch === '%') {
      const shape = shapes[expanded[i + 1]] ?? TIME_SHAPES[expanded[i + 1]];
      if (shape === undefined) throw new AgentConfigError(`time format ${JSON.stringify(strptime)}: %${expanded[i + 1] ?? ''} has no agent equivalent`);
      re += shape;
      i++;
    } else re += ch === ' ' ? ' +' : escapeRe(ch);
  }
  return re;
}

/** The values of a strptime format the agent takes (JS source, no groups): see YEAR_SHAPE. */
export function agentTimeShape(strptime: string): string {
  return renderTime(strptime);
}

/** The years of YEAR_SHAPE (four digits, or two as %y reads them) that are not leap years, as a pattern. */
function nonLeapYears(digits: 2 | 4): string {
  const alts: string[] = [];
  const years = digits === 4 ? Array.from({ length: 67 }, (_, k) => 1971 + k) : [...Array.from({ length: 29 }, (_, k) => 71 + k), ...Array.from({ length: 38 }, (_, k) => k)];
  const byDecade = new Map<string, string>();
  for (const y of years.filter((y) => y % 4 !== 0)) {
    const s = String(y).padStart(digits, '0');
    byDecade.set(s.slice(0, -1), (byDecade.get(s.slice(0, -1)) ?? '') + s.slice(-1));
  }
  for (const [decade, units] of byDecade) alts.push(`${decade}[${units}]`);
  return `(?:${alts.join('|')})`;
}

const monthsShape = (c: string, months: number[]): string => {
  if (c === 'm') return `(?:${months.map((m) => (m < 10 ? `0?${m}` : String(m))).join('|')})`;
  const names = months.map((m) => MONTHS[m - 1]);
  return c === 'B' ? fullOrAbbreviated(names) : abbreviated(names);
};

/**
 * Dates the shape takes that do not exist (31 April, 30 February, 29 February of a year that is not a leap year), as
 * a pattern of the whole value, or undefined when the format has no day of month and month. The processor fails
 * them; Fluent Bit's strptime checks each number's range only and its timegm moves them into the next month.
 */
export function agentInvalidDates(strptime: string): string | undefined {
  const expanded = expandTime(strptime);
  const day = ['d', 'e'].find((c) => expanded.includes(`%${c}`));
  const month = ['b', 'h', 'B', 'm'].find((c) => expanded.includes(`%${c}`));
  if (!day || !month) return undefined;
  const days = (v: string) => ({ [day]: day === 'e' ? ` ?${v}` : v });
  const year: Record<string, string> | undefined = expanded.includes('%Y') ? { Y: nonLeapYears(4) } : expanded.includes('%y') ? { y: nonLeapYears(2) } : undefined;
  const invalid = [
    renderTime(strptime, { ...days('3[01]'), [month]: monthsShape(month, [2]) }),
    renderTime(strptime, { ...days('31'), [month]: monthsShape(month, [4, 6, 9, 11]) }),
    ...(year ? [renderTime(strptime, { ...days('29'), [month]: monthsShape(month, [2]), ...year })] : []),
  ];
  return invalid.join('|');
}

/** What the agent needs to read a record's time: the parser's time settings and the shape of the value. */
export interface AgentTime {
  parser: Pick<FluentBitParser, 'time_key' | 'time_format' | 'time_keep' | 'time_offset'>;
  /** The values taken (agentTimeShape), JS source. */
  shape: string;
  /** Values of that shape that are no date (agentInvalidDates), JS source. */
  invalid?: string;
}

/**
 * time_key / time_format / time_offset for Fluent Bit, or an error naming what Fluent Bit cannot read. `millis`: an
 * epoch_s value that always has three decimals (nginx $msec), read as `%s.%L` (Fluent Bit's %s stops at the dot).
 */
export function agentTime(timeKey: string, timeFormat: string, zone: string, millis = false): AgentTime {
  let fmt: string;
  let shape: string;
  let invalid: string | undefined;
  if (timeFormat === 'epoch_s') {
    fmt = millis ? '%s.%L' : '%s';
    shape = millis ? `${EPOCH_SHAPE}\\.[0-9]{3}` : EPOCH_SHAPE;
  } else if (SPECIAL_TIMES.has(timeFormat)) {
    throw new AgentConfigError(
      `timeFormat ${timeFormat} has no strptime equivalent in Fluent Bit (${timeFormat === 'iso8601' ? 'fraction and offset are optional in ISO 8601' : 'sub-second epochs'}); set logFormat.timeFormat to the exact strptime format, or use buffer s3 or kinesis`,
    );
  } else {
    const strptime = toStrptimeFormat(timeFormat);
    fmt = strptime.replace(/%f/g, '%L');
    shape = agentTimeShape(strptime);
    invalid = agentInvalidDates(strptime);
  }
  const parser: AgentTime['parser'] = { time_key: timeKey, time_format: fmt, time_keep: 'on' };
  if (!/%z|%Z|%s/.test(fmt) && zone !== 'UTC') {
    const year = new Date().getUTCFullYear();
    const jan = zoneOffsetMinutes(zone, new Date(Date.UTC(year, 0, 15)));
    const jul = zoneOffsetMinutes(zone, new Date(Date.UTC(year, 6, 15)));
    if (jan !== jul) throw new AgentConfigError(`timeZone ${zone} has daylight saving time; Fluent Bit only takes a fixed time_offset. Log the offset (%z), or use buffer s3 or kinesis`);
    const sign = jan < 0 ? '-' : '+';
    const abs = Math.abs(jan);
    parser.time_offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  }
  return { parser, shape, ...(invalid ? { invalid } : {}) };
}

