/**
 * Throughput of the processor's parsing core (`npm run bench`).
 *
 *   FLOOR    = gunzip (decodeBody) + splitLines: what reading the object costs anyway
 *   FULL     = processObject (lambda/core/process-object.ts) itself, nginx combined, no filters: gunzip + split +
 *              parse + NDJSON bulk bodies (5 MiB / 10,000 docs), sent to an in-memory `send` that indexes every item
 *              and a no-op `backup` (the lines that do not parse are backed up into it)
 *   FULL/doc = FULL with the parser's direct JSON writer withheld: parse() builds each document object and the
 *              generated serializer writes it (what a pipeline with filters runs)
 *   NAIVE    = FULL with JSON.stringify(parse(line).doc) per line (the parser's writer and serializer withheld)
 *
 * Input: 1M nginx-combined lines (the Apache combined corpus cycled: same shape) gzipped in memory, fed in 64 KiB
 * chunks like an S3 body stream. MiB/s counts raw (uncompressed) bytes. Best of 3 runs each, interleaved. The
 * MiB/cpu-s column divides by the CPU time the process used instead of wall time: on a shared machine it is the
 * better per-core figure.
 *
 * Then "parse throughput per log type": for nginx, apache (both on the input above), json, regex, syslog,
 * single-line-text and multi-line-text (real corpora from test/fixtures/corpora, repeated), gunzip + split + parse() per
 * line / assembled event (documents built, not serialized) beside FLOOR measured on the same input, best of 3 each,
 * with the issue-3 targets (nginx/apache ≥ 100 MiB/s, JSON ≥ 60 MiB/s per core).
 *
 * Then the agent (bench/agent.ts): the real Fluent Bit 4.2.2 on the generated configuration of an EC2 nginx pipeline,
 * buffer none (it parses: _bulk), s3 and kinesis (raw lines), tailing the 1M lines above into local sinks; its CPU,
 * wall time and peak RSS beside FULL's MiB per CPU-second from the same run (measured for it when the processor
 * section does not run). Prints SKIPPED without the binary (`bash .ci/setup-fluent-bit.sh`).
 *
 * Then end to end on a real OpenSearch node (bench/e2e.ts): the processor path's documents/s beside a bare `_bulk`
 * loader sending the same bodies (median of 3). Needs the node (`bash .ci/setup-opensearch.sh`).
 *
 * Then the CLI (bench/cli.ts): `logtong --help` start-up, and `parse` and `convert` end to end on the 1M lines in a
 * file, per CPU-second, beside the processor's FULL and the Light Engine core from the same run. Needs `npm run
 * build` to be current (a test checks it is).
 *
 * Last, the Light Engine core (bench/light-engine.ts): the same nginx lines → parse → Parquet with the chosen writer,
 * the other candidates and the parquetjs-lite baseline, each in its own child process (rows/s, MiB/s, peak RSS).
 *
 * Flags:
 *   --lines N    lines to generate (default 1,000,000)
 *   --big        also stream ~2 GiB (generated on the fly, gzipped as it is read) through FULL in a child process
 *                and print its peak RSS (VmHWM, bench/peak-rss.ts); --big-gib G changes the size; the Light
 *                Engine part then also streams 9M lines (~2 GiB raw) through the chosen Parquet writer
 *   --only S     one section: processor (the table above and --big), formats (per log type), agent, light, e2e or cli
 *   --e2e-reps N runs per path in the e2e section (default 3; the median is printed)
 *   --agent-reps N     agent runs per buffer (default 3; best by CPU time)
 *   --agent-buffers B  agent: only these buffers, comma-separated (none,s3,kinesis)
 *   --rss-child  (internal) the child process of --big
 *   --le-child W (internal) one Light Engine measurement, writer W (bench/light-engine.ts)
 *
 * `npm run bench` runs this file bundled with the Lambda's esbuild options (bench/bundled.ts); `npx tsx bench/run.ts`
 * runs it unbundled, with the same flags.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { LogFormatSchema } from '../lib/config/schema';
import type { BulkOutcome, BulkRequest } from '../lambda/core/bulk/sender';
import { compileFilters } from '../lambda/core/filters';
import { bodyRecords, compileParser, type LineParser } from '../lambda/core/formats';
import { decodeBody, isFailed, splitLines, type LineEntry } from '../lambda/core/lines';
import { processObject, type ItemRef } from '../lambda/core/process-object';
import { agentBench, BUFFERINGS, type ProcessorFigure } from './agent';
import { cliBench } from './cli';
import { e2eBench } from './e2e';
import { leChild, lightEngineBench, runChild } from './light-engine';
import { peakRssMiB } from './peak-rss';
import { fmt } from './format';

const CORPORA = path.resolve(__dirname, '..', 'test', 'fixtures', 'corpora');
const CORPUS = path.join(CORPORA, 'apache_combined_elastic_examples.log');
const MiB = 1024 * 1024;
const MAX_LINE_BYTES = 1_048_576;
const BULK_MAX_BYTES = 5 * MiB;
const BULK_MAX_DOCS = 10_000;

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

function corpusLines(): string[] {
  return readFileSync(CORPUS, 'utf8').split('\n').filter((l) => l.length > 0);
}

async function* chunked(buf: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, off + size);
}

interface RunResult {
  seconds: number;
  /** user + system CPU seconds of the process (zlib's thread-pool work included). */
  cpuSeconds: number;
  lines: number;
  indexed: number;
  failed: number;
  bulks: number;
}

function cpuSince(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

async function floor(body: AsyncIterable<Uint8Array>): Promise<RunResult> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let lines = 0;
  let failed = 0;
  for await (const batch of splitLines(decodeBody(body), { maxLineBytes: MAX_LINE_BYTES })) {
    lines += batch.length;
    for (let i = 0; i < batch.length; i++) if ('reason' in batch[i]) failed++;
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: cpuSince(c0), lines, indexed: 0, failed, bulks: 0 };
}

type Variant = 'writer' | 'doc' | 'naive';

/** The parser as FULL (all of it), FULL/doc (no direct writer) or NAIVE (no writer, no serializer) sees it. */
function variantOf(parser: LineParser, variant: Variant): LineParser {
  if (variant === 'writer') return parser;
  if (variant === 'doc') return { fields: parser.fields, parse: parser.parse, stringify: parser.stringify };
  return { fields: parser.fields, parse: parser.parse };
}

async function full(body: AsyncIterable<Uint8Array>, parser: LineParser, variant: Variant): Promise<RunResult> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let bulks = 0;
  const send = async (req: BulkRequest<ItemRef>): Promise<BulkOutcome<ItemRef>> => {
    bulks++;
    return { indexed: req.count, duplicates: 0, failed: [], requests: 1 };
  };
  const counts = await processObject({
    body,
    source: { bucket: 'bench-bucket', key: 'logs/access.log.gz', etag: '"0123456789abcdef"' },
    parser: variantOf(parser, variant),
    filter: compileFilters({ include: [], exclude: [] }),
    index: 'bench-logs',
    bulkMaxBytes: BULK_MAX_BYTES,
    bulkMaxDocs: BULK_MAX_DOCS,
    maxLineBytes: MAX_LINE_BYTES,
    send,
    backup: async () => {},
  });
  return {
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSeconds: cpuSince(c0),
    lines: counts.recordsIn,
    indexed: counts.indexed,
    failed: counts.backedUp,
    bulks,
  };
}

function nginxParser(): LineParser {
  return compileParser(LogFormatSchema.parse({ type: 'nginx' }));
}

interface BenchInput {
  lines: number;
  raw: Buffer;
  gz: Buffer;
  /** FULL's run with the least CPU, when the processor section measured it. */
  full?: RunResult;
}

/** Builds the 1M-line input; with `measure`, the processor table (FLOOR, FULL, FULL/doc, NAIVE). */
async function throughput(measure: boolean): Promise<BenchInput> {
  const want = option('--lines', 1_000_000);
  const corpus = corpusLines();
  const parts: string[] = [];
  for (let i = 0; i < want; i++) parts.push(corpus[i % corpus.length]);
  const raw = Buffer.from(parts.join('\n') + '\n');
  parts.length = 0;
  let t = Date.now();
  const gz = gzipSync(raw);
  console.log(
    `input: ${fmt(want, 0)} nginx-combined lines, ${fmt(raw.length / MiB)} MiB raw, ${fmt(gz.length / MiB)} MiB gzipped ` +
      `(gzip took ${fmt((Date.now() - t) / 1000)} s)`,
  );
  if (!measure) return { lines: want, raw, gz };
  const rawMiB = raw.length / MiB;
  const parser = nginxParser();

  const modes: Array<[string, () => Promise<RunResult>]> = [
    ['FLOOR    gunzip+split', () => floor(chunked(gz))],
    ['FULL     processObject', () => full(chunked(gz), parser, 'writer')],
    ['FULL/doc parse+serializer', () => full(chunked(gz), parser, 'doc')],
    ['NAIVE    JSON.stringify', () => full(chunked(gz), parser, 'naive')],
  ];
  const best = new Map<string, RunResult>();
  // The agent section compares per CPU-second: FULL's run with the least CPU, not the fastest by wall time.
  let fullByCpu: RunResult | undefined;
  t = Date.now();
  for (let rep = 0; rep < 3; rep++) {
    for (const [name, run] of modes) {
      const r = await run();
      if (name === modes[1][0] && (!fullByCpu || r.cpuSeconds < fullByCpu.cpuSeconds)) fullByCpu = r;
      const prev = best.get(name);
      if (!prev || r.seconds < prev.seconds) best.set(name, r);
    }
  }
  const floorRes = best.get(modes[0][0])!;
  const naiveRes = best.get(modes[3][0])!;
  console.log(`\nbest of 3 by wall time (runs took ${fmt((Date.now() - t) / 1000)} s in all)`);
  console.log('MiB = raw (uncompressed) MiB; cpu: per CPU second of the process (user + sys, zlib threads included) — the per-core figure');
  const cols: Array<[string, number]> = [
    ['mode', 26], ['MiB/s', 8], ['lines/s', 11], ['s', 6], ['×FLOOR', 7], ['MiB/cpu-s', 10], ['×FLOOR cpu', 11], ['×NAIVE', 7], ['µs/line cpu', 12],
  ];
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(cols[i][1]) : c.padStart(cols[i][1]))).join(' ');
  console.log(`${row(cols.map(([h]) => h))}  notes`);
  for (const [name] of modes) {
    const r = best.get(name)!;
    const note = r.bulks ? `${fmt(r.indexed, 0)} indexed, ${fmt(r.failed, 0)} backed up, ${r.bulks} bulk bodies` : `${fmt(r.lines, 0)} lines`;
    const cells = [
      name,
      fmt(rawMiB / r.seconds),
      fmt(r.lines / r.seconds, 0),
      fmt(r.seconds, 2),
      fmt(floorRes.seconds / r.seconds, 2),
      fmt(rawMiB / r.cpuSeconds),
      fmt(floorRes.cpuSeconds / r.cpuSeconds, 2),
      fmt(naiveRes.seconds / r.seconds, 2),
      fmt((r.cpuSeconds / r.lines) * 1e6, 2),
    ];
    console.log(`${row(cells)}  ${note}`);
  }
  const fullRes = best.get(modes[1][0])!;
  const fullMiB = rawMiB / fullRes.seconds;
  const fullCpuMiB = rawMiB / fullRes.cpuSeconds;
  console.log(
    `\ntarget FULL ≥ 100 MiB/s and ≥ 1/3 of FLOOR: ${fmt(fullMiB)} MiB/s (${fmt(fullCpuMiB)} per CPU-s), ` +
      `${fmt(floorRes.seconds / fullRes.seconds, 2)}× FLOOR → ${fullMiB >= 100 && floorRes.seconds / fullRes.seconds >= 1 / 3 ? 'MET' : 'not met'}`,
  );
  return { lines: want, raw, gz, full: fullByCpu };
}

/** The processor's figure beside the agent's: FULL from the processor section, else measured now (best of 3). */
async function processorFigure(input: BenchInput): Promise<ProcessorFigure> {
  let r = input.full;
  const how = r ? 'the processor section\'s FULL run with the least CPU' : 'FULL, the least CPU of 3 runs made for this table';
  if (!r) {
    const parser = nginxParser();
    for (let rep = 0; rep < 3; rep++) {
      const x = await full(chunked(input.gz), parser, 'writer');
      if (!r || x.cpuSeconds < r.cpuSeconds) r = x;
    }
  }
  const rawMiB = input.raw.length / MiB;
  return { mibPerCpuS: rawMiB / r!.cpuSeconds, linesPerCpuS: r!.lines / r!.cpuSeconds, mibPerS: rawMiB / r!.seconds, how: `${how} (gzipped input, in-memory send)` };
}

// ---------------------------------------------------------------------------------------------------------------
// Parse throughput per log type

function corpusText(name: string): string {
  return readFileSync(path.join(CORPORA, name), 'utf8');
}

/** The lines of the corpora, cycled until the text holds at least minBytes (whole corpora, so events stay whole). */
function repeated(names: string[], minBytes: number): Buffer {
  const block = Buffer.from(names.map((n) => corpusText(n).replace(/\n?$/, '\n')).join(''));
  const copies = Math.max(1, Math.ceil(minBytes / block.length));
  return Buffer.concat(Array.from({ length: copies }, () => block));
}

async function parseRun(body: AsyncIterable<Uint8Array>, parser: LineParser): Promise<RunResult> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let lines = 0;
  let indexed = 0;
  let failed = 0;
  for await (const batch of bodyRecords(parser, body, MAX_LINE_BYTES)) {
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i] as LineEntry & { lines?: number };
      lines += e.lines ?? 1;
      if (isFailed(e)) failed++;
      else if (parser.parse(e.text).ok) indexed++;
      else failed++;
    }
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: cpuSince(c0), lines, indexed, failed, bulks: 0 };
}

interface FormatCase {
  name: string;
  format: Record<string, unknown>;
  input: string;
  raw: () => Buffer;
  target?: number;
}

async function formatThroughput(nginxInput: BenchInput): Promise<void> {
  const MIN = 50 * MiB;
  const SMALL = 32 * MiB;
  const cases: FormatCase[] = [
    { name: 'nginx', format: { type: 'nginx' }, input: `the ${fmt(nginxInput.lines, 0)}-line input above`, raw: () => nginxInput.raw, target: 100 },
    { name: 'apache', format: { type: 'apache' }, input: `the ${fmt(nginxInput.lines, 0)}-line input above`, raw: () => nginxInput.raw, target: 100 },
    { name: 'json', format: { type: 'json' }, input: 'nginxplus_status_json ×N', raw: () => repeated(['nginxplus_status_json_elastic_examples.ndjson'], MIN), target: 60 },
    {
      name: 'regex',
      format: {
        type: 'regex',
        regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>[a-z]+)\\] (?<message>.*)$',
        timeKey: 'time',
        timeFormat: '%a %b %d %H:%M:%S %Y',
      },
      input: 'loghub_Apache_2k ×N',
      raw: () => repeated(['loghub_Apache_2k.log'], SMALL),
    },
    { name: 'syslog', format: { type: 'syslog' }, input: 'loghub_Linux_2k + OpenSSH_2k ×N', raw: () => repeated(['loghub_Linux_2k.log', 'loghub_OpenSSH_2k.log'], SMALL) },
    {
      name: 'single-line-text',
      format: {
        type: 'single-line-text',
        regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>[a-z]+)\\] (?<message>.*)$',
        timeKey: 'time',
        timeFormat: '%a %b %d %H:%M:%S %Y',
      },
      input: 'loghub_Apache_2k ×N',
      raw: () => repeated(['loghub_Apache_2k.log'], SMALL),
    },
    {
      name: 'multi-line-text',
      format: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%t] %c: %m%n' },
      input: 'loghub_Hadoop_2k ×N',
      raw: () => repeated(['loghub_Hadoop_2k.log'], SMALL),
    },
  ];

  console.log('\nparse throughput per log type: PARSE = gunzip + split + parse() per line/event (documents built, no serialization),');
  console.log('FLOOR = gunzip + split of the same input in the same run; best of 3 by wall time, interleaved; MiB = raw MiB');
  const cols: Array<[string, number]> = [
    ['type', 17], ['input', 36], ['MiB', 6], ['FLOOR MiB/s', 12], ['PARSE MiB/s', 12], ['lines/s', 11], ['MiB/cpu-s', 10], ['PARSE/FLOOR', 12], ['parsed', 10], ['failed', 7],
  ];
  const row = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(cols[i][1]) : c.padStart(cols[i][1]))).join(' ');
  console.log(`${row(cols.map(([h]) => h))}  target`);
  const t = Date.now();
  const verdicts: string[] = [];
  for (const c of cases) {
    const parser = compileParser(LogFormatSchema.parse(c.format));
    const raw = c.raw();
    const gz = raw === nginxInput.raw ? nginxInput.gz : gzipSync(raw, { level: 6 });
    let floorBest: RunResult | undefined;
    let parseBest: RunResult | undefined;
    for (let rep = 0; rep < 3; rep++) {
      const f = await floor(chunked(gz));
      if (!floorBest || f.seconds < floorBest.seconds) floorBest = f;
      const p = await parseRun(chunked(gz), parser);
      if (!parseBest || p.seconds < parseBest.seconds) parseBest = p;
    }
    const rawMiB = raw.length / MiB;
    const parseMiB = rawMiB / parseBest!.seconds;
    let target = '';
    if (c.target !== undefined) {
      target = `≥ ${c.target} MiB/s: ${parseMiB >= c.target ? 'MET' : 'not met'}`;
      verdicts.push(`${c.name} ≥ ${c.target} MiB/s: ${fmt(parseMiB)} MiB/s (${fmt(rawMiB / parseBest!.cpuSeconds)} per CPU-s) → ${parseMiB >= c.target ? 'MET' : 'not met'}`);
    }
    console.log(
      `${row([
        c.name,
        c.input,
        fmt(rawMiB, 0),
        fmt(rawMiB / floorBest!.seconds),
        fmt(parseMiB),
        fmt(floorBest!.lines / parseBest!.seconds, 0),
        fmt(rawMiB / parseBest!.cpuSeconds),
        fmt(floorBest!.seconds / parseBest!.seconds, 2),
        fmt(parseBest!.indexed, 0),
        fmt(parseBest!.failed, 0),
      ])}  ${target}`,
    );
  }
  console.log(`(section took ${fmt((Date.now() - t) / 1000)} s; lines/s counts physical lines, also for multi-line events)`);
  console.log(`targets per core (issue 3): ${verdicts.join('; ')}`);
}

/** ~size bytes of nginx-combined lines, generated chunk by chunk (never held whole). */
function* generateRaw(size: number): Generator<Buffer> {
  const corpus = corpusLines();
  const block = Buffer.from(corpus.join('\n') + '\n'); // ~2.3 MB
  for (let sent = 0; sent < size; sent += block.length) yield block;
}

async function rssChild(): Promise<void> {
  const size = option('--big-gib', 2) * 1024 * MiB;
  const parser = nginxParser();
  const gzipped = Readable.from(generateRaw(size)).pipe(createGzip({ level: 1 }));
  const t0 = Date.now();
  const r = await full(gzipped, parser, 'writer');
  const secs = (Date.now() - t0) / 1000;
  const maxRssMiB = peakRssMiB();
  console.log(
    JSON.stringify({ rawGiB: size / 1024 / MiB, seconds: secs, lines: r.lines, indexed: r.indexed, failed: r.failed, bulks: r.bulks, maxRssMiB }),
  );
}

async function big(): Promise<void> {
  const gib = option('--big-gib', 2);
  console.log(`\n--big: streaming ~${gib} GiB raw (generated, gzipped on the fly) through FULL in a child process …`);
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--rss-child', '--big-gib', String(gib)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`rss child failed (${child.status}): ${child.stdout}`);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    rawGiB: number;
    seconds: number;
    lines: number;
    indexed: number;
    maxRssMiB: number;
  };
  console.log(
    `${fmt(r.rawGiB, 2)} GiB raw, ${fmt(r.lines, 0)} lines, ${fmt(r.indexed, 0)} indexed in ${fmt(r.seconds)} s ` +
      `(${fmt((r.rawGiB * 1024) / r.seconds)} MiB/s incl. gzip on the fly); peak RSS ${fmt(r.maxRssMiB)} MiB ` +
      `(limit 300 MB = ${fmt(300e6 / MiB)} MiB): ${r.maxRssMiB * MiB < 300e6 ? 'OK' : 'TOO HIGH'}`,
  );
}

const SECTIONS = ['processor', 'formats', 'agent', 'light', 'e2e', 'cli'] as const;

async function main(): Promise<void> {
  if (flag('--rss-child')) return rssChild();
  const le = args.indexOf('--le-child');
  if (le >= 0) return leChild(args[le + 1], option('--lines', 1_000_000));
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  if (only !== undefined && !SECTIONS.includes(only as (typeof SECTIONS)[number])) {
    throw new Error(`--only: one of ${SECTIONS.join(', ')}, not ${only}`);
  }
  const runs = (section: (typeof SECTIONS)[number]) => only === undefined || only === section;
  console.log(`code: ${process.env.LOGTONG_BENCH_BUNDLE ?? `${path.relative(process.cwd(), __filename)} as tsx runs it (not bundled)`}; node ${process.version}`);
  if (runs('processor') || runs('formats') || runs('agent') || runs('e2e') || runs('cli')) {
    const input = await throughput(runs('processor'));
    if (runs('formats')) await formatThroughput(input);
    if (runs('processor') && flag('--big')) await big();
    if (runs('agent')) {
      const i = args.indexOf('--agent-buffers');
      const buffers = i >= 0 ? args[i + 1].split(',') : undefined;
      const unknown = buffers?.filter((b) => !(BUFFERINGS as readonly string[]).includes(b));
      if (unknown?.length) throw new Error(`--agent-buffers: ${BUFFERINGS.join(', ')}, not ${unknown.join(', ')}`);
      const ok = await agentBench(input, () => processorFigure(input), { reps: option('--agent-reps', 3), buffers: buffers as typeof BUFFERINGS });
      if (!ok) process.exitCode = 1;
    }
    if (runs('cli')) await cliBench(input, { parse: () => processorFigure(input), convert: () => runChild('logtong', input.lines) });
    if (runs('e2e')) await e2eBench({ lines: input.lines, gz: input.gz, parser: nginxParser(), chunked: (b) => chunked(b) }, option('--e2e-reps', 3));
  }
  if (runs('light')) await lightEngineBench({ lines: option('--lines', 1_000_000), bigLines: flag('--big') ? 9_000_000 : 0 });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
