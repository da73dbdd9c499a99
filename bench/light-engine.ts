/**
 * Light Engine writer benchmark: raw nginx-combined lines → parse → Parquet, per candidate writer; the last part of
 * `npm run bench` (`npm run bench -- --only light` runs it alone; one measurement: `--le-child logtong --lines N`).
 *
 * Input: the Apache combined corpus (test/fixtures/corpora, same shape as nginx combined) cycled to N lines, parsed with
 * the nginx parser (default combined log_format), written with each writer to a sink that only counts bytes.
 * Every writer runs in its own child process so peak RSS (VmHWM, bench/peak-rss.ts) is that writer's alone.
 * Times include parsing (what the converter Lambda pays); "parse only" is the floor. MiB/s counts raw line bytes;
 * MiB/cpu-s divides by the CPU time of the child (the per-core figure on a shared machine).
 *
 * Candidates:
 *   logtong          lambda/core/parquet/ (writer.ts and its column chunks): own row-group encoder on hyparquet-writer's page/thrift/snappy
 *                    primitives (dictionary built while appending, V1 data pages, Snappy), streaming row groups
 *   hyparquet-writer hyparquet-writer 0.17 stock ParquetWriter.write() per row group (V2 pages, Snappy), streaming
 *   parquet-wasm     arrow-rs via WASM: apache-arrow builders per row group → IPC → writeParquet (ZSTD), one buffer
 *                    per row group (its streaming transformParquetStream stalled under Node: same encoding work)
 *   parquetjs-lite   the baseline (0.8.7, Snappy), fewer lines (--baseline-lines, default 100k): it is ~15k rows/s
 *
 * With `--big`, 9,000,000 lines (≈ 2 GiB raw) are also streamed through the chosen writer, and its peak RSS printed
 * (target ≤ 300 MB).
 */
import { spawnSync } from 'node:child_process';
import { peakRssMiB } from './peak-rss';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LogFormatSchema } from '../lib/config/schema';
import { compileParser } from '../lambda/core/formats';
import { tableColumns, type Column } from '../lambda/core/parquet/columns';
import { parquetSchema } from '../lambda/core/parquet/schema';
import { converterOf } from '../lambda/core/parquet/values';
import { createParquetWriter, DEFAULT_ROW_GROUP_ROWS, CREATED_BY } from '../lambda/core/parquet/writer';
import { fmt } from './format';

const CORPUS = path.resolve(__dirname, '..', 'test', 'fixtures', 'corpora', 'apache_combined_elastic_examples.log');
const MiB = 1024 * 1024;

const WRITERS = ['parse-only', 'logtong', 'hyparquet-writer', 'parquet-wasm', 'parquetjs-lite'] as const;
type WriterName = (typeof WRITERS)[number];

interface ChildResult {
  writer: WriterName;
  lines: number;
  rows: number;
  rawBytes: number;
  outBytes: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
}

interface Sink {
  write(chunk: Uint8Array): void;
}

/** A writer under test: append converted rows, close. */
interface Candidate {
  append(doc: Record<string, unknown>): void | Promise<void>;
  close(): Promise<void>;
}

function hyparquetStock(columns: Column[], sink: Sink): Candidate {
  // Loaded lazily: ESM-only package, only the child that measures it pays for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ByteWriter, ParquetWriter } = require('hyparquet-writer') as typeof import('hyparquet-writer');
  class Out extends ByteWriter {
    flush() {
      sink.write(new Uint8Array(this.buffer.slice(0, this.index)));
      this.index = 0;
    }
    finish() {
      this.flush();
    }
  }
  const out = new Out();
  const pq = new ParquetWriter({ writer: out, schema: parquetSchema(columns) as never, codec: 'SNAPPY', createdBy: CREATED_BY });
  const conv = columns.map((c) => converterOf(c.type));
  let data: unknown[][] = columns.map(() => []);
  let n = 0;
  const flush = () => {
    pq.write({ columnData: columns.map((c, j) => ({ name: c.name, data: data[j] })) as never, rowGroupSize: n });
    data = columns.map(() => []);
    n = 0;
  };
  return {
    append(doc) {
      for (let j = 0; j < columns.length; j++) {
        const v = doc[columns[j].source];
        data[j].push(v === null || v === undefined ? null : conv[j](v));
      }
      if (++n >= DEFAULT_ROW_GROUP_ROWS) flush();
    },
    async close() {
      if (n > 0) flush();
      pq.finish();
    },
  };
}

async function parquetWasm(columns: Column[], sink: Sink): Promise<Candidate> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const arrow = require('apache-arrow') as typeof import('apache-arrow');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pw = require('parquet-wasm') as typeof import('parquet-wasm');
  const arrowType = (c: Column) => {
    switch (c.type) {
      case 'string':
        return new arrow.Utf8();
      case 'int':
        return new arrow.Int32();
      case 'bigint':
        return new arrow.Int64();
      case 'float':
        return new arrow.Float32();
      case 'double':
        return new arrow.Float64();
      case 'boolean':
        return new arrow.Bool();
      case 'timestamp':
        return new arrow.TimestampMillisecond('UTC');
    }
  };
  const conv = columns.map((c) => converterOf(c.type));
  const newBuilders = () => columns.map((c) => arrow.makeBuilder({ type: arrowType(c), nullValues: [null, undefined] }));
  let builders = newBuilders();
  let n = 0;
  const props = () =>
    new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setMaxRowGroupSize(DEFAULT_ROW_GROUP_ROWS).setCreatedBy(CREATED_BY).build();
  // parquet-wasm's streaming writer (transformParquetStream over a ReadableStream of batches) stalled under Node
  // here; each row group is written with writeParquet instead: the same encoding work, one Parquet buffer per group.
  const flush = () => {
    const vectors: Record<string, import('apache-arrow').Vector> = {};
    columns.forEach((c, j) => (vectors[c.name] = builders[j].finish().toVector()));
    const table = pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table(vectors), 'stream'));
    sink.write(pw.writeParquet(table, props()));
    builders = newBuilders();
    n = 0;
  };
  return {
    append(doc) {
      for (let j = 0; j < columns.length; j++) {
        const v = doc[columns[j].source];
        const x = v === null || v === undefined ? null : conv[j](v);
        builders[j].append(x as never);
      }
      if (++n >= DEFAULT_ROW_GROUP_ROWS) flush();
    },
    async close() {
      if (n > 0) flush();
    },
  };
}

async function parquetjsLite(columns: Column[], sink: Sink): Promise<Candidate> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const parquet = require('parquetjs-lite');
  const { Writable } = await import('node:stream');
  const TYPE: Record<Column['type'], string> = {
    string: 'UTF8',
    int: 'INT32',
    bigint: 'INT64',
    float: 'FLOAT',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMP_MILLIS',
  };
  const fields: Record<string, unknown> = {};
  for (const c of columns) fields[c.name] = { type: TYPE[c.type], optional: true, compression: 'SNAPPY' };
  const schema = new parquet.ParquetSchema(fields);
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      sink.write(chunk);
      cb();
    },
  });
  const w = await parquet.ParquetWriter.openStream(schema, stream, { rowGroupSize: 10_000 });
  const conv = columns.map((c) => converterOf(c.type));
  return {
    async append(doc) {
      const row: Record<string, unknown> = {};
      for (let j = 0; j < columns.length; j++) {
        const v = doc[columns[j].source];
        const x = v === null || v === undefined ? null : conv[j](v);
        if (x !== null) row[columns[j].name] = columns[j].type === 'timestamp' ? new Date(x as number) : typeof x === 'bigint' ? Number(x) : x;
      }
      await w.appendRow(row);
    },
    async close() {
      await w.close();
    },
  };
}

/** One measurement, in this process: prints its ChildResult as the last line of stdout. */
export async function leChild(writer: string, lines: number): Promise<void> {
  if (!WRITERS.includes(writer as WriterName)) throw new Error(`--le-child: unknown writer ${writer} (${WRITERS.join(', ')})`);
  console.log(JSON.stringify(await child(writer as WriterName, lines)));
}

async function child(writer: WriterName, lines: number): Promise<ChildResult> {
  const corpus = readFileSync(CORPUS, 'utf8').split('\n').filter((l) => l.length > 0);
  const parser = compileParser(LogFormatSchema.parse({ type: 'nginx' }));
  const columns = tableColumns(parser.fields);
  let outBytes = 0;
  const sink: Sink = { write: (c) => void (outBytes += c.byteLength) };
  let candidate: Candidate | undefined;
  let logtong: ReturnType<typeof createParquetWriter> | undefined;
  if (writer === 'logtong') logtong = createParquetWriter(columns, sink);
  else if (writer === 'hyparquet-writer') candidate = hyparquetStock(columns, sink);
  else if (writer === 'parquet-wasm') candidate = await parquetWasm(columns, sink);
  else if (writer === 'parquetjs-lite') candidate = await parquetjsLite(columns, sink);

  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let rawBytes = 0;
  let rows = 0;
  // Lines are fresh strings, 256 at a time (like lines split from a decoded 64 KiB chunk of an S3 body), not the
  // corpus's own strings: what the writer keeps then retains what it would retain in the Lambda.
  let block: string[] = [];
  for (let i = 0; i < lines; i++) {
    const k = i % 256;
    if (k === 0) {
      const from = i % corpus.length;
      block = corpus.slice(from, from + 256).join('\n').split('\n');
    }
    const line = k < block.length ? block[k] : corpus[i % corpus.length];
    rawBytes += line.length + 1;
    const r = parser.parse(line);
    if (!r.ok) continue;
    rows++;
    if (logtong) {
      const p = logtong.append(r.doc);
      if (p) await p;
    } else if (candidate) {
      const p = candidate.append(r.doc);
      if (p) await p;
    }
  }
  if (logtong) await logtong.close();
  else if (candidate) await candidate.close();
  const cpu = process.cpuUsage(c0);
  return {
    writer,
    lines,
    rows,
    rawBytes,
    outBytes,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: peakRssMiB(),
  };
}

/** The child process of one measurement: run.ts (or its bundle) dispatches `--le-child` to leChild(). */
export function runChild(writer: WriterName, lines: number): ChildResult {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], '--le-child', writer, '--lines', String(lines)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * MiB,
  });
  if (r.status !== 0 || !r.stdout.trim()) throw new Error(`${writer} child failed (${r.status} ${r.signal ?? ""} ${r.error ?? ""}): ${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}


export async function lightEngineBench(opts: { lines: number; baselineLines?: number; bigLines?: number }): Promise<void> {
  const baselineLines = Math.min(opts.lines, opts.baselineLines ?? 100_000);
  console.log(`\nLight Engine writers: ${opts.lines.toLocaleString('en-US')} nginx-combined lines → parse → Parquet (each writer in its own process)`);
  const results: ChildResult[] = [];
  for (const w of ['parse-only', 'logtong', 'hyparquet-writer', 'parquet-wasm'] as const) results.push(runChild(w, opts.lines));
  results.push(runChild('parquetjs-lite', baselineLines));
  const base = results.find((r) => r.writer === 'parquetjs-lite')!;
  const baseRate = base.rows / base.cpuSeconds;
  const header = ['writer', 'lines', 'rows/s', 'MiB/s raw', 'rows/cpu-s', 'MiB/cpu-s', 'output MiB', 'B/row', 'peak RSS MiB', 'x parquetjs-lite (cpu)'];
  const rows = results.map((r) => [
    r.writer,
    r.lines.toLocaleString('en-US'),
    fmt(r.rows / r.seconds, 0),
    fmt(r.rawBytes / MiB / r.seconds),
    fmt(r.rows / r.cpuSeconds, 0),
    fmt(r.rawBytes / MiB / r.cpuSeconds),
    r.writer === 'parse-only' ? '-' : fmt(r.outBytes / MiB, 2),
    r.writer === 'parse-only' ? '-' : fmt(r.outBytes / r.rows, 1),
    fmt(r.maxRssMiB, 0),
    r.writer === 'parse-only' ? '-' : `${fmt(r.rows / r.cpuSeconds / baseRate)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const chosen = results.find((r) => r.writer === 'logtong')!;
  const mibPerCpu = chosen.rawBytes / MiB / chosen.cpuSeconds;
  const ratio = chosen.rows / chosen.cpuSeconds / baseRate;
  console.log(
    `targets (logtong): ≥ 40 MiB/s raw per core: ${fmt(mibPerCpu)} MiB/cpu-s ${mibPerCpu >= 40 ? 'OK' : 'MISSED'}; ` +
      `≥ 10x parquetjs-lite: ${fmt(ratio)}x ${ratio >= 10 ? 'OK' : 'MISSED'}` +
      (base.lines < opts.lines ? ` (parquetjs-lite ran ${base.lines.toLocaleString('en-US')} lines: too slow for more)` : ''),
  );
  const big = opts.bigLines ?? 0;
  if (big > 0) {
    const r = runChild('logtong', big);
    console.log(
      `logtong, ${big.toLocaleString('en-US')} lines (${fmt(r.rawBytes / 1024 / MiB, 2)} GiB raw) streamed: ${fmt(r.rows / r.seconds, 0)} rows/s, ` +
        `${fmt(r.rawBytes / MiB / r.cpuSeconds)} MiB/cpu-s, output ${fmt(r.outBytes / MiB)} MiB, peak RSS ${fmt(r.maxRssMiB, 0)} MiB ` +
        `${r.maxRssMiB <= 300 ? 'OK (≤ 300 MB)' : 'OVER 300 MB'}`,
    );
  }
}
