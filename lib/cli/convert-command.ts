/**
 * `logtong convert`: raw log files → the Hive-partitioned Parquet files the Light Engine would write for them
 * (`DIR/<table>/event_hour=YYYYMMDDHH/region=R/<batch>-<n>.parquet`), failed records to `DIR/failed.ndjson` (a line
 * longer than maxLineBytes whole in a file of its own under `DIR/failed-lines/`, its record's `rawFile`), and a
 * per-partition row count. Same core as the Convert Lambda: lambda/core/light/convert.ts.
 */
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { compileFilters } from '../../lambda/core/filters';
import { compileParser } from '../../lambda/core/formats';
import { convertBatch, writableFileSink, type ConvertCounts, type FileSink } from '../../lambda/core/light/convert';
import { batchIdOf } from '../../lambda/core/light/layout';
import { lightTable } from '../../lambda/core/light/table';
import { DEFAULT_PROJECTION } from '../../lambda/core/light/projection';
import { lightProjection, lightTableName } from '../config/schema';
import { FORMAT_FLAGS, UsageError, failedJson, fileLineSink, formatFrom, pipelineFrom } from './parse-command';

export const CONVERT_USAGE = `usage:
  logtong convert --config pipelines.yaml --pipeline NAME --input FILE... --output DIR
  logtong convert --type TYPE [--format STRING] [--regex RE] [--time-key K] [--time-format F] [--time-zone Z]
                  [--table NAME] [--region R] --input FILE... --output DIR
Writes DIR/<table>/event_hour=YYYYMMDDHH/region=R/*.parquet and DIR/failed.ndjson (a line longer than maxLineBytes
whole in DIR/failed-lines/), then one line per partition.
--region: the region partition value (default: the pipeline's engine.region, else $AWS_REGION, else "local").`;

function fileSink(file: string): FileSink {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  return writableFileSink(out, finished, async () => void out.destroy());
}

export async function runConvert(argv: string[], io: { stdout: Writable; stderr: Writable }): Promise<ConvertCounts> {
  let values: Record<string, string | string[] | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(['config', 'pipeline', ...FORMAT_FLAGS, 'table', 'region', 'output'].map((k) => [k, { type: 'string' as const }])),
        input: { type: 'string', multiple: true },
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
  const format = formatFrom(single);
  const table = single.table ?? (pipeline ? lightTableName(pipeline) : 'logs');
  const engineRegion = pipeline?.engine.type === 'light' ? pipeline.engine.region : undefined;
  const region = single.region ?? engineRegion ?? process.env.AWS_REGION ?? 'local';
  const outDir = single.output!;

  const parser = compileParser(format);
  const { columns, toRow } = lightTable(format, parser.fields);
  const staged = inputs.map((file) => {
    const st = statSync(file);
    return { key: path.resolve(file), etag: `${st.size}-${st.mtimeMs}`, size: st.size };
  });
  mkdirSync(outDir, { recursive: true });
  const failedOut = createWriteStream(path.join(outDir, 'failed.ndjson'));
  const counts = await convertBatch({
    batchId: batchIdOf(staged),
    objects: inputs.map((file, i) => ({ bucket: 'local', key: file, objectId: `${i}-${path.basename(file)}`, body: createReadStream(file) })),
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
    // An over-long line whole in a file of its own; a broken gzip file read again up to its break.
    spill: (input, lineNo) => fileLineSink(path.join(outDir, 'failed-lines', input.objectId, `line-${lineNo}`)),
    reopen: async (input) => createReadStream(input.key),
    backup: async (_id, _part, records) => {
      for (const r of records) {
        if (!failedOut.write(failedJson(r.key, r))) {
          await new Promise<void>((resolve) => failedOut.once('drain', () => resolve()));
        }
      }
    },
  });
  await new Promise<void>((resolve, reject) => failedOut.end((e?: Error | null) => (e ? reject(e) : resolve())));

  const byPartition = new Map<string, number>();
  for (const f of counts.files) {
    const partition = path.dirname(f.key);
    byPartition.set(partition, (byPartition.get(partition) ?? 0) + f.rows);
  }
  for (const [partition, rows] of [...byPartition].sort()) io.stdout.write(`${partition}\trows=${rows}\n`);
  io.stderr.write(`written=${counts.written} failed=${counts.failed} filtered=${counts.filtered} files=${counts.files.length}\n`);
  return counts;
}
