/**
 * Input that is not plain lines, on real components: staged objects delivered through the SQS emulator to the
 * processor handler, which reads them from the S3 emulator and indexes into a real OpenSearch node.
 *
 * - A line longer than maxLineBytes (6 MiB: a multipart upload) ends whole in the backup bucket, in an object of its
 *   own that its failed record names.
 * - A gzip object that breaks off or is corrupt gives every line before the break to OpenSearch; the object itself
 *   is copied whole into the backup bucket with the reason, the message is done (not redelivered), and an object
 *   after it in the same message is indexed as usual.
 *
 * Each delivery is checked three ways: the handler's own counters (its "object processed" log), the node's _count,
 * and what the backup bucket holds.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { constants, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { objectIdPrefix } from '../../lambda/core/bulk/batcher';
import { s3EventMessage, stagingKey } from '../../lambda/core/s3-event';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { pollOnce, type SqsHandler } from '../../lib/local/sqs-lambda';
import { corpusLines as readCorpus } from '../corpora';
import { apacheProcessorPipeline, backupRecords, captureHandlerLogs, createBuckets, handlerEnv, listKeys } from './harness/agent-path';

jest.setTimeout(300_000);

const PIPELINE = 'broken-input';
const ALIAS = 'broken-input';
const MiB = 1024 * 1024;
// The corpus' one unparsable line is 8899: these are all well-formed.
const lines = readCorpus('apache_combined_elastic_examples.log').slice(0, 8000);
const textOf = (from: number, to: number) => Buffer.from(`${lines.slice(from, to).join('\n')}\n`);

let os: OpenSearchNode;
let aws: AwsEmulator;
let queue = '';
let processObjects: SqsHandler;
let logs: ReturnType<typeof captureHandlerLogs>;

async function count(): Promise<number> {
  await fetch(`${os.url}/${ALIAS}/_refresh`, { method: 'POST' });
  // before the first delivery the processor has not made the index layout yet
  return ((await (await fetch(`${os.url}/${ALIAS}/_count`)).json()) as { count?: number }).count ?? 0;
}

async function bytesOf(bucket: string, key: string): Promise<Buffer> {
  const o = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await o.Body!.transformToByteArray());
}

interface Staged {
  key: string;
  body: Buffer;
  objectId: string;
}

/** Puts objects in staging as the copy stage would and delivers one message naming them all, once. */
async function deliver(objects: Array<[string, Buffer]>) {
  const staged: Staged[] = [];
  for (const [name, body] of objects) {
    const key = stagingKey(PIPELINE, { bucket: 'source', key: name });
    await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: body }));
    const etag = createHash('md5').update(body).digest('hex');
    staged.push({ key: name, body, objectId: objectIdPrefix('source', name, etag) });
  }
  const message = s3EventMessage(
    staged.map((s) => ({ bucket: 'staging', key: stagingKey(PIPELINE, { bucket: 'source', key: s.key }), size: s.body.length, etag: createHash('md5').update(s.body).digest('hex') })),
  );
  await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: message }));
  const before = logs.records.length;
  const polled = await pollOnce(aws.sqs, queue, processObjects, 'process');
  const counts = logs.records.slice(before).map(({ recordsIn, indexed, duplicates, filtered, backedUp, deferred, balanced }) => ({ recordsIn, indexed, duplicates, filtered, backedUp, deferred, balanced }));
  return { polled, counts, staged };
}

/** The failed records the backup bucket holds for one source object. */
async function failedFor(name: string) {
  return (await backupRecords(aws.s3, 'backup', `${PIPELINE}/failed-records/`)).filter((r) => r.key === name).map(({ _key, failedAt: _at, pipeline: _p, ...r }) => r);
}

/** A gzip member whose deflate data decodes to exactly `plain`, then holds a block of the reserved type. */
function corruptAfter(plain: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), deflateRawSync(plain, { finishFlush: constants.Z_SYNC_FLUSH }), Buffer.from([0xff, 0xff, 0xff])]);
}

beforeAll(async () => {
  [os, aws] = await Promise.all([startOpenSearch(), startAwsEmulator()]);
  await createBuckets(aws.s3, 'staging', 'backup');
  queue = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'process', Attributes: { VisibilityTimeout: '60' } }))).QueueUrl!;
  const pipeline = apacheProcessorPipeline(PIPELINE, os.url, { bulkMaxDocs: 400 });
  Object.assign(process.env, handlerEnv(aws, { logLevel: 'INFO', processor: { pipeline, opensearchUrl: os.url, backupBucket: 'backup' } }), {
    MAX_RECEIVE_COUNT: '3',
  });
  logs = captureHandlerLogs('object processed');
  processObjects = require('../../lambda/handlers/process').handler;
});

afterAll(async () => {
  logs?.restore();
  await os?.dispose();
  await aws?.stop();
});

describe('a line longer than maxLineBytes', () => {
  it('ends whole in the backup bucket, in an object of its own its failed record names; the lines around it are indexed', async () => {
    // 6 MiB and a bit: printable ASCII, multi-byte characters and a CR inside, so nothing but its bytes can match
    const long = Buffer.alloc(6 * MiB + 7);
    for (let i = 0; i < long.length; i++) long[i] = 0x20 + ((i * 7919) % 95);
    long.write('é中🙂\r', 3 * MiB);
    const body = Buffer.concat([textOf(0, 1000), long, Buffer.from('\r\n'), textOf(1000, 2000)]);
    const before = await count();
    const { polled, counts, staged } = await deliver([['app/long.log', body]]);
    expect(polled).toEqual({ received: 1, failed: 0 });
    expect(counts).toEqual([{ recordsIn: 2001, indexed: 2000, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0, balanced: true }]);
    expect(await count()).toBe(before + 2000);

    const rawObject = `${PIPELINE}/failed-lines/${staged[0].objectId}/line-1001`;
    const [record, ...others] = await failedFor('app/long.log');
    expect(others).toEqual([]);
    expect({ ...record, raw: record.raw.length }).toEqual({ bucket: 'source', key: 'app/long.log', line: 1001, reason: 'line exceeds 1048576 bytes', raw: 64 * 1024, rawObject, rawBytes: long.length });
    expect(record.raw).toBe(long.subarray(0, 64 * 1024).toString('utf8'));
    expect((await bytesOf('backup', rawObject)).equals(long)).toBe(true);
  });
});

describe('a gzip object that breaks off or is corrupt', () => {
  it('truncated: every line before the cut is indexed, the object is kept whole with the reason, and the message is done', async () => {
    const gz = gzipSync(textOf(2000, 5000));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const decoded = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH });
    const complete = decoded.subarray(0, decoded.lastIndexOf(10) + 1).toString('utf8').split('\n').filter(Boolean);
    expect(complete.length).toBeGreaterThan(1000);
    expect(complete).toEqual(lines.slice(2000, 2000 + complete.length));

    const before = await count();
    const { polled, counts, staged } = await deliver([['app/truncated.log.gz', cut]]);
    expect(polled).toEqual({ received: 1, failed: 0 });
    expect(counts).toEqual([{ recordsIn: complete.length + 1, indexed: complete.length, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0, balanced: true }]);
    expect(await count()).toBe(before + complete.length);

    const copy = `${PIPELINE}/broken-objects/${staged[0].objectId}/truncated.log.gz`;
    expect(await failedFor('app/truncated.log.gz')).toEqual([
      {
        bucket: 'source',
        key: 'app/truncated.log.gz',
        line: complete.length + 1,
        raw: '',
        reason: `gzip data unreadable after line ${complete.length} (decompressed byte ${decoded.length}): unexpected end of file (Z_BUF_ERROR)`,
        rawObject: copy,
      },
    ]);
    expect((await bytesOf('backup', copy)).equals(cut)).toBe(true);
  });

  it('corrupt mid-way: read again to index every line before the corruption; the good object after it in the message is indexed too', async () => {
    // ~750 kB before the corruption: more than the zlib call that fails and Node's buffer hand over on the first read
    const before = textOf(5000, 8000);
    const corrupt = Buffer.concat([corruptAfter(before), gzipSync(textOf(0, 100))]);
    const good = textOf(7000, 7500);
    const n = await count();
    // (failS3 with a matcher that refuses nothing: a way to see the requests)
    const reads: string[] = [];
    const stopWatching = aws.failS3((r) => {
      if (r.method === 'GET' && r.bucket === 'staging') reads.push(r.key);
      return false;
    });
    const { polled, counts, staged } = await deliver([
      ['app/corrupt.log.gz', corrupt],
      ['app/after.log', good],
    ]).finally(stopWatching);
    // the corrupt object was read twice: the second read finds what zlib held back at the error
    const stagedKey = stagingKey(PIPELINE, { bucket: 'source', key: 'app/corrupt.log.gz' });
    expect(reads.filter((k) => k === stagedKey)).toHaveLength(2);
    expect(polled).toEqual({ received: 1, failed: 0 });
    expect(counts).toEqual([
      { recordsIn: 3001, indexed: 3000, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0, balanced: true },
      { recordsIn: 500, indexed: 500, duplicates: 0, filtered: 0, backedUp: 0, deferred: 0, balanced: true },
    ]);
    expect(await count()).toBe(n + 3500);

    const copy = `${PIPELINE}/broken-objects/${staged[0].objectId}/corrupt.log.gz`;
    expect(await failedFor('app/corrupt.log.gz')).toEqual([
      {
        bucket: 'source',
        key: 'app/corrupt.log.gz',
        line: 3001,
        raw: '',
        reason: `gzip data unreadable after line 3000 (decompressed byte ${before.length}): invalid block type (Z_DATA_ERROR)`,
        rawObject: copy,
      },
    ]);
    expect((await bytesOf('backup', copy)).equals(corrupt)).toBe(true);
    expect(await failedFor('app/after.log')).toEqual([]);
    // the last line before the corruption is a document like any other (ids: <object id>-<line>)
    const res = await fetch(`${os.url}/${ALIAS}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: { ids: { values: [`${staged[0].objectId}-3000`, `${staged[0].objectId}-3001`] } } }),
    });
    const hits = ((await res.json()) as { hits: { hits: Array<{ _id: string; _source: { remote_addr: string } }> } }).hits.hits;
    expect(hits.map((h) => [h._id, h._source.remote_addr])).toEqual([[`${staged[0].objectId}-3000`, lines[7999].split(' ')[0]]]);
    expect(await listKeys(aws.s3, 'backup', `${PIPELINE}/broken-objects/`)).toHaveLength(2);
  });
});
