/**
 * Redelivery never duplicates, across a rollover too: on a real OpenSearch node, the same staged object (through the
 * SQS emulator) and the same Kinesis batch (from the Kinesis emulator) are delivered, the write alias is rolled over
 * with the `_rollover` API, and they are delivered again. Delivery pins (lambda/core/opensearch/pins.ts) send the
 * redelivery to the index of the first delivery; these tests count documents per index and read the handlers' own
 * counters.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { s3EventMessage, stagingKey } from '../../lambda/core/s3-event';
import { OBJECT_PIN_DAYS, expireObjectPins, ledgerIndex, pinObject } from '../../lambda/core/opensearch/pins';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { readStream, startKinesis, type KinesisEmulator } from '../../lib/local/kinesis';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { lambdaContext, pollOnce, type SqsHandler } from '../../lib/local/sqs-lambda';
import { corpusLines as readCorpus } from '../corpora';
import { apacheProcessorPipeline, captureHandlerLogs, createBuckets, handlerEnv, nodeBulk, nodeHttp } from './harness/agent-path';

jest.setTimeout(300_000);

const PIPELINE = 'redeliver';
const ALIAS = 'redeliver';
const lines = readCorpus('apache_combined_elastic_examples.log').slice(0, 3000);
const UNPARSABLE = 'this line is not apache combined';

let os: OpenSearchNode;
let aws: AwsEmulator;
let kin: KinesisEmulator;
let queue = '';
let streamArn = '';
let processObjects: SqsHandler;
let processBatch: (e: KinesisStreamEvent, c: Context) => Promise<KinesisStreamBatchResponse>;
let objectLogs: ReturnType<typeof captureHandlerLogs>;

async function json(path: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await fetch(`${os.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
}

/** Documents per concrete index behind the alias. */
async function perIndex(): Promise<Record<string, number>> {
  await json(`/${ALIAS}/_refresh`, 'POST');
  const rows = (await json(`/_cat/indices/${ALIAS}-*?format=json&h=index,docs.count`)) as Array<{ index: string; 'docs.count': string }>;
  return Object.fromEntries(rows.map((r) => [r.index, Number(r['docs.count'])]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}
const total = async () => Object.values(await perIndex()).reduce((a, b) => a + b, 0);

async function rollover(): Promise<string> {
  const r = await json(`/${ALIAS}/_rollover`, 'POST');
  expect(r.rolled_over).toBe(true);
  return r.new_index;
}

/** What an S3 event notification does: one ObjectCreated message for the staged object. */
async function stage(name: string, body: string): Promise<string> {
  const key = stagingKey(PIPELINE, { bucket: 'source', key: name });
  await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: body }));
  const etag = createHash('md5').update(body).digest('hex');
  return s3EventMessage([{ bucket: 'staging', key, size: Buffer.byteLength(body), etag }]);
}
async function deliver(message: string) {
  await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: message }));
  const before = objectLogs.records.length;
  expect(await pollOnce(aws.sqs, queue, processObjects, 'process')).toEqual({ received: 1, failed: 0 });
  return objectLogs.records.slice(before).map(({ recordsIn, indexed, duplicates, filtered, backedUp, deferred, balanced }) => ({ recordsIn, indexed, duplicates, filtered, backedUp, deferred, balanced }));
}

beforeAll(async () => {
  [os, aws, kin] = await Promise.all([startOpenSearch(), startAwsEmulator(), startKinesis()]);
  await createBuckets(aws.s3, 'staging', 'backup');
  queue = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'process', Attributes: { VisibilityTimeout: '30' } }))).QueueUrl!;
  streamArn = await kin.createStream('redeliver-logs', 1);
  const pipeline = apacheProcessorPipeline(PIPELINE, os.url, { bulkMaxDocs: 400 });
  Object.assign(process.env, handlerEnv(aws, { logLevel: 'INFO', processor: { pipeline, opensearchUrl: os.url, backupBucket: 'backup' } }), {
    AWS_ENDPOINT_URL_KINESIS: kin.endpoint,
  });
  objectLogs = captureHandlerLogs('object processed');
  processObjects = require('../../lambda/handlers/process').handler;
  processBatch = require('../../lambda/handlers/kinesis-process').handler;
});

afterAll(async () => {
  objectLogs?.restore();
  await os?.dispose();
  await aws?.stop();
  await kin?.stop();
});

describe('a staged object delivered again after a rollover', () => {
  const body = [...lines.slice(0, 1500), UNPARSABLE, ...lines.slice(1500)].join('\n') + '\n';
  let message = '';
  let first = '';

  it('is written once, to the index of its first delivery; the handler counts the second delivery as duplicates', async () => {
    message = await stage('app/one.log', body);
    expect(await deliver(message)).toEqual([{ recordsIn: 3001, indexed: 3000, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0, balanced: true }]);
    const before = await perIndex();
    expect(Object.values(before)).toEqual([3000]);
    first = Object.keys(before)[0];

    const second = await rollover();
    expect(await deliver(message)).toEqual([{ recordsIn: 3001, indexed: 0, duplicates: 3000, filtered: 0, backedUp: 1, deferred: 0, balanced: true }]);
    expect(await perIndex()).toEqual({ [first]: 3000, [second]: 0 });
  });

  it('a new object after the rollover goes to the new write index', async () => {
    const counts = await deliver(await stage('app/two.log', lines.slice(0, 100).join('\n')));
    expect(counts).toEqual([{ recordsIn: 100, indexed: 100, duplicates: 0, filtered: 0, backedUp: 0, deferred: 0, balanced: true }]);
    const now = await perIndex();
    expect(now[first]).toBe(3000);
    expect(Object.values(now).reduce((a, b) => a + b, 0)).toBe(3100);
  });

  it('concurrent deliveries of one object agree on one index', async () => {
    const c = { http: nodeHttp(os.url), prefix: ALIAS };
    const got = await Promise.all(Array.from({ length: 8 }, () => pinObject(c, 'concurrent-unit')));
    expect(new Set(got).size).toBe(1);
  });

  it('pins not written for 30 days are deleted; recent ones stay', async () => {
    const http = nodeHttp(os.url);
    const ledger = ledgerIndex(ALIAS);
    const old = new Date(Date.now() - (OBJECT_PIN_DAYS + 1) * 86_400_000).toISOString();
    for (const id of ['old-1', 'old-2']) expect((await http('PUT', `/${ledger}/_doc/${id}?refresh=true`, { index: first, at: old })).status).toBe(201);
    const before = (await json(`/${ledger}/_count`)).count;
    expect(await expireObjectPins(http, nodeBulk(os.url), ALIAS)).toBe(2);
    await json(`/${ledger}/_refresh`, 'POST');
    expect((await json(`/${ledger}/_count`)).count).toBe(before - 2);
    expect(await expireObjectPins(http, nodeBulk(os.url), ALIAS)).toBe(0);
  });

  it('a pin whose index the lifecycle deleted moves to the write index: the documents come back once, and a third delivery duplicates nothing', async () => {
    await json(`/${first}`, 'DELETE');
    const write = Object.keys(await perIndex()).pop()!;
    expect(await deliver(message)).toEqual([{ recordsIn: 3001, indexed: 3000, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0, balanced: true }]);
    await rollover();
    expect(await deliver(message)).toEqual([{ recordsIn: 3001, indexed: 0, duplicates: 3000, filtered: 0, backedUp: 1, deferred: 0, balanced: true }]);
    expect((await perIndex())[write]).toBe(3100);
    const ledger = await json(`/${ledgerIndex(ALIAS)}/_search`, 'POST', { query: { term: { index: write } }, size: 10 });
    expect(ledger.hits.total.value).toBeGreaterThanOrEqual(1);
  });
});

describe('a Kinesis batch delivered again after a rollover', () => {
  const invoke = (records: KinesisStreamRecord[]) => processBatch({ Records: records }, lambdaContext('kinesis-process'));
  let recs: KinesisStreamRecord[] = [];

  async function put(from: number, n: number): Promise<KinesisStreamRecord[]> {
    const tip = recs.length ? new Map([[recs[0].eventID.split(':')[0], recs[recs.length - 1].kinesis.sequenceNumber]]) : undefined;
    const data = lines.slice(from, from + n).map((l) => ({ PartitionKey: 'pk', Data: Buffer.from(`${JSON.stringify(l).slice(1, -1)}\n`) }));
    for (let i = 0; i < data.length; i += 500) await kin.client.send(new PutRecordsCommand({ StreamARN: streamArn, Records: data.slice(i, i + 500) }));
    const read = [...(await readStream(kin.client, streamArn, tip)).values()].flat();
    expect(read).toHaveLength(n);
    return read;
  }

  it('whole and bisected redeliveries after a rollover create nothing new', async () => {
    const start = await total();
    recs = await put(0, 1000);
    expect(await invoke(recs)).toEqual({ batchItemFailures: [] });
    expect(await total()).toBe(start + 1000);
    const before = await perIndex();
    const next = await rollover();
    expect(await invoke(recs)).toEqual({ batchItemFailures: [] });
    expect(await invoke(recs.slice(0, 500))).toEqual({ batchItemFailures: [] });
    expect(await invoke(recs.slice(500))).toEqual({ batchItemFailures: [] });
    expect(await perIndex()).toEqual({ ...before, [next]: 0 });
  });

  it('a redelivered batch that reaches records pinned to the next index stops there and hands the rest to the retry', async () => {
    const start = await total();
    const later = await put(1000, 500);
    expect(await invoke(later)).toEqual({ batchItemFailures: [] });
    const afterNew = await perIndex();
    const write = Object.keys(afterNew).pop()!;
    expect(afterNew[write]).toBe(500);
    expect(await total()).toBe(start + 500);

    // A batch from the old segment into the new one (as a retry with other boundaries could bring).
    const span = [...recs.slice(800), ...later.slice(0, 200)];
    expect(await invoke(span)).toEqual({ batchItemFailures: [{ itemIdentifier: later[0].kinesis.sequenceNumber }] });
    expect(await invoke(span.slice(200))).toEqual({ batchItemFailures: [] });
    expect(await perIndex()).toEqual(afterNew);
  });
});
