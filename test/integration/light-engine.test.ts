/**
 * Light Engine end to end: the state machine ASL exactly as `cdk synth` wrote it, run by aws-local-stepfunctions
 * with every Lambda task bound to its real handler, against the S3/SQS emulator; the Parquet read back with DuckDB.
 * Only ListExecutions (the AWS control plane behind the one-run-at-a-time guard) is a stand-in.
 */
import { sourceOfStagingKey } from '../../lambda/core/s3-event';
import { CreateBucketCommand, GetObjectCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { constants, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { toRuntimeConfig } from '../../lib/config/runtime-config';
import { parseConfig } from '../../lib/config/load';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { runStateMachine, stateMachineDefinition, StateMachineExecutionError, type AslDefinition, type SnsPublishRequest, type TaskBindings } from '../../lib/local/local-sfn';
import { drain, queueArn, type SqsHandler } from '../../lib/local/sqs-lambda';
import { build } from '../infra/synth';
import { corpusPath } from '../corpora';
import { listKeys } from './harness/agent-path';

jest.setTimeout(300_000);

const PIPELINE = 'web-light';
const TABLE = 'web_light';
const REGION = 'eu-west-3';
const corpus = readFileSync(corpusPath('apache_combined_elastic_examples.log'));
const lines = corpus.toString('utf8').split('\n').filter((l) => l.length > 0);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Rows per UTC hour and the sum of %b, counted straight from the raw text (independent of the parser). */
function expectedFromRaw(raw: string[]) {
  const perHour = new Map<string, number>();
  let bytes = 0n;
  for (const l of raw) {
    // A whole combined-format line: the corpus has one whose user agent was cut off (no closing quote).
    const m = /^\S+ \S+ \S+ \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "[^"]*" \d{3} (\d+|-) "[^"]*" "[^"]*"$/.exec(l);
    if (!m) continue;
    const offsetMin = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
    const t = new Date(Date.UTC(+m[3], MONTHS.indexOf(m[2]), +m[1], +m[4], +m[5], +m[6]) - offsetMin * 60_000);
    const hour = t.toISOString().slice(0, 13).replace(/[-T]/g, '');
    perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    if (m[10] !== '-') bytes += BigInt(m[10]);
  }
  return { perHour, bytes, matched: [...perHour.values()].reduce((a, b) => a + b, 0) };
}

/**
 * Whether Athena would return a partition: `hour` against the `projection.event_hour.range` the stack synthesized
 * (`<first hour>,NOW[+<n>HOURS]`), read the way Athena reads it when a query runs now.
 */
function insideProjection(range: string, hour: string): boolean {
  const m = /^(\d{10}),NOW(?:\+(\d+)HOURS)?$/.exec(range);
  if (!m) throw new Error(`unexpected projection range ${range}`);
  const last = new Date(Date.now() + Number(m[2] ?? 0) * 3_600_000).toISOString().slice(0, 13).replace(/[-T]/g, '');
  return hour >= m[1] && hour <= last;
}

let aws: AwsEmulator;
let projectionRange = '';
let copy: SqsHandler;
let copyQueue = '';
let definition: AslDefinition;
let compaction: AslDefinition;
let db: DuckDBConnection;
const published: SnsPublishRequest[] = [];
let listHandler: (e: unknown, c: unknown) => Promise<unknown>;
let convertHandler: (e: unknown, c: unknown) => Promise<unknown>;
let compactList: (e: unknown, c: unknown) => Promise<unknown>;
let compact: (e: unknown, c: unknown) => Promise<unknown>;

const keys = async (bucket: string, prefix = ''): Promise<string[]> => (await listKeys(aws.s3, bucket, prefix)).sort();

async function bytesOf(bucket: string, key: string): Promise<Buffer> {
  const o = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await o.Body!.transformToByteArray());
}

/** Every Parquet file of the table, downloaded under one directory with its key path (Hive partitions intact). */
async function parquetDir(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'logtong-central-'));
  for (const key of await keys('central', `${TABLE}/`)) {
    mkdirSync(path.join(dir, path.dirname(key)), { recursive: true });
    writeFileSync(path.join(dir, key), await bytesOf('central', key));
  }
  return dir;
}

async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJS() as T[];
}

async function tableStats() {
  const dir = await parquetDir();
  const src = `read_parquet('${dir}/${TABLE}/**/*.parquet', hive_partitioning = true)`;
  const [{ n, bytes }] = await query<{ n: bigint; bytes: bigint }>(`select count(*) as n, sum(response_size_bytes)::BIGINT as bytes from ${src}`);
  const hours = await query<{ event_hour: string; n: bigint }>(`select event_hour::VARCHAR as event_hour, count(*) as n from ${src} group by 1`);
  const regions = await query<{ region: string }>(`select distinct region::VARCHAR as region from ${src}`);
  const files = (await keys('central', `${TABLE}/`)).length;
  rmSync(dir, { recursive: true, force: true });
  return { rows: Number(n), bytes: BigInt(bytes), perHour: new Map(hours.map((h) => [h.event_hour, Number(h.n)])), regions: regions.map((r) => r.region), files };
}

async function failedRecords(): Promise<Array<{ line: number; raw: string; reason: string; key: string }>> {
  const out = [];
  for (const key of await keys('backup', `${PIPELINE}/failed-records/`)) {
    out.push(...gunzipSync(await bytesOf('backup', key)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  }
  return out;
}

function bindings(overrides: Partial<TaskBindings> = {}): TaskBindings {
  return {
    // Control plane stand-in: this execution is the only one running.
    FindRunningExecutions: { raw: () => ({ Executions: [{ executionArn: 'arn:aws:states:::execution:this', status: 'RUNNING' }] }) },
    List: (e, c) => listHandler(e, c),
    Convert: (e, c) => convertHandler(e, c),
    ListPartitions: (e, c) => compactList(e, c),
    Compact: (e, c) => compact(e, c),
    NotifyFailure: (req: SnsPublishRequest) => {
      published.push(req);
    },
    ...overrides,
  };
}

/** Source objects → S3 notification → copy queue → copy handler → staging. */
async function ingest(objects: Array<[string, Buffer]>): Promise<void> {
  for (const [key, body] of objects) await aws.s3.send(new PutObjectCommand({ Bucket: 'source', Key: key, Body: body }));
  expect(await drain(aws.sqs, copyQueue, copy, 'copy')).toEqual({ received: objects.length, failed: 0 });
}

beforeAll(async () => {
  aws = await startAwsEmulator({ region: REGION });
  for (const b of ['source', 'staging', 'backup', 'central']) await aws.s3.send(new CreateBucketCommand({ Bucket: b }));
  const dlq = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'copy-dlq' }));
  copyQueue = (
    await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: 'copy',
        Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(aws.sqs, dlq.QueueUrl!), maxReceiveCount: 3 }) },
      }),
    )
  ).QueueUrl!;
  await aws.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: 'source',
      NotificationConfiguration: { QueueConfigurations: [{ QueueArn: await queueArn(aws.sqs, copyQueue), Events: ['s3:ObjectCreated:*'] }] },
    }),
  );

  const config = parseConfig({
    pipelines: [
      {
        name: PIPELINE,
        source: { type: 's3', bucketName: 'source' },
        logFormat: { type: 'apache', format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"' },
        engine: { type: 'light', region: REGION, maxConcurrency: 2 },
      },
    ],
  });
  const { app, stacks } = build(config);
  const template = app.synth().getStackByName(stacks[0].stackName).template;
  definition = stateMachineDefinition(template, 'LightEngineStateMachine');
  const glueTables = Object.values(template.Resources as Record<string, { Type: string; Properties: { TableInput: { Parameters: Record<string, string> } } }>).filter(
    (r) => r.Type === 'AWS::Glue::Table',
  );
  projectionRange = glueTables[0].Properties.TableInput.Parameters['projection.event_hour.range'];
  compaction = stateMachineDefinition(template, 'CompactionStateMachine');

  Object.assign(process.env, aws.env, {
    STAGING_BUCKET: 'staging',
    STAGING_PREFIX: PIPELINE,
    CENTRAL_BUCKET: 'central',
    BACKUP_BUCKET: 'backup',
    PIPELINE_NAME: PIPELINE,
    TABLE_NAME: TABLE,
    PARTITION_REGION: REGION,
    RUNTIME_CONFIG: JSON.stringify(toRuntimeConfig(config.pipelines[0])),
    // Small batches, so one run has several Convert iterations in its Map.
    BATCH_MAX_BYTES: String(1024 * 1024),
    BATCH_MAX_OBJECTS: '3',
    // The corpus is from 2015, but its files were written just now: no waiting period for them in this test.
    COMPACT_MIN_AGE_HOURS: '0',
    COMPACT_TARGET_BYTES: String(96 * 1024),
    POWERTOOLS_METRICS_NAMESPACE: 'Logtong',
    POWERTOOLS_SERVICE_NAME: 'logtong-test',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  copy = (require('../../lambda/handlers/copy') as { handler: SqsHandler }).handler;
  listHandler = require('../../lambda/handlers/light-list').handler;
  convertHandler = require('../../lambda/handlers/light-convert').handler;
  compactList = require('../../lambda/handlers/light-compact-list').handler;
  compact = require('../../lambda/handlers/light-compact').handler;
  db = await (await DuckDBInstance.create(':memory:')).connect();
});

afterAll(async () => {
  db?.closeSync();
  await aws?.stop();
});

describe('logs in S3 → Light Engine (Parquet)', () => {
  const expected = expectedFromRaw(lines);
  // The corpus cut into 8 objects, every other one gzipped: several batches, both encodings.
  const parts: Array<[string, Buffer]> = [];
  const per = Math.ceil(lines.length / 8);
  for (let i = 0; i < 8; i++) {
    const text = Buffer.from(`${lines.slice(i * per, (i + 1) * per).join('\n')}\n`);
    parts.push([`apache/part-${i}.log${i % 2 ? '.gz' : ''}`, i % 2 ? gzipSync(text) : text]);
  }
  let first: Awaited<ReturnType<typeof tableStats>>;

  it('converts every staged object into event-hour partitions; what does not parse is backed up; counts are exact', async () => {
    await ingest(parts);
    expect(await keys('staging', `${PIPELINE}/`)).toHaveLength(8);
    const run = await runStateMachine(definition, { trigger: 'schedule' }, bindings());
    const converted = (run.output as { converted: Array<{ written: number; failed: number; objects: number }> }).converted;
    expect(converted.length).toBeGreaterThan(1);
    expect(converted.reduce((n, c) => n + c.objects, 0)).toBe(8);

    first = await tableStats();
    const failed = await failedRecords();
    expect(first.rows + failed.length).toBe(lines.length);
    expect(first.rows).toBe(expected.matched);
    expect(first.perHour).toEqual(expected.perHour);
    expect(first.bytes).toBe(expected.bytes);
    expect(first.regions).toEqual([REGION]);
    // Athena sees every row written: each partition lies inside the range the stack synthesized (2015 included).
    expect([...first.perHour.keys()].filter((h) => !insideProjection(projectionRange, h))).toEqual([]);
    expect(converted.reduce((n, c) => n + (c as { outOfProjection?: number }).outOfProjection!, 0)).toBe(0);
    // The truncated user agent of the corpus: reported with its raw text and a reason, not lost.
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const f of failed) {
      expect(lines).toContain(f.raw);
      expect(f.reason).toMatch(/\S/);
    }
    // Raw objects archived only after their Parquet exists; nothing left staged or claimed.
    expect(await keys('staging', `${PIPELINE}/`)).toEqual([]);
    expect(await keys('staging', `archive/${PIPELINE}/`)).toHaveLength(8);
    expect(await keys('staging', '_batches/')).toEqual([]);
  });

  it('a run with nothing staged changes nothing', async () => {
    const run = await runStateMachine(definition, {}, bindings());
    expect((run.output as { converted: unknown[] }).converted).toEqual([]);
    expect(await tableStats()).toEqual(first);
  });

  it('skips the run while another execution is running', async () => {
    await ingest([['apache/late.log', Buffer.from(`${lines[0]}\n`)]]);
    const busy = { raw: () => ({ Executions: [{ executionArn: 'a' }, { executionArn: 'b' }] }) };
    const run = await runStateMachine(definition, {}, bindings({ FindRunningExecutions: busy }));
    expect(run.invocations.map((i) => i.state)).toEqual(['FindRunningExecutions']);
    expect((await keys('staging', `${PIPELINE}/`)).map((k) => sourceOfStagingKey(PIPELINE, k)?.key)).toEqual(['apache/late.log']);
  });

  it('a Convert killed mid-batch notifies and fails; the next run completes the same batch with exact counts', async () => {
    published.length = 0;
    await ingest([['apache/more.log', Buffer.from(`${lines.slice(0, 500).join('\n')}\n`)]]);
    // Killed after its Parquet is written and the first object archived: the second archive copy is refused.
    let archived = 0;
    const heal = aws.failS3((r) => r.method === 'PUT' && r.key.startsWith(`archive/${PIPELINE}/`) && archived++ >= 1);
    const failedRun = await runStateMachine(definition, {}, bindings()).catch((e) => e);
    heal();
    expect(failedRun).toBeInstanceOf(StateMachineExecutionError);
    expect(failedRun.state).toBe('Failed');
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0].Message as string)).toMatchObject({ error: expect.any(String), cause: expect.stringContaining('Access Denied') });
    expect(await keys('staging', '_batches/')).toHaveLength(1);
    expect(await keys('staging', `${PIPELINE}/`)).toHaveLength(1);

    await runStateMachine(definition, {}, bindings());
    const after = await tableStats();
    expect(after.rows).toBe(first.rows + 1 + 500);
    expect(await keys('staging', `${PIPELINE}/`)).toEqual([]);
    expect(await keys('staging', `archive/${PIPELINE}/`)).toHaveLength(10);
    expect(await keys('staging', '_batches/')).toEqual([]);
  });

  it('a Convert whose reply was lost (the batch is done) is retried without effect', async () => {
    await ingest([['apache/once.log', Buffer.from(`${lines.slice(500, 600).join('\n')}\n`)]]);
    let calls = 0;
    const lostReply = async (e: unknown, c: unknown) => {
      const r = await convertHandler(e, c);
      if (calls++ === 0) throw new Error('Lambda timed out after finishing');
      return r;
    };
    const before = await tableStats();
    const run = await runStateMachine(definition, {}, bindings({ Convert: lostReply }));
    expect(calls).toBe(2);
    expect((run.output as { converted: Array<{ written: number }> }).converted).toEqual([expect.objectContaining({ written: 0, alreadyConverted: true })]);
    expect((await tableStats()).rows).toBe(before.rows + 100);
  });

  it('an object staged again after its batch finished (a redelivered copy, a rescan) is dropped, not converted twice', async () => {
    const before = await tableStats();
    const archived = await keys('staging', `archive/${PIPELINE}/`);
    // The same bytes under the same source key: the copy stage stages it again with the same ETag.
    await ingest([['apache/once.log', Buffer.from(`${lines.slice(500, 600).join('\n')}\n`)]]);
    expect(await keys('staging', `${PIPELINE}/`)).toHaveLength(1);
    const run = await runStateMachine(definition, {}, bindings());
    expect((run.output as { converted: unknown[] }).converted).toEqual([]);
    expect(await tableStats()).toEqual(before);
    expect(await keys('staging', `${PIPELINE}/`)).toEqual([]);
    expect(await keys('staging', `archive/${PIPELINE}/`)).toEqual(archived);
    // New content under that key is new data: converted.
    await ingest([['apache/once.log', Buffer.from(`${lines.slice(600, 650).join('\n')}\n`)]]);
    await runStateMachine(definition, {}, bindings());
    expect((await tableStats()).rows).toBe(before.rows + 50);
  });

  it('compaction merges the small files of each partition into fewer, larger ones with exactly the same rows', async () => {
    const before = await tableStats();
    const run = await runStateMachine(compaction, { trigger: 'schedule' }, bindings());
    const compacted = (run.output as { compacted: Array<{ merges: number; filesIn: number; rows: number }> }).compacted;
    expect(compacted.length).toBeGreaterThan(0);
    const after = await tableStats();
    expect(after.files).toBeLessThan(before.files);
    expect({ ...after, files: 0 }).toEqual({ ...before, files: 0 });
    expect(await keys('central', '_logtong/')).toEqual([]);
    // Nothing left to merge: a second run finds no partition due.
    const again = await runStateMachine(compaction, {}, bindings());
    expect((again.output as { compacted: unknown[] }).compacted).toEqual([]);
  });

  it('a compaction killed after writing its output is finished by the next run, never doubling rows', async () => {
    // New small files in old partitions (a late batch), then a merge that dies while deleting its inputs.
    await ingest([['apache/late-2.log', Buffer.from(`${lines.slice(1000, 1400).join('\n')}\n`)], ['apache/late-3.log', Buffer.from(`${lines.slice(1400, 1800).join('\n')}\n`)]]);
    await runStateMachine(definition, {}, bindings());
    const before = await tableStats();
    const heal = aws.failS3((r) => r.method === 'DELETE' && r.bucket === 'central' && r.key.startsWith(`${TABLE}/`));
    const failedRun = await runStateMachine(compaction, {}, bindings()).catch((e) => e);
    heal();
    expect(failedRun).toBeInstanceOf(StateMachineExecutionError);
    expect((await keys('central', '_logtong/')).length).toBeGreaterThan(0);
    await runStateMachine(compaction, {}, bindings());
    const after = await tableStats();
    expect({ ...after, files: 0 }).toEqual({ ...before, files: 0 });
    expect(after.files).toBeLessThan(before.files);
    expect(await keys('central', '_logtong/')).toEqual([]);
  });

  it('records outside the projected hours are backed up with the reason and counted, never written where Athena cannot see them', async () => {
    const before = await tableStats();
    const at = (stamp: string) => lines[0].replace('[17/May/2015:10:05:03 +0000]', stamp);
    expect(at('x')).not.toBe(lines[0]);
    const early = at('[31/Dec/1999:23:59:59 +0000]');
    const late = at('[01/Jan/2100:00:00:00 +0000]');
    await ingest([['apache/out-of-range.log', Buffer.from(`${early}\n${lines[0]}\n${late}\n`)]]);
    const run = await runStateMachine(definition, {}, bindings());
    expect((run.output as { converted: unknown[] }).converted).toEqual([
      expect.objectContaining({ objects: 1, recordsIn: 3, written: 1, filtered: 0, failed: 2, outOfProjection: 2 }),
    ]);
    const after = await tableStats();
    expect(after.rows).toBe(before.rows + 1);
    expect([...after.perHour.keys()].filter((h) => !insideProjection(projectionRange, h))).toEqual([]);
    const backedUp = (await failedRecords()).filter((f) => f.key === 'apache/out-of-range.log');
    expect(backedUp.map((f) => [f.line, f.raw])).toEqual([
      [1, early],
      [3, late],
    ]);
    expect(backedUp[0].reason).toMatch(/^event hour 1999123123 is before the first projected hour 2000010100: Athena would never return it/);
    expect(backedUp[1].reason).toMatch(/^event hour 2100010100 is after the last projected hour \d{10} at conversion/);
  });

  it('a broken gzip object gives its lines before the break and is kept whole, an over-long line is kept whole, and the run goes on', async () => {
    published.length = 0;
    const before = await tableStats();
    // deflate data up to a flush point, then a block of the reserved type: decoding stops after these 300 lines
    const brokenText = Buffer.from(`${lines.slice(2000, 2300).join('\n')}\n`);
    const broken = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), deflateRawSync(brokenText, { finishFlush: constants.Z_SYNC_FLUSH }), Buffer.from([0xff, 0xff])]);
    const long = Buffer.alloc(6 * 1024 * 1024 + 3);
    for (let i = 0; i < long.length; i++) long[i] = 0x20 + ((i * 31) % 95);
    const withLong = Buffer.concat([Buffer.from(`${lines[2300]}\n`), long, Buffer.from(`\n${lines[2301]}\n`)]);
    await ingest([
      ['apache/broken.log.gz', broken],
      ['apache/long.log', withLong],
      ['apache/good.log.gz', gzipSync(`${lines.slice(2302, 2400).join('\n')}\n`)],
    ]);
    const run = await runStateMachine(definition, {}, bindings());
    const converted = (run.output as { converted: Array<{ objects: number; recordsIn: number; written: number; failed: number }> }).converted;
    const sum = (k: 'objects' | 'recordsIn' | 'written' | 'failed') => converted.reduce((n, c) => n + c[k], 0);
    expect({ objects: sum('objects'), recordsIn: sum('recordsIn'), written: sum('written'), failed: sum('failed') }).toEqual({ objects: 3, recordsIn: 301 + 3 + 98, written: 300 + 2 + 98, failed: 2 });
    expect(published).toEqual([]);
    expect((await tableStats()).rows).toBe(before.rows + 400);

    const copies = await keys('backup', `${PIPELINE}/broken-objects/`);
    const spilled = await keys('backup', `${PIPELINE}/failed-lines/`);
    expect(copies).toEqual([expect.stringMatching(new RegExp(`^${PIPELINE}/broken-objects/[\\w-]+/broken\\.log\\.gz$`))]);
    expect(spilled).toEqual([expect.stringMatching(new RegExp(`^${PIPELINE}/failed-lines/[\\w-]+/line-2$`))]);
    const failed = (await failedRecords()).filter((f) => f.key === 'apache/broken.log.gz' || f.key === 'apache/long.log');
    expect(failed.map((f) => ({ ...(f as Record<string, unknown>), failedAt: undefined, pipeline: undefined, raw: f.raw.length }))).toEqual([
      { bucket: 'source', key: 'apache/broken.log.gz', line: 301, raw: 0, reason: `gzip data unreadable after line 300 (decompressed byte ${brokenText.length}): invalid block type (Z_DATA_ERROR)`, rawObject: copies[0] },
      { bucket: 'source', key: 'apache/long.log', line: 2, raw: 64 * 1024, reason: 'line exceeds 1048576 bytes', rawObject: spilled[0], rawBytes: long.length },
    ]);
    expect((await bytesOf('backup', copies[0])).equals(broken)).toBe(true);
    expect((await bytesOf('backup', spilled[0])).equals(long)).toBe(true);
    // every object of the run, the broken one too, is done: archived, nothing left staged or claimed
    expect(await keys('staging', `${PIPELINE}/`)).toEqual([]);
    expect(await keys('staging', '_batches/')).toEqual([]);
  });
});
