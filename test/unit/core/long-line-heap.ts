/**
 * Child process of long-lines.test.ts, run with --expose-gc: streams one line of N bytes (argv[2]), gzipped as it is
 * generated, through processObject (nginx, no filters: the byte path) with a spill sink that hashes and drops what it
 * gets, as the S3 upload would send it on. Every MiB spilled, a full GC then a sample of heapUsed + arrayBuffers:
 * the memory held, not garbage waiting for a collection. Prints one JSON line.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { LogFormatSchema } from '../../../lambda/core/config/log-format';
import { compileFilters } from '../../../lambda/core/filters';
import { compileParser } from '../../../lambda/core/formats';
import { processObject } from '../../../lambda/core/process-object';
import { rng } from './prng';

const MiB = 1024 * 1024;
const n = Number(process.argv[2]);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const inHash = createHash('sha256');
function* source(): Generator<Buffer> {
  const next = rng(7);
  for (let left = n; left > 0; ) {
    const b = Buffer.allocUnsafe(Math.min(64 * 1024, left));
    for (let i = 0; i < b.length; i++) b[i] = 0x21 + Math.floor(next() * 94);
    inHash.update(b);
    left -= b.length;
    yield b;
  }
  yield Buffer.from('\nend\n');
}

const live = () => {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
};

async function main(): Promise<void> {
  const parser = compileParser(LogFormatSchema.parse({ type: 'nginx' }));
  gc!();
  const base = live();
  let peak = { live: 0, heapUsed: 0, arrayBuffers: 0 };
  const sample = () => {
    gc!();
    const m = live();
    const heapUsed = m.heapUsed - base.heapUsed;
    const arrayBuffers = m.arrayBuffers - base.arrayBuffers;
    if (heapUsed + arrayBuffers > peak.live) peak = { live: heapUsed + arrayBuffers, heapUsed, arrayBuffers };
  };
  const outHash = createHash('sha256');
  let spilled = 0;
  let sinceSample = 0;
  const counts = await processObject({
    body: Readable.from(source()).pipe(createGzip()),
    source: { bucket: 'b', key: 'one-line.log.gz' },
    parser,
    filter: compileFilters(undefined),
    index: 'logs',
    bulkMaxBytes: 5 * MiB,
    bulkMaxDocs: 10_000,
    maxLineBytes: MiB,
    send: async (req) => ({ indexed: req.count, duplicates: 0, failed: [], requests: 1 }),
    backup: async () => {},
    spill: (lineNo) => ({
      location: `line-${lineNo}`,
      write(chunk) {
        outHash.update(chunk);
        spilled += chunk.length;
        sinceSample += chunk.length;
        if (sinceSample >= MiB) {
          sinceSample = 0;
          sample();
        }
      },
      close: async () => sample(),
      abort: async () => {},
    }),
  });
  const mib = (b: number) => Math.round((b / MiB) * 10) / 10;
  console.log(
    JSON.stringify({
      lineBytes: n,
      spilledBytes: spilled,
      sameBytes: inHash.digest('hex') === outHash.digest('hex'),
      counts,
      peakLiveMiB: mib(peak.live),
      peakHeapUsedMiB: mib(peak.heapUsed),
      peakArrayBuffersMiB: mib(peak.arrayBuffers),
      rssMiB: mib(process.memoryUsage().rss),
    }),
  );
}

void main();
