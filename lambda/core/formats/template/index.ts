/**
 * The template compiler nginx and apache share: a format is compiled into literals and fields, and those into
 * straight-line code (new Function) specialised for the format.
 *
 * `$remote_addr - $remote_user [$time_local] "$request" …` is prefix '' then remote_addr + ' - ', remote_user + ' [',
 * time_local + '] "', request + '" ', … and the scanner walks a line with `indexOf(literal)` — no regex, no per-line
 * interpretation of the format. Punctuation next to a field is literal (`$host:$server_port`), the value of a field
 * ends at the first occurrence of the literal that follows it (inside quotes, a backslash-escaped occurrence is
 * skipped), and the last field ends where the line's final literal starts, so a user agent may contain anything.
 *
 * Values:
 * - every field becomes a field of the same name, typed by fields.ts (`-` in a non-string field → null);
 * - a request field (`$request`, `%r`) is split into request_method, request_uri and request_protocol; the raw
 *   `request` field is kept only when the request line does not split (garbage, TLS handshakes on a plain port, `-`),
 *   in which case the three parts are null — or always, when `request` is named in logFormat.fields;
 * - list fields (nginx's upstream_* numbers, one per upstream tried: `0.004, 0.010` or `0.004 : 0.010`) become one
 *   number: times and byte counts are summed, a status is the last one (the one returned); `-` parts are skipped,
 *   all `-` → null;
 * - string values are unescaped (see unescapeLogValue): `\xHH` runs (nginx escape=default) that are printable UTF-8
 *   are decoded, `\"`, `\\`, `\n`, `\t`… (Apache, nginx escape=json) become the character;
 * - a field whose value does not split (request) is `undefined` in the doc object (absent from its JSON).
 *
 * validate.ts decides what the template means (types, time field), scan.ts + codegen.ts + serializer.ts generate the
 * code, runtime.ts holds what that code calls.
 */
import type { LogFormat } from '../../config/log-format';
import { INVALID, invalidReason, isIPv4At } from '../../fields';
import { toStrptimeFormat } from '../../java-time';
import { createTimestampRangeWriter, createTimestampWriter, createTimestamper } from '../../time';
import type { JsonWriter, ParseResult } from '../index';
import { generateCode } from './codegen';
import {
  JSON_NEEDS_ESCAPE,
  LINE_DIRTY,
  copyDigits,
  copyRaw,
  findByte,
  isEscaped,
  isIPv4Staged,
  isListSeparator,
  isMethod,
  isMethodAt,
  isMethodBytes,
  isPlainDigitsAt,
  isPlainDigitsBytes,
  plainQuotes,
  sliceLatin1,
  unescapeLogValue,
  writeAscii,
} from './runtime';
import { serializerCode } from './serializer';
import type { Template, TemplateParser } from './types';
import { planTemplate } from './validate';

export { unescapeLogValue } from './runtime';
export type { FieldRole, Template, TemplateField, TemplateParser } from './types';

/**
 * Compiles a template into its parser: one indexOf per literal, one slice per field, converters called directly, and
 * the document built as a single object literal (so all documents share one hidden class and are built without
 * per-field dictionary stores).
 */
export function compileTemplate(tpl: Template, format: LogFormat): TemplateParser {
  const plan = planTemplate(tpl, format);
  const { types, timeKey, timeFormat, zone } = plan;
  const n = tpl.fields.length;
  // (a Java pattern as the user may write it, in strptime style as lambda/core/time reads it; messages show the user's)
  const strptime = toStrptimeFormat(timeFormat);
  const timestamp = createTimestamper(strptime, zone);
  const timestampWriter = createTimestampWriter(strptime, zone);
  const timestampRangeWriter = createTimestampRangeWriter(strptime, zone);

  const { parse: code, write: wcode, writeRange: rcode, entries, K, C, M, writerFixed, writable, rangeable } = generateCode(tpl, plan);
  const ser = serializerCode(entries);
  // `"` in the format's own literals: a line with more has one in a value (isClean, the writer's check)
  const quotes = K.join('').split('"').length - 1;

  // ---- what the generated code calls back for a line that fails
  const fail = (reason: string): ParseResult => ({ ok: false, reason });
  const mismatch = (i: number, pos: number): ParseResult => {
    const what =
      i < 0
        ? `expected ${JSON.stringify(tpl.prefix)}`
        : i === n - 1
          ? `${tpl.fields[i].label} is not followed by ${JSON.stringify(tpl.literals[i])} at the end of the line`
          : `${tpl.fields[i].label} is not followed by ${JSON.stringify(tpl.literals[i])}`;
    return fail(`does not match the ${tpl.kind} format at column ${pos + 1}: ${what}`);
  };
  const bad = (name: string, raw: string): ParseResult => fail(invalidReason(name, types[name], raw));
  const badTime = (raw: string): ParseResult => fail(`${timeKey} ${JSON.stringify(raw)} does not match ${timeFormat}`);

  const factory = new Function(
    'K', 'C', 'M', 'INVALID', 'TIMESTAMP', 'UNESCAPE', 'IS_METHOD', 'ESCAPED', 'LIST_SEPARATOR', 'MISMATCH', 'BAD', 'BAD_TIME', 'NEEDS_ESCAPE', 'DIRTY', 'QUOTES',
    'RC', 'WS', 'IPV4_AT', 'DIGITS_AT', 'IS_METHOD_AT', 'PLAIN_QUOTES', 'FIXED', 'TS_WRITE', 'TS_RANGE', 'IPV4_B', 'DIGITS_B', 'METHOD_B', 'RC_B', 'SLICE', 'FIND',
    `"use strict";
let LAST_DOC = null, LAST_LINE = '';
function isClean(line) {
  if (DIRTY.test(line)) return false;
  let n = 0;
  for (let p = line.indexOf('"'); p !== -1; p = line.indexOf('"', p + 1)) n++;
  return n === QUOTES;
}
function parse(line) {
${code}}
function stringify(d) {
${ser}}
function write(line, B, o) {
${wcode}}
function writeRange(X, S0, E, B, o, DV) {
${rcode}}
return { parse, stringify, write, writeRange };`,
  );
  const { parse, stringify, write, writeRange } = factory(
    K, C, M, INVALID, timestamp, unescapeLogValue, isMethod, isEscaped, isListSeparator, mismatch, bad, badTime, JSON_NEEDS_ESCAPE, LINE_DIRTY, quotes,
    copyRaw, writeAscii, isIPv4At, isPlainDigitsAt, isMethodAt, plainQuotes, writerFixed, timestampWriter, timestampRangeWriter, isIPv4Staged, isPlainDigitsBytes, isMethodBytes, copyDigits, sliceLatin1, findByte,
  ) as {
    parse: (line: string) => ParseResult;
    stringify: (doc: Record<string, unknown>) => string;
    write: (line: string, buf: Buffer, off: number) => number;
    writeRange: (at: number, start: number, end: number, buf: Buffer, off: number, view: DataView) => number;
  };

  const json: JsonWriter | undefined = writable
    ? { write, maxBytes: (lineLength) => writerFixed + 4 * lineLength, ...(rangeable ? { writeRange } : {}) }
    : undefined;
  return { fields: types, parse, stringify, json };
}
