/**
 * Nothing expires while pending, on real components: the S3/SQS emulator (its queues redrive to the dead-letter
 * queue after maxReceiveCount, as SQS does) and an OpenSearch 2.19 node behind a TCP proxy. The staging and buffer
 * buckets expire only objects tagged `logtong:state=done` (asserted in the template by test/infra/retention.test.ts;
 * the emulator does not run lifecycle rules), so what is proved here is who sets that tag and when:
 *
 *  - the processor, only once every line of a staged object is indexed or backed up (not while lines are deferred);
 *  - the dead-letter backup, only after it copied the object a dead letter names into the backup bucket, whole,
 *    beside the message's document (a missing object is recorded as missing; a user's object is kept, never tagged);
 *  - the copy stage, for an agent chunk of the pipeline's own buffer bucket once its copy is staged;
 *  - the Light Engine's archived copies, only once their batch's manifest is deleted (not after a crash mid-archive).
 */
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseConfig } from '../../lib/config/load';
import { toRuntimeConfig } from '../../lib/config/runtime-config';
import { markingArchivedDone } from '../../lambda/adapters/archive-done';
import { markDoneOrLog, markObjectDone } from '../../lambda/adapters/s3-objects';
import { bucketStore } from '../../lambda/adapters/s3-store';
import { LogFormatSchema } from '../../lambda/core/config/log-format';
import { compileFilters } from '../../lambda/core/filters';
import { compileParser } from '../../lambda/core/formats';
import { convertManifest, listBatches } from '../../lambda/core/light/batches';
import { lightTable } from '../../lambda/core/light/table';
import { s3EventMessage, stagingKey } from '../../lambda/core/s3-event';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { drain, pollOnce, queueArn, type SqsHandler } from '../../lib/local/sqs-lambda';
import { corpusLines } from '../corpora';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy';

jest.setTimeout(300_000);

const PIPELINE = 'retained';
const ALIAS = 'retained';
const MAX_RECEIVE = 3;
const DONE = [{ Key: 'logtong:state', Value: 'done' }];
// A line that does not parse, so every object has one backed-up record beside the indexed ones.
const lines = [...corpusLines('apache_combined_elastic_examples.log', 300), 'not an access log line'];
const body = Buffer.from(`${lines.join('\n')}\n`);

let os: OpenSearchNode;
let proxy: TcpProxy;
let aws: AwsEmulator;
let copy: SqsHandler;
let processLambda: SqsHandler;
let backup: SqsHandler;
const queues = { copy: '', copyDlq: '', process: '', processDlq: '' };

/** Documents behind the write alias; 0 before the processor's first cold start created it. */
async function count(): Promise<number> {
  await fetch(`${os.url}/${ALIAS}/_refresh`, { method: 'POST' });
  return ((await (await fetch(`${os.url}/${ALIAS}/_count`)).json()) as { count?: number }).count ?? 0;
}

async function makeQueue(name: string, dlqArn?: string): Promise<string> {
  const attributes = dlqArn ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE }) } : {};
  return (await aws.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '1', ...attributes } }))).QueueUrl!;
}

/** The ObjectCreated message S3 would send the copy queue for this object. */
async function notify(bucket: string, key: string): Promise<void> {
  const head = await aws.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const message = s3EventMessage([{ bucket, key, size: head.ContentLength ?? 0, etag: head.ETag?.replace(/"/g, '') }]);
  await aws.sqs.send(new SendMessageCommand({ QueueUrl: queues.copy, MessageBody: message }));
}

/** The ETag S3 gives a single-part upload, which the copy stage puts in the staging key. */
const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');

async function tagsOf(bucket: string, key: string) {
  return (await aws.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet ?? [];
}

async function bytesOf(bucket: string, key: string): Promise<Buffer> {
  return Buffer.from(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
}

async function keys(bucket: string, prefix: string): Promise<string[]> {
  return ((await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
}

/** Lines of the source object `key` in the backup bucket's failed records. */
async function backedUpLines(key: string): Promise<number> {
  let n = 0;
  for (const k of await keys('backup', `${PIPELINE}/failed-records/`)) {
    const text = gunzipSync(await bytesOf('backup', k)).toString('utf8');
    n += text.split('\n').filter((l) => l && (JSON.parse(l) as { key: string }).key === key).length;
  }
  return n;
}

/** Delivers a message until the queue has redriven it (every delivery failing), as SQS would after maxReceiveCount. */
async function exhaust(queueUrl: string, handler: SqsHandler, name: string): Promise<void> {
  for (let i = 0; i < MAX_RECEIVE + 2; i++) await drain(aws.sqs, queueUrl, handler, name, { idlePolls: 2, pauseMs: 700 });
}

/** The dead-letter documents of a queue, with the keys of the object copies beside each. */
async function deadLetters(queue: string): Promise<Array<{ key: string; doc: any; copies: string[] }>> {
  const all = await keys('backup', `${PIPELINE}/dead-letters/${queue}/`);
  return Promise.all(
    all
      .filter((k) => k.endsWith('.json'))
      .map(async (key) => ({
        key,
        doc: JSON.parse((await bytesOf('backup', key)).toString('utf8')),
        copies: all.filter((k) => k.startsWith(`${key.replace(/\.json$/, '')}/objects/`)),
      })),
  );
}

beforeAll(async () => {
  [os, aws] = await Promise.all([startOpenSearch(), startAwsEmulator()]);
  proxy = await startTcpProxy(os.port);
  for (const b of ['source', 'buffer', 'staging', 'backup', 'central']) await aws.s3.send(new CreateBucketCommand({ Bucket: b }));
  queues.copyDlq = await makeQueue('copy-dlq');
  queues.copy = await makeQueue('copy', await queueArn(aws.sqs, queues.copyDlq));
  queues.processDlq = await makeQueue('process-dlq');
  queues.process = await makeQueue('process', await queueArn(aws.sqs, queues.processDlq));
  // What ProcessorStage subscribes: every object created under <pipeline>/ in staging.
  await aws.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: 'staging',
      NotificationConfiguration: {
        QueueConfigurations: [
          { QueueArn: await queueArn(aws.sqs, queues.process), Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: `${PIPELINE}/` }] } } },
        ],
      },
    }),
  );

  const config = parseConfig({
    pipelines: [
      {
        name: PIPELINE,
        source: { type: 's3', bucketName: 'source' },
        logFormat: { type: 'apache', format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"' },
        engine: { type: 'opensearch', indexPrefix: ALIAS, domain: { type: 'self-managed', url: os.url }, bulkMaxDocs: 100, index: { replicas: 0 } },
      },
    ],
  });
  Object.assign(process.env, aws.env, {
    STAGING_BUCKET: 'staging',
    STAGING_PREFIX: PIPELINE,
    BACKUP_BUCKET: 'backup',
    PIPELINE_NAME: PIPELINE,
    // What DeadLetterBackup sets for a pipeline with a buffer bucket: the pipeline's own buckets, never the user's.
    MARK_DONE_BUCKETS: 'buffer,staging',
    RUNTIME_CONFIG: JSON.stringify(toRuntimeConfig(config.pipelines[0])),
    OPENSEARCH_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
    OPENSEARCH_AUTH: 'none',
    MAX_RECEIVE_COUNT: String(MAX_RECEIVE),
    BULK_MAX_ATTEMPTS: '2',
    BULK_BASE_DELAY_MS: '50',
    BULK_MAX_DELAY_MS: '100',
    POWERTOOLS_METRICS_NAMESPACE: 'Logtong',
    POWERTOOLS_SERVICE_NAME: 'logtong-test',
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
  });
  // Handlers read their configuration at cold start, as in Lambda.
  const load = (name: string) => (require(`../../lambda/handlers/${name}`) as { handler: SqsHandler }).handler;
  copy = load('copy');
  processLambda = load('process');
  backup = load('backup');
});

afterAll(async () => {
  await proxy?.close();
  await os?.dispose();
  await aws?.stop();
});

describe('markObjectDone', () => {
  it('tags only the content it was told is done, and says when there is nothing (or something else) to mark', async () => {
    const key = '_marks/one.log';
    const { ETag: first } = await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: 'first\n' }));
    await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: 'second\n' }));
    // The key now holds newer content, which has an event of its own: it stays pending.
    expect(await markObjectDone(aws.s3, { bucket: 'staging', key, etag: first })).toBe('changed');
    expect(await tagsOf('staging', key)).toEqual([]);
    expect(await markObjectDone(aws.s3, { bucket: 'staging', key: `${key}.gone`, etag: first })).toBe('missing');
    expect(await markObjectDone(aws.s3, { bucket: 'staging', key: `${key}.gone` })).toBe('missing');
    expect(await markObjectDone(aws.s3, { bucket: 'staging', key })).toBe('marked');
    expect(await tagsOf('staging', key)).toEqual(DONE);
  });

  it('markDoneOrLog: a tag S3 refuses is an error in the log, and the object stays pending', async () => {
    const key = '_marks/refused.log';
    await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: 'x\n' }));
    const errors: Array<[string, Record<string, unknown>]> = [];
    const release = aws.failS3((r) => r.method === 'PUT' && r.key === key);
    try {
      const result = await markDoneOrLog(aws.s3, { bucket: 'staging', key }, { info() {}, error: (m, a) => void errors.push([m, a]) });
      expect(result).toBe('failed');
    } finally {
      release();
    }
    expect(errors).toEqual([[expect.stringMatching(/stays pending and does not expire/), expect.objectContaining({ object: `s3://staging/${key}` })]]);
    expect(await tagsOf('staging', key)).toEqual([]);
  });
});

describe('staged objects (OpenSearch engine)', () => {
  it('are marked done by the processor only once every line is indexed or backed up', async () => {
    const source = 'apache/2015/05/a.log';
    const staged = stagingKey(PIPELINE, { bucket: 'source', key: source, etag: md5(body) });
    await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: source, Body: body }));
    await notify('source', source);
    expect(await drain(aws.sqs, queues.copy, copy, 'copy')).toEqual({ received: 1, failed: 0 });
    // Staged, not yet processed: pending. The user's object is never tagged.
    expect(await tagsOf('staging', staged)).toEqual([]);
    expect(await tagsOf('source', source)).toEqual([]);

    const before = await count();
    expect(await drain(aws.sqs, queues.process, processLambda, 'process')).toEqual({ received: 1, failed: 0 });
    const indexed = (await count()) - before;
    expect(indexed).toBe(lines.length - 1);
    expect(await backedUpLines(source)).toBe(1);
    expect(await tagsOf('staging', staged)).toEqual(DONE);
    expect(await tagsOf('source', source)).toEqual([]);
    // Tagging leaves the content as it was.
    expect((await bytesOf('staging', staged)).equals(body)).toBe(true);

    // Staged again (a redelivered copy message): the new copy carries no tag, so it is pending until processed again.
    await notify('source', source);
    await drain(aws.sqs, queues.copy, copy, 'copy');
    expect(await tagsOf('staging', staged)).toEqual([]);
    expect(await drain(aws.sqs, queues.process, processLambda, 'process')).toEqual({ received: 1, failed: 0 });
    expect(await tagsOf('staging', staged)).toEqual(DONE);
  });

  it('stay pending while the domain is unreachable and their lines are left to a redelivery', async () => {
    const source = 'apache/2015/05/outage.log';
    const staged = stagingKey(PIPELINE, { bucket: 'source', key: source, etag: md5(body) });
    await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: source, Body: body }));
    await notify('source', source);
    await drain(aws.sqs, queues.copy, copy, 'copy');
    const before = await count();
    await proxy.cut();
    try {
      // Delivery 1 of 3: nothing can be indexed, the lines are deferred, the message comes back.
      expect(await pollOnce(aws.sqs, queues.process, processLambda, 'process')).toEqual({ received: 1, failed: 1 });
      expect(await tagsOf('staging', staged)).toEqual([]);
    } finally {
      await proxy.restore();
    }
    const retried = await drain(aws.sqs, queues.process, processLambda, 'process', { idlePolls: 5, pauseMs: 400 });
    expect(retried).toEqual({ received: 1, failed: 0 });
    expect((await count()) - before).toBe(lines.length - 1);
    expect(await tagsOf('staging', staged)).toEqual(DONE);
  });

  it('whose message is dead-lettered end whole in the backup bucket beside the message, and only then are marked done', async () => {
    const source = 'apache/2015/05/dead.log.gz';
    const gz = gzipSync(body);
    const staged = stagingKey(PIPELINE, { bucket: 'source', key: source, etag: md5(gz) });
    await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: source, Body: gz }));
    await notify('source', source);
    await drain(aws.sqs, queues.copy, copy, 'copy');
    const before = await count();
    // The processor cannot read the object on any delivery: the queue redrives the message to its DLQ.
    const release = aws.failS3((r) => r.method === 'GET' && r.bucket === 'staging' && r.key === staged);
    try {
      await exhaust(queues.process, processLambda, 'process');
    } finally {
      release();
    }
    expect(await count()).toBe(before);
    expect(await tagsOf('staging', staged)).toEqual([]);

    expect(await drain(aws.sqs, queues.processDlq, backup, 'backup')).toEqual({ received: 1, failed: 0 });
    const [letter, ...others] = await deadLetters('process-dlq');
    expect(others).toEqual([]);
    expect(letter.doc.reason).toMatch(/exhausted its deliveries/);
    expect(letter.copies).toEqual([`${letter.key.replace(/\.json$/, '')}/objects/0`]);
    expect(letter.doc.objectCopies).toEqual([
      expect.objectContaining({ bucket: 'staging', key: staged, status: 'copied', backupKey: letter.copies[0], size: gz.length }),
    ]);
    // Whole: the same bytes, so every raw line of it is in the backup bucket.
    expect((await bytesOf('backup', letter.copies[0])).equals(gz)).toBe(true);
    expect(gunzipSync(await bytesOf('backup', letter.copies[0])).toString('utf8').split('\n').filter(Boolean)).toEqual(lines);
    expect(await tagsOf('staging', staged)).toEqual(DONE);
  });

  it('a dead letter naming an object that is gone records it as missing, never skips it silently', async () => {
    const staged = `${PIPELINE}/source/apache/2015/05/gone.log`;
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queues.process, MessageBody: s3EventMessage([{ bucket: 'staging', key: staged, size: 123 }]) }));
    await exhaust(queues.process, processLambda, 'process');
    expect(await drain(aws.sqs, queues.processDlq, backup, 'backup')).toEqual({ received: 1, failed: 0 });
    const letter = (await deadLetters('process-dlq')).find((l) => l.doc.objectCopies.some((c: { key: string }) => c.key === staged))!;
    expect(letter.doc.objectCopies).toEqual([{ bucket: 'staging', key: staged, status: 'missing', error: expect.stringMatching(/no such key/) }]);
    expect(letter.copies).toEqual([]);
  });
});

describe('agent chunks in the buffer bucket', () => {
  beforeAll(() => {
    process.env.MARK_SOURCE_DONE = 'true';
  });
  afterAll(() => {
    delete process.env.MARK_SOURCE_DONE;
  });

  it('are marked done by the copy stage once staged; the staged copy stays pending until processed', async () => {
    const chunk = `${PIPELINE}/2024/05/17/10/chunk-1.log.gz`;
    const chunkBody = gzipSync(body);
    const staged = stagingKey(PIPELINE, { bucket: 'buffer', key: chunk, etag: md5(chunkBody) });
    await aws.s3.send(new PutObjectCommand({ Bucket: 'buffer', Key: chunk, Body: chunkBody }));
    expect(await tagsOf('buffer', chunk)).toEqual([]);
    await notify('buffer', chunk);
    expect(await drain(aws.sqs, queues.copy, copy, 'copy')).toEqual({ received: 1, failed: 0 });
    expect(await tagsOf('buffer', chunk)).toEqual(DONE);
    expect(await tagsOf('staging', staged)).toEqual([]);
    await drain(aws.sqs, queues.process, processLambda, 'process');
    expect(await tagsOf('staging', staged)).toEqual(DONE);
  });

  it('whose copy is dead-lettered are kept whole and marked done; a user’s object is kept too but never tagged', async () => {
    const chunk = `${PIPELINE}/2024/05/17/11/chunk-2.log.gz`;
    const userObject = 'apache/2015/05/user.log';
    const gz = gzipSync(body);
    await aws.s3.send(new PutObjectCommand({ Bucket: 'buffer', Key: chunk, Body: gz }));
    await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: userObject, Body: body }));
    const release = aws.failS3((r) => r.method === 'PUT' && r.bucket === 'staging');
    try {
      await notify('buffer', chunk);
      await notify('source', userObject);
      await exhaust(queues.copy, copy, 'copy');
    } finally {
      release();
    }
    expect(await tagsOf('buffer', chunk)).toEqual([]);

    expect(await drain(aws.sqs, queues.copyDlq, backup, 'backup')).toEqual({ received: 2, failed: 0 });
    const letters = await deadLetters('copy-dlq');
    const of = (bucket: string) => letters.find((l) => l.doc.objectCopies[0]?.bucket === bucket)!;
    expect(of('buffer').doc.objectCopies).toEqual([expect.objectContaining({ key: chunk, status: 'copied', size: gz.length })]);
    expect((await bytesOf('backup', of('buffer').copies[0])).equals(gz)).toBe(true);
    expect(of('source').doc.objectCopies).toEqual([expect.objectContaining({ key: userObject, status: 'copied', size: body.length })]);
    expect((await bytesOf('backup', of('source').copies[0])).equals(body)).toBe(true);
    expect(await tagsOf('buffer', chunk)).toEqual(DONE);
    expect(await tagsOf('source', userObject)).toEqual([]);
  });
});

describe('Light Engine archived copies', () => {
  const LIGHT = 'retained-light';
  const format = LogFormatSchema.parse({ type: 'json', timeKey: 't', timeFormat: 'epoch_s' });
  const parser = compileParser(format);
  const table = lightTable(format, parser.fields);
  const staging = () => bucketStore(aws.s3, 'staging');
  const central = () => bucketStore(aws.s3, 'central');
  const convert = (manifestKey: string) =>
    convertManifest(markingArchivedDone(staging(), aws.s3, { info() {}, error() {} }), {
      manifestKey,
      pipeline: LIGHT,
      convert: {
        parser,
        filter: compileFilters(format.filters),
        columns: table.columns,
        toRow: table.toRow,
        table: 'light',
        region: 'r',
        maxLineBytes: format.maxLineBytes,
        openFile: (k) => central().create(k),
        backup: async () => undefined,
      },
    });

  it('stay pending while their batch is, and are marked done when its manifest is deleted', async () => {
    const staged = ['a', 'b', 'c'].map((n) => `${LIGHT}/src/${n}.log`);
    for (const [i, key] of staged.entries()) {
      await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: `${JSON.stringify({ t: 1_700_000_000 + i, msg: key })}\n` }));
    }
    const { batches } = await listBatches(staging(), { pipeline: LIGHT, maxBytes: 1 << 20, maxObjects: 10, maxBatches: 10 });
    expect(batches).toHaveLength(1);
    const [{ manifestKey }] = batches;

    // Crash while archiving: the Parquet is written, `a` is moved, `b` is copied but its staged key cannot be deleted.
    const release = aws.failS3((r) => r.method === 'DELETE' && r.bucket === 'staging' && r.key === staged[1]);
    try {
      await expect(convert(manifestKey)).rejects.toThrow();
    } finally {
      release();
    }
    expect(await keys('staging', manifestKey)).toEqual([manifestKey]);
    for (const key of staged.slice(0, 2)) expect(await tagsOf('staging', `archive/${key}`)).toEqual([]);

    const retried = await convert(manifestKey);
    expect(retried).toMatchObject({ objects: 3, missing: 0, written: 3 });
    expect(await keys('staging', manifestKey)).toEqual([]);
    expect(await keys('staging', `${LIGHT}/`)).toEqual([]);
    for (const key of staged) expect(await tagsOf('staging', `archive/${key}`)).toEqual(DONE);
    expect((await keys('central', 'light/')).length).toBeGreaterThan(0);
  });
});
