/**
 * Line parsers: a `logFormat` (from pipelines.yaml) compiled once into a `LineParser` for the hot path.
 */
import type { LogFormat } from '../config/log-format';
import { decodeBody, splitLines, type DecodeOptions, type LineBatch, type SplitOptions } from '../lines';
import type { FieldType, FieldTypes } from '../fields';
import { compileApache } from './apache';
import { compileJson } from './json';
import { compileNginx } from './nginx';
import { compileRegex } from './regex';
import { compileSyslog } from './syslog';
import { assembleBatches, compileMultiLineText, compileSingleLineText, type MultiLineTextParser } from './text';

export type ParseResult = { ok: true; doc: Record<string, unknown> } | { ok: false; reason: string };

export interface LineParser {
  /** Type of every field the parser can produce (with the user's overrides and `@timestamp: date`). */
  readonly fields: Record<string, FieldType>;
  parse(text: string): ParseResult;
  /**
   * Fast `JSON.stringify` for docs exactly as parse() returned them (nginx and apache parsers have one); pass it to
   * BulkBatcher's `stringify` option.
   */
  readonly stringify?: (doc: Record<string, unknown>) => string;
  /**
   * Writes a line's document as JSON without building it (nginx and apache parsers have one): the fast path when
   * nothing needs the document object (no filters). BulkBatcher.addLine takes it.
   */
  readonly json?: JsonWriter;
}

/**
 * `JSON.stringify(parse(line).doc)`, written as bytes: byte for byte what parse() then stringify would give (UTF-8,
 * here always ASCII), for the lines it accepts.
 */
export interface JsonWriter {
  /**
   * Writes the document of `line` at buf[off..] and returns the offset after it, or -1 when the line must go through
   * parse() instead (it does not parse, or it has a backslash escape, a control or non-ASCII character, or a `"` in a
   * value); what was written before a -1 is garbage. Needs maxBytes(line.length) bytes of room at off (scratch
   * included).
   */
  write(line: string, buf: Buffer, off: number): number;
  maxBytes(lineLength: number): number;
  /**
   * write() for the line at [start..end) of a decoded chunk whose bytes the caller has put at buf[at..] (beyond any
   * output: values are copied from there, natively). The caller has checked that the line has no control,
   * non-ASCII or backslash byte; returns -1 when the line must go through parse() (as write() does). Needs
   * maxBytes(end - start) bytes of room at off. `view`: a DataView of buf (same offsets), for word stores.
   */
  readonly writeRange?: (at: number, start: number, end: number, buf: Buffer, off: number, view: DataView) => number;
}

export type { FieldTypes };

/** Throws (with a message naming the problem) when the format cannot be compiled. */
export function compileParser(format: LogFormat): LineParser {
  switch (format.type) {
    case 'nginx':
      return compileNginx(format);
    case 'apache':
      return compileApache(format);
    case 'json':
      return compileJson(format);
    case 'regex':
      return compileRegex(format);
    case 'syslog':
      return compileSyslog(format);
    case 'single-line-text':
      return compileSingleLineText(format);
    case 'multi-line-text':
      return compileMultiLineText(format);
  }
}

/**
 * The records of a stream for this parser: its lines, or, for multi-line-text, its events (continuation lines joined
 * to the line that starts them). One call per object or input stream.
 */
export function recordBatches(parser: LineParser, lines: AsyncIterable<LineBatch>): AsyncIterable<LineBatch> {
  const multiline = (parser as Partial<MultiLineTextParser>).multiline;
  return multiline ? assembleBatches(lines, multiline.createAssembler()) : lines;
}

/** How a body is read besides its line limit: where over-long lines go, how to read it again (see decodeBody). */
export interface BodyReadOptions {
  readonly spill?: SplitOptions['spill'];
  readonly reopen?: DecodeOptions['reopen'];
}

/**
 * The records of an object's body (gzipped or not, by its magic bytes), in batches: what every reader of logs runs.
 * A gzip body that breaks off ends with one failed record for the rest (FailedLine.broken).
 */
export function bodyRecords(parser: LineParser, body: AsyncIterable<Uint8Array>, maxLineBytes: number, opts: BodyReadOptions = {}): AsyncIterable<LineBatch> {
  const decoded = decodeBody(body, opts.reopen ? { reopen: opts.reopen } : {});
  return recordBatches(parser, splitLines(decoded, { maxLineBytes, ...(opts.spill ? { spill: opts.spill } : {}) }));
}
