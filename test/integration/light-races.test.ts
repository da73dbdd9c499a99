/**
 * Light Engine runs that overlap, on the S3 emulator (its conditional writes are what the leases stand on) with the
 * real handlers and the state machines as `cdk synth` wrote them: two List steps interleaved by hand, two executions
 * started at once with the one-run guard fooled (each sees only itself: the check-then-act hole), and compactions of
 * the same hours while a failed batch is retried. Every staged line carries a sequence number in its request URI;
 * the Parquet read back with DuckDB must hold each exactly once.
 */
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { toRuntimeConfig } from '../../lib/config/runtime-config';
import { parseConfig } from '../../lib/config/load';
import { compileParser } from '../../lambda/core/formats';
import { batchOfFile, listLockKey, manifestIdOf } from '../../lambda/core/light/layout';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { runStateMachine, stateMachineDefinition, StateMachineExecutionError, type AslDefinition, type SnsPublishRequest, type TaskBindings } from '../../lib/local/local-sfn';
import { build } from '../infra/synth';
import { corpusLines } from '../corpora';
import { listKeys } from './harness/agent-path';

jest.setTimeout(300_000);

const PIPELINE = 'race-light';
const TABLE = 'race_light';
const REGION = 'eu-west-3';
const FORMAT = { type: 'apache', format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"' } as const;
const LOCK = listLockKey(PIPELINE);

type Handler = (e: unknown, c: unknown) => Promise<unknown>;
const lambdaContext = { getRemainingTimeInMillis: () => 300_000, functionName: 'local', awsRequestId: 'local' };

let aws: AwsEmulator;
let db: DuckDBConnection;
let batch: AslDefinition;
let compaction: AslDefinition;
const handlers: Record<'list' | 'convert' | 'compactList' | 'compact', Handler> = {} as never;
const published: SnsPublishRequest[] = [];

// ---- the lines: corpus lines tagged with a sequence number, in three phases over the same hours -----------------------

const seqTag = (n: number) => `logtong-seq=${n}`;
const withSeq = (line: string, n: number) =>
  line.replace(/"([A-Z]+) (\S+) (HTTP\/1\.[01])"/, (_, m: string, uri: string, proto: string) => `"${m} ${uri}${uri.includes('?') ? '&' : '?'}${seqTag(n)} ${proto}"`);

/** 2,400 lines that parse once tagged (the corpus has a few that do not: those are the processor's business, not this test's). */
const parser = compileParser({ ...FORMAT, maxLineBytes: 1 << 20 } as never);
const tagged = corpusLines('apache_combined_elastic_examples.log')
  .map((l, i) => withSeq(l, i + 1))
  .filter((l) => l.includes(seqTag(0).slice(0, -1)) && parser.parse(l).ok)
  .slice(0, 2400);
const seqOf = (l: string) => Number(/logtong-seq=(\d+)/.exec(l)![1]);
/** Every third line to each phase: each phase writes into the same event hours as the others. */
const phase = (p: number) => tagged.filter((_, i) => i % 3 === p);
const staged = new Set<number>();

/** `lines` as staged objects of `per` lines (`<pipeline>/source/<name>-<n>.log`, every other one gzipped). */
async function stage(name: string, lines: string[], per = 100): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i * per < lines.length; i++) {
    const part = lines.slice(i * per, (i + 1) * per);
    const text = Buffer.from(`${part.join('\n')}\n`);
    const key = `${PIPELINE}/source/${name}-${String(i).padStart(2, '0')}.log${i % 2 ? '.gz' : ''}`;
    await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: key, Body: i % 2 ? gzipSync(text) : text }));
    for (const l of part) staged.add(seqOf(l));
    keys.push(key);
  }
  return keys;
}

// ---- reading back ---------------------------------------------------------------------------------------------------

const keys = async (bucket: string, prefix = ''): Promise<string[]> => (await listKeys(aws.s3, bucket, prefix)).sort();

async function text(bucket: string, key: string): Promise<string> {
  return (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

/** Every row's sequence number, read with DuckDB from the table's Parquet files (Hive partitions intact). */
async function tableSeqs(): Promise<{ rows: number; counts: Map<number, number>; files: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'logtong-races-'));
  const files = await keys('central', `${TABLE}/`);
  for (const key of files) {
    mkdirSync(path.join(dir, path.dirname(key)), { recursive: true });
    const o = await aws.s3.send(new GetObjectCommand({ Bucket: 'central', Key: key }));
    writeFileSync(path.join(dir, key), Buffer.from(await o.Body!.transformToByteArray()));
  }
  const src = `read_parquet('${dir}/${TABLE}/**/*.parquet', hive_partitioning = true)`;
  const rows = (await db.runAndReadAll(`select regexp_extract(request_uri, 'logtong-seq=(\\d+)', 1)::INTEGER as seq, count(*)::INTEGER as n from ${src} group by 1`)).getRowObjectsJS() as Array<{ seq: number; n: number }>;
  rmSync(dir, { recursive: true, force: true });
  return { rows: rows.reduce((s, r) => s + r.n, 0), counts: new Map(rows.map((r) => [r.seq, r.n])), files: files.length };
}

/** Each staged line exactly once in the table: none twice, none missing, nothing else. */
async function expectEachRowOnce(): Promise<Awaited<ReturnType<typeof tableSeqs>>> {
  const t = await tableSeqs();
  const twice = [...t.counts].filter(([, n]) => n > 1).map(([seq, n]) => ({ seq, n }));
  const missing = [...staged].filter((s) => !t.counts.has(s));
  const unknown = [...t.counts.keys()].filter((s) => !staged.has(s));
  expect({ twice, missing, unknown }).toEqual({ twice: [], missing: [], unknown: [] });
  expect(t.rows).toBe(staged.size);
  return t;
}

// ---- the state machines ------------------------------------------------------------------------------------------

function bindings(overrides: Partial<TaskBindings> = {}): TaskBindings {
  return {
    // The guard's check-then-act hole, made certain: every execution believes it is the only one running.
    FindRunningExecutions: { raw: () => ({ Executions: [{ executionArn: 'arn:aws:states:::execution:this', status: 'RUNNING' }] }) },
    List: (e, c) => handlers.list(e, c),
    Convert: (e, c) => handlers.convert(e, c),
    ListPartitions: (e, c) => handlers.compactList(e, c),
    Compact: (e, c) => handlers.compact(e, c),
    NotifyFailure: (req: SnsPublishRequest) => void published.push(req),
    ...overrides,
  };
}

type Converted = { written: number; busy?: boolean; alreadyConverted?: boolean };
type Compacted = { prefix: string; merges: number; pendingFiles: number; busy?: boolean };
const converted = (run: { output: unknown }) => (run.output as { converted: Converted[] }).converted;
const compacted = (run: { output: unknown }) => (run.output as { compacted: Compacted[] }).compacted;
const written = (results: Converted[]) => results.reduce((n, r) => n + r.written, 0);

beforeAll(async () => {
  aws = await startAwsEmulator({ region: REGION });
  for (const b of ['staging', 'backup', 'central']) await aws.s3.send(new CreateBucketCommand({ Bucket: b }));
  const config = parseConfig({
    pipelines: [{ name: PIPELINE, source: { type: 's3', bucketName: 'source' }, logFormat: FORMAT, engine: { type: 'light', region: REGION, maxConcurrency: 2 } }],
  });
  const { app, stacks } = build(config);
  const template = app.synth().getStackByName(stacks[0].stackName).template;
  batch = stateMachineDefinition(template, 'LightEngineStateMachine');
  compaction = stateMachineDefinition(template, 'CompactionStateMachine');
  Object.assign(process.env, aws.env, {
    STAGING_BUCKET: 'staging',
    CENTRAL_BUCKET: 'central',
    BACKUP_BUCKET: 'backup',
    PIPELINE_NAME: PIPELINE,
    TABLE_NAME: TABLE,
    PARTITION_REGION: REGION,
    RUNTIME_CONFIG: JSON.stringify(toRuntimeConfig(config.pipelines[0])),
    // Two objects per batch: several batches per run, each writing into the same few hours.
    BATCH_MAX_BYTES: String(1024 * 1024),
    BATCH_MAX_OBJECTS: '2',
    // The corpus is from 2015, its files written just now: due at once; a partition merges into one file.
    COMPACT_MIN_AGE_HOURS: '0',
    COMPACT_TARGET_BYTES: String(8 * 1024 * 1024),
    POWERTOOLS_METRICS_NAMESPACE: 'Logtong',
    POWERTOOLS_SERVICE_NAME: 'logtong-test',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  handlers.list = require('../../lambda/handlers/light-list').handler;
  handlers.convert = require('../../lambda/handlers/light-convert').handler;
  handlers.compactList = require('../../lambda/handlers/light-compact-list').handler;
  handlers.compact = require('../../lambda/handlers/light-compact').handler;
  db = await (await DuckDBInstance.create(':memory:')).connect();
});

afterAll(async () => {
  db?.closeSync();
  await aws?.stop();
});

describe('overlapping Light Engine runs and compactions', () => {
  it('the emulator answers conditional writes as S3 does', async () => {
    const put = (key: string, body: string, cond: { IfNoneMatch?: string; IfMatch?: string }) =>
      aws.s3.send(new PutObjectCommand({ Bucket: 'backup', Key: key, Body: body, ...cond })).then(
        (r) => r.ETag,
        (e: { name: string; $metadata: { httpStatusCode: number } }) => `${e.$metadata.httpStatusCode} ${e.name}`,
      );
    const first = await put('cond/x', 'one', { IfNoneMatch: '*' });
    expect(first).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await put('cond/x', 'two', { IfNoneMatch: '*' })).toBe('412 PreconditionFailed');
    expect(await put('cond/x', 'two', { IfMatch: '"0123"' })).toBe('412 PreconditionFailed');
    expect(await put('cond/gone', 'two', { IfMatch: first })).toBe('404 NoSuchKey');
    expect(await keys('backup', 'cond/')).toEqual(['cond/x']);
    const second = await put('cond/x', 'two', { IfMatch: first });
    expect(second).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await text('backup', 'cond/x')).toBe('two');
    const del = (key: string, etag: string) =>
      aws.s3.send(new DeleteObjectCommand({ Bucket: 'backup', Key: key, IfMatch: etag })).then(
        () => 'deleted',
        (e: { name: string; $metadata: { httpStatusCode: number } }) => `${e.$metadata.httpStatusCode} ${e.name}`,
      );
    expect(await del('cond/x', first!)).toBe('412 PreconditionFailed');
    expect(await del('cond/gone', first!)).toBe('404 NoSuchKey');
    expect(await del('cond/x', second!)).toBe('deleted');
    expect(await keys('backup', 'cond/')).toEqual([]);
  });

  it('two List steps interleaved by hand: the second waits for the first one’s lock; no object is in two manifests; each row once', async () => {
    // Staged as c…, then `a-…` sorts before every one of them: planned afresh, all the groups would shift.
    const objects = [...(await stage('c', phase(0).slice(0, 600)))];
    const atManifest = aws.holdS3((r) => r.method === 'PUT' && r.bucket === 'staging' && manifestIdOf(r.key) !== undefined);
    const first = handlers.list({}, lambdaContext) as Promise<{ batches: Array<{ manifestKey: string; run: string }> }>;
    await atManifest.reached; // the first List has planned and is writing its first manifest
    objects.unshift(...(await stage('a', phase(0).slice(600, 700))));
    const atLock = aws.holdS3((r) => r.method === 'GET' && r.key === LOCK);
    const second = handlers.list({}, lambdaContext) as Promise<{ batches: Array<{ manifestKey: string; run: string }>; resumed: number }>;
    await atLock.reached; // the second List is reading the lock, which the first one holds
    atLock.release();
    atManifest.release();
    const [one, two] = await Promise.all([first, second]);

    expect(one.batches).toHaveLength(3);
    expect(two.resumed).toBe(3);
    expect(two.batches).toHaveLength(4);
    // Every staged object in exactly one manifest; the lock released.
    const members = new Map<string, number>();
    for (const key of await keys('staging', `_batches/${PIPELINE}/`)) {
      for (const o of JSON.parse(await text('staging', key)).objects as Array<{ key: string }>) members.set(o.key, (members.get(o.key) ?? 0) + 1);
    }
    expect([...members.keys()].sort()).toEqual([...objects].sort());
    expect([...members.values()].every((n) => n === 1)).toBe(true);

    // Both runs convert what they were offered, at once: each batch is converted by one of them, the other leaves it.
    const results = (await Promise.all([...one.batches, ...two.batches].map((b) => handlers.convert(b, lambdaContext)))) as Converted[];
    expect(results.filter((r) => r.written > 0)).toHaveLength(4);
    expect(results.filter((r) => r.busy || r.alreadyConverted)).toHaveLength(3);
    expect(written(results)).toBe(700);
    expect(await keys('staging', '_batches/')).toEqual([]);
    await expectEachRowOnce();
  });

  it('two executions started at once (the guard fooled): each row once', async () => {
    await stage('e', phase(1).slice(0, 400));
    const [a, b] = await Promise.all([runStateMachine(batch, { trigger: 'schedule' }, bindings()), runStateMachine(batch, { trigger: 'schedule' }, bindings())]);
    // The handlers' own counts agree with the table: every line converted by exactly one Convert.
    expect(written([...converted(a), ...converted(b)])).toBe(400);
    expect(await keys('staging', '_batches/')).toEqual([]);
    expect(await keys('staging', `${PIPELINE}/`)).toEqual([]);
    await expectEachRowOnce();
  });

  it('a second execution while the first one’s Converts run, and a compaction of the same hours meanwhile: each row once', async () => {
    await stage('f', phase(1).slice(400, 800), 50); // 8 objects: 4 batches of 100 lines
    // Every Convert stops at its first Parquet upload until released.
    const writing = aws.holdS3((r) => r.method === 'PUT' && r.bucket === 'central' && batchOfFile(r.key) !== undefined);
    const first = runStateMachine(batch, { trigger: 'schedule' }, bindings());
    await writing.arrived(2); // the first run listed 4 batches; its Map converts 2 at a time
    const second = runStateMachine(batch, { trigger: 'schedule' }, bindings());
    await writing.arrived(4); // the second run was offered the 2 not yet started, and converts them
    const merged = compacted(await runStateMachine(compaction, { trigger: 'schedule' }, bindings()));
    expect(merged.length).toBeGreaterThan(0);
    expect(merged.every((p) => p.merges === 1 && p.pendingFiles === 0 && !p.busy)).toBe(true);
    writing.release();
    const [one, two] = await Promise.all([first, second]);

    expect((two.output as { list: { busy: number; resumed: number } }).list).toMatchObject({ busy: 2, resumed: 2 });
    // Of the first run's 4 Converts, the 2 that the second run took found them held or done: 4 conversions in all.
    const results = [...converted(one), ...converted(two)];
    expect(results).toHaveLength(6);
    expect(results.filter((r) => r.written === 100)).toHaveLength(4);
    expect(results.filter((r) => r.written === 0 && (r.busy || r.alreadyConverted))).toHaveLength(2);
    expect(written(results)).toBe(400);
    expect(await keys('staging', '_batches/')).toEqual([]);
    await expectEachRowOnce();
  });

  it('compactions of the same hours while a failed batch is retried never merge the batch’s files; each row once', async () => {
    // Three batches over the same hours (every third line each): H converts, G fails, I converts later.
    const lines = phase(2).slice(0, 600);
    const [h, g, i] = [0, 1, 2].map((k) => lines.filter((_, n) => n % 3 === k));
    await stage('h', h);
    expect(written(converted(await runStateMachine(batch, {}, bindings())))).toBe(200);

    // G's Convert dies after its Parquet is written, while archiving, on every attempt: the execution fails.
    await stage('g', g);
    published.length = 0;
    const heal = aws.failS3((r) => r.method === 'PUT' && r.key.startsWith(`archive/${PIPELINE}/source/g-01`));
    const failed = await runStateMachine(batch, {}, bindings()).catch((e: unknown) => e);
    heal();
    expect(failed).toBeInstanceOf(StateMachineExecutionError);
    expect(published).toHaveLength(1);
    const [manifest] = await keys('staging', `_batches/${PIPELINE}/`);
    const id = manifestIdOf(manifest)!;
    const filesOf = async () => (await keys('central', `${TABLE}/`)).filter((k) => batchOfFile(k) === id);
    const gFiles = await filesOf();
    const gPartitions = new Set(gFiles.map((k) => `${path.dirname(k)}/`));
    expect(gFiles.length).toBeGreaterThan(0);

    // A compaction now merges H's files with the older ones and leaves G's alone: a retry rewrites them.
    const before = compacted(await runStateMachine(compaction, {}, bindings()));
    expect(before.filter((p) => gPartitions.has(p.prefix)).every((p) => p.merges === 1 && p.pendingFiles === 1)).toBe(true);
    expect(before.reduce((n, p) => n + p.pendingFiles, 0)).toBe(gFiles.length);
    expect(await filesOf()).toEqual(gFiles);

    // I is listed (with G, offered again) and converted on its own; then the next run retries G, and while it is
    // writing G's files again, another compaction of the same hours runs to its end.
    await stage('i', i);
    const offered = (await handlers.list({}, lambdaContext)) as { batches: Array<{ manifestKey: string; run: string }>; resumed: number };
    expect(offered).toMatchObject({ resumed: 1 });
    expect(((await handlers.convert(offered.batches[1], lambdaContext)) as Converted).written).toBe(200);
    const rewriting = aws.holdS3((r) => r.method === 'PUT' && r.bucket === 'central' && batchOfFile(r.key) === id);
    const retry = runStateMachine(batch, {}, bindings());
    await rewriting.reached;
    const during = compacted(await runStateMachine(compaction, {}, bindings()));
    expect(during.filter((p) => gPartitions.has(p.prefix)).every((p) => p.merges === 1 && p.pendingFiles === 1)).toBe(true);
    expect(during.reduce((n, p) => n + p.pendingFiles, 0)).toBe(gFiles.length);
    rewriting.release();
    expect(written(converted(await retry))).toBe(200);
    expect(await filesOf()).toEqual(gFiles);
    expect(await keys('staging', '_batches/')).toEqual([]);
    await expectEachRowOnce();

    // G is done now: the next compaction merges its files too, and every partition is one file.
    const after = compacted(await runStateMachine(compaction, {}, bindings()));
    expect(after.map((p) => p.prefix).sort()).toEqual([...gPartitions].sort());
    expect(after.every((p) => p.pendingFiles === 0 && p.merges === 1)).toBe(true);
    const t = await expectEachRowOnce();
    expect(t.files).toBe(new Set((await keys('central', `${TABLE}/`)).map((k) => path.dirname(k))).size);
    expect(await keys('central', '_logtong/')).toEqual([]);
  });
});
