/**
 * `logtong parse`: try a log format on real lines before deploying. Writes exactly the documents the processor would
 * index (one JSON object per line) to stdout, failed records to stderr or --failed FILE, and a last summary line
 * `parsed=N failed=M` on stderr (` filtered=K` added when the format has filters: records they dropped on purpose).
 * A gzip input that breaks off or is corrupt ends in one more failed record saying after which line (every line
 * before it is read). A line longer than maxLineBytes is kept whole: with --failed FILE streamed to a file of its own
 * under FILE.lines/ (`rawFile`), on stderr in its record. Uses the same parsing core as the Lambda, nothing else.
 */
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { CleanLines } from '../../lambda/core/clean-lines';
import { compileFilters, isKeepAll } from '../../lambda/core/filters';
import { compileParser, recordBatches, type LineParser } from '../../lambda/core/formats';
import { decodeBody, failedLineFields, lineAt, splitLines, splitRanges, type LineEntry } from '../../lambda/core/lines';
import { LOG_TYPES } from '../config/schema';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors';
import { failedJson, fileLineSink, finish, openInput, openOutput, write } from './files';
import { FORMAT_FLAGS, formatFrom } from './format-flags';
import type { CliCommand } from './main';
import { NdjsonOut } from './ndjson-out';
import { ParseSummary } from './parse-summary';
import { startProgress } from './progress';

export { UsageError };

export const PARSE_USAGE = `usage:
  logtong parse --config pipelines.yaml --pipeline NAME [--input FILE|-] [--failed FILE] [--summary] [--strict]
  logtong parse --type ${LOG_TYPES.join('|')} [--format STRING] [--regex RE]
                [--time-key K] [--time-format F] [--time-zone Z] [--input FILE|-] [--failed FILE] [--summary] [--strict]

Parses log lines exactly as the processor does and prints each document it would index, one JSON object per line,
on stdout. Input (default stdin; may be gzipped, detected by its magic bytes) is --input FILE or -.
Failed records go to stderr (or --failed FILE; a line longer than maxLineBytes is then written whole under
FILE.lines/), then a summary line on stderr: parsed=N failed=M (and filtered=K when the format has filters).
  --summary  print the fields (type, how many documents have each) and the failure reasons grouped, not documents
  --strict   exit 1 when any record failed (for CI)
Progress (bytes, lines/s, ETA) is drawn on stderr when it is a terminal.`;

export interface ParseIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { readonly isTTY?: boolean };
}

export interface ParseCounts {
  parsed: number;
  failed: number;
  filtered: number;
}

type Fail = (record: Parameters<typeof failedJson>[1]) => Promise<void> | void;

export async function runParse(argv: string[], io: ParseIo): Promise<ParseCounts & { strict: boolean }> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(['config', 'pipeline', ...FORMAT_FLAGS, 'input', 'failed'].map((k) => [k, { type: 'string' as const }])),
        summary: { type: 'boolean' },
        strict: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const flags = values as Record<string, string | undefined>;
  const format = formatFrom(flags);
  const parser = compileParser(format);
  const keep = compileFilters(format.filters);
  const input = openInput('--input', flags.input ?? '-', io.stdin);
  const failedOut = flags.failed ? openOutput('--failed', flags.failed) : io.stderr;
  const counts: ParseCounts = { parsed: 0, failed: 0, filtered: 0 };
  const summary = values.summary ? new ParseSummary(parser.fields) : undefined;
  const fail: Fail = (record) => {
    counts.failed++;
    summary?.fail(record.line, record.reason);
    return write(failedOut, failedJson(undefined, record));
  };
  const progress = startProgress(io.stderr, input.size);
  const read = {
    // stdin cannot be read twice: a broken gzip stream ends where zlib's output stopped
    ...(input.reopen ? { reopen: input.reopen } : {}),
    ...(flags.failed ? { spill: (lineNo: number) => fileLineSink(path.join(`${flags.failed}.lines`, `line-${lineNo}`)) } : {}),
  };
  const body = decodeBody(progress.count(input.body), read.reopen ? { reopen: read.reopen } : {});
  const splitOptions = { maxLineBytes: format.maxLineBytes, ...(read.spill ? { spill: read.spill } : {}) };
  const out = new NdjsonOut(io.stdout);
  const stringify = parser.stringify ?? JSON.stringify;
  const accept = (doc: Record<string, unknown>) => {
    if (!keep(doc)) {
      counts.filtered++;
      return;
    }
    counts.parsed++;
    if (summary) summary.add(doc);
    else out.doc(stringify(doc));
  };
  const general = async (l: LineEntry) => {
    if ('reason' in l) return fail(failedLineFields(l));
    const r = parser.parse(l.text);
    if (r.ok) accept(r.doc);
    else await fail({ line: l.lineNo, raw: l.text, reason: r.reason });
  };

  try {
    const writer = !summary && isKeepAll(keep) ? parser.json : undefined;
    if (writer?.writeRange) await byRange(body, splitOptions, writer, out, counts, general, progress.lines);
    else {
      for await (const batch of recordBatches(parser, splitLines(body, splitOptions))) {
        for (const l of batch) await general(l);
        progress.lines(batch.length);
        await out.flushIfFull();
      }
    }
    await out.flush();
  } finally {
    progress.stop();
  }
  if (flags.failed) await finish(failedOut);
  if (summary) await write(io.stdout, summary.render(counts));
  const filters = format.filters.include.length + format.filters.exclude.length > 0;
  io.stderr.write(`parsed=${counts.parsed} failed=${counts.failed}${filters ? ` filtered=${counts.filtered}` : ''}\n`);
  return { ...counts, strict: values.strict === true };
}

/** The byte path: a line the writer takes is never a string or an object (as the processor's). */
async function byRange(
  body: AsyncIterable<Buffer>,
  splitOptions: Parameters<typeof splitRanges>[1],
  writer: NonNullable<LineParser['json']>,
  out: NdjsonOut,
  counts: ParseCounts,
  general: (l: LineEntry) => Promise<void>,
  lines: (n: number) => void,
): Promise<void> {
  const clean = new CleanLines();
  for await (const r of splitRanges(body, splitOptions)) {
    const src = r.src;
    clean.reset(src);
    for (let k = 0; k < r.count; k++) {
      const s = r.starts[k];
      const e = r.ends[k];
      if (e >= 0 && clean.test(s, e) && out.range(src, s, e, writer)) counts.parsed++;
      else await general(lineAt(r, k));
    }
    lines(r.count);
    await out.flushIfFull();
  }
}

export const parseCommand: CliCommand = {
  usage: PARSE_USAGE,
  async run(argv, io) {
    const r = await runParse(argv, io);
    return r.strict && r.failed > 0 ? EXIT_FAILED : EXIT_OK;
  },
};
