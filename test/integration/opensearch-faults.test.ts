/**
 * Faults of the domain, on a real OpenSearch node, through the real processor handlers (S3 objects through the SQS
 * emulator, Kinesis batches from the Kinesis emulator): whole requests answered 429, 5xx, 401/403 (an HTTP proxy in
 * front of the node, harness/http-fault-proxy.ts, since the node has no security plugin and is rarely that busy),
 * 413 (a second node with a low `http.max_content_length`), a real mapping conflict, a real index write block, the
 * node stopped and started in the middle of an object. The delivery-pin requests go through the proxy too.
 *
 * Each case ends with exact counts in three places: the documents in the index (looked up by their deterministic
 * ids), the records in the backup bucket (raw text and reason), and the handler's own counters (the `object
 * processed` / `batch processed` log line: recordsIn = indexed + duplicates + filtered + backedUp + deferred). The
 * work queue is wired as WorkQueue makes it (DLQ after 3 receives, MAX_RECEIVE_COUNT 3) but with no visibility
 * timeout, so a failed message is received again at once, with its ApproximateReceiveCount raised, until its final
 * attempt; every line of every object then is indexed or backed up exactly once — but in the last case, which pins
 * a known defect of the last-delivery fallback when a pin request is refused (see there).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { parseConfig } from '../../lib/config/load';
import type { Pipeline } from '../../lib/config/schema';
import { objectIdPrefix } from '../../lambda/core/bulk/batcher';
import { compileParser } from '../../lambda/core/formats';
import { documentId, shardIdPrefix } from '../../lambda/core/kinesis';
import { s3EventMessage, stagingKey } from '../../lambda/core/s3-event';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { readStream, startKinesis, type KinesisEmulator } from '../../lib/local/kinesis';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { lambdaContext, pollOnce, queueArn, type SqsHandler } from '../../lib/local/sqs-lambda';
import { withEnvironment } from '../../lib/local/template';
import { corpusLines } from '../corpora';
import { backupRecords, bootstrapIndex, createBuckets, handlerEnv, queueDepth, tally } from './harness/agent-path';
import { isBulk, isPin, openSearchError, startHttpFaultProxy, type HttpFaultProxy } from './harness/http-fault-proxy';

jest.setTimeout(180_000);

/** The apache pipeline most cases run, through the proxy; 1000 lines in 4 bulks of 250. */
const FAULTS = 'faults';
/** A json pipeline whose lines disagree about their fields' types. */
const CONFLICT = 'conflict';
/** An apache pipeline on the node that refuses requests over 100 kB. */
const LARGE = 'large';
const APACHE = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"';
const MAX_RECEIVE_COUNT = 3;
const BULK_ATTEMPTS = 6;

const corpus = corpusLines('apache_combined_elastic_examples.log', 4000);
const UNPARSABLE = 'this line is not apache combined';
/** Line 401 of each object of the faults pipeline does not parse: the 1000 others are bulks 1–2 (lines 1–501) and 3–4. */
const objectLines = (from: number) => [...corpus.slice(from, from + 400), UNPARSABLE, ...corpus.slice(from + 400, from + 1000)];
const parseFailure = (() => {
  const r = compileParser({ type: 'apache', format: APACHE } as Pipeline['logFormat']).parse(UNPARSABLE);
  if (r.ok) throw new Error('the unparsable line parses');
  return r.reason;
})();

let node: OpenSearchNode;
let small: OpenSearchNode;
let aws: AwsEmulator;
let kin: KinesisEmulator;
let proxy: HttpFaultProxy;
/** In front of the small node, with no fault: its log shows how the requests were split. */
let smallProxy: HttpFaultProxy;
let queue = '';
let dlq = '';
let streamArn = '';
const handlers: Record<string, SqsHandler> = {};
let processBatch: (e: KinesisStreamEvent, c: Context) => Promise<KinesisStreamBatchResponse>;
const logs: Array<Record<string, any>> = [];

/**
 * Keeps the handlers' JSON log lines (Powertools) off the test output, and every one of them in `logs`: both handlers'
 * counters are read from them (captureHandlerLogs keeps one message only, and two spies on stdout would not stack).
 * Warnings and errors go to stderr, an unbalanced count among them: kept too, so that it fails the comparison.
 */
function captureHandlerLines(): () => void {
  const spies = [process.stdout, process.stderr].map((stream) => {
    const realWrite = stream.write.bind(stream);
    return jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: any[]) => {
      const text = chunk.toString();
      if (!text.startsWith('{')) return (realWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
      for (const line of text.split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      return true;
    }) as typeof stream.write);
  });
  return () => spies.forEach((s) => s.mockRestore());
}
let restoreStdout: () => void = () => undefined;

function pipeline(name: string, logFormat: Record<string, unknown>, url: string, engine: Record<string, unknown> = {}): Pipeline {
  return parseConfig({
    pipelines: [{ name, source: { type: 's3', bucketName: 'source' }, logFormat, engine: { type: 'opensearch', indexPrefix: name, domain: { type: 'self-managed', url }, index: { replicas: 0 }, ...engine } }],
  }).pipelines[0];
}

/** A handler module of its own (each reads its pipeline when loaded, as a cold start does), run in its environment. */
function load<H extends (...args: any[]) => any>(file: string, env: Record<string, string>): H {
  return withEnvironment(env, () => {
    let h: H | undefined;
    jest.isolateModules(() => {
      h = require(`../../lambda/handlers/${file}`).handler;
    });
    return h!;
  });
}

beforeAll(async () => {
  [node, small, aws, kin] = await Promise.all([startOpenSearch(), startOpenSearch({ settings: { 'http.max_content_length': '100kb' } }), startAwsEmulator(), startKinesis()]);
  [proxy, smallProxy] = await Promise.all([startHttpFaultProxy(node.url), startHttpFaultProxy(small.url)]);
  await createBuckets(aws.s3, 'staging', 'backup');
  dlq = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'process-dlq' }))).QueueUrl!;
  const redrive = JSON.stringify({ deadLetterTargetArn: await queueArn(aws.sqs, dlq), maxReceiveCount: MAX_RECEIVE_COUNT });
  queue = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'process', Attributes: { VisibilityTimeout: '0', RedrivePolicy: redrive } }))).QueueUrl!;
  streamArn = await kin.createStream('faults-logs', 1);

  const common = {
    MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
    // The handler's attempts, with short pauses: a storm spends the whole budget in well under a second.
    BULK_MAX_ATTEMPTS: String(BULK_ATTEMPTS),
    BULK_BASE_DELAY_MS: '5',
    BULK_MAX_DELAY_MS: '20',
  };
  const env = (p: Pipeline, url: string) => ({ ...handlerEnv(aws, { logLevel: 'INFO', processor: { pipeline: p, opensearchUrl: url, backupBucket: 'backup' } }), ...common });
  const faults = pipeline(FAULTS, { type: 'apache', format: APACHE }, proxy.url, { bulkMaxDocs: 250 });
  const conflict = pipeline(CONFLICT, { type: 'json' }, node.url);
  const large = pipeline(LARGE, { type: 'apache', format: APACHE }, smallProxy.url);
  // What the IndexBootstrap custom resource creates at deploy time, so that each case finds the write alias.
  await Promise.all([bootstrapIndex(node.url, faults), bootstrapIndex(node.url, conflict), bootstrapIndex(small.url, large)]);
  handlers[FAULTS] = load('process', env(faults, proxy.url));
  handlers[CONFLICT] = load('process', env(conflict, node.url));
  handlers[LARGE] = load('process', env(large, smallProxy.url));
  processBatch = load('kinesis-process', env(faults, proxy.url));
  restoreStdout = captureHandlerLines();
});

afterAll(async () => {
  restoreStdout();
  await Promise.all([proxy?.close(), smallProxy?.close()]);
  await Promise.all([node?.dispose(), small?.dispose(), aws?.stop(), kin?.stop()]);
});

afterEach(async () => {
  proxy.clear();
  expect(proxy.holdErrors).toEqual([]);
  // Each case ends with its message done: none left for a redelivery, none in the dead-letter queue.
  expect(await queueDepth(aws.sqs, queue)).toBe(0);
  expect(await queueDepth(aws.sqs, dlq)).toBe(0);
});

// ---------------------------------------------------------------------------------------------------------------------

interface Staged {
  pipeline: string;
  name: string;
  lines: string[];
  /** The object's id prefix: its documents are `<objectId>-<line>`, its backups under `<pipeline>/failed-records/<objectId>/`. */
  objectId: string;
  body: string;
}

/** A staged object and the S3 event message that names it, sent to the work queue. */
async function stage(pipelineName: string, name: string, lines: string[]): Promise<Staged> {
  const body = `${lines.join('\n')}\n`;
  const key = stagingKey(pipelineName, { bucket: 'source', key: name });
  await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: body }));
  const etag = createHash('md5').update(body).digest('hex');
  await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: s3EventMessage([{ bucket: 'staging', key, size: Buffer.byteLength(body), etag }]) }));
  return { pipeline: pipelineName, name, lines, objectId: objectIdPrefix('source', name, etag), body };
}

type Counts = { recordsIn: number; indexed: number; duplicates: number; filtered: number; backedUp: number; deferred: number; balanced: boolean; finalAttempt: boolean };

/** One receive of the work queue by the pipeline's processor: whether the message failed, and what the handler counted. */
async function deliver(pipelineName: string): Promise<{ failed: boolean; counts: Counts[] }> {
  const before = logs.length;
  const r = await pollOnce(aws.sqs, queue, handlers[pipelineName], 'process');
  expect(r.received).toBe(1);
  const counts = logs
    .slice(before)
    .filter((l) => l.message === 'object processed')
    .map(({ recordsIn, indexed, duplicates, filtered, backedUp, deferred, balanced, finalAttempt }) => ({ recordsIn, indexed, duplicates, filtered, backedUp, deferred, balanced, finalAttempt }));
  return { failed: r.failed === 1, counts };
}

/** The counters of one object of the faults pipeline (1001 lines, the unparsable one always backed up). */
const faultCounts = (c: Partial<Counts>): Counts => ({ recordsIn: 1001, indexed: 0, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0, balanced: true, finalAttempt: false, ...c });

/** Where an object's lines are: the line numbers of its documents (an `_id` found twice is there twice), its backup records. */
async function destination(s: Staged, url = node.url): Promise<{ indexed: number[]; backups: Array<{ line: number; raw: string; reason: string }> }> {
  await fetch(`${url}/${s.pipeline}/_refresh`, { method: 'POST' });
  const ids = s.lines.map((_, i) => `${s.objectId}-${i + 1}`);
  const res = await fetch(`${url}/${s.pipeline}/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { ids: { values: ids } }, size: 10_000, track_total_hits: true, _source: false }),
  });
  const { hits, total } = ((await res.json()) as { hits: { hits: Array<{ _id: string }>; total: { value: number } } }).hits;
  // every copy of every document seen, whatever index of the alias holds it
  expect(hits).toHaveLength(total.value);
  const backups = (await backupRecords(aws.s3, 'backup', `${s.pipeline}/failed-records/${s.objectId}/`)).map((b) => ({ line: b.line as number, raw: b.raw as string, reason: b.reason as string }));
  return { indexed: hits.map((h) => Number(h._id.slice(s.objectId.length + 1))).sort((a, b) => a - b), backups: backups.sort((a, b) => a.line - b.line) };
}

/**
 * Every line of the object exactly once, indexed or backed up (with its raw text); the backups' reasons tallied. The
 * returned tally is what the caller asserts.
 */
async function expectEachLineOnce(s: Staged, url = node.url): Promise<{ indexed: number; reasons: Map<string, number> }> {
  const d = await destination(s, url);
  const all = [...d.indexed, ...d.backups.map((b) => b.line)].sort((a, b) => a - b);
  expect(all).toEqual(s.lines.map((_, i) => i + 1));
  for (const b of d.backups) expect(b.raw).toBe(s.lines[b.line - 1]);
  return { indexed: d.indexed.length, reasons: tally(d.backups.map((b) => b.reason)) };
}

const bulkRequests = (from: number, through = proxy) => through.log.slice(from).filter(isBulk);

async function writeIndexOf(alias: string): Promise<string> {
  const aliases = (await (await fetch(`${node.url}/_alias/${alias}`)).json()) as Record<string, { aliases: Record<string, { is_write_index?: boolean }> }>;
  return Object.entries(aliases).find(([, v]) => v.aliases[alias].is_write_index !== false)![0];
}

/** Sets or lifts `index.blocks.write` on an index, on the node itself. */
async function blockWrites(index: string, on: boolean): Promise<void> {
  const res = await fetch(`${node.url}/${index}/_settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'index.blocks.write': on ? true : null }) });
  expect(res.status).toBe(200);
}

// ---------------------------------------------------------------------------------------------------------------------

describe('whole requests refused by a busy or failing domain (429, 5xx through the proxy)', () => {
  it('through the proxy with no fault, the object is indexed in 4 bulk requests', async () => {
    const s = await stage(FAULTS, 'baseline.log', objectLines(0));
    const at = proxy.log.length;
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ indexed: 1000 })] });
    expect(bulkRequests(at).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 1000, reasons: new Map([[parseFailure, 1]]) });
  });

  it.each([429, 500, 502, 503, 504])('a few bulk requests answered %i are retried: every line indexed in the first delivery', async (status) => {
    const s = await stage(FAULTS, `short-${status}.log`, objectLines(status));
    const fault = proxy.fault({ match: isBulk, status, times: 3 });
    const at = proxy.log.length;
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ indexed: 1000 })] });
    expect(fault.hits).toBe(3);
    expect(tally(bulkRequests(at).map((r) => r.status))).toEqual(new Map([[status, 3], [200, 4]]));
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 1000, reasons: new Map([[parseFailure, 1]]) });
  });

  it('a 429 storm longer than the retry budget: deferred on each delivery before the last, backed up with the reason on the last', async () => {
    const s = await stage(FAULTS, 'storm-429.log', objectLines(1000));
    proxy.fault({ match: isBulk, status: 429 });
    for (let attempt = 1; attempt <= MAX_RECEIVE_COUNT; attempt++) {
      const at = proxy.log.length;
      const final = attempt === MAX_RECEIVE_COUNT;
      expect(await deliver(FAULTS)).toEqual({ failed: !final, counts: [faultCounts(final ? { backedUp: 1001, finalAttempt: true } : { deferred: 1000 })] });
      // each of the 4 bulks spent its whole budget, and no more
      expect(bulkRequests(at).map((r) => r.status)).toEqual(Array(4 * BULK_ATTEMPTS).fill(429));
    }
    expect(await expectEachLineOnce(s)).toEqual({
      indexed: 0,
      reasons: new Map([
        [parseFailure, 1],
        [`indexing failed: bulk request answered HTTP 429 (gave up after ${BULK_ATTEMPTS} attempts)`, 1000],
      ]),
    });
  });

  it('a 503 storm that ends between deliveries: deferred, then indexed by the redelivery', async () => {
    const s = await stage(FAULTS, 'storm-503.log', objectLines(1500));
    proxy.fault({ match: isBulk, status: 503 });
    expect(await deliver(FAULTS)).toEqual({ failed: true, counts: [faultCounts({ deferred: 1000 })] });
    expect((await destination(s)).indexed).toEqual([]);
    proxy.clear();
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ indexed: 1000 })] });
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 1000, reasons: new Map([[parseFailure, 1]]) });
  });

  it.each([429, 503])('a delivery-pin request answered %i once is retried like a bulk: the first delivery indexes every line', async (status) => {
    const s = await stage(FAULTS, `pin-${status}.log`, objectLines(2000 + status));
    const fault = proxy.fault({ match: isPin(FAULTS), status, times: 1 });
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ indexed: 1000 })] });
    expect(fault.hits).toBe(1);
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 1000, reasons: new Map([[parseFailure, 1]]) });
  });

  it.each([
    ['refused 403 (not worth a retry)', 403, 1],
    ['answered 503 for longer than the retry budget', 503, Infinity],
  ])('a delivery-pin request %s fails the message before anything is sent; the redelivery indexes every line once', async (_what, status, times) => {
    const s = await stage(FAULTS, `pin-${status}-${times}.log`, objectLines(times === 1 ? 2000 + status : 2800));
    const fault = proxy.fault({ match: isPin(FAULTS), status, times });
    const at = proxy.log.length;
    // no counts: the object was not read past its pin
    expect(await deliver(FAULTS)).toEqual({ failed: true, counts: [] });
    expect(fault.hits).toBe(times === 1 ? 1 : BULK_ATTEMPTS);
    expect(bulkRequests(at)).toEqual([]);
    expect(await destination(s)).toEqual({ indexed: [], backups: [] });
    proxy.clear();
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ indexed: 1000 })] });
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 1000, reasons: new Map([[parseFailure, 1]]) });
  });
});

describe('authentication and authorization failures (401/403 from the proxy: the node has no security plugin)', () => {
  const forbidden = `indexing failed: bulk request refused: HTTP 403 ${openSearchError(403)}`;

  it('bulk requests refused 403: each bulk is sent once per delivery, deferred before the last delivery, backed up with the reason on it', async () => {
    const s = await stage(FAULTS, 'auth-403.log', objectLines(500));
    proxy.fault({ match: isBulk, status: 403 });
    for (let attempt = 1; attempt <= MAX_RECEIVE_COUNT; attempt++) {
      const at = proxy.log.length;
      const final = attempt === MAX_RECEIVE_COUNT;
      expect(await deliver(FAULTS)).toEqual({ failed: !final, counts: [faultCounts(final ? { backedUp: 1001, finalAttempt: true } : { deferred: 1000 })] });
      expect(bulkRequests(at).map((r) => r.status)).toEqual([403, 403, 403, 403]);
    }
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 0, reasons: new Map([[parseFailure, 1], [forbidden, 1000]]) });
  });

  it('every request refused 401, pins included: the message fails while its pin is refused; on the last delivery every line is backed up with the reason', async () => {
    const s = await stage(FAULTS, 'auth-401.log', objectLines(700));
    proxy.fault({ status: 401 });
    for (let attempt = 1; attempt < MAX_RECEIVE_COUNT; attempt++) {
      const at = proxy.log.length;
      expect(await deliver(FAULTS)).toEqual({ failed: true, counts: [] });
      expect(proxy.log.slice(at).map((r) => r.status)).toEqual([401]);
    }
    // The last delivery cannot read the pin either: nothing is sent (writing through the alias could duplicate
    // across a rollover), every line is backed up with the reason.
    const at = proxy.log.length;
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ backedUp: 1001, finalAttempt: true })] });
    expect(bulkRequests(at)).toEqual([]);
    const { indexed, reasons } = await expectEachLineOnce(s);
    expect(indexed).toBe(0);
    expect(new Map([...reasons].map(([reason, n]) => [reason.replace(/: read pin .*/s, ''), n]))).toEqual(
      new Map([
        [parseFailure, 1],
        ['indexing failed: delivery pin unavailable on the last delivery', 1000],
      ]),
    );
  });
});

describe('an index write block (index.blocks.write on the node)', () => {
  const blocked = (index: string) => `indexing failed: 403 cluster_block_exception: index [${index}] blocked by: [FORBIDDEN/8/index write (api)];`;

  it('kept through every delivery: deferred before the last, backed up with OpenSearch\'s reason on it; no retries spent on it', async () => {
    const index = await writeIndexOf(FAULTS);
    const s = await stage(FAULTS, 'blocked.log', objectLines(800));
    await blockWrites(index, true);
    try {
      for (let attempt = 1; attempt <= MAX_RECEIVE_COUNT; attempt++) {
        const at = proxy.log.length;
        const final = attempt === MAX_RECEIVE_COUNT;
        expect(await deliver(FAULTS)).toEqual({ failed: !final, counts: [faultCounts(final ? { backedUp: 1001, finalAttempt: true } : { deferred: 1000 })] });
        expect(bulkRequests(at).map((r) => r.status)).toEqual([200, 200, 200, 200]);
      }
    } finally {
      await blockWrites(index, false);
    }
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 0, reasons: new Map([[parseFailure, 1], [blocked(index), 1000]]) });
  });

  it('set in the middle of an object and lifted before its last delivery: the redelivery indexes what was deferred, nothing twice', async () => {
    const index = await writeIndexOf(FAULTS);
    const s = await stage(FAULTS, 'blocked-midway.log', objectLines(1200));
    // The block lands once bulks 1 and 2 are answered, before bulk 3 reaches the node.
    const hold = proxy.fault({ match: isBulk, skip: 2, times: 1, hold: () => blockWrites(index, true) });
    try {
      expect(await deliver(FAULTS)).toEqual({ failed: true, counts: [faultCounts({ indexed: 500, deferred: 500 })] });
      expect(hold.hits).toBe(1);
      expect((await destination(s)).indexed).toHaveLength(500);
      // still blocked: even the lines already indexed are refused by the block, before any 409
      expect(await deliver(FAULTS)).toEqual({ failed: true, counts: [faultCounts({ deferred: 1000 })] });
    } finally {
      await blockWrites(index, false);
    }
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ indexed: 500, duplicates: 500, finalAttempt: true })] });
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 1000, reasons: new Map([[parseFailure, 1]]) });
  });
});

describe('the node stopped and started in the middle of an object', () => {
  it('lines after the stop are deferred; a delivery while it is down fails at the pin; the one after the start indexes the rest once', async () => {
    const s = await stage(FAULTS, 'restart.log', objectLines(1700));
    // The node stops once bulks 1 and 2 are answered, before bulk 3 reaches it.
    proxy.fault({ match: isBulk, skip: 2, times: 1, hold: () => node.stop() });
    let stopped = true;
    try {
      const at = proxy.log.length;
      expect(await deliver(FAULTS)).toEqual({ failed: true, counts: [faultCounts({ indexed: 500, deferred: 500 })] });
      expect(node.pid).toBeUndefined();
      // bulks 3 and 4, each attempt a connection the node did not take
      expect(tally(bulkRequests(at).map((r) => r.status))).toEqual(new Map<number | string, number>([[200, 2], ['failed', 2 * BULK_ATTEMPTS]]));
      expect(await deliver(FAULTS)).toEqual({ failed: true, counts: [] });
      await node.start();
      stopped = false;
    } finally {
      if (stopped) await node.start();
    }
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ indexed: 500, duplicates: 500, finalAttempt: true })] });
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 1000, reasons: new Map([[parseFailure, 1]]) });
  });
});

describe('a real mapping conflict (json lines whose fields disagree with the mapping their first line made)', () => {
  it('the conflicting lines are backed up with OpenSearch\'s reason, the rest indexed; a redelivery changes nothing', async () => {
    // One bulk, so that line 1 makes the dynamic mapping (user: object, bytes: long) before the others reach it.
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ seq: i + 1, user: { id: i + 1, name: `user-${i % 7}` }, bytes: 100 + i, msg: 'ok' }));
    lines[49] = JSON.stringify({ seq: 50, user: 'bob', bytes: 1, msg: 'user as a string' });
    lines[119] = JSON.stringify({ seq: 120, user: { id: 120 }, bytes: 'lots', msg: 'bytes as a word' });
    lines[159] = JSON.stringify({ seq: 160, ...Object.fromEntries(Array.from({ length: 1001 }, (_, k) => [`f${k}`, k])) });
    const s = await stage(CONFLICT, 'conflict.log', lines);
    const counts = { recordsIn: 200, indexed: 197, duplicates: 0, filtered: 0, backedUp: 3, deferred: 0, balanced: true, finalAttempt: false };
    // final failures: done on the first delivery
    expect(await deliver(CONFLICT)).toEqual({ failed: false, counts: [counts] });
    const first = await destination(s);
    expect(first.backups.map((b) => [b.line, b.reason])).toEqual([
      [50, 'indexing failed: 400 mapper_parsing_exception: object mapping for [user] tried to parse field [user] as object, but found a concrete value'],
      [120, `indexing failed: 400 mapper_parsing_exception: failed to parse field [bytes] of type [long] in document with id '${s.objectId}-120'. Preview of field's value: 'lots' (For input string: "lots")`],
      [160, expect.stringMatching(/^indexing failed: 400 illegal_argument_exception: Limit of total fields \[1000\] has been exceeded/)],
    ]);
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: s3EventMessage([{ bucket: 'staging', key: stagingKey(CONFLICT, { bucket: 'source', key: 'conflict.log' }), size: Buffer.byteLength(s.body), etag: createHash('md5').update(s.body).digest('hex') }]) }));
    expect(await deliver(CONFLICT)).toEqual({ failed: false, counts: [{ ...counts, indexed: 0, duplicates: 197 }] });
    expect(await destination(s)).toEqual(first);
    expect((await expectEachLineOnce(s)).indexed).toBe(197);
  });
});

describe('413: a node whose http.max_content_length (100 kB) is below the bulk size', () => {
  it('requests are split until they fit; the one document larger than the limit alone is backed up with the reason', async () => {
    const huge = corpus[0].replace(/"GET (\S+) /, (_, uri) => `"GET ${uri}?pad=${'x'.repeat(150_000)} `);
    const lines = [...corpus.slice(0, 1500), huge, ...corpus.slice(1500, 3000)];
    const s = await stage(LARGE, 'large.log', lines);
    const counts = { recordsIn: 3001, indexed: 3000, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0, balanced: true, finalAttempt: false };
    const at = smallProxy.log.length;
    expect(await deliver(LARGE)).toEqual({ failed: false, counts: [counts] });
    // All 3001 documents fit one 5 MiB bulk, which the node refused whole. Each 413 of several documents was split
    // in two halves and both were sent; the lone huge document's 413 ended its branch. So the 413s are one more
    // than the accepted requests: with k accepted, k - 1 splits plus the one refused alone.
    const sent = bulkRequests(at, smallProxy);
    expect(sent[0]).toMatchObject({ status: 413 });
    const k = sent.filter((r) => r.status === 200).length;
    expect(k).toBeGreaterThan(2);
    expect(tally(sent.map((r) => r.status))).toEqual(new Map([[413, k + 1], [200, k]]));
    expect(await expectEachLineOnce(s, small.url)).toEqual({ indexed: 3000, reasons: new Map([['indexing failed: 413 request entity too large: the document alone exceeds the domain limit', 1]]) });
    // the same object again: no document twice, the same one backup record
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: s3EventMessage([{ bucket: 'staging', key: stagingKey(LARGE, { bucket: 'source', key: 'large.log' }), size: Buffer.byteLength(s.body), etag: createHash('md5').update(s.body).digest('hex') }]) }));
    expect(await deliver(LARGE)).toEqual({ failed: false, counts: [{ ...counts, indexed: 0, duplicates: 3000 }] });
    expect((await expectEachLineOnce(s, small.url)).indexed).toBe(3000);
  });
});

describe('Kinesis: faults in the middle of a batch', () => {
  const invoke = (records: KinesisStreamRecord[]) => processBatch({ Records: records }, lambdaContext('kinesis-process'));
  let tip: Map<string, string> | undefined;

  /** n records of one line each (as Fluent Bit puts them with log_key), read back as the mapping hands them over. */
  async function put(from: number, n: number): Promise<KinesisStreamRecord[]> {
    const data = corpus.slice(from, from + n).map((l) => ({ PartitionKey: 'pk', Data: Buffer.from(`${JSON.stringify(l).slice(1, -1)}\n`) }));
    for (let i = 0; i < data.length; i += 500) await kin.client.send(new PutRecordsCommand({ StreamARN: streamArn, Records: data.slice(i, i + 500) }));
    const recs = [...(await readStream(kin.client, streamArn, tip)).values()].flat();
    expect(recs).toHaveLength(n);
    tip = new Map([[recs[0].eventID.split(':')[0], recs[recs.length - 1].kinesis.sequenceNumber]]);
    return recs;
  }
  async function batchCounts(records: KinesisStreamRecord[]) {
    const before = logs.length;
    const response = await invoke(records);
    const counts = logs
      .slice(before)
      .filter((l) => l.message === 'batch processed')
      .map(({ recordsIn, indexed, duplicates, filtered, backedUp, deferred, balanced }) => ({ recordsIn, indexed, duplicates, filtered, backedUp, deferred, balanced }));
    return { response, counts };
  }
  /** How many times each record's document is in the index (by its deterministic id). */
  async function found(records: KinesisStreamRecord[]): Promise<number[]> {
    await fetch(`${node.url}/${FAULTS}/_refresh`, { method: 'POST' });
    const prefix = shardIdPrefix(streamArn, records[0].eventID.split(':')[0]);
    const ids = records.map((r) => documentId(prefix, r.kinesis.sequenceNumber, 0, 1));
    const res = await fetch(`${node.url}/${FAULTS}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { ids: { values: ids } }, size: 10_000, track_total_hits: true, _source: false }) });
    const { hits, total } = ((await res.json()) as { hits: { hits: Array<{ _id: string }>; total: { value: number } } }).hits;
    expect(hits).toHaveLength(total.value);
    const got = tally(hits.map((h) => h._id));
    return ids.map((id) => got.get(id) ?? 0);
  }
  const batch = (c: object) => ({ recordsIn: 1000, indexed: 0, duplicates: 0, filtered: 0, backedUp: 0, deferred: 0, balanced: true, ...c });
  const kinesisBackups = () => backupRecords(aws.s3, 'backup', `${FAULTS}/failed-records/kinesis/`);

  it('a write block set after bulk 2: the checkpoint is the first record of bulk 3; the retry from there after the block is lifted indexes the rest once', async () => {
    const recs = await put(0, 1000);
    const index = await writeIndexOf(FAULTS);
    proxy.fault({ match: isBulk, skip: 2, times: 1, hold: () => blockWrites(index, true) });
    try {
      expect(await batchCounts(recs)).toEqual({ response: { batchItemFailures: [{ itemIdentifier: recs[500].kinesis.sequenceNumber }] }, counts: [batch({ indexed: 500, deferred: 500 })] });
    } finally {
      await blockWrites(index, false);
    }
    expect(await found(recs)).toEqual([...Array(500).fill(1), ...Array(500).fill(0)]);
    expect(await batchCounts(recs.slice(500))).toEqual({ response: { batchItemFailures: [] }, counts: [batch({ recordsIn: 500, indexed: 500 })] });
    expect(await found(recs)).toEqual(Array(1000).fill(1));
    expect(await kinesisBackups()).toEqual([]);
  });

  it('bulk requests refused 403: handed back to the mapping from the first record, nothing backed up; indexed once the refusal ends', async () => {
    const recs = await put(1000, 1000);
    proxy.fault({ match: isBulk, status: 403 });
    const at = proxy.log.length;
    expect(await batchCounts(recs)).toEqual({ response: { batchItemFailures: [{ itemIdentifier: recs[0].kinesis.sequenceNumber }] }, counts: [batch({ deferred: 1000 })] });
    // no bulk retried: the lines after the first refusal are not even sent
    const refused = bulkRequests(at);
    expect(refused.length).toBeLessThanOrEqual(4);
    expect(refused.every((r) => r.status === 403)).toBe(true);
    expect(await found(recs)).toEqual(Array(1000).fill(0));
    proxy.clear();
    expect(await batchCounts(recs)).toEqual({ response: { batchItemFailures: [] }, counts: [batch({ indexed: 1000 })] });
    expect(await found(recs)).toEqual(Array(1000).fill(1));
    expect(await kinesisBackups()).toEqual([]);
  });

  it('the shard\'s pin request answered 503 past the retry budget: the invocation fails before anything is sent (the mapping retries the batch); the retry indexes every record once', async () => {
    const recs = await put(2000, 1000);
    const fault = proxy.fault({ match: isPin(FAULTS), status: 503, times: BULK_ATTEMPTS });
    const at = proxy.log.length;
    const before = logs.length;
    await expect(invoke(recs)).rejects.toThrow(/HTTP 503/);
    expect(fault.hits).toBe(BULK_ATTEMPTS);
    expect(bulkRequests(at)).toEqual([]);
    expect(logs.slice(before).filter((l) => l.message === 'batch processed')).toEqual([]);
    expect(await found(recs)).toEqual(Array(1000).fill(0));
    expect(await batchCounts(recs)).toEqual({ response: { batchItemFailures: [] }, counts: [batch({ indexed: 1000 })] });
    expect(await found(recs)).toEqual(Array(1000).fill(1));
    expect(await kinesisBackups()).toEqual([]);
  });
});

describe('a pin request refused after the alias rolled over (last: it rolls the alias over)', () => {
  // The redelivery must find the index of the first delivery, not the new write index: a refused pin request is
  // retried (never replaced by the alias), so the lines the first delivery indexed answer 409 where they are.
  it('is retried: the redelivery writes to the pinned index, every line once', async () => {
    const first = await writeIndexOf(FAULTS);
    const s = await stage(FAULTS, 'pin-lost.log', objectLines(2600));
    proxy.fault({ match: isBulk, skip: 2, times: 1, hold: () => blockWrites(first, true) });
    try {
      expect(await deliver(FAULTS)).toEqual({ failed: true, counts: [faultCounts({ indexed: 500, deferred: 500 })] });
    } finally {
      await blockWrites(first, false);
    }
    const rolled = (await (await fetch(`${node.url}/${FAULTS}/_rollover`, { method: 'POST' })).json()) as { rolled_over: boolean; new_index: string };
    expect(rolled.rolled_over).toBe(true);
    proxy.clear();
    proxy.fault({ match: isPin(FAULTS), status: 429, times: 1 });
    expect(await deliver(FAULTS)).toEqual({ failed: false, counts: [faultCounts({ indexed: 500, duplicates: 500 })] });
    expect(await expectEachLineOnce(s)).toEqual({ indexed: 1000, reasons: new Map([[parseFailure, 1]]) });
    const inNew = (await (await fetch(`${node.url}/${rolled.new_index}/_count`)).json()) as { count: number };
    expect(inNew.count).toBe(0);
  });
});
