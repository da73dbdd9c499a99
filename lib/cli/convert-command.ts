/**
 * `logtong convert`: raw log files → the Hive-partitioned Parquet files the Light Engine would write for them
 * (`DIR/<table>/event_hour=YYYYMMDDHH/region=R/<batch>-<n>.parquet`), failed records to `DIR/failed.ndjson` (a line
 * longer than maxLineBytes whole in a file of its own under `DIR/failed-lines/`, its record's `rawFile`), and a
 * per-partition row count. Same core as the Convert Lambda: lambda/core/light/convert.ts.
 */
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { compileFilters } from '../../lambda/core/filters';
import { compileParser } from '../../lambda/core/formats';
import { convertBatch, writableFileSink, type ConvertCounts, type FileSink } from '../../lambda/core/light/convert';
import { batchIdOf } from '../../lambda/core/light/layout';
import { lightTable } from '../../lambda/core/light/table';
import { DEFAULT_PROJECTION } from '../../lambda/core/light/projection';
import { lightProjection, lightTableName } from '../config/schema';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors';
import { failedJson, fileLineSink, finish, makeOutputDir, openInput, openOutput, write } from './files';
import { FORMAT_FLAGS, formatFrom, pipelineFrom } from './format-flags';
import type { CliCommand } from './main';
import { startProgress } from './progress';
import { withRowStash } from './row-stash';

export const CONVERT_USAGE = `usage:
  logtong convert --config pipelines.yaml --pipeline NAME --input FILE|- [--input FILE...] --output DIR [--strict]
  logtong convert --type TYPE [--format STRING] [--regex RE] [--time-key K] [--time-format F] [--time-zone Z]
                  [--table NAME] [--region R] --input FILE|- [--input FILE...] --output DIR [--strict]

Writes the Parquet files the Light Engine would write for the inputs (gzipped or not; - is stdin):
DIR/<table>/event_hour=YYYYMMDDHH/region=R/*.parquet, failed records to DIR/failed.ndjson (a line longer than
maxLineBytes whole under DIR/failed-lines/), then one line per partition on stdout and a summary on stderr.
A partition gets <batch>-0.parquet, and <batch>-1.parquet only when its hour comes back after its file was closed
(16 are open at once): at most 2 files per partition, whatever the order of the input. Until the end of the run
those later rows wait in DIR/logtong-stash-*/ (about the size of their raw lines).
  --region  the region partition value (default: the pipeline's engine.region, else $AWS_REGION, else "local")
  --strict  exit 1 when any record failed (for CI)
Progress (bytes, lines/s, ETA) is drawn on stderr when it is a terminal.`;

function fileSink(file: string): FileSink {
  const out = openOutput('--output', file, true);
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  return writableFileSink(out, finished, async () => void out.destroy());
}

export async function runConvert(argv: string[], io: { stdin?: Readable; stdout: Writable; stderr: Writable & { isTTY?: boolean } }): Promise<ConvertCounts & { strict: boolean }> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(['config', 'pipeline', ...FORMAT_FLAGS, 'table', 'region', 'output'].map((k) => [k, { type: 'string' as const }])),
        input: { type: 'string', multiple: true },
        strict: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const inputs = (values.input as string[] | undefined) ?? [];
  if (inputs.length === 0) throw new UsageError('--input FILE is required (repeat it for several files)');
  if (!values.output) throw new UsageError('--output DIR is required');
  const single = values as Record<string, string | undefined>;
  const pipeline = pipelineFrom(single);
  const format = formatFrom(single, pipeline);
  const table = single.table ?? (pipeline ? lightTableName(pipeline) : 'logs');
  const engineRegion = pipeline?.engine.type === 'light' ? pipeline.engine.region : undefined;
  const region = single.region ?? engineRegion ?? process.env.AWS_REGION ?? 'local';
  const outDir = single.output!;

  const parser = compileParser(format);
  const { columns, toRow } = lightTable(format, parser.fields);
  if (inputs.filter((f) => f === '-').length > 1) throw new UsageError('--input - (stdin) can be given once');
  const opened = inputs.map((file) => openInput('--input', file, io.stdin ?? process.stdin));
  makeOutputDir('--output', outDir);
  const failedOut = openOutput('--output', path.join(outDir, 'failed.ndjson'));
  const total = opened.every((o) => o.size !== undefined) ? opened.reduce((n, o) => n + o.size!, 0) : undefined;
  const progress = startProgress(io.stderr, total);
  let counts: ConvertCounts;
  let lines = 0;
  try {
    // Rows of an hour whose file was already closed wait on disk beside the output: at most 2 files per partition.
    counts = await withRowStash((recurring) => convertBatch({
      // Names the files after what was read: the same inputs give the same names.
      batchId: batchIdOf(opened.map((o, i) => ({ key: o.file ? path.resolve(o.file) : `stdin-${i}`, etag: o.stamp, size: o.size ?? 0 }))),
      objects: opened.map((o, i) => ({ bucket: 'local', key: o.file ?? '-', objectId: `${i}-${o.file ? path.basename(o.file) : 'stdin'}`, body: progress.count(o.body) })),
      parser,
      filter: compileFilters(format.filters),
      columns,
      toRow,
      table,
      region,
      maxLineBytes: format.maxLineBytes,
      // As the deployed table projects: a record it would never return goes to failed.ndjson with the reason.
      projection: pipeline?.engine.type === 'light' ? lightProjection(pipeline.engine) : DEFAULT_PROJECTION,
      openFile: (key) => fileSink(path.join(outDir, key)),
      // An over-long line whole in a file of its own; a broken gzip file read again up to its break (not stdin).
      spill: (input, lineNo) => fileLineSink(path.join(outDir, 'failed-lines', input.objectId, `line-${lineNo}`)),
      reopen: async (input) => {
        const o = opened[Number(input.objectId.split('-')[0])];
        if (!o.reopen) throw new Error('stdin cannot be read again');
        return o.reopen();
      },
      backup: async (_id, _part, records) => {
        for (const r of records) await write(failedOut, failedJson(r.key, r));
      },
      recurring,
      onProgress: (c) => {
        progress.lines(c.recordsIn - lines);
        lines = c.recordsIn;
      },
    }), { parent: outDir });
  } finally {
    progress.stop();
  }
  await finish(failedOut);

  const byPartition = new Map<string, number>();
  for (const f of counts.files) {
    const partition = path.dirname(f.key);
    byPartition.set(partition, (byPartition.get(partition) ?? 0) + f.rows);
  }
  for (const [partition, rows] of [...byPartition].sort()) io.stdout.write(`${partition}\trows=${rows}\n`);
  io.stderr.write(`written=${counts.written} failed=${counts.failed} filtered=${counts.filtered} files=${counts.files.length}\n`);
  return { ...counts, strict: values.strict === true };
}

export const convertCommand: CliCommand = {
  usage: CONVERT_USAGE,
  async run(argv, io) {
    const r = await runConvert(argv, io);
    return r.strict && r.failed > 0 ? EXIT_FAILED : EXIT_OK;
  },
};
