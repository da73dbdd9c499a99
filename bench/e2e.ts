/**
 * End to end on a real OpenSearch node (`npm run bench -- --only e2e`): documents per second of the processor path
 * (processObject → sendBulk → the adapter's OpenSearch client, exactly as the Lambda runs them) beside a bare `_bulk`
 * loader that sends the same bodies, pre-built, with the same batch size and requests in flight. Median of three
 * runs each, interleaved; every run starts from an empty index and ends with `_count` checked exactly.
 *
 * The bare loader is the ceiling: it spends nothing on the client but the HTTP request, so the ratio says how much of
 * the node's indexing rate the processor's own work (gunzip, parse, serialize, account for every item) leaves.
 */
import * as http from 'node:http';
import { compileFilters } from '../lambda/core/filters';
import type { LineParser } from '../lambda/core/formats';
import { connectOpenSearch, ensurePipelineLayout } from '../lambda/adapters/opensearch';
import { sendBulk, type BulkOutcome, type BulkRequest } from '../lambda/core/bulk/sender';
import { processObject, type ItemRef } from '../lambda/core/process-object';
import { writeIndexOf } from '../lambda/core/opensearch/pins';
import { startOpenSearch, type OpenSearchNode } from '../lib/local/opensearch';
import { fmt } from './format';

const PREFIX = 'bench-e2e';
const BULK_MAX_BYTES = 5 * 1024 * 1024;
const BULK_MAX_DOCS = 10_000;
const CONCURRENCY = 2;

export interface E2eInput {
  readonly lines: number;
  readonly gz: Buffer;
  readonly parser: LineParser;
  readonly chunked: (buf: Buffer) => AsyncIterable<Uint8Array>;
}

interface Run {
  seconds: number;
  docs: number;
  cpuSeconds: number;
}

async function* bodyOf(gz: Buffer, chunked: E2eInput['chunked']): AsyncIterable<Uint8Array> {
  yield* chunked(gz);
}

function json(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: await r.json().catch(() => undefined),
  }));
}

/** An empty index behind the alias: the previous run's index deleted, the layout made again. */
async function freshIndex(node: OpenSearchNode, conn: Awaited<ReturnType<typeof connectOpenSearch>>, parser: LineParser): Promise<string> {
  await json(node.url, 'DELETE', `/${PREFIX}-*`);
  await ensurePipelineLayout(conn.http, { indexPrefix: PREFIX, flavor: 'self-managed', index: { shards: 1, replicas: 0, rolloverAge: '1d', rolloverPrimaryShardSize: '50gb', deleteAfterDays: 30 } }, parser.fields);
  return writeIndexOf(conn.http, PREFIX);
}

async function exactCount(url: string, expected: number): Promise<void> {
  await json(url, 'POST', `/${PREFIX}/_refresh`);
  const c = (await json(url, 'GET', `/${PREFIX}/_count`)).body?.count;
  if (c !== expected) throw new Error(`_count ${c}, expected ${expected}`);
}

function cpuSince(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

async function processorRun(input: E2eInput, conn: Awaited<ReturnType<typeof connectOpenSearch>>, index: string, capture?: Buffer[]): Promise<Run & { indexed: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const policy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 };
  const counts = await processObject({
    body: bodyOf(input.gz, input.chunked),
    source: { bucket: 'bench-bucket', key: 'logs/access.log.gz', etag: capture ? 'capture' : String(Date.now()) },
    parser: input.parser,
    filter: compileFilters({ include: [], exclude: [] }),
    index,
    bulkMaxBytes: BULK_MAX_BYTES,
    bulkMaxDocs: BULK_MAX_DOCS,
    maxLineBytes: 1_048_576,
    concurrency: CONCURRENCY,
    send: (req: BulkRequest<ItemRef>): Promise<BulkOutcome<ItemRef>> => {
      // The batcher reuses a body's memory once its send resolves: the loader gets copies.
      capture?.push(Buffer.from(req.body));
      return sendBulk(req, conn.bulk, policy);
    },
    backup: async () => {},
  });
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: cpuSince(c0), docs: counts.indexed, indexed: counts.indexed };
}

/** The ceiling: pre-built bodies, CONCURRENCY requests always in flight, keep-alive, no compression, `errors` checked. */
async function bareRun(url: string, bodies: Buffer[], docs: number): Promise<Run> {
  const { port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (body: Buffer) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: Number(port), path: '/_bulk?filter_path=errors', method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts).toString()) : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const answer = await post(bodies[next++]);
      if (answer.includes('"errors":true')) throw new Error('bare loader: item errors');
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: cpuSince(c0), docs };
}

const median = (xs: Run[]) => [...xs].sort((a, b) => a.seconds - b.seconds)[Math.floor(xs.length / 2)];

export async function e2eBench(input: E2eInput, reps = 3): Promise<void> {
  console.log(`\nend to end on a real OpenSearch node: ${fmt(input.lines, 0)} nginx lines, bulks of ${fmt(BULK_MAX_DOCS, 0)} docs / ${BULK_MAX_BYTES / 1024 / 1024} MiB, ${CONCURRENCY} in flight`);
  // C2 JIT and a heap for sustained indexing: the test defaults favour start-up time.
  const node = await startOpenSearch({ heapMb: 2048, javaOpts: ['-XX:TieredStopAtLevel=4'] });
  try {
    const conn = await connectOpenSearch({ OPENSEARCH_ENDPOINT: node.url, OPENSEARCH_AUTH: 'none' });
    // Warm-up (JIT on both sides, segment files) and the bodies the bare loader sends.
    const bodies: Buffer[] = [];
    let index = await freshIndex(node, conn, input.parser);
    const warm = await processorRun(input, conn, index, bodies);
    await exactCount(node.url, warm.indexed);
    const docs = warm.indexed;
    const mib = bodies.reduce((a, b) => a + b.length, 0) / 1024 / 1024;
    console.log(`warm-up: ${bodies.length} bodies, ${fmt(mib / bodies.length, 2)} MiB each on average, ${fmt(docs, 0)} documents`);
    // The same path with request bodies gzipped (OPENSEARCH_COMPRESSION=gzip), to show what compression costs here.
    const gzipConn = await connectOpenSearch({ OPENSEARCH_ENDPOINT: node.url, OPENSEARCH_AUTH: 'none', OPENSEARCH_COMPRESSION: 'gzip' });
    const runs = { processor: [] as Run[], bare: [] as Run[], gzip: [] as Run[] };
    for (let rep = 0; rep < reps; rep++) {
      index = await freshIndex(node, conn, input.parser);
      // The bodies name the warm-up's index: the same name unless the date turned since.
      const was = indexOfBodies(bodies);
      const named = was === index ? bodies : bodies.map((b) => Buffer.from(b.toString('latin1').replaceAll(`"_index":${JSON.stringify(was)}`, `"_index":${JSON.stringify(index)}`), 'latin1'));
      runs.bare.push(await bareRun(node.url, named, docs));
      await exactCount(node.url, docs);
      index = await freshIndex(node, conn, input.parser);
      const p = await processorRun(input, conn, index);
      await exactCount(node.url, p.indexed);
      runs.processor.push(p);
      index = await freshIndex(node, conn, input.parser);
      const g = await processorRun(input, gzipConn, index);
      await exactCount(node.url, g.indexed);
      runs.gzip.push(g);
    }
    const bare = median(runs.bare);
    const proc = median(runs.processor);
    const row = (name: string, r: Run) => `${name.padEnd(28)} ${fmt(r.docs / r.seconds, 0).padStart(10)} ${fmt(r.seconds, 2).padStart(8)} ${fmt(r.cpuSeconds, 2).padStart(12)}`;
    console.log(`${'path'.padEnd(28)} ${'docs/s'.padStart(10)} ${'s'.padStart(8)} ${'client cpu-s'.padStart(12)}   (median of ${reps})`);
    console.log(row('bare _bulk loader', bare));
    console.log(row('processor path', proc));
    console.log(row('processor path, gzip bodies', median(runs.gzip)));
    const ratio = bare.seconds / proc.seconds;
    console.log(`processor / bare loader: ${fmt(ratio, 2)} (target ≥ 0.90: ${ratio >= 0.9 ? 'MET' : 'not met'}); runs: bare ${runs.bare.map((r) => fmt(r.seconds, 2)).join(', ')} s; processor ${runs.processor.map((r) => fmt(r.seconds, 2)).join(', ')} s`);
  } finally {
    await node.dispose();
  }
}

function indexOfBodies(bodies: Buffer[]): string {
  const m = /"_index":"([^"]+)"/.exec(bodies[0].subarray(0, 200).toString('latin1'));
  if (!m) throw new Error('no _index in the first body');
  return m[1];
}
