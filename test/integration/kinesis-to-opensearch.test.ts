/**
 * Kinesis buffer end to end on real components: a Kinesis emulator (kinesis-local, the Node build of kinesis-mock)
 * holds the stream, the S3 emulator the backup bucket, an OpenSearch 2.19 node the index. Records are put the way
 * Fluent Bit (log_key: JSON-escaped + "\n"; no log_key: {"log": …}) and the KPL (aggregated) put them, read back
 * with GetRecords, and handed to the processor as the KinesisStreamEvents the event source mapping would build.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseConfig } from '../../lib/config/load';
import { aggregateRecords, documentId, shardIdPrefix } from '../../lambda/core/kinesis';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { readStream as readKinesis, startKinesis, type KinesisEmulator } from '../../lib/local/kinesis';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { lambdaContext } from '../../lib/local/sqs-lambda';
import { corpusLines as readCorpus } from '../corpora';
import { backupRecords, createBuckets, handlerEnv } from './harness/agent-path';

jest.setTimeout(600_000);

const PIPELINE = 'fluent-web';
const ALIAS = 'fluent-web';
const STREAM = 'fluent-web-logs';
const corpusLines = readCorpus('apache_combined_elastic_examples.log');
const UNPARSABLE = 8899; // 1-based line of the corpus that is not Apache combined

let os: OpenSearchNode;
let aws: AwsEmulator;
let kin: KinesisEmulator;
let kinesis: KinesisClient;
let streamArn = '';
let processHandler: (e: KinesisStreamEvent, c: Context) => Promise<KinesisStreamBatchResponse>;
let failureHandler: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;

interface Put {
  partitionKey: string;
  data: Buffer;
}

/** PutRecords in calls of 500, retrying what the emulator throttles. */
async function putAll(records: Put[]): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    let pending = records.slice(i, i + 500);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 20) throw new Error('PutRecords keeps failing');
      const res = await kinesis.send(new PutRecordsCommand({ StreamARN: streamArn, Records: pending.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })) }));
      pending = pending.filter((_, k) => res.Records![k].ErrorCode);
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const readStream = (after?: Map<string, string>) => readKinesis(kinesis, streamArn, after);

/** The mapping's batches: per shard, in order, at most `size` records. */
function batches(byShard: Map<string, KinesisStreamRecord[]>, size: number): KinesisStreamEvent[] {
  const out: KinesisStreamEvent[] = [];
  for (const recs of byShard.values()) for (let i = 0; i < recs.length; i += size) out.push({ Records: recs.slice(i, i + size) });
  return out;
}

async function search(p: string, body?: unknown): Promise<any> {
  const res = await fetch(`${os.url}${p}`, { method: body ? 'POST' : 'GET', headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return res.json();
}

async function count(): Promise<number> {
  await fetch(`${os.url}/${ALIAS}/_refresh`, { method: 'POST' });
  return (await search(`/${ALIAS}/_count`)).count;
}

const backupObjects = (prefix: string) => backupRecords(aws.s3, 'backup', prefix);

const invoke = (e: KinesisStreamEvent) => processHandler(e, lambdaContext('kinesis-process'));
const escaped = (line: string) => Buffer.from(`${JSON.stringify(line).slice(1, -1)}\n`);

beforeAll(async () => {
  [os, aws, kin] = await Promise.all([startOpenSearch(), startAwsEmulator(), startKinesis()]);
  await createBuckets(aws.s3, 'backup');
  kinesis = kin.client;
  streamArn = await kin.createStream(STREAM, 2);

  const config = parseConfig({
    pipelines: [
      {
        name: PIPELINE,
        source: { type: 's3', bucketName: 'unused-source' },
        logFormat: { type: 'apache', format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"' },
        // Small bulks so that an outage lands in the middle of a batch.
        engine: { type: 'opensearch', indexPrefix: ALIAS, domain: { type: 'self-managed', url: os.url }, bulkMaxDocs: 250, index: { replicas: 0 } },
      },
    ],
  });
  Object.assign(process.env, handlerEnv(aws, { logLevel: 'WARN', processor: { pipeline: config.pipelines[0], opensearchUrl: os.url, backupBucket: 'backup' } }), {
    AWS_ENDPOINT_URL_KINESIS: kin.endpoint,
    BULK_MAX_ATTEMPTS: '3',
    BULK_BASE_DELAY_MS: '50',
    BULK_MAX_DELAY_MS: '200',
  });
  processHandler = require('../../lambda/handlers/kinesis-process').handler;
  failureHandler = require('../../lambda/handlers/kinesis-failure').handler;
});

afterAll(async () => {
  await os?.dispose();
  await aws?.stop();
  await kin?.stop();
});

describe('Fluent Bit → Kinesis → processor → OpenSearch', () => {
  let firstRead: Map<string, KinesisStreamRecord[]>;
  let poisonSeq = '';
  let indexed = 0;

  it('indexes every line of log_key, JSON-wrapped and KPL-aggregated records; the unparsable line and a poison record are backed up; counts balance', async () => {
    const puts: Put[] = [];
    corpusLines.forEach((line, i) => {
      if (i < 4000) puts.push({ partitionKey: `pk-${i % 16}`, data: escaped(line) });
      else if (i < 7000) puts.push({ partitionKey: `pk-${i % 16}`, data: Buffer.from(`${JSON.stringify({ log: line, stream: 'stdout', time: '2026-12-02T00:00:00Z' })}\n`) });
    });
    for (let i = 7000; i < corpusLines.length; i += 100) {
      const group = corpusLines.slice(i, i + 100).map((line, k) => ({ partitionKey: `pk-${k % 4}`, data: Buffer.from(k % 2 ? line : `${line}\n`) }));
      puts.push({ partitionKey: `agg-${i}`, data: aggregateRecords(group) });
    }
    const poison = aggregateRecords([{ partitionKey: 'p', data: Buffer.from('never indexed') }]);
    poison[poison.length - 1] ^= 0xff;
    puts.push({ partitionKey: 'poison', data: poison });
    await putAll(puts);

    firstRead = await readStream();
    const all = [...firstRead.values()].flat();
    expect(all).toHaveLength(puts.length);
    expect(firstRead.size).toBe(2);
    poisonSeq = all.find((r) => r.kinesis.partitionKey === 'poison')!.kinesis.sequenceNumber;

    const events = batches(firstRead, 1000);
    const t0 = Date.now();
    for (const e of events) expect(await invoke(e)).toEqual({ batchItemFailures: [] });
    const seconds = (Date.now() - t0) / 1000;
    // eslint-disable-next-line no-console
    console.log(`kinesis processor: ${all.length} records, ${corpusLines.length} lines, ${events.length} batches in ${seconds.toFixed(2)} s = ${Math.round(all.length / seconds)} records/s, ${Math.round(corpusLines.length / seconds)} lines/s`);

    indexed = await count();
    const failed = await backupObjects(`${PIPELINE}/failed-records/kinesis/`);
    const lineFailures = failed.filter((f) => f.line > 0);
    expect(lineFailures).toHaveLength(1);
    expect(lineFailures[0].raw).toBe(corpusLines[UNPARSABLE - 1]);
    expect(lineFailures[0].reason).toMatch(/\S/);
    expect(lineFailures[0]._key).toMatch(new RegExp(`^${PIPELINE}/failed-records/kinesis/${STREAM}/shardId-\\d+/\\d+-\\d+-1/part-00001\\.ndjson\\.gz$`));
    const poisons = failed.filter((f) => f.line === 0);
    expect(poisons).toEqual([expect.objectContaining({ sequenceNumber: poisonSeq, reason: 'KPL aggregated record: MD5 mismatch', data: poison.toString('base64') })]);
    expect(indexed + lineFailures.length).toBe(corpusLines.length);
    expect(indexed).toBe(corpusLines.length - 1);
  });

  it('stores documents field by field, whichever way the line travelled', async () => {
    const first = (await search(`/${ALIAS}/_search`, { query: { bool: { filter: [{ term: { remote_addr: '83.149.9.216' } }, { term: { '@timestamp': '2015-05-17T10:05:03.000Z' } }, { term: { request_uri: '/presentations/logstash-monitorama-2013/images/kibana-search.png' } }] } } })).hits.hits;
    expect(first).toHaveLength(1);
    expect(first[0]._source).toMatchObject({ request_method: 'GET', status: 200, response_size_bytes: 203023, http_referer: 'http://semicomplete.com/presentations/logstash-monitorama-2013/' });
    // One line from each producer shape, found by its own document id.
    for (const lineIdx of [10, 5000, 9500]) {
      const raw = corpusLines[lineIdx];
      const uri = /"[A-Z]+ (\S+) /.exec(raw)![1];
      const hits = (await search(`/${ALIAS}/_search`, { query: { bool: { filter: [{ term: { request_uri: uri } }, { term: { remote_addr: raw.split(' ')[0] } }] } }, size: 100 })).hits.hits;
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.some((h: any) => raw.includes(`"${h._source.request_method} ${h._source.request_uri} ${h._source.request_protocol}"`))).toBe(true);
    }
    const mapping = Object.values(await search(`/${ALIAS}/_mapping`))[0] as any;
    expect(mapping.mappings.properties.remote_addr.type).toBe('ip');
  });

  it('the same batches delivered again create no duplicate and no second backup', async () => {
    const before = (await backupObjects(`${PIPELINE}/failed-records/kinesis/`)).length;
    for (const e of batches(firstRead, 1000)) expect(await invoke(e)).toEqual({ batchItemFailures: [] });
    // Bisected redelivery: other batch boundaries, same ids and same backup keys.
    for (const e of batches(firstRead, 333)) expect(await invoke(e)).toEqual({ batchItemFailures: [] });
    expect(await count()).toBe(indexed);
    expect((await backupObjects(`${PIPELINE}/failed-records/kinesis/`)).length).toBe(before);
  });

  it('OpenSearch stopping mid-batch: batchItemFailures names the first record not fully indexed; the retry from there gives the exact count', async () => {
    const tip = new Map([...firstRead].map(([shard, recs]) => [shard, recs[recs.length - 1].kinesis.sequenceNumber]));
    // One shard's worth of escaped records in a single batch: 40 bulks of 250.
    await putAll(corpusLines.map((line) => ({ partitionKey: 'outage', data: escaped(line) })));
    const fresh = await readStream(tip);
    const [shardId, recs] = [...fresh].find(([, r]) => r.length > 0)!;
    expect(recs).toHaveLength(corpusLines.length);
    const before = await count();

    let stopped = false;
    const stopper = (async () => {
      for (;;) {
        const c = await count().catch(() => before);
        // A few bulks in: with two requests in flight and either slot refilled as soon as it frees, the first bulk
        // may still be answering when a later one's documents show, so one bulk's worth would be too early.
        if (c >= before + 1000) {
          await os.stop();
          stopped = true;
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let response: KinesisStreamBatchResponse | undefined;
    let thrown: unknown;
    try {
      response = await invoke({ Records: recs }).catch((e) => {
        thrown = e;
        return undefined;
      });
      await stopper;
    } finally {
      if (stopped) await os.start();
    }
    expect(stopped).toBe(true);
    expect(thrown).toBeUndefined();
    expect(response!.batchItemFailures).toHaveLength(1);
    const retryFrom = response!.batchItemFailures[0].itemIdentifier;
    const at = recs.findIndex((r) => r.kinesis.sequenceNumber === retryFrom);
    // Mid-batch almost always; record 0 is still a correct checkpoint when the first bulk was the one cut off.
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThan(recs.length);

    // Every record before the checkpoint is in the index, looked up by its deterministic id.
    const prefix = shardIdPrefix(streamArn, shardId);
    const done = recs.slice(0, at).filter((_, i) => i !== UNPARSABLE - 1);
    const ids = done.map((r) => documentId(prefix, r.kinesis.sequenceNumber, 0, 1));
    await fetch(`${os.url}/${ALIAS}/_refresh`, { method: 'POST' });
    const got = await search(`/${ALIAS}/_mget`, { ids });
    expect(got.docs.filter((d: any) => d.found)).toHaveLength(ids.length);

    // What Lambda does next: the batch again from the reported record on.
    expect(await invoke({ Records: recs.slice(at) })).toEqual({ batchItemFailures: [] });
    expect(await count()).toBe(before + corpusLines.length - 1);
    const failed = (await backupObjects(`${PIPELINE}/failed-records/kinesis/${STREAM}/${shardId}/`)).filter((f) => f.raw === corpusLines[UNPARSABLE - 1]);
    expect(failed.filter((f) => recs.some((r) => r.kinesis.sequenceNumber === f.sequenceNumber))).toHaveLength(1);
  });

  it('an unexpected error (the backup bucket is unreachable) fails the invocation instead of answering success', async () => {
    // The records (of one shard) that hold something to back up: the poison record.
    const withBroken = [...firstRead.values()].map((recs) => recs.filter((r) => r.kinesis.partitionKey === 'poison')).find((r) => r.length > 0)!;
    expect(withBroken).toHaveLength(1);
    process.env.BACKUP_BUCKET = 'no-such-bucket';
    try {
      await expect(invoke({ Records: withBroken })).rejects.toThrow();
    } finally {
      process.env.BACKUP_BUCKET = 'backup';
    }
  });

  it('a batch the mapping gave up on is read back from the stream by the on-failure handler and kept raw with the reason', async () => {
    const [shardId, recs] = [...firstRead].find(([, r]) => r.length > 10)!;
    const start = recs[3].kinesis.sequenceNumber;
    const end = recs[9].kinesis.sequenceNumber;
    const notice = {
      requestContext: { requestId: 'r-1', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:kinesis-process', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: { shardId, startSequenceNumber: start, endSequenceNumber: end, approximateArrivalOfFirstRecord: '', approximateArrivalOfLastRecord: '', batchSize: 7, streamArn },
    };
    const event = { Records: [{ messageId: 'm-1', receiptHandle: 'h', body: JSON.stringify(notice), attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:kinesis-failures', awsRegion: 'us-east-1' }] } as unknown as SQSEvent;
    expect(await failureHandler(event, lambdaContext('kinesis-failure'))).toEqual({ batchItemFailures: [] });
    const [header, ...rows] = await backupObjects(`${PIPELINE}/failed-batches/kinesis/${STREAM}/${shardId}/${start}-${end}`);
    expect(header.reason).toMatch(/RetryAttemptsExhausted/);
    expect(header.notice.KinesisBatchInfo.startSequenceNumber).toBe(start);
    expect(rows.map((r) => r.sequenceNumber)).toEqual(recs.slice(3, 10).map((r) => r.kinesis.sequenceNumber));
    expect(rows.map((r) => r.data)).toEqual(recs.slice(3, 10).map((r) => r.kinesis.data));

    // A message that is not an on-failure record fails the invocation (it stays on the queue, then its DLQ).
    const bad = { Records: [{ ...event.Records[0], messageId: 'm-2', body: '{"hello":1}' }] } as SQSEvent;
    await expect(failureHandler(bad, lambdaContext('kinesis-failure'))).rejects.toThrow(/All records failed/);
  });
});
