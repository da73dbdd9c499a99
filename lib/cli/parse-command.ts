/**
 * `logtong parse`: try a log format on real lines before deploying. Writes exactly the documents the processor would
 * index (one JSON object per line) to stdout, failed records to stderr or --failed FILE, and a last summary line
 * `parsed=N failed=M` on stderr (` filtered=K` added when the format has filters: records they dropped on purpose).
 * A gzip input that breaks off or is corrupt ends in one more failed record saying after which line (every line
 * before it is read). A line longer than maxLineBytes is kept whole: with --failed FILE streamed to a file of its own
 * under FILE.lines/ (`rawFile`), on stderr in its record. Uses the same parsing core as the Lambda, nothing else.
 */
import { createReadStream, createWriteStream, mkdirSync, openSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { compileFilters } from '../../lambda/core/filters';
import { bodyRecords, compileParser } from '../../lambda/core/formats';
import { failedLineFields, type LineSink } from '../../lambda/core/lines';
import { ConfigError, loadConfig, parseConfig } from '../config/load';
import { LOG_TYPES, type LogFormat, type Pipeline } from '../config/schema';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const PARSE_USAGE = `usage:
  logtong parse --config pipelines.yaml --pipeline NAME [--input FILE|-] [--failed FILE]
  logtong parse --type ${LOG_TYPES.join('|')} [--format STRING] [--regex RE]
                [--time-key K] [--time-format F] [--time-zone Z] [--input FILE|-] [--failed FILE]
Input may be gzipped (detected by its magic bytes). Parsed documents go to stdout, failed records to stderr
(or --failed FILE; a line longer than maxLineBytes then whole in FILE.lines/), then a summary line on stderr:
parsed=N failed=M (and filtered=K when the format has filters).`;

export interface ParseIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface ParseSummary {
  parsed: number;
  failed: number;
  filtered: number;
}

/** The pipeline named by --config/--pipeline, or undefined when neither is given. */
export function pipelineFrom(values: Record<string, unknown>): Pipeline | undefined {
  if (!values.config && !values.pipeline) return undefined;
  if (!values.config || !values.pipeline) throw new UsageError('--config and --pipeline go together');
  const pipeline = loadConfig(values.config as string).pipelines.find((p) => p.name === values.pipeline);
  if (!pipeline) throw new UsageError(`${values.config} has no pipeline named ${values.pipeline}`);
  return pipeline;
}

/** Flags naming a log format without a config file (shared by every command that parses). */
export const FORMAT_FLAGS = ['type', 'format', 'regex', 'time-key', 'time-format', 'time-zone'] as const;

/** The log format from either a pipeline of a config file or the flags; validated by the one schema. */
export function formatFrom(values: Record<string, string | undefined>): LogFormat {
  const pipeline = pipelineFrom(values);
  if (pipeline) return pipeline.logFormat;
  if (!values.type) throw new UsageError('give --config and --pipeline, or --type');
  // Validated through a throw-away pipeline so that flags get exactly the checks a config file gets.
  const logFormat = Object.fromEntries(
    Object.entries({
      type: values.type,
      format: values.format,
      regex: values.regex,
      timeKey: values['time-key'],
      timeFormat: values['time-format'],
      timeZone: values['time-zone'],
    }).filter(([, v]) => v !== undefined),
  );
  const flagOf: Record<string, string> = { type: '--type', format: '--format', regex: '--regex', timeKey: '--time-key', timeFormat: '--time-format', timeZone: '--time-zone' };
  let config;
  try {
    config = parseConfig(
    {
      pipelines: [
        {
          name: 'cli',
          source: { type: 's3', bucketName: 'cli-input' },
          logFormat,
          engine: { type: 'opensearch', indexPrefix: 'cli', domain: { type: 'self-managed', url: 'http://localhost:9200' } },
        },
      ],
    },
    'flags',
  );
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // Problems are phrased for the config file; name the flag instead.
    const problems = e.problems.map((p) =>
      p.replace(/^pipelines\[0\] \(cli\)\.logFormat(?:\.(\w+))?: /, (_m, key?: string) => (key ? `${flagOf[key] ?? key}: ` : '')),
    );
    throw new UsageError(problems.join('\n'));
  }
  return config.pipelines[0].logFormat;
}

/** The --input file, opened now so that a missing or unreadable file is a usage error, not a crash mid-stream. */
function openInput(file: string): Readable {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UsageError(`--input ${file}: ${(e as Error).message}`);
  }
  return createReadStream(file, { fd });
}

function write(stream: Writable, text: string | Buffer): Promise<void> | void {
  if (!stream.write(text)) return new Promise((resolve) => stream.once('drain', resolve));
}

/** An over-long line streamed to a local file (what the Lambda streams to an object of the backup bucket). */
export function fileLineSink(file: string): LineSink {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  finished.catch(() => undefined);
  return {
    location: file,
    write: (chunk) => write(out, chunk),
    async close() {
      out.end();
      await finished;
    },
    async abort() {
      out.destroy();
      rmSync(file, { force: true });
    },
  };
}

/** A failed record as the CLI writes it: where a spilled line's bytes are is a file. */
export function failedJson(file: string | undefined, r: { line: number; reason: string; raw: string; rawBase64?: string; rawObject?: string; rawBytes?: number }): string {
  const { line, reason, raw, rawBase64, rawObject, rawBytes } = r;
  return `${JSON.stringify({ ...(file !== undefined ? { file } : {}), line, reason, raw, rawBase64, ...(rawObject !== undefined ? { rawFile: rawObject, rawBytes } : {}) })}\n`;
}

export async function runParse(argv: string[], io: ParseIo): Promise<ParseSummary> {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(
        ['config', 'pipeline', ...FORMAT_FLAGS, 'input', 'failed'].map((k) => [k, { type: 'string' }]),
      ),
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const format = formatFrom(values);
  const parser = compileParser(format);
  const keep = compileFilters(format.filters);
  const input = !values.input || values.input === '-' ? io.stdin : openInput(values.input);
  const failedOut = values.failed ? createWriteStream(values.failed) : io.stderr;
  const summary: ParseSummary = { parsed: 0, failed: 0, filtered: 0 };
  const fail = (record: Parameters<typeof failedJson>[1]) => {
    summary.failed++;
    return write(failedOut, failedJson(undefined, record));
  };
  const file = values.input && values.input !== '-' ? values.input : undefined;
  const read = {
    // stdin cannot be read twice: a broken gzip stream ends where zlib's output stopped
    ...(file ? { reopen: async () => createReadStream(file) } : {}),
    ...(values.failed ? { spill: (lineNo: number) => fileLineSink(path.join(`${values.failed}.lines`, `line-${lineNo}`)) } : {}),
  };

  for await (const batch of bodyRecords(parser, input, format.maxLineBytes, read)) {
    for (const l of batch) {
      if ('reason' in l) {
        await fail(failedLineFields(l));
        continue;
      }
      const r = parser.parse(l.text);
      if (!r.ok) await fail({ line: l.lineNo, raw: l.text, reason: r.reason });
      else if (!keep(r.doc)) summary.filtered++;
      else {
        summary.parsed++;
        await write(io.stdout, `${JSON.stringify(r.doc)}\n`);
      }
    }
  }
  if (values.failed) await new Promise<void>((resolve, reject) => (failedOut as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? reject(e) : resolve())));
  const filters = format.filters.include.length + format.filters.exclude.length > 0;
  io.stderr.write(`parsed=${summary.parsed} failed=${summary.failed}${filters ? ` filtered=${summary.filtered}` : ''}\n`);
  return summary;
}

