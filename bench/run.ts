/**
 * Throughput of the processor's parsing core (`npm run bench`).
 *
 *   FLOOR = gunzip (decodeBody) + splitLines: what reading the object costs anyway
 *   FULL  = FLOOR + parse (nginx combined) + filter + BulkBatcher NDJSON (5 MiB bodies, discarded)
 *   FULL/json = FULL serializing with JSON.stringify instead of the parser's generated serializer
 *
 * Input: 1M nginx-combined lines (the Apache combined corpus cycled: same shape) gzipped in memory, fed in 64 KiB
 * chunks like an S3 body stream. MiB/s counts raw (uncompressed) bytes. Best of 3 runs each, interleaved. The
 * MiB/cpu-s column divides by the CPU time the process used instead of wall time: on a shared machine it is the
 * better per-core figure.
 *
 * Flags:
 *   --lines N    lines to generate (default 1,000,000)
 *   --big        also stream ~2 GiB (generated on the fly, gzipped as it is read) through FULL in a child process
 *                and print its peak RSS (process.resourceUsage().maxRSS); --big-gib G changes the size
 *   --rss-child  (internal) the child process of --big
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { LogFormatSchema } from '../lib/config/schema';
import { BulkBatcher, objectIdPrefix } from '../lambda/core/bulk/batcher';
import { compileFilters, isKeepAll } from '../lambda/core/filters';
import { compileParser, type LineParser } from '../lambda/core/formats';
import { decodeBody, splitLines } from '../lambda/core/lines';

const CORPUS = path.resolve(__dirname, '..', '..', 'shared', 'corpora', 'apache_combined_elastic_examples.log');
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

async function full(body: AsyncIterable<Uint8Array>, parser: LineParser, fastSerializer: boolean): Promise<RunResult> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const filter = compileFilters({ include: [], exclude: [] });
  const skipFilter = isKeepAll(filter);
  const prefix = objectIdPrefix('bench-bucket', 'logs/access.log.gz', '"0123456789abcdef"');
  const batcher = new BulkBatcher<number>({
    index: 'bench-logs',
    maxBytes: BULK_MAX_BYTES,
    maxDocs: BULK_MAX_DOCS,
    stringify: fastSerializer ? parser.stringify : undefined,
  });
  let lines = 0;
  let indexed = 0;
  let failed = 0;
  let bulks = 0;
  let bodyBytes = 0;
  for await (const batch of splitLines(decodeBody(body), { maxLineBytes: MAX_LINE_BYTES })) {
    for (let i = 0; i < batch.length; i++) {
      const l = batch[i];
      lines++;
      if ('reason' in l) {
        failed++;
        continue;
      }
      const r = parser.parse(l.text);
      if (!r.ok) {
        failed++;
        continue;
      }
      if (!skipFilter && !filter(r.doc)) continue;
      const out = batcher.add(`${prefix}-${l.lineNo}`, r.doc, l.lineNo);
      if (out) {
        bulks++;
        indexed += out.items.length;
        bodyBytes += out.bytes;
      }
    }
  }
  const last = batcher.flush();
  if (last) {
    bulks++;
    indexed += last.items.length;
    bodyBytes += last.bytes;
  }
  void bodyBytes;
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: cpuSince(c0), lines, indexed, failed, bulks };
}

function nginxParser(): LineParser {
  return compileParser(LogFormatSchema.parse({ type: 'nginx' }));
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function throughput(): Promise<void> {
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
      `(gzip took ${fmt((Date.now() - t) / 1000)} s); node ${process.version}`,
  );
  const rawMiB = raw.length / MiB;
  const parser = nginxParser();

  const modes: Array<[string, () => Promise<RunResult>]> = [
    ['FLOOR  gunzip+split', () => floor(chunked(gz))],
    ['FULL   +parse+bulk', () => full(chunked(gz), parser, true)],
    ['FULL/json (JSON.stringify)', () => full(chunked(gz), parser, false)],
  ];
  const best = new Map<string, RunResult>();
  t = Date.now();
  for (let rep = 0; rep < 3; rep++) {
    for (const [name, run] of modes) {
      const r = await run();
      const prev = best.get(name);
      if (!prev || r.seconds < prev.seconds) best.set(name, r);
    }
  }
  const floorRes = best.get(modes[0][0])!;
  console.log(`\nbest of 3 by wall time (runs took ${fmt((Date.now() - t) / 1000)} s in all); MiB/cpu-s = raw MiB per CPU second of the process`);
  console.log(
    `${'mode'.padEnd(28)} ${'MiB/s'.padStart(8)} ${'lines/s'.padStart(12)} ${'s'.padStart(7)} ${'vs FLOOR'.padStart(9)} ${'MiB/cpu-s'.padStart(10)}  notes`,
  );
  for (const [name] of modes) {
    const r = best.get(name)!;
    const note = r.bulks ? `${fmt(r.indexed, 0)} indexed, ${fmt(r.failed, 0)} failed, ${r.bulks} bulk bodies` : `${fmt(r.lines, 0)} lines`;
    console.log(
      `${name.padEnd(28)} ${fmt(rawMiB / r.seconds).padStart(8)} ${fmt(r.lines / r.seconds, 0).padStart(12)} ${fmt(r.seconds, 2).padStart(7)} ` +
        `${fmt(floorRes.seconds / r.seconds, 2).padStart(9)} ${fmt(rawMiB / r.cpuSeconds).padStart(10)}  ${note}`,
    );
  }
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
  const r = await full(gzipped, parser, true);
  const secs = (Date.now() - t0) / 1000;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024; // KiB → MiB
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

async function main(): Promise<void> {
  if (flag('--rss-child')) return rssChild();
  await throughput();
  if (flag('--big')) await big();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
