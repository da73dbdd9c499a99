/**
 * What the agent integration tests share: the example pipelines as shipped, the index layout the IndexBootstrap
 * custom resource creates, the S3-buffer path as the synthesized stacks wire it, the handlers' test environment,
 * lines tagged with a sequence number, readers of the destinations (the node's documents, the backup bucket's records)
 * and the exactly-once accounting of the zero-loss counts.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { loadConfig, parseConfig } from '../../../lib/config/load';
import { toRuntimeConfig } from '../../../lib/config/runtime-config';
import type { ConfigInput, LogFormat, Pipeline } from '../../../lib/config/schema';
import type { BulkTransport } from '../../../lambda/core/bulk/sender';
import { toOpenSearchMappings } from '../../../lambda/core/fields';
import { compileParser, recordBatches } from '../../../lambda/core/formats';
import { decodeBody, isFailed, splitLines } from '../../../lambda/core/lines';
import { ensureIndexLayout, type OpenSearchHttp } from '../../../lambda/core/opensearch/index-layout';
import { fluentBitConfigDocument, type AgentTargets } from '../../../lib/agent/fluent-bit-config';
import type { AwsEmulator } from '../../../lib/local/aws-emulator';
import { localize, QUICK_AGENT_TIMING, startFluentBit, type FluentBitProcess, type LocalTargets } from '../../../lib/local/fluent-bit';
import { freePort } from '../../../lib/local/net';
import { drain, queueArn, type SqsHandler } from '../../../lib/local/sqs-lambda';
import { applyNotifications, bucketNotifications, functionEnvironment, pipelineTemplates, withEnvironment, type StackTemplate } from '../../../lib/local/template';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const EXAMPLES_FILE = path.join(REPO_ROOT, 'pipelines.yaml');

/** A pipeline of the shipped pipelines.yaml, by name; with `edit`, its entry as written changed first (then parsed). */
export function examplePipeline(name: string, edit?: (raw: Record<string, any>) => Record<string, any>): Pipeline {
  if (edit) return parseConfig({ syslog: examplesAsWritten().syslog, pipelines: [edit(exampleRaw(name))] } as ConfigInput).pipelines[0];
  const p = loadConfig(EXAMPLES_FILE).pipelines.find((x) => x.name === name);
  if (!p) throw new Error(`pipelines.yaml has no pipeline ${name}`);
  return p;
}

function examplesAsWritten(): { syslog?: unknown; pipelines: Array<Record<string, any>> } {
  return parseYaml(fs.readFileSync(EXAMPLES_FILE, 'utf8'));
}

/** A pipeline's entry in the shipped pipelines.yaml as written (no defaults applied): a part to reuse in a variant. */
export function exampleRaw(name: string): Record<string, any> {
  const p = examplesAsWritten().pipelines.find((x) => x.name === name);
  if (!p) throw new Error(`pipelines.yaml has no pipeline ${name}`);
  return p;
}

export function nodeHttp(url: string): OpenSearchHttp {
  return async (method, p, body) => {
    const res = await fetch(`${url}${p}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.text() };
  };
}

/** The processor's bulk transport (lambda/core/bulk/sender.ts), to the node without authentication. */
export function nodeBulk(url: string): BulkTransport {
  return async (body) => {
    const res = await fetch(`${url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    return { status: res.status, body: await res.text() };
  };
}

/** Template, (no) ISM policy, first index and write alias, as the IndexBootstrap custom resource creates them. */
export async function bootstrapIndex(url: string, pipeline: Pipeline, replicas = 0): Promise<void> {
  if (pipeline.engine.type !== 'opensearch') throw new Error(`${pipeline.name}: not an OpenSearch pipeline`);
  const e = pipeline.engine;
  await ensureIndexLayout(nodeHttp(url), { ...e.index, replicas, indexPrefix: e.indexPrefix, flavor: e.domain.type }, toOpenSearchMappings(compileParser(pipeline.logFormat).fields));
}

/** Every document behind an alias (refreshed first), `_id` included. */
export async function allDocuments(url: string, alias: string): Promise<Array<{ _id: string; _source: Record<string, unknown> }>> {
  await fetch(`${url}/${alias}/_refresh`, { method: 'POST' });
  const out: Array<{ _id: string; _source: Record<string, unknown> }> = [];
  let after: unknown[] | undefined;
  for (;;) {
    const res = await fetch(`${url}/${alias}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 5000, sort: [{ _id: 'asc' }], ...(after ? { search_after: after } : {}) }),
    });
    // No index behind the alias yet: nothing indexed so far
    if (res.status === 404) return out;
    const hits = ((await res.json()) as { hits: { hits: Array<{ _id: string; _source: Record<string, unknown>; sort: unknown[] }> } }).hits.hits;
    if (hits.length === 0) return out;
    out.push(...hits.map((h) => ({ _id: h._id, _source: h._source })));
    after = hits[hits.length - 1].sort;
  }
}

export async function createBuckets(s3: S3Client, ...names: string[]): Promise<void> {
  for (const b of names) await s3.send(new CreateBucketCommand({ Bucket: b }));
}

/** Every key under a prefix. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Every object under a prefix (all of the bucket by default), with its body. */
export async function objectBodies(s3: S3Client, bucket: string, prefix = ''): Promise<Array<{ key: string; body: Buffer }>> {
  const out: Array<{ key: string; body: Buffer }> = [];
  for (const key of await listKeys(s3, bucket, prefix)) {
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    out.push({ key, body: Buffer.from(await obj.Body!.transformToByteArray()) });
  }
  return out;
}

/** The records of every gzipped JSON-lines object under a prefix (the agent's and the processor's backups). */
export async function backupRecords(s3: S3Client, bucket: string, prefix: string): Promise<Array<Record<string, any>>> {
  return (await objectBodies(s3, bucket, prefix)).flatMap(({ key, body }) =>
    gunzipSync(body)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ ...JSON.parse(l), _key: key })),
  );
}

/** Appends lines (each with its newline) to a file, as an application writing its log does. */
export function appendLines(file: string, lines: string[]): void {
  if (lines.length) fs.appendFileSync(file, `${lines.join('\n')}\n`);
}

/** How many times each value occurs. */
export function tally<T>(values: Iterable<T>): Map<T, number> {
  const m = new Map<T, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** The AWS credentials Fluent Bit signs with against the emulators (they check no signature). */
export const FAKE_AWS_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

// ---------------------------------------------------------------------------------------------------------------------
// The stacks as synthesized (the S3-buffer tests: EC2, EKS, syslog): bucket notifications and function environments are
// read from the templates (lib/local/template.ts), so that the test wires the emulator the way the stacks wire AWS.

/** The template of each pipeline's stack (`Logtong-<name>`), from one app synthesized as `cdk synth` does. */
export function synthesizedTemplates(pipelines: Pipeline[]): Record<string, StackTemplate> {
  // required here: the infra helpers load the CDK app, which the other agent tests do not need
  const { build } = require('../../infra/synth') as typeof import('../../infra/synth');
  // a syslog pipeline needs the file's shared syslog network (its stack takes the receivers' load balancer from there)
  const syslog = pipelines.some((p) => p.source.type === 'syslog') ? examplesAsWritten().syslog : undefined;
  const { app } = build(parseConfig({ syslog, pipelines } as ConfigInput));
  return pipelineTemplates(app.synth(), pipelines.map((p) => p.name));
}

/** Keeps the handlers' JSON log lines (Powertools) off the test output; collects those whose message is `message` (or one of them). One at a time: a second would replace the first. */
export function captureHandlerLogs(message: string | readonly string[]): { records: Array<Record<string, any>>; restore(): void } {
  const wanted = new Set(typeof message === 'string' ? [message] : message);
  const records: Array<Record<string, any>> = [];
  const realWrite = process.stdout.write.bind(process.stdout);
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: any[]) => {
    const text = chunk.toString();
    if (!text.startsWith('{')) return (realWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
    for (const line of text.split('\n').filter(Boolean)) {
      const rec = JSON.parse(line);
      if (wanted.has(rec.message)) records.push(rec);
    }
    return true;
  }) as typeof process.stdout.write);
  return { records, restore: () => spy.mockRestore() };
}

/** An SQS queue with a dead-letter queue (maxReceiveCount 3), as WorkQueue makes them. */
export async function workQueue(sqs: SQSClient, name: string): Promise<WorkQueueUrls> {
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
  const redrive = JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, dlq), maxReceiveCount: 3 });
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30', RedrivePolicy: redrive } }))).QueueUrl!;
  return { url, dlq };
}

export interface WorkQueueUrls {
  url: string;
  dlq: string;
}

export async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/**
 * The environment the tests run the handlers in, beyond what a function's own sets: the emulators' endpoints and
 * credentials, Powertools' JSON lines at `logLevel` (captureHandlerLogs reads them at INFO). With `processor`, what an
 * OpenSearch processor needs when there is no synthesized template to take it from: the pipeline as RUNTIME_CONFIG,
 * the node without authentication, the backup bucket.
 */
export function handlerEnv(aws: Pick<AwsEmulator, 'env'>, o: { logLevel: 'INFO' | 'WARN'; processor?: { pipeline: Pipeline; opensearchUrl: string; backupBucket: string } }): Record<string, string> {
  const p = o.processor;
  return {
    ...aws.env,
    ...(p
      ? { PIPELINE_NAME: p.pipeline.name, RUNTIME_CONFIG: JSON.stringify(toRuntimeConfig(p.pipeline)), OPENSEARCH_ENDPOINT: p.opensearchUrl, OPENSEARCH_AUTH: 'none', BACKUP_BUCKET: p.backupBucket }
      : {}),
    POWERTOOLS_METRICS_NAMESPACE: 'Logtong',
    POWERTOOLS_SERVICE_NAME: 'logtong-test',
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_LOG_LEVEL: o.logLevel,
  };
}

export interface StagedBuckets {
  buffer: string;
  staging: string;
  backup: string;
  /** Light Engine: the Parquet files. */
  central: string;
}

/** The emulator buckets that stand for a pipeline stack's own. */
export const stagedBuckets = (name: string): StagedBuckets => ({ buffer: `${name}-buffer`, staging: `${name}-staging`, backup: `${name}-backup`, central: `${name}-central` });

export interface StagedPipeline {
  buckets: StagedBuckets;
  copy: WorkQueueUrls;
  /** OpenSearch only. */
  process?: WorkQueueUrls;
  /** Stand-ins for the references in its functions' environments (functionEnvironment). */
  refs: Record<string, string>;
}

export interface StagedPath {
  templates: Record<string, StackTemplate>;
  pipelines: Record<string, StagedPipeline>;
  /** The handlers' `object processed` lines (restore() in afterAll). */
  logs: ReturnType<typeof captureHandlerLogs>;
  /** What the event source mappings do: the copy queue, then (OpenSearch) the processor queue, drained; every pipeline's when none is named. */
  pump(name?: string): Promise<void>;
}

/**
 * The path from an agent's buffer bucket as each pipeline's synthesized stack wires it, on the emulators: buffer,
 * staging, backup (and for the Light Engine central) buckets, the copy and (OpenSearch) processor work queues, the
 * buckets' notifications and the copy and processor handlers with their functions' environments as synthesized, and
 * for OpenSearch the index layout the IndexBootstrap custom resource creates on the node at `opensearchUrl`.
 */
export async function wireStagedPath(aws: AwsEmulator, pipelines: Pipeline[], opensearchUrl?: string): Promise<StagedPath> {
  const templates = synthesizedTemplates(pipelines);
  const logs = captureHandlerLogs('object processed');
  Object.assign(process.env, handlerEnv(aws, { logLevel: 'INFO' }));
  const load = (handler: string) => () => (require(`../../../lambda/handlers/${handler}`) as { handler: SqsHandler }).handler;
  const wired: Record<string, StagedPipeline> = {};
  const handlers: Record<string, { copy: SqsHandler; process?: SqsHandler }> = {};
  for (const p of pipelines) {
    const t = templates[p.name];
    const opensearch = p.engine.type === 'opensearch';
    const buckets = stagedBuckets(p.name);
    await createBuckets(aws.s3, buckets.buffer, buckets.staging, buckets.backup, ...(opensearch ? [] : [buckets.central]));
    const refs = { StagingBucket: buckets.staging, BackupBucket: buckets.backup, CentralBucket: buckets.central, 'AWS::Region': aws.region };
    const w: StagedPipeline = { buckets, refs, copy: await workQueue(aws.sqs, `${p.name}-copy`), ...(opensearch ? { process: await workQueue(aws.sqs, `${p.name}-process`) } : {}) };
    const queueUrls = { CopyQueue: w.copy.url, ProcessorQueue: w.process?.url ?? '' };
    await applyNotifications(aws.s3, aws.sqs, buckets.buffer, bucketNotifications(t, 'BufferBucket'), queueUrls);
    handlers[p.name] = { copy: withEnvironment(functionEnvironment(t, 'CopyFunction', refs), load('copy')) };
    if (opensearch) {
      await applyNotifications(aws.s3, aws.sqs, buckets.staging, bucketNotifications(t, 'StagingBucket'), queueUrls);
      handlers[p.name].process = withEnvironment(functionEnvironment(t, 'ProcessorFunction', refs), load('process'));
      if (!opensearchUrl) throw new Error(`${p.name}: an OpenSearch pipeline needs the node's URL`);
      await bootstrapIndex(opensearchUrl, p);
    }
    wired[p.name] = w;
  }
  return {
    templates,
    pipelines: wired,
    logs,
    async pump(name) {
      for (const n of name === undefined ? Object.keys(wired) : [name]) {
        await drain(aws.sqs, wired[n].copy.url, handlers[n].copy, 'copy');
        if (wired[n].process) await drain(aws.sqs, wired[n].process!.url, handlers[n].process!, 'process');
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Lines tagged with a sequence number (`logtong-seq=N`), so that each document and backup record names the line it came
// from; and the count of where each line went.

export const seqTag = (n: number): string => `logtong-seq=${n}`;

/** The sequence number a text carries (NaN when none). */
export const seqOf = (text: unknown): number => Number(/logtong-seq=(\d+)/.exec(String(text))?.[1] ?? NaN);

/** An access log line with its sequence number added to the request URI's query string. */
export const withSeqInRequest = (line: string, n: number): string =>
  line.replace(/"([A-Z]+) (\S+) (HTTP\/1\.[01])"/, (_, m, uri, proto) => `"${m} ${uri}${uri.includes('?') ? '&' : '?'}${seqTag(n)} ${proto}"`);

/** Items by the sequence number their text carries. */
export function groupBySeq<T>(items: Iterable<T>, text: (t: T) => unknown): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const i of items) {
    const s = seqOf(text(i));
    m.set(s, [...(m.get(s) ?? []), i]);
  }
  return m;
}

/** Where a line belongs: indexed, backed up, or in neither (dropped by a filter). */
export type Place = 'index' | 'backup' | 'neither';

export interface OnceAccount<T> {
  /** Lines in neither place that belong in one. */
  missing: T[];
  /** Lines in the index or the backup bucket more than once, or in both. */
  twice: T[];
  /** Lines there once, but not where they belong. */
  misplaced: T[];
}

/**
 * The exactly-once count: each line against where it belongs (`place`, the oracle's verdict) and how often it was
 * found in the index and in the backup bucket. All three lists empty: every line once, in its place.
 */
export function accountOnce<T>(lines: Iterable<T>, place: (t: T) => Place, found: (t: T) => { indexed: number; backedUp: number }): OnceAccount<T> {
  const out: OnceAccount<T> = { missing: [], twice: [], misplaced: [] };
  for (const t of lines) {
    const { indexed, backedUp } = found(t);
    const want = place(t);
    if (indexed + backedUp > 1) out.twice.push(t);
    else if (indexed + backedUp === 0) {
      if (want !== 'neither') out.missing.push(t);
    } else if ((indexed === 1 ? 'index' : 'backup') !== want) out.misplaced.push(t);
  }
  return out;
}

/** accountOnce, and nothing may be wrong: a failure lists each line that is (`name` says which) with its counts. */
export function expectEachOnce<T>(lines: Iterable<T>, place: (t: T) => Place, found: (t: T) => { indexed: number; backedUp: number }, name: (t: T) => unknown): void {
  const acc = accountOnce(lines, place, found);
  const show = (ts: T[]) => ts.map((t) => ({ line: name(t), place: place(t), ...found(t) }));
  expect({ missing: show(acc.missing), twice: show(acc.twice), misplaced: show(acc.misplaced) }).toEqual({ missing: [], twice: [], misplaced: [] });
}

// ---------------------------------------------------------------------------------------------------------------------
// The oracle: what the processor's own core makes of the bytes an application wrote.

export type Verdict = { ok: true; lineNo: number; text: string; doc: Record<string, unknown> } | { ok: false; lineNo: number; raw: string; reason: string; rawBase64?: string };

/**
 * Each record of one stream of bytes (an object, a container's stdout) as the processor core reads it: the line
 * splitter (UTF-8, maxLineBytes), the event assembler of multi-line-text, the parser. The same code the processor and
 * the Light Engine's Convert run, on the text as the application wrote it rather than as the agent shipped it.
 */
export async function processorVerdicts(format: LogFormat, bytes: Buffer): Promise<Verdict[]> {
  const parser = compileParser(format);
  const out: Verdict[] = [];
  async function* body() {
    yield bytes;
  }
  for await (const batch of recordBatches(parser, splitLines(decodeBody(body()), { maxLineBytes: format.maxLineBytes }))) {
    for (const e of batch) {
      if (isFailed(e)) out.push({ ok: false, lineNo: e.lineNo, raw: e.raw, reason: e.reason, ...(e.rawBase64 !== undefined ? { rawBase64: e.rawBase64 } : {}) });
      else {
        const r = parser.parse(e.text);
        out.push(r.ok ? { ok: true, lineNo: e.lineNo, text: e.text, doc: r.doc } : { ok: false, lineNo: e.lineNo, raw: e.text, reason: r.reason });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Container logs as the kubelet and containerd write them.

export { QUICK_AGENT_TIMING };

export interface TailingAgent {
  fb: FluentBitProcess;
  /** The agent's own folder: its state (offsets DB, filesystem buffer), configuration and log. */
  dir: string;
  /** The (empty) file it tails. */
  file: string;
}

/**
 * A pipeline's generated agent configuration on the real Fluent Bit, tailing a new empty file in a new folder, its
 * outputs pointed by `local` at this machine; QUICK_AGENT_TIMING, then `timing` on top.
 */
export async function startTailingAgent(
  name: string,
  pipeline: Pipeline,
  targets: AgentTargets,
  local: Omit<LocalTargets, 'stateDir' | 'httpPort' | 'logPaths' | 'timing'>,
  timing: LocalTargets['timing'] = {},
): Promise<TailingAgent> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `logtong-agent-${name}-`));
  const file = path.join(dir, 'app.log');
  fs.writeFileSync(file, '');
  const doc = localize(fluentBitConfigDocument(pipeline, targets), { ...local, stateDir: path.join(dir, 'state'), httpPort: await freePort(), logPaths: [file], timing: { ...QUICK_AGENT_TIMING, ...timing } });
  return { fb: await startFluentBit({ doc, dir, env: FAKE_AWS_ENV }), dir, file };
}

/** The Apache combined format of the corpus `apache_combined_elastic_examples.log`. */
export const APACHE_COMBINED = { type: 'apache', format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"' } as const;

/**
 * An S3-source OpenSearch pipeline on the Apache corpus, indexing into `url` (a node or a proxy in front of it) without
 * replicas: what the processor tests load their handlers with. `engine` adds to or overrides the engine settings.
 */
export function apacheProcessorPipeline(name: string, url: string, engine: Record<string, unknown> = {}): Pipeline {
  return parseConfig({
    pipelines: [
      {
        name,
        source: { type: 's3', bucketName: 'source' },
        logFormat: APACHE_COMBINED,
        engine: { type: 'opensearch', indexPrefix: name, domain: { type: 'self-managed', url }, index: { replicas: 0 }, ...engine },
      },
    ],
  } as ConfigInput).pipelines[0];
}
