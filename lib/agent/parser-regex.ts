/**
 * What the agent needs to parse a `logFormat` itself (buffer none) and to join multi-line events (every buffer),
 * derived from the same compilation the processor uses (lambda/core/formats), never from a second copy of a format:
 * - regex / single-line-text / multi-line-text: the configured regex, or the regex `layoutToRegex` compiles from the
 *   pattern layout;
 * - nginx / apache: a regex written from the literal/field template (`nginxTemplate` / `apacheTemplate`) with the
 *   scanner's rules (a value ends at the first occurrence of the literal after it, a backslash-escaped `"` inside
 *   quotes does not end it, the last value runs to the line's final literal, `[…]` before `:`), and the request line
 *   split by two more parsers as the processor splits it;
 * - json: Fluent Bit's json parser.
 * Everything is converted by toOnigmo. What the agent cannot do as the processor does is refused (AgentConfigError)
 * rather than rendered differently, or, for value details that do not change which lines are accepted, listed in
 * AGENT_PARSE_DIFFERENCES.
 */
import type { LogFormat } from '../config/schema';
import { compileParser } from '../../lambda/core/formats';
import { apacheTemplate } from '../../lambda/core/formats/apache';
import { nginxTemplate, type Template } from '../../lambda/core/formats/nginx';
import { groupNames } from '../../lambda/core/formats/regex';
import { layoutToRegex } from '../../lambda/core/formats/text';
import { toStrptimeFormat } from '../../lambda/core/java-time';
import type { FieldType } from '../../lambda/core/fields';
import { escapeRe, STRPTIME_EXPANSIONS, TIME_LOCAL_FORMAT } from '../../lambda/core/time';
import { ConversionError, toOnigmo } from './onigmo';

/** A configuration the generator cannot render faithfully; the message says what and what to do instead. */
export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

/**
 * Where the records the agent indexes itself (buffer none) differ from the processor's documents, for lines both
 * accept. They do not change which lines are accepted, filtered or failed.
 */
export const AGENT_PARSE_DIFFERENCES = [
  'nginx/apache values are not unescaped (\\xHH, \\" stay as written); the processor decodes them',
  'a null field (`-` in a number/ip/date field, an unsplit request line, a regex group that did not take part) is absent instead of null; an empty captured value is absent instead of ""',
  'apache %b `-` is absent instead of 0',
  'nginx/apache: a number field is checked by its shape, not its range (an integer beyond int32, an ip or date field that does not convert, is indexed, where the processor backs the line up); regex types: named groups are converted by Fluent Bit (`types`) without the processor\'s validation',
  'json: a number or boolean in a keyword/text field may stay a number or boolean (Fluent Bit casts string values; the domain indexes it as its text all the same)',
  'a time that does not parse keeps the record with the agent\'s read time instead of failing it',
];

/** A Fluent Bit parser (the `parsers:` section), keys as Fluent Bit spells them. */
export interface FluentBitParser {
  name: string;
  format: 'regex' | 'json';
  regex?: string;
  time_key?: string;
  time_format?: string;
  time_keep?: 'on';
  time_offset?: string;
  types?: string;
}

/** A Fluent Bit multiline parser (the `multiline_parsers:` section). */
export interface FluentBitMultilineParser {
  name: string;
  type: 'regex';
  flush_timeout: number;
  /** Record key whose values keep separate event sequences (the container runtime's `stream`). */
  key_group?: string;
  rules: Array<{ state: string; regex: string; next_state: string }>;
}

export interface AgentParsing {
  /** The parser applied to the raw `log` key. */
  main: FluentBitParser;
  /** The JavaScript source the main regex was converted from (regex formats), for tests that run both engines. */
  mainSource?: string;
  /** regex / text / json: the parser applied to the time field after the main parse (timeFieldParser). */
  time?: FluentBitParser;
  /** The JavaScript source of the time parser's regex. */
  timeSource?: string;
  /** Parsers applied in turn to the `request` key (nginx/apache request line split). */
  request?: { parsers: FluentBitParser[]; keepRaw: boolean };
  /** Field types of the records (the processor's table), for the filters. */
  fields: Record<string, FieldType>;
}

/** Fluent Bit `types` names; types absent here stay strings. */
const FLB_TYPES: Partial<Record<FieldType, string>> = { integer: 'integer', long: 'integer', float: 'float', double: 'float', boolean: 'bool' };

const SPECIAL_TIMES = new Set(['iso8601', 'epoch_s', 'epoch_ms', 'epoch_us']);

function onigmo(source: string, what: string): string {
  try {
    return toOnigmo(source);
  } catch (e) {
    if (e instanceof ConversionError) throw new AgentConfigError(`${what}: ${e.message}`);
    throw e;
  }
}

/** The first-line regex (JS source) of regex / single-line-text / multi-line-text, and the time it implies. */
export function firstLineRegex(format: LogFormat): { source: string; names: string[]; timeKey?: string; timeFormat?: string; timeZone: string } {
  if (format.regex) return { source: format.regex, names: groupNames(format.regex), timeKey: format.timeKey, timeFormat: format.timeFormat ?? (format.timeKey ? 'iso8601' : undefined), timeZone: format.timeZone ?? 'UTC' };
  if (!format.format) throw new AgentConfigError(`logFormat.regex or logFormat.format is required for type ${format.type}`);
  const layout = layoutToRegex(format.format);
  const timeKey = format.timeKey ?? layout.timeKey;
  return {
    source: layout.regex,
    names: layout.fields,
    timeKey,
    timeFormat: format.timeFormat ?? layout.timeFormat ?? (timeKey ? 'iso8601' : undefined),
    timeZone: layout.timeZone ?? format.timeZone ?? 'UTC',
  };
}

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
 * offsets), and the value must have the shape the processor reads (lambda/core/time.ts DIRECTIVES), with ranges
 * where Fluent Bit's strptime checks them. What does not fit fails at the agent instead (AGENT_PARSE_DIFFERENCES).
 */
const YEAR_SHAPE = '(?:197[1-9]|19[89][0-9]|20[0-2][0-9]|203[0-7])';
/** Seconds since the epoch from 1971 to the end of 2037 (31,536,000 – 2,145,916,799), roughly by digits. */
const EPOCH_SHAPE = '(?:[3-9][0-9]{7}|[1-9][0-9]{8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-4][0-9]{6}|2145[0-8][0-9]{5}|21459[01][0-9]{4})';
/** Names in any letter case, as patterns without flags. */
const anyCase = (names: string[]) => names.map((m) => [...m].map((c) => `[${c.toUpperCase()}${c}]`).join('')).join('|');
const MONTHS_SHAPE = anyCase(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']);
// Fluent Bit's %a/%A read real day names (flb_strptime.c); the processor skips any letters there
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
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
  b: `(?:${MONTHS_SHAPE})`,
  h: `(?:${MONTHS_SHAPE})`,
  B: '[A-Za-z]{3,9}',
  a: `(?:${anyCase(DAYS.map((d) => d.slice(0, 3)))})`,
  A: `(?:${anyCase(DAYS)})`,
  p: '[AaPp]\\.?[Mm]\\.?',
  // Fluent Bit's %z takes Z but not z (flb_strptime.c)
  z: '(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)',
  Z: '(?:[Uu][Tt][Cc]|[Gg][Mm][Tt]|[Uu][Tt]|Z)',
  s: EPOCH_SHAPE,
  n: '[\\s]+',
  t: '[\\s]+',
  '%': '%',
};

/** The values of a strptime format the agent takes (JS source, no groups): see YEAR_SHAPE. */
export function agentTimeShape(strptime: string): string {
  let expanded = strptime;
  for (let guard = 0; guard < 4 && /%[TFDRr]/.test(expanded); guard++) expanded = expanded.replace(/%([TFDRr])/g, (_, c: string) => STRPTIME_EXPANSIONS[c]);
  let re = '';
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i];
    if (ch === '%') {
      const shape = TIME_SHAPES[expanded[i + 1]];
      if (shape === undefined) throw new AgentConfigError(`time format ${JSON.stringify(strptime)}: %${expanded[i + 1] ?? ''} has no agent equivalent`);
      re += shape;
      i++;
    } else re += ch === ' ' ? ' +' : escapeRe(ch);
  }
  return re;
}

/** What the agent needs to read a record's time: the parser's time settings and the shape of the value. */
export interface AgentTime {
  parser: Pick<FluentBitParser, 'time_key' | 'time_format' | 'time_keep' | 'time_offset'>;
  /** The values taken (agentTimeShape), JS source. */
  shape: string;
}

/**
 * time_key / time_format / time_offset for Fluent Bit, or an error naming what Fluent Bit cannot read. `millis`: an
 * epoch_s value that always has three decimals (nginx $msec), read as `%s.%L` (Fluent Bit's %s stops at the dot).
 */
export function agentTime(timeKey: string, timeFormat: string, zone: string, millis = false): AgentTime {
  let fmt: string;
  let shape: string;
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
  return { parser, shape };
}

/**
 * A second parser that reads the time field alone (formats whose main regex is the user's, and json): the time is
 * taken only when the whole value has the agent's shape; otherwise the record keeps the agent's read time
 * (AGENT_PARSE_DIFFERENCES) instead of being dropped by Fluent Bit.
 */
function timeFieldParser(name: string, key: string, t: AgentTime): { time: FluentBitParser; timeSource: string } {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new AgentConfigError(`timeKey ${key}: the agent reads the time from a top-level field with a plain name`);
  const timeSource = `^(?<${key}>${t.shape})$`;
  return { time: { name: `${name}-time`, format: 'regex', regex: onigmo(timeSource, 'time shape'), ...t.parser }, timeSource };
}

function typesOf(fields: Record<string, FieldType>, names: Iterable<string>, strings = false): string | undefined {
  const flb = (n: string) => FLB_TYPES[fields[n]] ?? (strings && (fields[n] === 'keyword' || fields[n] === 'text') ? 'string' : undefined);
  const t = [...new Set(names)].filter((n) => flb(n)).map((n) => `${n}:${flb(n)}`);
  return t.length ? t.join(' ') : undefined;
}

/**
 * The JS regex (source) equivalent to the template scanner (nginx.ts): one named group per field. A non-string
 * field written `-` matches without its group (null in the processor, absent at the agent).
 */
export function templateRegex(tpl: Template, fields: Record<string, FieldType>, time?: { key: string; shape: string }): string {
  let re = `^${escapeRe(tpl.prefix)}`;
  const n = tpl.fields.length;
  tpl.fields.forEach((f, i) => {
    const lit = tpl.literals[i];
    const L = escapeRe(lit);
    const before = i === 0 ? tpl.prefix : tpl.literals[i - 1];
    const last = i === n - 1;
    const type = f.role === 'request' ? 'keyword' : fields[f.name];
    const isString = type === 'keyword' || type === 'text';
    if ((f.role === 'sum' || f.role === 'last') && !isString) {
      throw new AgentConfigError(`${f.label} holds one value per upstream tried, which the processor reduces to one ${type}; the agent cannot. Use buffer s3 or kinesis, or type the field keyword`);
    }
    let value: string;
    if (last) value = '[\\s\\S]*';
    else if (lit.startsWith(':')) {
      if (type === 'ip') throw new AgentConfigError(`${f.label} (ip) before ":": the processor finds an unbracketed IPv6 address by the last ":"; the agent cannot. Use buffer s3 or kinesis`);
      value = `\\[[^\\]]*\\](?:(?!${L})[\\s\\S])*|(?:(?!${L})[\\s\\S])*`;
    } else if (before.endsWith('"') && lit.startsWith('"')) value = `(?:\\\\[\\s\\S]|(?!${L})[^\\\\])*`;
    else if (f.list && lit.startsWith(' ')) value = `(?:(?!${L})[\\s\\S]|(?<=,) |(?<= :) | (?=: ))*`;
    else value = `(?:(?!${L})[\\s\\S])*`;
    // a repeated field: the processor keeps the last occurrence; a group name may occur once
    const name = tpl.fields.slice(i + 1).some((g) => g.name === f.name) ? undefined : f.name;
    const after = last ? `${L}$` : L;
    if (type === 'boolean') throw new AgentConfigError(`${f.label} (boolean): Fluent Bit's bool cast reads only "true", the processor also 1/yes/on; use buffer s3 or kinesis`);
    // a number the processor would not read fails the line there: here the line does not match either
    // and so does a time the agent cannot hold or read (agentTimeShape)
    const check = time && f.name === time.key ? `(?=(?:${time.shape})${after})` : NUMBER_SHAPES[type] ? `(?=(?:${NUMBER_SHAPES[type]})?${after})` : '';
    const group = name ? `${check}(?<${name}>${value})` : `(?:${value})`;
    // `-` (and nginx's `unix:` for an address) is null in the processor: matched without the group, absent here
    const nulls = type === 'ip' ? '(?:-|unix:)' : '-';
    re += isString || f.role === 'request' || !name ? group : `(?:${nulls}(?=${after})|${group})`;
    re += after;
  });
  return re;
}

/** Decimal numbers from 0 to `max` (no sign, no leading zero), as a pattern: shorter numbers, then digit by digit. */
export function decimalUpTo(max: string): string {
  const alts = ['[0-9]'];
  if (max.length > 2) alts.push(`[1-9][0-9]{1,${max.length - 2}}`);
  else if (max.length === 2) alts.push('');
  for (let i = 0; i < max.length; i++) {
    const d = Number(max[i]);
    const low = i === 0 ? 1 : 0;
    if (d > low) alts.push(`${max.slice(0, i)}[${low}-${d - 1}]${max.length - i - 1 ? `[0-9]{${max.length - i - 1}}` : ''}`);
  }
  alts.push(max);
  return `(?:${alts.filter(Boolean).join('|')})`;
}

/** A signed decimal in [-min, max] with leading zeros allowed, at most 19 digits (fields.ts parseInteger). */
const signedRange = (max: string, min: string) => `(?=[+-]?[0-9]{1,19}(?![0-9]))(?:\\+?0*${decimalUpTo(max)}|-0*${decimalUpTo(min)})`;

/**
 * Values the processor's converters accept (fields.ts parseInteger with its int32 check, parseFloatStrict, toIp), as
 * patterns: a value the processor refuses fails the line at the agent too (to the backup bucket), instead of a
 * document the domain would refuse. IPv6 is only roughly checked.
 */
const NUMBER_SHAPES: Partial<Record<FieldType, string>> = {
  integer: signedRange('2147483647', '2147483648'),
  long: signedRange('9223372036854775807', '9223372036854775808'),
  float: '[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?',
  double: '[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?',
  ip: `(?:(?:${decimalUpTo('255')}\\.){3}${decimalUpTo('255')}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z_.-]+)?)`,
};

/** The two request-line shapes the processor splits (nginx.ts): `METHOD URI PROTOCOL` and `METHOD URI`. */
export const REQUEST_REGEXES = [
  '^(?<request_method>[A-Z_-]{1,32}) (?<request_uri>[\\s\\S]+) (?<request_protocol>HTTP/[^ ]*)$',
  '^(?<request_method>[A-Z_-]{1,32}) (?<request_uri>[^ ]+)$',
];

/**
 * The multi-line-text event regex for the agent: the first-line regex applied to a whole event gives the
 * processor's document only when `message` is its last group and runs to the end (`(?<message>.*)$`, what a layout
 * ending in `%msg` compiles to): the processor's message is then the first line's message, `\n`, and the
 * continuation lines, which is what `[\s\S]*` captures.
 */
export function eventRegex(first: string): string {
  const tail = '(?<message>.*)$';
  if (!first.endsWith(tail) || groupNames(first).indexOf('message') !== groupNames(first).length - 1) {
    throw new AgentConfigError(
      'multi-line-text at the agent (buffer none) needs the message to be the last field, running to the end of the first line (`(?<message>.*)$`, a layout ending in %msg); the processor joins the continuation lines to it. Use buffer s3 or kinesis',
    );
  }
  const body = first.slice(0, -tail.length);
  // anchored to the event's first line, as the processor applies the regex to that line only
  return `${first.startsWith('^') ? '' : '^[^\\n]*?'}${body}(?<message>[\\s\\S]*)$`;
}

/** The agent-side parsing of a format (buffer none). */
export function agentParsing(pipelineName: string, format: LogFormat): AgentParsing {
  const fields = { ...compileParser(format).fields };
  const name = `logtong-${pipelineName}`;
  const zone = format.timeZone ?? 'UTC';
  switch (format.type) {
    case 'json': {
      if (format.flattenJson) throw new AgentConfigError('flattenJson: Fluent Bit\'s json parser keeps nested objects; use buffer s3 or kinesis');
      const overrides = Object.keys(format.fields ?? {});
      const nested = overrides.find((k) => k.includes('.') && FLB_TYPES[fields[k]]);
      if (nested) throw new AgentConfigError(`logFormat.fields ${nested} (${fields[nested]}): Fluent Bit's parser types reach top-level keys only, the processor also converts nested values; use buffer s3 or kinesis`);
      // keyword/text too: the processor turns a JSON number or boolean in such a field into its text
      const time = format.timeKey ? timeFieldParser(name, format.timeKey, agentTime(format.timeKey, format.timeFormat ?? 'iso8601', zone)) : undefined;
      return { main: { name, format: 'json', types: typesOf(fields, overrides.filter((k) => !k.includes('.')), true) }, ...(time ?? {}), fields };
    }
    case 'syslog':
      throw new AgentConfigError('syslog lines are parsed by hand-written code (PRI → facility/severity names, structured data, the year of RFC 3164 times) that no Fluent Bit parser reproduces; use buffer s3 or kinesis');
    case 'nginx':
    case 'apache': {
      const tpl = format.type === 'nginx' ? nginxTemplate(format.format) : apacheTemplate(format.format).template;
      const timeKey = format.timeKey ?? Object.keys(tpl.timeFormats).find((k) => tpl.fields.some((f) => f.name === k));
      const timeFormat = format.timeFormat ?? (timeKey ? (tpl.timeFormats[timeKey] ?? 'iso8601') : undefined);
      const time = timeKey ? agentTime(timeKey, timeFormat ?? TIME_LOCAL_FORMAT, zone, format.type === 'nginx' && timeKey === 'msec' && timeFormat === 'epoch_s') : undefined;
      const source = templateRegex(tpl, fields, time && timeKey ? { key: timeKey, shape: time.shape } : undefined);
      const names = tpl.fields.filter((f) => f.role !== 'request').map((f) => f.name);
      const main: FluentBitParser = { name, format: 'regex', regex: onigmo(source, `${format.type} format`), ...(time?.parser ?? {}), types: typesOf(fields, names) };
      const hasRequest = tpl.fields.some((f) => f.role === 'request');
      return {
        main,
        mainSource: source,
        fields,
        ...(hasRequest
          ? { request: { parsers: REQUEST_REGEXES.map((r, k) => ({ name: `${name}-request-${k + 1}`, format: 'regex' as const, regex: onigmo(r, 'request line') })), keepRaw: 'request' in (format.fields ?? {}) } }
          : {}),
      };
    }
    case 'regex':
    case 'single-line-text':
    case 'multi-line-text': {
      const first = firstLineRegex(format);
      const source = format.type === 'multi-line-text' ? eventRegex(first.source) : first.source;
      const time = first.timeKey && first.timeFormat ? timeFieldParser(name, first.timeKey, agentTime(first.timeKey, first.timeFormat, first.timeZone)) : undefined;
      return { main: { name, format: 'regex', regex: onigmo(source, 'logFormat.regex'), types: typesOf(fields, first.names) }, mainSource: source, ...(time ?? {}), fields };
    }
  }
}

/**
 * The multiline parser joining a multi-line-text event as the processor's MultilineAssembler does: a line that
 * matches the first-line regex anywhere starts an event, every other line continues it (joined with `\n`).
 * Other types have none: the processor treats each line as a record, so the agent must not join lines (Fluent Bit's
 * built-in `java` parser would join by its own idea of a stack trace, not by the configured first line).
 */
export function multilineParser(pipelineName: string, format: LogFormat): FluentBitMultilineParser | undefined {
  if (format.type !== 'multi-line-text') return undefined;
  const first = onigmo(firstLineRegex(format).source, 'first-line regex');
  return {
    name: `logtong-${pipelineName}-multiline`,
    type: 'regex',
    // a last event is held this long waiting for continuation lines (ms)
    flush_timeout: 2000,
    // Container logs interleave the stdout and stderr lines of one container in its file: each stream has its own
    // events, as the application wrote them. A record without the key (a plain file) is one group.
    key_group: 'stream',
    rules: [
      { state: 'start_state', regex: `/${first}/`, next_state: 'cont' },
      { state: 'cont', regex: `/^(?![\\s\\S]*?(?:${first}))/`, next_state: 'cont' },
    ],
  };
}
