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
import { nginxTemplate } from '../../lambda/core/formats/nginx';
import type { Template } from '../../lambda/core/formats/template';
import { groupNames } from '../../lambda/core/formats/regex';
import { layoutToRegex } from '../../lambda/core/formats/text';
import type { FieldType } from '../../lambda/core/fields';
import { escapeRe, TIME_LOCAL_FORMAT } from '../../lambda/core/time';
import { anyCase, agentTime, type AgentTime } from './agent-time';
import { AgentConfigError } from './errors';
import { ConversionError, toOnigmo } from './onigmo';

export { AgentConfigError } from './errors';

export { AGENT_PARSE_DIFFERENCES, type AgentParseDifference } from './differences';

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
  /** regex / text / json: values read alone after the main parse (parseSteps): the time (`required`), typed groups. */
  checks?: AgentCheck[];
  /** String fields whose group takes part in every match: absent means empty (skip_empty_values), "" for the processor. */
  empty?: string[];
  /** multi-line-text: the event Fluent Bit joined ends with a line break the processor's event does not have. */
  event?: boolean;
  /** Field types of the records (the processor's table), for the filters. */
  fields: Record<string, FieldType>;
}

export interface AgentCheck {
  key: string;
  parser: FluentBitParser;
  required: boolean;
}

/** Fluent Bit `types` names; types absent here stay strings. */
const FLB_TYPES: Partial<Record<FieldType, string>> = { integer: 'integer', long: 'integer', float: 'float', double: 'float', boolean: 'bool' };

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

/**
 * A second parser that reads the time field alone (formats whose main regex is the user's, and json): it takes only a
 * whole value of the agent's shape that is a date. It runs as a check (parseSteps): a value it does not take fails
 * the line, as the processor fails it, instead of leaving the record at the agent's read time.
 */
function timeFieldParser(name: string, key: string, t: AgentTime): { time: FluentBitParser; timeSource: string } {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new AgentConfigError(`timeKey ${key}: the agent reads the time from a top-level field with a plain name`);
  const timeSource = `^${t.invalid ? `(?!(?:${t.invalid})$)` : ''}(?<${key}>${t.shape})$`;
  return { time: { name: `${name}-time`, format: 'regex', regex: onigmo(timeSource, 'time shape'), ...t.parser }, timeSource };
}

function typesOf(fields: Record<string, FieldType>, names: Iterable<string>): string | undefined {
  const flb = (n: string) => FLB_TYPES[fields[n]];
  const t = [...new Set(names)].filter((n) => flb(n)).map((n) => `${n}:${flb(n)}`);
  return t.length ? t.join(' ') : undefined;
}

/**
 * The JS regex (source) equivalent to the template scanner (lambda/core/formats/template/scan.ts): one named group per field. A non-string
 * field written `-` matches without its group (null in the processor, absent at the agent).
 */
export function templateRegex(tpl: Template, fields: Record<string, FieldType>, time?: { key: string; shape: string; invalid?: string }): string {
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
    if (type === 'date' || type === 'object') throw new AgentConfigError(`${f.label} (${type}): the processor converts or checks the value, the agent cannot; use buffer s3 or kinesis, or type the field keyword`);
    // Apache %b: `-` is 0 in the processor; captured, Fluent Bit's integer cast (atoll) makes it 0 too
    const clf = f.role === 'clf-bytes';
    // a number the processor would not read fails the line there: here the line does not match either
    // and so does a time the agent cannot hold or read (agentTimeShape), or that is no date (agentInvalidDates)
    const check =
      time && f.name === time.key
        ? `(?=(?:${time.shape})${after})${time.invalid ? `(?!(?:${time.invalid})${after})` : ''}`
        : NUMBER_SHAPES[type]
          ? `(?=(?:${clf ? '-|' : ''}${NUMBER_SHAPES[type]})?${after})`
          : '';
    const group = name ? `${check}(?<${name}>${value})` : `(?:${value})`;
    // `-` (and nginx's `unix:` for an address) is null in the processor: matched without the group, absent here
    const nulls = type === 'ip' ? '(?:-|unix:)' : '-';
    re += isString || f.role === 'request' || clf || !name ? group : `(?:${nulls}(?=${after})|${group})`;
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
  long: signedRange('9007199254740991', '9007199254740991'),
  float: '[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?',
  double: '[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?',
  ip: `(?:(?:${decimalUpTo('255')}\\.){3}${decimalUpTo('255')}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z_.-]+)?)`,
};

/** The two request-line shapes the processor splits (lambda/core/formats/template/codegen.ts): `METHOD URI PROTOCOL` and `METHOD URI`. */
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

/** The names of the groups that take part in every match of a JS regex source: not optional, in no alternative, no lookaround. */
export function mandatoryGroups(source: string): Set<string> {
  type Node = { name?: string; parent?: Node; optional: boolean; alternatives: boolean };
  const root: Node = { optional: false, alternatives: false };
  const all: Node[] = [];
  let cur = root;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
    } else if (c === '|') cur.alternatives = true;
    else if (c === '(') {
      const named = /^\?<([A-Za-z_$][\w$]*)>/.exec(source.slice(i + 1));
      // a lookaround may take part or not: its groups count as optional
      const look = /^\?(?:=|!|<=|<!)/.test(source.slice(i + 1));
      const node: Node = { name: named?.[1], parent: cur, optional: look, alternatives: false };
      all.push(node);
      cur = node;
    } else if (c === ')' && cur.parent) {
      if (/^(?:[?*]|\{0|\{,)/.test(source.slice(i + 1))) cur.optional = true;
      cur = cur.parent;
    }
  }
  const mandatory = (n: Node): boolean => !n.optional && (!n.parent || (!n.parent.alternatives && mandatory(n.parent)));
  return new Set(all.filter((n) => n.name && mandatory(n)).map((n) => n.name!));
}

/** Values a text type's (text.ts) or regex group's typed field reads as null. */
const NULL_VALUES: Partial<Record<FieldType, string>> = { integer: '-|', long: '-|', float: '-|', double: '-|', boolean: '-|', ip: '-|unix:|' };
/** Fluent Bit's bool cast reads true and false (any case) only; the processor also 1/0, yes/no, on/off. */
const BOOLEAN_SHAPE = `${anyCase('true')}|${anyCase('false')}`;

/**
 * A regex group's typed value, read alone as the processor converts it (fields.ts): a whole value of the type's shape
 * becomes the typed field, a null value (`-`, empty, and for the text types log4j's `?`) leaves no field, anything else
 * fails the line. Dates and objects are refused: the processor converts or checks them, Fluent Bit cannot.
 */
function typedCheck(parserName: string, key: string, type: FieldType, text: boolean): AgentCheck[] {
  if (type === 'keyword' || type === 'text') return [];
  if (type === 'date' || type === 'object') throw new AgentConfigError(`logFormat.fields ${key} (${type}): the processor converts or checks the value, the agent cannot; use buffer s3 or kinesis, or type the field keyword`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new AgentConfigError(`${key}: the agent checks a typed field by a record key with a plain name`);
  const shape = type === 'boolean' ? BOOLEAN_SHAPE : NUMBER_SHAPES[type]!;
  const nulls = `${NULL_VALUES[type]}${text ? '|\\?' : ''}`;
  const source = `^(?:(?<${key}>${shape})|(?<${CHECK_NULL_PREFIX}${key}>${nulls}))$`;
  const flb = FLB_TYPES[type];
  return [{ key, required: false, parser: { name: `${parserName}-check-${key}`, format: 'regex', regex: onigmo(source, `${key} check`), ...(flb ? { types: `${key}:${flb}` } : {}) } }];
}

/** The null marker a typed check leaves (a named group must take part, or Fluent Bit reports no match). */
const CHECK_NULL_PREFIX = 'logtong_null_';

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
      if (nested) throw new AgentConfigError(`logFormat.fields ${nested} (${fields[nested]}): the processor converts nested values, the agent none; use buffer s3 or kinesis`);
      // no `types`: Fluent Bit's json parser applies none (AGENT_PARSE_DIFFERENCES json-types)
      const time = format.timeKey ? timeFieldParser(name, format.timeKey, agentTime(format.timeKey, format.timeFormat ?? 'iso8601', zone)) : undefined;
      return {
        main: { name, format: 'json' },
        ...(time ? { ...time, checks: [{ key: time.time.time_key!, parser: time.time, required: true }] } : {}),
        fields,
      };
    }
    case 'syslog':
      throw new AgentConfigError('syslog lines are parsed by hand-written code (PRI → facility/severity names, structured data, the year of RFC 3164 times) that no Fluent Bit parser reproduces; use buffer s3 or kinesis');
    case 'nginx':
    case 'apache': {
      const tpl = format.type === 'nginx' ? nginxTemplate(format.format) : apacheTemplate(format.format).template;
      const timeKey = format.timeKey ?? Object.keys(tpl.timeFormats).find((k) => tpl.fields.some((f) => f.name === k));
      const timeFormat = format.timeFormat ?? (timeKey ? (tpl.timeFormats[timeKey] ?? 'iso8601') : undefined);
      const time = timeKey ? agentTime(timeKey, timeFormat ?? TIME_LOCAL_FORMAT, zone, format.type === 'nginx' && timeKey === 'msec' && timeFormat === 'epoch_s') : undefined;
      const source = templateRegex(tpl, fields, time && timeKey ? { key: timeKey, shape: time.shape, invalid: time.invalid } : undefined);
      const names = tpl.fields.filter((f) => f.role !== 'request').map((f) => f.name);
      const main: FluentBitParser = { name, format: 'regex', regex: onigmo(source, `${format.type} format`), ...(time?.parser ?? {}), types: typesOf(fields, names) };
      const hasRequest = tpl.fields.some((f) => f.role === 'request');
      // every template field has its group in every match (the last occurrence of a repeated one)
      const empty = [...new Set(tpl.fields.filter((f) => f.role === 'request' || ((fields[f.name] === 'keyword' || fields[f.name] === 'text') && f.name !== timeKey)).map((f) => f.name))];
      return {
        main,
        mainSource: source,
        ...(empty.length ? { empty } : {}),
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
      const names = [...new Set(groupNames(source))];
      const typed = names.filter((n) => n !== first.timeKey).flatMap((n) => typedCheck(name, n, fields[n], format.type !== 'regex'));
      const always = mandatoryGroups(source);
      const empty = names.filter((n) => always.has(n) && n !== first.timeKey && (fields[n] === 'keyword' || fields[n] === 'text'));
      const checks = [...(time ? [{ key: time.time.time_key!, parser: time.time, required: true }] : []), ...typed];
      return {
        // typed groups are converted by their checks, which also check them
        main: { name, format: 'regex', regex: onigmo(source, 'logFormat.regex') },
        mainSource: source,
        ...(time ?? {}),
        ...(checks.length ? { checks } : {}),
        ...(empty.length ? { empty } : {}),
        ...(format.type === 'multi-line-text' ? { event: true } : {}),
        fields,
      };
    }
  }
}

/** A Fluent Bit filter as the configuration lists it. */
export type FilterPlugin = Record<string, string | boolean | string[]>;

/**
 * The record keys parseSteps names: `raw` holds the raw line (a record that still has it at the end failed), `prefix`
 * starts the agent's own keys (nested under `logtong` last), `provenance` are the keys a failed record keeps.
 */
export interface StepKeys { match: string; raw: string; prefix: string; provenance: string[] }

/** `parse` makes a record of the raw line, `failed` the modify rules of a failed record, `settle` finishes a parsed one. */
export interface ParseSteps { parsers: FluentBitParser[]; parse: FilterPlugin[]; failed: FilterPlugin; settle: FilterPlugin[] }

/**
 * The agent's parse of one record, as filters (buffer none): the main parser, then the checks, each reading its
 * value alone from a key of its own; a check that does not take its value (or a required value that is missing)
 * puts the raw line back, from a copy kept meanwhile, so that the record fails as a whole, with its raw text only.
 */
export function parseSteps(parsing: AgentParsing, k: StepKeys): ParseSteps {
  const line = `${k.prefix}line`;
  const checkKey = (key: string) => `${k.prefix}check_${key}`;
  const checks = parsing.checks ?? [];
  const parsers = new Map<string, FluentBitParser>([[parsing.main.name, parsing.main]]);
  const parse: FilterPlugin[] = [];
  const parser = (key: string, p: FluentBitParser, preserve = false): FilterPlugin => {
    parsers.set(p.name, p);
    return { name: 'parser', match: k.match, key_name: key, parser: p.name, reserve_data: true, preserve_key: preserve };
  };
  if (parsing.event) {
    // Fluent Bit's multiline parser ends each line of an event read by tail with a line break, the last one too
    // (src/multiline/flb_ml.c breakline_prepare); the processor's event has none. Any byte: see RAW_FRAME_PARSER.
    parse.push(parser(k.raw, { name: `${parsing.main.name}-event`, format: 'regex', regex: `^(?<${k.raw}>(?:.|\\s)*?)\\n?(?!.|\\s)` }));
  }
  if (checks.length) parse.push({ name: 'modify', match: k.match, copy: `${k.raw} ${line}` });
  // reserve_data keeps the provenance keys; a line that parses loses the raw key (preserve_key off).
  parse.push(parser(k.raw, parsing.main));
  if (checks.length) {
    parse.push({ name: 'modify', match: k.match, rename: checks.map((c) => `${c.key} ${checkKey(c.key)}`) });
    for (const c of checks) parse.push(parser(checkKey(c.key), c.parser));
    for (const c of checks) {
      // a check's key left over: its parser did not take the value; a required key missing: no value to take
      const condition = c.required ? `Key_does_not_exist ${c.key}` : `Key_exists ${checkKey(c.key)}`;
      parse.push({ name: 'modify', match: k.match, condition, copy: `${line} ${k.raw}` });
    }
  }
  const failed: FilterPlugin = checks.length ? { rename: `${line} raw`, remove_regex: `^(?!(?:raw|${k.provenance.join('|')})$)` } : { rename: `${k.raw} raw` };
  const settle: FilterPlugin[] = [];
  if (parsing.empty?.length) settle.push({ name: 'modify', match: k.match, add: parsing.empty.map((f) => `${f} ""`) });
  if (checks.length) settle.push({ name: 'modify', match: k.match, remove: line, remove_wildcard: CHECK_NULL_PREFIX });
  if (parsing.request) {
    // Two filters in turn, not one with two parsers: a split line has lost its `request` key, so the second finds
    // nothing to do; an unsplit one keeps `request` as the processor keeps it.
    for (const p of parsing.request.parsers) settle.push(parser('request', p, parsing.request.keepRaw));
  }
  return { parsers: [...parsers.values()], parse, failed, settle };
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
