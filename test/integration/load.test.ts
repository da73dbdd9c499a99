/**
 * Load under faults, on real components (issue 13): LOGTONG_LOAD_LINES (default 5,000,000) lines staged as gzipped
 * objects go through 4 concurrent processor invocations polling the SQS emulator, and a share of them through a
 * 4-shard Kinesis stream with one batch in flight per shard, into a real OpenSearch node behind a fault proxy. Mid-run
 * a 429 storm answers a run of bulk requests whole, and the node is stopped and started again. At the end every line
 * is indexed or backed up exactly once: the index holds one document per indexed line (count, and the exact sum and
 * bounds of the line numbers each line carries in `%b`), the backup bucket holds exactly the unparsable lines, and
 * the handlers' own counters agree with both.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { s3EventMessage, stagingKey } from '../../lambda/core/s3-event';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { readStream, startKinesis, type KinesisEmulator } from '../../lib/local/kinesis';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { lambdaContext, pollOnce, type SqsHandler } from '../../lib/local/sqs-lambda';
import { apacheProcessorPipeline, backupRecords, captureHandlerLogs, createBuckets, handlerEnv, queueDepth } from './harness/agent-path';
import { isBulk, startHttpFaultProxy, type HttpFaultProxy } from './harness/http-fault-proxy';

jest.setTimeout(3_600_000);

const LINES = Number(process.env.LOGTONG_LOAD_LINES ?? 5_000_000);
/** Lines through Kinesis; the rest through S3. */
const KINESIS_LINES = Math.floor(LINES / 10);
const S3_LINES = LINES - KINESIS_LINES;
const LINES_PER_OBJECT = 100_000;
const LINES_PER_RECORD = 50;
const SHARDS = 4;
const INVOCATIONS = 4;
/** Every this-many-th line does not parse, and must end in the backup bucket. */
const BAD_EVERY = 250_000;
const PIPELINE = 'load';
const MAX_RECEIVE = 20;

let os: OpenSearchNode;
let aws: AwsEmulator;
let kin: KinesisEmulator;
let proxy: HttpFaultProxy;
let queue = '';
let streamArn = '';
let processObjects: SqsHandler;
let processBatch: (e: KinesisStreamEvent, c: Context) => Promise<KinesisStreamBatchResponse>;
let logs: ReturnType<typeof captureHandlerLogs>;

/** Line n (1-based): an Apache combined line whose `%b` is n, or a line that does not parse. */
function line(n: number): string {
  if (n % BAD_EVERY === 0) return `not an access log line ${n}`;
  const s = 1 + (n % 86_399);
  const t = `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255} - - [17/May/2015:${t} +0000] "GET /load/${n} HTTP/1.1" ${n % 7 === 0 ? 404 : 200} ${n} "-" "logtong-load"`;
}
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i));

async function json(path: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await fetch(`${os.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
}
async function docCount(): Promise<number> {
  return (await json(`/${PIPELINE}/_count`).catch(() => ({ count: 0 }))).count ?? 0;
}

beforeAll(async () => {
  [os, aws, kin] = await Promise.all([startOpenSearch({ heapMb: 1024 }), startAwsEmulator(), startKinesis()]);
  proxy = await startHttpFaultProxy(os.url);
  await createBuckets(aws.s3, 'staging', 'backup');
  queue = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'load-process', Attributes: { VisibilityTimeout: '30' } }))).QueueUrl!;
  streamArn = await kin.createStream('load-logs', SHARDS);
  const pipeline = apacheProcessorPipeline(PIPELINE, proxy.url);
  Object.assign(process.env, handlerEnv(aws, { logLevel: 'INFO', processor: { pipeline, opensearchUrl: proxy.url, backupBucket: 'backup' } }), {
    AWS_ENDPOINT_URL_KINESIS: kin.endpoint,
    MAX_RECEIVE_COUNT: String(MAX_RECEIVE),
    // Short retries, so that a storm or an outage ends in deferred lines and redeliveries, not only in patience.
    BULK_MAX_ATTEMPTS: '3',
    BULK_BASE_DELAY_MS: '100',
    BULK_MAX_DELAY_MS: '1000',
  });
  logs = captureHandlerLogs(['object processed', 'batch processed']);
  processObjects = require('../../lambda/handlers/process').handler;
  processBatch = require('../../lambda/handlers/kinesis-process').handler;
});

afterAll(async () => {
  logs?.restore();
  await proxy?.close();
  await os?.dispose();
  await aws?.stop();
  await kin?.stop();
});

/** Stage the S3 share as gzipped objects and send one event per object. */
async function stageObjects(): Promise<number> {
  let objects = 0;
  for (let from = 1; from <= S3_LINES; from += LINES_PER_OBJECT) {
    const body = gzipSync(`${lines(from, Math.min(from + LINES_PER_OBJECT, S3_LINES + 1)).join('\n')}\n`, { level: 1 });
    const key = stagingKey(PIPELINE, { bucket: 'source', key: `load/${String(from).padStart(8, '0')}.log.gz` });
    await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: body }));
    const etag = createHash('md5').update(body).digest('hex');
    await aws.sqs.send(new SendMessageBatchCommand({ QueueUrl: queue, Entries: [{ Id: '1', MessageBody: s3EventMessage([{ bucket: 'staging', key, size: body.length, etag }]) }] }));
    objects++;
  }
  return objects;
}

/** Put the Kinesis share, LINES_PER_RECORD lines per record, spread over the shards by partition key. */
async function putRecords(): Promise<void> {
  const first = S3_LINES + 1;
  const records: Array<{ PartitionKey: string; Data: Buffer }> = [];
  for (let from = first; from <= LINES; from += LINES_PER_RECORD) {
    records.push({ PartitionKey: `pk-${from}`, Data: Buffer.from(`${lines(from, Math.min(from + LINES_PER_RECORD, LINES + 1)).join('\n')}\n`) });
  }
  for (let i = 0; i < records.length; i += 500) {
    let pending = records.slice(i, i + 500);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 50) throw new Error('PutRecords keeps failing');
      const res = await kin.client.send(new PutRecordsCommand({ StreamARN: streamArn, Records: pending }));
      pending = pending.filter((_, k) => res.Records![k].ErrorCode);
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** 4 invocations at once, each polling one message at a time, until the queue is empty and every invocation idle. */
async function drainObjects(done: () => boolean): Promise<void> {
  const worker = async (n: number) => {
    // Until no message is left, visible or in flight (a deferred one comes back after its visibility timeout).
    for (;;) {
      const r = await pollOnce(aws.sqs, queue, processObjects, `process-${n}`, 1);
      if (r.received > 0) continue;
      if (done() && (await queueDepth(aws.sqs, queue)) === 0) return;
      await new Promise((res) => setTimeout(res, 1000));
    }
  };
  await Promise.all(Array.from({ length: INVOCATIONS }, (_, n) => worker(n)));
}

/** What the event source mapping does per shard: batches in order, retried from batchItemFailures or whole after a throw. */
async function drainShards(): Promise<void> {
  const byShard = await readStream(kin.client, streamArn);
  await Promise.all(
    [...byShard.values()].map(async (recs: KinesisStreamRecord[]) => {
      let at = 0;
      let attempts = 0;
      while (at < recs.length) {
        const batch = recs.slice(at, at + 100);
        const res = await processBatch({ Records: batch }, lambdaContext('kinesis-process')).catch(() => undefined);
        if (res && res.batchItemFailures.length === 0) {
          at += batch.length;
          attempts = 0;
          continue;
        }
        if (++attempts > 200) throw new Error('a Kinesis batch keeps failing');
        if (res) {
          at = recs.findIndex((r) => r.kinesis.sequenceNumber === res.batchItemFailures[0].itemIdentifier);
          if (at < 0) throw new Error(`batchItemFailures names a record not in the batch: ${res.batchItemFailures[0].itemIdentifier}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }),
  );
}

it(`${LINES.toLocaleString('en')} lines, 4 concurrent invocations and 4 shards, a 429 storm and a node restart: every line indexed or backed up exactly once`, async () => {
  const objects = await stageObjects();
  await putRecords();

  // Faults, driven by progress: a storm of whole-request 429s at a fifth of the lines, a restart at half.
  let finished = false;
  const faults = (async () => {
    let storm = false;
    while (!finished) {
      const c = await docCount();
      if (!storm && c >= LINES / 5) {
        proxy.fault({ match: isBulk, times: 40, status: 429 });
        storm = true;
      }
      process.stderr.write(`load: ${c} documents, ${await queueDepth(aws.sqs, queue)} messages queued\n`);
      if (storm && c >= LINES / 2) {
        await os.stop();
        await new Promise((r) => setTimeout(r, 5_000));
        await os.start();
        return true;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    return storm;
  })();
  let shardsDone = false;
  await Promise.all([drainShards().then(() => (shardsDone = true)), drainObjects(() => shardsDone)]);
  finished = true;
  expect(await faults).toBe(true);
  expect(proxy.log.filter((r) => r.injected && r.status === 429)).toHaveLength(40);

  const bad = Array.from({ length: Math.floor(LINES / BAD_EVERY) }, (_, i) => (i + 1) * BAD_EVERY);
  const good = LINES - bad.length;
  await json(`/${PIPELINE}/_refresh`, 'POST');
  expect(await docCount()).toBe(good);
  const stats = await json(`/${PIPELINE}/_search`, 'POST', { size: 0, aggs: { n: { stats: { field: 'response_size_bytes' } } } });
  const sumAll = (LINES * (LINES + 1)) / 2;
  expect(stats.aggregations.n).toEqual(expect.objectContaining({ count: good, min: 1, max: LINES % BAD_EVERY === 0 ? LINES - 1 : LINES, sum: sumAll - bad.reduce((a, b) => a + b, 0) }));

  // The backup bucket: exactly the unparsable lines, each once.
  const backedUp = [...(await backupRecords(aws.s3, 'backup', `${PIPELINE}/failed-records/`))].map((r) => r.raw).sort();
  expect(backedUp).toEqual(bad.map((n) => line(n)).sort());

  // The handlers' own counters: every delivery balanced, and the first-time outcomes add up to the lines.
  const units = logs.records;
  expect(units.every((u) => u.balanced === true)).toBe(true);
  const sum = (k: string) => units.reduce((a, u) => a + (u[k] ?? 0), 0);
  // A bulk the node applied but never answered (the restart) is retried and then answers 409: such lines count as
  // duplicates, so `indexed` may fall short of the documents, never exceed them; each good line was answered once at least.
  expect(sum('indexed')).toBeLessThanOrEqual(good);
  expect(sum('indexed') + sum('duplicates')).toBeGreaterThanOrEqual(good);
  expect(units.filter((r) => r.message === 'object processed' && r.deferred === 0).length).toBeGreaterThanOrEqual(objects);
  // Lines seen more than once (redeliveries after the faults) were duplicates or deferred, never a second document.
  expect(sum('recordsIn')).toBe(sum('indexed') + sum('duplicates') + sum('filtered') + sum('backedUp') + sum('deferred'));
});
