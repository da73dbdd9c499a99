/**
 * Pipeline stacks deployed on the local components (lib/local/local-stack.ts), as `logtong local` runs them: example
 * pipelines synthesized with their domain pointed at a real node, their buckets, queues, streams and notifications
 * made on the emulators from the template, their functions run from the bundles synth wrote, each in its own process
 * with its synthesized environment, their event source mappings polled as Lambda polls them. A gzipped log uploaded to
 * the source bucket (`web-access`), or records put into the stream (`orders-agent`), end indexed or backed up, line
 * for line.
 */
import { ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compileParser } from '../../lambda/core/formats';
import { recordText } from '../../lambda/core/kinesis';
import { templateName } from '../../lambda/core/opensearch/index-layout';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { startKinesis, type KinesisEmulator } from '../../lib/local/kinesis';
import { deployLocalStack, type LocalStack } from '../../lib/local/local-stack';
import { localPipeline } from '../../lib/local/localize';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import type { StackTemplate } from '../../lib/local/template';
import { corpusPath } from '../corpora';
import { build, exampleConfig } from '../infra/synth';
import { allDocuments, backupRecords, expectEachOnce, tally } from './harness/agent-path';

jest.setTimeout(300_000);

const corpus = readFileSync(corpusPath('apache_combined_elastic_examples.log'));
const lines = corpus.toString('utf8').split('\n').filter(Boolean);

let node: OpenSearchNode;
let aws: AwsEmulator;
let kin: KinesisEmulator;
const logs: string[] = [];

beforeAll(async () => {
  [node, aws, kin] = await Promise.all([startOpenSearch(), startAwsEmulator(), startKinesis()]);
});

afterAll(async () => {
  await node?.dispose();
  await aws?.stop();
  await kin?.stop();
});

/** An example pipeline, pointed at the local node, synthesized and deployed on the emulators. */
async function deployExample(name: string): Promise<LocalStack> {
  const config = exampleConfig();
  const pipeline = localPipeline(config.pipelines.find((p) => p.name === name)!, { opensearchUrl: node.url });
  const { app } = build({ ...config, pipelines: [pipeline] });
  const assembly = app.synth();
  return deployLocalStack({
    template: assembly.getStackByName(`Logtong-${name}`).template as StackTemplate,
    assembly: assembly.directory,
    prefix: name,
    aws,
    kinesis: kin,
    onLog: (fn, l) => logs.push(`${fn} ${l}`),
  });
}

async function keys(bucket: string, prefix = ''): Promise<string[]> {
  const out = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

describe('a pipeline stack deployed on the local components', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await deployExample('web-access');
  });
  afterAll(() => stack?.stop());

  it('created the index template and write alias through its custom resource', async () => {
    const alias = await (await fetch(`${node.url}/_alias/web-access`)).json();
    expect(Object.values(alias as Record<string, { aliases: Record<string, { is_write_index: boolean }> }>)[0].aliases['web-access'].is_write_index).toBe(true);
    expect((await fetch(`${node.url}/_index_template/${templateName('web-access')}`)).status).toBe(200);
  });

  it('indexes an object uploaded under the source prefix, backs up the line that does not parse, and every line is accounted for', async () => {
    await aws.s3.send(new PutObjectCommand({ Bucket: 'example-storefront-logs', Key: 'nginx/access/2015/05/17/access.log.gz', Body: gzipSync(corpus) }));
    // not under the prefix, or without the suffix: not the pipeline's
    await aws.s3.send(new PutObjectCommand({ Bucket: 'example-storefront-logs', Key: 'other/access.log.gz', Body: gzipSync(corpus) }));
    await aws.s3.send(new PutObjectCommand({ Bucket: 'example-storefront-logs', Key: 'nginx/access/notes.txt', Body: 'x' }));
    const handled = await stack.drain();
    expect(Object.values(handled).reduce((n, h) => n + h.failed, 0)).toBe(0);

    await fetch(`${node.url}/web-access/_refresh`, { method: 'POST' });
    const indexed = ((await (await fetch(`${node.url}/web-access/_count`)).json()) as { count: number }).count;
    const backup = stack.bucketName('BackupBucket');
    const failed = [];
    for (const key of await keys(backup, 'web-access/failed-records/')) {
      const body = await aws.s3.send(new GetObjectCommand({ Bucket: backup, Key: key }));
      failed.push(...gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    }
    expect(failed).toEqual([expect.objectContaining({ line: 8899, raw: lines[8898], reason: expect.stringMatching(/does not match the nginx format/) })]);
    expect(indexed).toBe(lines.length - 1);
    // the staged copy is where the deployed stack puts it
    expect(await keys(stack.bucketName('StagingBucket'), 'web-access/')).toEqual([expect.stringMatching(/nginx\/access\/2015\/05\/17\/access\.log\.gz$/)]);
    // the functions logged as Powertools does, one JSON object a line
    expect(logs.some((l) => /^ProcessorFunction\w* \{/.test(l))).toBe(true);
  });
});

describe('an agent pipeline into Kinesis deployed on the local components (orders-agent)', () => {
  const NAME = 'orders-agent';
  const parser = compileParser(exampleConfig().pipelines.find((p) => p.name === NAME)!.logFormat);
  let stack: LocalStack;
  let kinesisMapping = '';
  let failureMapping = '';
  let seq = 0;
  beforeAll(async () => {
    stack = await deployExample(NAME);
    const m = stack.resources.mappings.find((x) => x.source.type === 'kinesis')!;
    kinesisMapping = m.id;
    failureMapping = stack.resources.mappings.find((x) => x.source.id === m.onFailureQueue)!.id;
  });
  afterAll(() => stack?.stop());

  interface Line {
    readonly seq: number;
    readonly line: string;
    /** Where the processor's own parser says it belongs. */
    readonly place: 'index' | 'backup';
  }

  const pad = (n: number, w = 2) => String(Math.floor(n)).padStart(w, '0');
  /** The orders service's JSON lines; every `every`-th is one the json format refuses (not JSON, or no valid time). */
  const makeLines = (n: number, every: number): Line[] =>
    Array.from({ length: n }, () => {
      const s = ++seq;
      const line =
        s % every !== 0
          ? JSON.stringify({ time: `2024-05-17T10:${pad((s / 60) % 60)}:${pad(s % 60)}.${pad(s % 1000, 3)}+0000`, level: s % 7 === 0 ? 'WARN' : 'INFO', msg: `order ${s} placed`, latencyMs: s % 250, seq: s })
          : s % 2 === 0
            ? `orders: unstructured line, seq ${s}`
            : JSON.stringify({ time: 'yesterday', msg: 'no time', seq: s });
      return { seq: s, line, place: parser.parse(line).ok ? 'index' : 'backup' };
    });

  /** As the agent's kinesis_streams output puts them (log_key: the line JSON-escaped, and a newline), 500 a call. */
  async function putLines(lines: Line[]): Promise<void> {
    for (let i = 0; i < lines.length; i += 500) {
      let pending = lines.slice(i, i + 500);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 20) throw new Error('PutRecords keeps failing');
        const Records = pending.map((l) => ({ PartitionKey: `order-${l.seq}`, Data: Buffer.from(`${JSON.stringify(l.line).slice(1, -1)}\n`) }));
        const res = await kin.client.send(new PutRecordsCommand({ StreamName: stack.streamName('KinesisStream'), Records }));
        pending = pending.filter((_, k) => res.Records![k].ErrorCode);
      }
    }
  }

  const seqIn = (text: string) => Number(/seq"?:? ?(\d+)/.exec(text)?.[1] ?? NaN);

  /** How often each line is in the index, among the processor's failed records, and among the failed batches. */
  async function found(lines: Line[]) {
    const mine = new Set(lines.map((l) => l.seq));
    const backup = stack.bucketName('BackupBucket');
    const docs = (await allDocuments(node.url, NAME)).map((d) => Number(d._source.seq));
    const failedRecords = (await backupRecords(aws.s3, backup, `${NAME}/failed-records/kinesis/`)).map((r) => seqIn(String(r.raw)));
    // A failed batch's object: its notice, then each record raw (base64) as the stream holds it.
    const failedBatches = (await backupRecords(aws.s3, backup, `${NAME}/failed-batches/kinesis/`)).filter((r) => r.data !== undefined).map((r) => seqIn(recordText(Buffer.from(r.data, 'base64')).toString('utf8')));
    const of = (seqs: number[]) => tally(seqs.filter((s) => mine.has(s)));
    return { indexed: of(docs), failedRecords: of(failedRecords), failedBatches: of(failedBatches) };
  }

  it('made the stream under a local name with the shards of the template, and reads its mapping as synthesized', async () => {
    expect(stack.streamName('KinesisStream')).toBe(`${NAME}-KinesisStream`);
    expect(stack.streamArn('KinesisStream')).toBe(`arn:aws:kinesis:us-east-1:000000000000:stream/${NAME}-KinesisStream`);
    expect((await kin.client.send(new ListShardsCommand({ StreamARN: stack.streamArn('KinesisStream') }))).Shards).toHaveLength(2);
    expect(stack.resources.mappings.find((m) => m.id === kinesisMapping)).toMatchObject({ batchSize: 500, reportBatchItemFailures: true, bisectBatchOnFunctionError: true, maximumRetryAttempts: 5 });
  });

  it('records put into the stream end indexed or backed up by the processor, each exactly once; the mapping gives none up', async () => {
    const lines = makeLines(600, 41);
    expect(lines.filter((l) => l.place === 'backup').length).toBeGreaterThan(5);
    await putLines(lines);
    const handled = await stack.drain();
    expect({ kinesis: handled[kinesisMapping], failures: handled[failureMapping] }).toEqual({ kinesis: { received: 600, failed: 0 }, failures: { received: 0, failed: 0 } });
    const f = await found(lines);
    expectEachOnce(lines, (l) => l.place, (l) => ({ indexed: f.indexed.get(l.seq) ?? 0, backedUp: f.failedRecords.get(l.seq) ?? 0 }), (l) => l.line);
    expect(f.failedBatches.size).toBe(0);
  });

  it('a record the processor keeps failing on is bisected out, given up after the retries, and backed up from the stream by the failure function', async () => {
    // The processor cannot write its failed records: it throws (an unexpected error), so the mapping retries.
    const lines = makeLines(200, 29);
    const bad = lines.filter((l) => l.place === 'backup');
    expect(bad.length).toBeGreaterThan(3);
    await putLines(lines);
    const restore = aws.failS3((r) => r.key.includes('/failed-records/'));
    let handled: Record<string, { received: number; failed: number }>;
    try {
      handled = await stack.drain();
    } finally {
      restore();
    }
    // Bisection leaves each unparsable record alone in its batch: exactly those are given up, one message each.
    expect({ kinesis: handled[kinesisMapping], failures: handled[failureMapping] }).toEqual({ kinesis: { received: lines.length, failed: bad.length }, failures: { received: bad.length, failed: 0 } });
    const f = await found(lines);
    expectEachOnce(lines, (l) => l.place, (l) => ({ indexed: f.indexed.get(l.seq) ?? 0, backedUp: (f.failedRecords.get(l.seq) ?? 0) + (f.failedBatches.get(l.seq) ?? 0) }), (l) => l.line);
    expect([...f.failedBatches.keys()].sort((a, b) => a - b)).toEqual(bad.map((l) => l.seq));
    const headers = (await backupRecords(aws.s3, stack.bucketName('BackupBucket'), `${NAME}/failed-batches/kinesis/`)).filter((r) => r.notice);
    expect(headers).toHaveLength(bad.length);
    for (const h of headers) {
      expect(h.reason).toMatch(/RetryAttemptsExhausted, function error Unhandled\)$/);
      expect(h.notice).toMatchObject({ requestContext: { approximateInvokeCount: 6 }, KinesisBatchInfo: { batchSize: 1, streamArn: stack.streamArn('KinesisStream') } });
    }
  });
});
