/**
 * End to end on real components: the S3/SQS emulator (SDK v3 over sockets) and an OpenSearch 2.19 node.
 * Source bucket → copy queue → copy handler → staging bucket → processor queue → processor handler → OpenSearch,
 * failures → backup bucket, exhausted messages → DLQ → backup handler.
 */
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { toRuntimeConfig } from '../../lib/config/runtime-config';
import { parseConfig } from '../../lib/config/load';
import { corpusPath } from '../corpora';
import { build } from '../infra/synth';
import { s3EventMessage, sourceOfStagingKey } from '../../lambda/core/s3-event';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { drain, pollOnce, queueArn, type SqsHandler } from '../../lib/local/sqs-lambda';

jest.setTimeout(300_000);

const CORPUS = corpusPath('apache_combined_elastic_examples.log');
const PIPELINE = 'web-access';
const ALIAS = 'web-access';
const MAX_RECEIVE = 3;

const corpus = readFileSync(CORPUS);
const corpusLines = corpus.toString('utf8').split('\n').filter((l) => l.length > 0);

let os: OpenSearchNode;
let aws: AwsEmulator;
let copy: SqsHandler;
let processLambda: SqsHandler;
let backup: SqsHandler;
const queues = { copy: '', copyDlq: '', process: '', processDlq: '' };

async function search(path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${os.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

async function count(): Promise<number> {
  await fetch(`${os.url}/${ALIAS}/_refresh`, { method: 'POST' });
  return (await search(`/${ALIAS}/_count`)).count;
}

async function makeQueue(name: string, dlqArn?: string): Promise<string> {
  const res = await aws.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '1',
        ...(dlqArn ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE }) } : {}),
      },
    }),
  );
  return res.QueueUrl!;
}

/** What S3 event notifications do in AWS: an ObjectCreated message per new object. */
async function notify(queueUrl: string, bucket: string, key: string): Promise<void> {
  const head = await aws.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  await aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: s3EventMessage([{ bucket, key, size: head.ContentLength ?? 0, etag: head.ETag?.replace(/"/g, '') }]) }));
}

/** Where the copy stage staged a source object: `<pipeline>/<bucket>/etag=<ETag>/<key>` (stagingKey). */
async function stagedKeyOf(sourceKey: string): Promise<string> {
  const found = (await listKeys('staging', `${PIPELINE}/source/`)).filter((k) => sourceOfStagingKey(PIPELINE, k)?.key === sourceKey);
  expect(found).toHaveLength(1);
  return found[0];
}

async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Every failed record in the backup bucket. */
async function backedUp(): Promise<Array<{ line: number; raw: string; reason: string; key: string }>> {
  const out = [];
  for (const key of await listKeys('backup', `${PIPELINE}/failed-records/`)) {
    const obj = await aws.s3.send(new GetObjectCommand({ Bucket: 'backup', Key: key }));
    const text = gunzipSync(Buffer.from(await obj.Body!.transformToByteArray())).toString('utf8');
    out.push(...text.split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  }
  return out;
}

/** The bucket notifications the stack configures: ObjectCreated with a prefix filter → queue. */
async function notifyOnCreate(bucket: string, prefix: string, queueUrl: string): Promise<void> {
  await aws.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          { QueueArn: await queueArn(aws.sqs, queueUrl), Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } } },
        ],
      },
    }),
  );
}

/** Source object → (notification) → copy → staging → (notification) → process, all through the queues. */
async function ingest(key: string, body: Buffer): Promise<void> {
  await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: key, Body: body }));
  const copied = await drain(aws.sqs, queues.copy, copy, 'copy');
  expect(copied).toEqual({ received: 1, failed: 0 });
  await drain(aws.sqs, queues.process, processLambda, 'process');
}

beforeAll(async () => {
  [os, aws] = await Promise.all([startOpenSearch(), startAwsEmulator()]);
  for (const b of ['source', 'staging', 'backup']) await aws.s3.send(new CreateBucketCommand({ Bucket: b }));
  queues.copyDlq = await makeQueue('copy-dlq');
  queues.copy = await makeQueue('copy', await queueArn(aws.sqs, queues.copyDlq));
  queues.processDlq = await makeQueue('process-dlq');
  queues.process = await makeQueue('process', await queueArn(aws.sqs, queues.processDlq));
  await notifyOnCreate('source', 'apache/', queues.copy);
  await notifyOnCreate('staging', `${PIPELINE}/`, queues.process);

  const config = parseConfig({
    pipelines: [
      {
        name: PIPELINE,
        source: { type: 's3', bucketName: 'source' },
        logFormat: { type: 'apache', format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"' },
        // Small bulks so that an outage lands in the middle of an object.
        engine: { type: 'opensearch', indexPrefix: ALIAS, domain: { type: 'self-managed', url: os.url }, bulkMaxDocs: 500, index: { replicas: 0 } },
      },
    ],
  });
  Object.assign(process.env, aws.env, {
    STAGING_BUCKET: 'staging',
    STAGING_PREFIX: PIPELINE,
    BACKUP_BUCKET: 'backup',
    PIPELINE_NAME: PIPELINE,
    RUNTIME_CONFIG: JSON.stringify(toRuntimeConfig(config.pipelines[0])),
    OPENSEARCH_ENDPOINT: os.url,
    OPENSEARCH_AUTH: 'none',
    MAX_RECEIVE_COUNT: String(MAX_RECEIVE),
    BULK_MAX_ATTEMPTS: '3',
    BULK_BASE_DELAY_MS: '50',
    BULK_MAX_DELAY_MS: '200',
    POWERTOOLS_METRICS_NAMESPACE: 'Logtong',
    POWERTOOLS_SERVICE_NAME: 'logtong-test',
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  // Handlers read their configuration at cold start, as in Lambda.
  const load = (name: string) => (require(`../../lambda/handlers/${name}`) as { handler: SqsHandler }).handler;
  copy = load('copy');
  processLambda = load('process');
  backup = load('backup');
});

afterAll(async () => {
  await os?.dispose();
  await aws?.stop();
});

describe('logs in S3 → OpenSearch', () => {
  let indexedAfterFirst = 0;

  it('indexes the Apache corpus, backs up every line that does not parse, and the counts balance', async () => {
    await ingest('apache/2015/05/access.log', corpus);
    const staged = await aws.s3.send(new HeadObjectCommand({ Bucket: 'staging', Key: await stagedKeyOf('apache/2015/05/access.log') }));
    expect(staged.ContentLength).toBe(corpus.length);

    indexedAfterFirst = await count();
    const failed = await backedUp();
    expect(indexedAfterFirst + failed.length).toBe(corpusLines.length);
    expect(indexedAfterFirst).toBeGreaterThan(corpusLines.length * 0.99);
    for (const f of failed) {
      expect(corpusLines[f.line - 1]).toBe(f.raw);
      expect(f.reason).toMatch(/\S/);
    }

    // The index layout was created by the processor's cold-start check: alias → dated first index, typed mapping.
    const alias = await search(`/_alias/${ALIAS}`);
    const [indexName] = Object.keys(alias);
    expect(indexName).toMatch(/^web-access-\d{4}\.\d{2}\.\d{2}-000001$/);
    expect(alias[indexName].aliases[ALIAS].is_write_index).toBe(true);
    const mapping = (await search(`/${indexName}/_mapping`))[indexName].mappings.properties;
    expect(mapping['@timestamp'].type).toBe('date');
    expect(mapping.status.type).toBe('integer');
    expect(mapping.remote_addr.type).toBe('ip');
  });

  it('stores documents field by field as the format says', async () => {
    // First line of the corpus, checked against its raw text.
    const first = corpusLines[0];
    expect(first).toBe(
      '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"',
    );
    const hits = (
      await search(`/${ALIAS}/_search`, {
        query: { bool: { filter: [{ term: { remote_addr: '83.149.9.216' } }, { term: { '@timestamp': '2015-05-17T10:05:03.000Z' } }, { term: { request_uri: '/presentations/logstash-monitorama-2013/images/kibana-search.png' } }] } },
      })
    ).hits.hits;
    expect(hits).toHaveLength(1);
    expect(hits[0]._source).toMatchObject({
      remote_addr: '83.149.9.216',
      '@timestamp': '2015-05-17T10:05:03.000Z',
      request_method: 'GET',
      request_uri: '/presentations/logstash-monitorama-2013/images/kibana-search.png',
      request_protocol: 'HTTP/1.1',
      status: 200,
      response_size_bytes: 203023,
      http_referer: 'http://semicomplete.com/presentations/logstash-monitorama-2013/',
      http_user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36',
    });
  });

  it('counts per status match the raw file', async () => {
    // Independent of the parser: the status is the first number after the quoted request.
    const expected = new Map<number, number>();
    const failedLines = new Set((await backedUp()).map((f) => f.line));
    corpusLines.forEach((l, i) => {
      if (failedLines.has(i + 1)) return;
      const m = /" (\d{3}) /.exec(l);
      if (m) expected.set(Number(m[1]), (expected.get(Number(m[1])) ?? 0) + 1);
    });
    const agg = await search(`/${ALIAS}/_search`, { size: 0, aggs: { s: { terms: { field: 'status', size: 100 } } } });
    const got = new Map<number, number>(agg.aggregations.s.buckets.map((b: { key: number; doc_count: number }) => [b.key, b.doc_count]));
    expect(got).toEqual(expected);
    expect(got.get(200)).toBeGreaterThan(9000);
  });

  it('a redelivered event and a re-copied object create no duplicates', async () => {
    await notify(queues.process, 'staging', await stagedKeyOf('apache/2015/05/access.log'));
    await drain(aws.sqs, queues.process, processLambda, 'process');
    await ingest('apache/2015/05/access.log', corpus);
    expect(await count()).toBe(indexedAfterFirst);
  });

  it('detects gzip by its magic bytes, whatever the object is called', async () => {
    await ingest('apache/2015/05/access-copy.log', gzipSync(corpus));
    expect(await count()).toBe(2 * indexedAfterFirst);
    expect((await backedUp()).length).toBe(2 * (corpusLines.length - indexedAfterFirst));
  });

  it('loses nothing when OpenSearch stops mid-object: the message is redelivered and indexing completes', async () => {
    const key = 'apache/2015/05/outage.log';
    const before = await count();
    // Four copies of the corpus: 80 bulk requests, so the outage surely lands in the middle.
    await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: key, Body: Buffer.concat([corpus, corpus, corpus, corpus]) }));
    await drain(aws.sqs, queues.copy, copy, 'copy');

    // Stop the node as soon as the first bulks of this object have landed.
    let stopped = false;
    const stopper = (async () => {
      for (;;) {
        const c = await count().catch(() => before);
        if (c > before) {
          await os.stop();
          stopped = true;
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let first;
    try {
      first = await pollOnce(aws.sqs, queues.process, processLambda, 'process');
      await stopper;
    } finally {
      if (stopped) await os.start();
    }
    expect(stopped).toBe(true);
    expect(first).toEqual({ received: 1, failed: 1 });
    const partial = await count();
    expect(partial).toBeGreaterThan(before);
    expect(partial).toBeLessThan(before + 4 * indexedAfterFirst);

    // The message comes back after its visibility timeout; the retry finishes the object without duplicates.
    const second = await drain(aws.sqs, queues.process, processLambda, 'process', { idlePolls: 10, pauseMs: 300 });
    expect(second.failed).toBe(0);
    expect(await count()).toBe(before + 4 * indexedAfterFirst);
  });

  it('on the last delivery, records that cannot be indexed are backed up with the reason instead of retried', async () => {
    const key = 'apache/2015/05/final.log';
    const failedBefore = (await backedUp()).length;
    const before = await count();
    await os.stop();
    try {
      await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: key, Body: corpus }));
      await drain(aws.sqs, queues.copy, copy, 'copy');
      // Deliveries 1..MAX_RECEIVE-1 defer; the last one backs everything up.
      let polls = 0;
      while ((await backedUp()).length === failedBefore && polls++ < 50) {
        await drain(aws.sqs, queues.process, processLambda, 'process', { idlePolls: 3, pauseMs: 400 });
      }
    } finally {
      await os.start();
    }
    const failed = await backedUp();
    const fromThisObject = failed.length - failedBefore;
    expect(await count()).toBe(before);
    expect(fromThisObject).toBe(corpusLines.length);
    // The domain is down from the first request on, so the object's delivery pin cannot be read: the lines are backed
    // up with that reason (never written blindly through the alias, which could duplicate across a rollover).
    expect(failed.filter((f) => /indexing failed: delivery pin unavailable on the last delivery/.test(f.reason)).length).toBe(indexedAfterFirst);
  });

  it('a message that exhausts its deliveries lands in the DLQ and the backup handler keeps it with context', async () => {
    // An object that does not exist cannot be copied: the message fails MAX_RECEIVE times, then S3 → DLQ.
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queues.copy, MessageBody: s3EventMessage([{ bucket: 'source', key: 'missing/file.log', size: 10 }]) }));
    for (let i = 0; i < MAX_RECEIVE + 2; i++) {
      await drain(aws.sqs, queues.copy, copy, 'copy', { idlePolls: 2, pauseMs: 700 });
    }
    expect(await drain(aws.sqs, queues.process, processLambda, 'process')).toEqual({ received: 0, failed: 0 });
    const moved = await drain(aws.sqs, queues.copyDlq, backup, 'backup');
    expect(moved).toEqual({ received: 1, failed: 0 });
    const keys = await listKeys('backup', `${PIPELINE}/dead-letters/copy-dlq/`);
    expect(keys).toHaveLength(1);
    const doc = JSON.parse(await (await aws.s3.send(new GetObjectCommand({ Bucket: 'backup', Key: keys[0] }))).Body!.transformToString());
    expect(doc.objects).toEqual([{ bucket: 'source', key: 'missing/file.log', size: 10 }]);
    expect(doc.reason).toMatch(/exhausted/);
    expect(JSON.parse(doc.body).Records[0].s3.object.key).toBe('missing/file.log');
  });

  it('copies objects above the single-copy limit with a multipart copy, byte for byte', async () => {
    // The 5 GiB limit scaled down: the same code path (UploadPartCopy with ranges of ≥ 5 MiB) on a 12 MiB object.
    process.env.MULTIPART_THRESHOLD_BYTES = String(5 * 1024 * 1024);
    process.env.MULTIPART_PART_BYTES = String(5 * 1024 * 1024);
    try {
      const key = 'apache/2015/05/big.log';
      const body = Buffer.concat(Array(Math.ceil((12 * 1024 * 1024) / corpus.length)).fill(corpus));
      const before = await count();
      await ingest(key, body);
      const staged = await aws.s3.send(new GetObjectCommand({ Bucket: 'staging', Key: await stagedKeyOf(key) }));
      expect(staged.ETag).toMatch(/-3"?$/);
      expect(Buffer.from(await staged.Body!.transformToByteArray()).equals(body)).toBe(true);
      expect(await count()).toBe(before + (body.length / corpus.length) * indexedAfterFirst);
    } finally {
      delete process.env.MULTIPART_THRESHOLD_BYTES;
      delete process.env.MULTIPART_PART_BYTES;
    }
  });

  it('a source key written again before its first content was processed: each content indexed once, under its own ids', async () => {
    const before = await count();
    const put = async (lines: string[]) => {
      await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: 'apache/rewritten.log', Body: `${lines.join('\n')}\n` }));
      expect(await drain(aws.sqs, queues.copy, copy, 'copy')).toEqual({ received: 1, failed: 0 });
    };
    await put(corpusLines.slice(0, 300));
    await put(corpusLines.slice(300, 500));
    // staged side by side, one key per content, so neither is read under the other's event
    const staged = (await listKeys('staging', `${PIPELINE}/source/`)).filter((k) => sourceOfStagingKey(PIPELINE, k)?.key === 'apache/rewritten.log');
    expect(staged).toHaveLength(2);
    await drain(aws.sqs, queues.process, processLambda, 'process');
    expect(await count()).toBe(before + 500);

    // Written again before the copy stage ran: the first event's content is gone from the source, so its copy is
    // refused (CopySourceIfMatch) rather than staging the second content under the first one's identity.
    await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: 'apache/rewritten.log', Body: `${corpusLines.slice(500, 600).join('\n')}\n` }));
    await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: 'apache/rewritten.log', Body: `${corpusLines.slice(600, 650).join('\n')}\n` }));
    expect(await drain(aws.sqs, queues.copy, copy, 'copy')).toEqual({ received: 2, failed: 0 });
    await drain(aws.sqs, queues.process, processLambda, 'process');
    expect(await count()).toBe(before + 550);
  });
});

describe('the index-bootstrap custom resource, as synthesized, on the real node', () => {
  it('creates the template with the format\'s mappings and the first index behind the write alias, idempotently; ISM is reported unavailable', async () => {
    // The resource properties of the synthesized stack, passed as CloudFormation passes them to the Provider.
    const config = parseConfig({
      pipelines: [
        {
          name: 'bootstrap-check',
          source: { type: 's3', bucketName: 'example-bootstrap-bucket' },
          logFormat: { type: 'apache', fields: { response_size_bytes: 'integer' } },
          engine: { type: 'opensearch', indexPrefix: 'bootstrap-check', domain: { type: 'self-managed', url: os.url }, index: { replicas: 0, shards: 1 } },
        },
      ],
    });
    const { stacks } = build(config);
    const resources = Object.values(Template.fromStack(stacks[0]).findResources('Custom::LogtongIndexBootstrap')) as Array<{ Properties: Record<string, unknown> }>;
    expect(resources).toHaveLength(1);
    const { ServiceToken: _token, ...props } = resources[0].Properties;
    const bootstrap = (require('../../lambda/handlers/index-bootstrap') as { handler: (e: unknown) => Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> }).handler;
    const event = (RequestType: 'Create' | 'Update') => ({ RequestType, ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider', ...props } });

    const created = await bootstrap(event('Create'));
    // The integ-test-zip node has no ISM plugin, and opensearch-index-management is not on Maven Central.
    expect(created).toEqual({ PhysicalResourceId: 'logtong-index-layout-bootstrap-check', Data: { Alias: 'bootstrap-check', Ism: 'unavailable', SavedObjects: 'skipped' } });
    const aliases = await search('/_alias/bootstrap-check');
    const indices = Object.keys(aliases);
    expect(indices).toHaveLength(1);
    expect(indices[0]).toMatch(/^bootstrap-check-\d{4}\.\d{2}\.\d{2}-000001$/);
    expect(aliases[indices[0]].aliases['bootstrap-check']).toEqual({ is_write_index: true });
    const mapping = (await search(`/${indices[0]}/_mapping`))[indices[0]].mappings.properties;
    expect(mapping).toMatchObject({ '@timestamp': { type: 'date' }, remote_addr: { type: 'ip' }, status: { type: 'integer' }, response_size_bytes: { type: 'integer' } });
    const template = await search('/_index_template/bootstrap-check-template');
    expect(template.index_templates[0].index_template.index_patterns).toEqual(['bootstrap-check-*']);

    // Update (a redeploy) and a second Create change nothing: still one index
    expect(await bootstrap(event('Update'))).toEqual(created);
    expect(await bootstrap(event('Create'))).toEqual(created);
    expect(Object.keys(await search('/_alias/bootstrap-check'))).toEqual(indices);
    expect(await bootstrap({ RequestType: 'Delete', ResourceProperties: event('Create').ResourceProperties })).toEqual({ PhysicalResourceId: 'logtong-index-layout-bootstrap-check' });
    expect(Object.keys(await search('/_alias/bootstrap-check'))).toEqual(indices);
  });
});
