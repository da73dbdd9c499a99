/**
 * The EC2 agent with an S3 buffer, every component real: the configuration fluentBitConfigDocument generates, run by
 * Fluent Bit 4.2.2, tails a file → its s3 output puts gzip objects into the buffer bucket of the S3/SQS emulator → the
 * bucket notification the stack configures → copy handler → staging → processor handler → an OpenSearch 2.19 node; and
 * the Light Engine variant, the example `legacy-parquet` as shipped, whose staged objects the batch state machine (as
 * synthesized, run by aws-local-stepfunctions) converts into Parquet, read back with DuckDB.
 *
 * The OpenSearch pipeline is legacy-parquet's source and format with an opensearch engine (buffer s3) and a small
 * maxLineBytes, so that over-long lines are cheap to write. Bucket notifications and the handlers' environments are
 * read from the synthesized templates of both stacks. Each line carries a sequence number (`logtong-seq=N`); what
 * should become of it is the processor core's own verdict on the bytes as written (processorVerdicts). The count:
 * every line is indexed (or a Parquet row) with the processor's values, or in the backup bucket with its raw text and
 * the processor's reason, exactly once, across an agent restart and an agent killed with data in its s3 store_dir.
 *
 * Timing: QUICK_AGENT_TIMING (agent-path.ts; out_s3 still checks upload_timeout on a timer of at least 6 s:
 * UPLOAD_TIMER_MIN_WAIT, plugins/out_s3/s3.h), except where a test keeps the shipped 60 s.
 */
import { sourceOfStagingKey } from '../../lambda/core/s3-event';
import { createHash } from 'node:crypto';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fluentBitConfigDocument } from '../../lib/agent/fluent-bit-config';
import type { Pipeline } from '../../lib/config/schema';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { waitUntil, withoutMetricsPath, type LocalTargets } from '../../lib/local/fluent-bit';
import { runStateMachine, stateMachineDefinition, type TaskBindings } from '../../lib/local/local-sfn';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { bucketNotifications, functionEnvironment, withEnvironment } from '../../lib/local/template';
import { corpusLines } from '../corpora';
import {
  allDocuments,
  backupRecords,
  examplePipeline,
  expectEachOnce,
  groupBySeq,
  listKeys,
  objectBodies,
  processorVerdicts,
  queueDepth,
  seqOf,
  seqTag,
  stagedBuckets as buckets,
  startTailingAgent,
  tally,
  wireStagedPath,
  withSeqInRequest,
  type StagedPath,
  type TailingAgent,
  type Verdict,
} from './harness/agent-path';

jest.setTimeout(300_000);

const LEGACY = examplePipeline('legacy-parquet');
const OS_NAME = 'httpd-s3';
const MAX_LINE_BYTES = 4096;
const REGION = 'us-east-1';

const CORPUS = corpusLines('apache_combined_elastic_examples.log').filter((l) => /"[A-Z]+ \S+ HTTP\/1\.[01]"/.test(l));

let node: OpenSearchNode;
let aws: AwsEmulator;
let osPipeline: Pipeline;
let staged: StagedPath;
let db: DuckDBConnection;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-fb-s3-'));
let seq = 0;

/** A written line and the processor core's verdict on it. */
interface Written {
  seq: number;
  bytes: Buffer;
  verdict: Verdict;
  /** Longer than the agent's buffer_max_size: it reaches the processor cut (truncate_long_lines). */
  cutByAgent?: boolean;
}

/**
 * `n` corpus lines with their sequence number in the request URI, and among them lines the processor must back up:
 * not an access log line, not UTF-8, longer than maxLineBytes, longer than the agent's whole line buffer. Some end
 * with CRLF, some are followed by an empty line (no record, at the agent as at the processor).
 */
async function makeLines(pipeline: Pipeline, n: number, { long = true } = {}): Promise<Written[]> {
  const bufferMax = 1024 * Number(/^(\d+)KB$/.exec(String(fluentBitConfigDocument(pipeline, { region: REGION, bucketName: 'b' }).pipeline.inputs[0].buffer_max_size))![1]);
  const lines: Array<{ seq: number; bytes: Buffer; eol: string }> = [];
  for (let i = 0; i < n; i++) {
    const s = ++seq;
    const base = withSeqInRequest(CORPUS[s % CORPUS.length], s);
    let bytes = Buffer.from(base);
    if (s % 97 === 0) bytes = Buffer.from(`not an access log line ${seqTag(s)}`);
    else if (s % 251 === 0) bytes = Buffer.concat([Buffer.from(base.slice(0, -1)), Buffer.from([0xff, 0xfe]), Buffer.from('"')]);
    else if (long && s % 401 === 0) bytes = Buffer.from(base.replace(seqTag(s), `pad=${'p'.repeat(2 * pipeline.logFormat.maxLineBytes)}&${seqTag(s)}`));
    else if (long && s % 997 === 0) bytes = Buffer.from(base.replace(/ HTTP\/1\.[01]"/, `&pad=${'q'.repeat(bufferMax + 10_000)} HTTP/1.1"`));
    lines.push({ seq: s, bytes, eol: s % 53 === 0 ? '\r\n' : s % 300 === 0 ? '\n\n' : '\n' });
  }
  const verdicts = await processorVerdicts(pipeline.logFormat, Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from(l.eol)])));
  const bySeq = new Map(verdicts.map((v) => [seqOf(v.ok ? v.text : v.raw), v]));
  expect(verdicts.length).toBe(n);
  return lines.map((l) => ({ seq: l.seq, bytes: Buffer.concat([l.bytes, Buffer.from(l.eol)]), verdict: bySeq.get(l.seq)!, cutByAgent: l.bytes.length > bufferMax }));
}

type Agent = TailingAgent;

// the targets the stack gives the agent (lib/stacks/pipeline/agent-config-props.ts agentsToBufferBucket): its buffer
// bucket, prefix `<pipeline>/`
async function startAgent(name: string, pipeline: Pipeline, timing: LocalTargets['timing'] = {}): Promise<Agent> {
  const agent = await startTailingAgent(name, pipeline, { region: REGION, bucketName: buckets(pipeline.name).buffer, keyPrefix: `${pipeline.name}/` }, { s3Endpoint: aws.endpoint }, timing);
  agents.push(agent);
  return agent;
}
const agents: Agent[] = [];

const write = (agent: Agent, lines: Written[]) => fs.appendFileSync(agent.file, Buffer.concat(lines.map((l) => l.bytes)));

async function osDestinations(): Promise<{ docs: Map<number, Array<Record<string, unknown>>>; backups: Map<number, Array<Record<string, any>>> }> {
  const docs = (await allDocuments(node.url, OS_NAME)).map((d) => d._source);
  const backups = await backupRecords(aws.s3, buckets(OS_NAME).backup, `${OS_NAME}/failed-records/`);
  return { docs: groupBySeq(docs, (d) => d.request_uri), backups: groupBySeq(backups, (b) => b.raw) };
}

/** Pumps the queues until every written line is somewhere, or the timeout passes. */
async function untilArrived(name: string, written: Written[], count: () => Promise<number>, agent: Agent, timeoutMs = 45_000): Promise<void> {
  let have = 0;
  await waitUntil(
    async () => {
      await staged.pump(name);
      have = await count();
      return have >= written.length;
    },
    timeoutMs,
    () => `${have} of ${written.length} lines arrived\n--- agent log (tail) ---\n${agent.fb.log().slice(-3000)}`,
    1_000,
  );
}

/** Each line once where the processor's verdict says, with its values or its raw text and reason; nothing else. */
function expectOnce(written: Written[], found: (w: Written) => { rows: Array<Record<string, unknown>>; backups: Array<Record<string, any>> }, row: (doc: Record<string, unknown>) => Record<string, unknown>): void {
  expectEachOnce(written, (w) => (w.verdict.ok ? 'index' : 'backup'), (w) => ({ indexed: found(w).rows.length, backedUp: found(w).backups.length }), (w) => w.seq);
  for (const w of written) {
    const { rows, backups } = found(w);
    if (w.verdict.ok) expect({ seq: w.seq, row: rows[0] }).toEqual({ seq: w.seq, row: row(w.verdict.doc) });
    else {
      const b = backups[0];
      expect({ seq: w.seq, reason: b.reason, rawBase64: b.rawBase64 }).toEqual({ seq: w.seq, reason: w.verdict.reason, rawBase64: w.verdict.rawBase64 });
      // a line longer than the agent's buffer reaches the processor cut: its raw text is a shorter prefix
      if (w.cutByAgent) expect(w.verdict.raw.startsWith(b.raw) && b.raw.length > MAX_LINE_BYTES).toBe(true);
      else expect({ seq: w.seq, raw: b.raw }).toEqual({ seq: w.seq, raw: w.verdict.raw });
    }
  }
}

beforeAll(async () => {
  [node, aws] = await Promise.all([startOpenSearch(), startAwsEmulator({ region: REGION })]);
  osPipeline = examplePipeline('legacy-parquet', (p) => ({
    ...p,
    name: OS_NAME,
    logFormat: { ...p.logFormat, maxLineBytes: MAX_LINE_BYTES },
    engine: { type: 'opensearch', buffer: 's3', indexPrefix: OS_NAME, domain: { type: 'self-managed', url: node.url }, index: { replicas: 0 } },
  }));
  staged = await wireStagedPath(aws, [osPipeline, LEGACY], node.url);
  db = await (await DuckDBInstance.create(':memory:')).connect();
}, 240_000);

afterAll(async () => {
  staged?.logs.restore();
  db?.closeSync();
  for (const a of agents) await a.fb.stop();
  await node?.dispose();
  await aws?.stop();
  for (const d of [tmp, ...agents.map((a) => a.dir)]) fs.rmSync(d, { recursive: true, force: true });
});

const byKey = (a?: { key: string }, b?: { key: string }) => (a?.key ?? '').localeCompare(b?.key ?? '');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('EC2 agent, buffer s3 (real Fluent Bit) → S3 buffer → copy → processor → OpenSearch', () => {
  const all: Written[] = [];

  it('the buffer bucket notifies the copy queue of `<pipeline>/….log.gz` only, which is where the agent writes', () => {
    for (const p of [osPipeline, LEGACY]) {
      expect(bucketNotifications(staged.templates[p.name], 'BufferBucket')).toEqual([
        { queue: 'CopyQueue', events: ['s3:ObjectCreated:*'], rules: expect.arrayContaining([{ Name: 'prefix', Value: `${p.name}/` }, { Name: 'suffix', Value: '.log.gz' }]) },
      ]);
      expect(withoutMetricsPath(fluentBitConfigDocument(p, { region: REGION, bucketName: 'b', keyPrefix: `${p.name}/` })).pipeline.outputs).toEqual([
        expect.objectContaining({ name: 's3', log_key: 'log', compression: 'gzip', s3_key_format: `/${p.name}/%Y/%m/%d/%H/%M%S-$UUID.log.gz` }),
      ]);
    }
  });

  it('every line indexed with the processor\'s values or backed up with its reason, exactly once, across a restart and a crash', async () => {
    const count = async () => {
      const d = await osDestinations();
      return all.filter((w) => d.docs.has(w.seq) || d.backups.has(w.seq)).length;
    };
    const a1 = await startAgent('os-1', osPipeline);
    const first = await makeLines(osPipeline, 1500);
    all.push(...first);
    write(a1, first);
    await untilArrived(OS_NAME, all, count, a1);

    // Lines written while the agent is stopped, then while it runs again: it resumes from its offsets DB.
    await a1.fb.stop();
    const whileStopped = await makeLines(osPipeline, 800);
    all.push(...whileStopped);
    write(a1, whileStopped);
    await a1.fb.start();
    const afterRestart = await makeLines(osPipeline, 800);
    all.push(...afterRestart);
    write(a1, afterRestart);
    await untilArrived(OS_NAME, all, count, a1);
    await a1.fb.stop();

    // upload_timeout as shipped (60 s): the lines wait in the s3 output's store_dir when the agent is killed; the
    // next start uploads them (cb_s3_init, "Sending locally buffered data from previous executions").
    const a2 = await startAgent('os-2', osPipeline, { s3: { upload_timeout: '60s' } });
    const crash = await makeLines(osPipeline, 1500);
    all.push(...crash);
    const keysBefore = await listKeys(aws.s3, buckets(OS_NAME).buffer, '');
    write(a2, crash);
    await waitUntil(async () => ((await a2.fb.metrics()).output['s3.0']?.proc_records ?? 0) >= crash.length, 60_000, () => a2.fb.log().slice(-3000));
    // the engine releases a chunk after its flush returned: let it, so that the kill leaves none to send again
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await listKeys(aws.s3, buckets(OS_NAME).buffer, '')).toEqual(keysBefore);
    await a2.fb.kill();
    const stored = fs.readdirSync(path.join(a2.dir, 'state', 's3'), { recursive: true }).map((f) => path.join(a2.dir, 'state', 's3', String(f)));
    expect(stored.some((f) => fs.statSync(f).isFile() && fs.statSync(f).size > 0)).toBe(true);
    await a2.fb.start();
    expect(a2.fb.log()).toContain('Sending locally buffered data from previous executions');
    await untilArrived(OS_NAME, all, count, a2);
    await a2.fb.stop();
    await staged.pump(OS_NAME);

    const d = await osDestinations();
    expectOnce(all, (w) => ({ rows: d.docs.get(w.seq) ?? [], backups: d.backups.get(w.seq) ?? [] }), (doc) => doc);
    // nothing else arrived: no document or backup record without a line of this test behind it
    expect([...d.docs.values()].flat().length + [...d.backups.values()].flat().length).toBe(all.length);
    // every kind of outcome was there to be counted
    const kind = (v: Verdict) => (v.ok ? 'indexed' : (/^(does not match|invalid UTF-8|line exceeds)/.exec(v.reason)?.[1] ?? v.reason));
    expect([...tally(all.map((w) => kind(w.verdict))).keys()].sort()).toEqual(['does not match', 'indexed', 'invalid UTF-8', 'line exceeds']);
    expect(all.filter((w) => w.cutByAgent).length).toBeGreaterThan(0);
  });

  it('the buffer objects and their staged copies have the layout the stack expects; counters balance; no dead letters', async () => {
    const b = buckets(OS_NAME);
    const buffered = await objectBodies(aws.s3, b.buffer);
    for (const o of buffered) {
      expect(o.key).toMatch(new RegExp(`^${OS_NAME}/\\d{4}/\\d{2}/\\d{2}/\\d{2}/\\d{4}-\\w+\\.log\\.gz$`));
      expect(o.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(gunzipSync(o.body).toString('latin1').endsWith('\n')).toBe(true);
    }
    // staged under <pipeline>/<bucket>/etag=<ETag>/<key> (stagingKey): the buffer chunk's key, and its content's ETag
    expect((await listKeys(aws.s3, b.staging, `${OS_NAME}/`)).map((k) => sourceOfStagingKey(OS_NAME, k)).sort(byKey)).toEqual(
      buffered.map((o) => ({ bucket: b.buffer, key: o.key, etag: md5(o.body) })).sort(byKey),
    );
    // the processor's own account of each object: balanced, nothing deferred, each line once
    const mine = staged.logs.records.filter((l) => String(l.source).startsWith(`s3://${b.buffer}/`));
    expect(mine.length).toBe(buffered.length);
    for (const l of mine) expect({ balanced: l.balanced, duplicates: l.duplicates, deferred: l.deferred }).toEqual({ balanced: true, duplicates: 0, deferred: 0 });
    const sum = (k: string) => mine.reduce((n, l) => n + l[k], 0);
    expect({ recordsIn: sum('recordsIn'), indexed: sum('indexed'), backedUp: sum('backedUp') }).toEqual({
      recordsIn: all.length,
      indexed: all.filter((w) => w.verdict.ok).length,
      backedUp: all.filter((w) => !w.verdict.ok).length,
    });
    for (const q of [staged.pipelines[OS_NAME].copy.dlq, staged.pipelines[OS_NAME].process!.dlq]) expect(await queueDepth(aws.sqs, q)).toBe(0);
  });
});

describe('EC2 agent of legacy-parquet as shipped → S3 buffer → copy → Light Engine batch → Parquet', () => {
  it('every line is a Parquet row with the processor\'s values or backed up with its reason, exactly once', async () => {
    const name = LEGACY.name;
    const b = buckets(name);
    const { refs } = staged.pipelines[name];
    const templates = staged.templates;
    const agent = await startAgent('light', LEGACY);
    // legacy-parquet's lines may be 1 MiB: the OpenSearch pipeline above has the over-long ones
    const written = await makeLines(LEGACY, 2000, { long: false });
    write(agent, written.slice(0, 1000));
    await new Promise((r) => setTimeout(r, 1_500));
    write(agent, written.slice(1000));
    // the agent uploads what it holds when stopped; the copy stage stages every object
    await waitUntil(async () => ((await agent.fb.metrics()).output['s3.0']?.proc_records ?? 0) >= written.length, 60_000, () => agent.fb.log().slice(-3000));
    await agent.fb.stop();
    await staged.pump(name);
    const buffered = await listKeys(aws.s3, b.buffer, `${name}/`);
    expect(buffered.length).toBeGreaterThan(0);
    expect((await listKeys(aws.s3, b.staging, `${name}/`)).map((k) => sourceOfStagingKey(name, k)?.key).sort()).toEqual([...buffered].sort());

    const definition = stateMachineDefinition(templates[name], 'LightEngineStateMachine');
    const list = withEnvironment(functionEnvironment(templates[name], 'LightEngineListFunction', refs), () => require('../../lambda/handlers/light-list').handler);
    const convert = withEnvironment(functionEnvironment(templates[name], 'LightEngineConvertFunction', refs), () => require('../../lambda/handlers/light-convert').handler);
    const failures: unknown[] = [];
    const bindings: TaskBindings = {
      // Control plane stand-in: this execution is the only one running.
      FindRunningExecutions: { raw: () => ({ Executions: [{ executionArn: 'arn:aws:states:::execution:this', status: 'RUNNING' }] }) },
      List: (e, c) => list(e, c),
      Convert: (e, c) => convert(e, c),
      NotifyFailure: (req) => void failures.push(req),
    };
    const run = await runStateMachine(definition, { trigger: 'schedule' }, bindings);
    expect(failures).toEqual([]);
    const converted = (run.output as { converted: Array<{ objects: number }> }).converted;
    expect(converted.reduce((n, c) => n + c.objects, 0)).toBe(buffered.length);
    expect(await listKeys(aws.s3, b.staging, `${name}/`)).toEqual([]);

    const dir = path.join(tmp, 'central');
    for (const o of await objectBodies(aws.s3, b.central)) {
      fs.mkdirSync(path.join(dir, path.dirname(o.key)), { recursive: true });
      fs.writeFileSync(path.join(dir, o.key), o.body);
    }
    const table = `read_parquet('${dir}/${name.replace(/-/g, '_')}/**/*.parquet', hive_partitioning = true)`;
    const rows = (await db.runAndReadAll(`select request_uri, status::INTEGER as status, response_size_bytes::BIGINT as bytes, epoch_ms(event_time)::BIGINT as t, event_hour::VARCHAR as event_hour, region::VARCHAR as region from ${table}`)).getRowObjectsJS() as Array<Record<string, unknown>>;
    const bySeq = groupBySeq(rows, (r) => r.request_uri);
    const backups = await backupRecords(aws.s3, b.backup, `${name}/failed-records/`);
    const backupsBySeq = groupBySeq(backups, (r) => r.raw);

    const hourOf = (iso: string) => iso.slice(0, 13).replace(/[-T]/g, '');
    expectOnce(
      written,
      (w) => ({ rows: bySeq.get(w.seq) ?? [], backups: backupsBySeq.get(w.seq) ?? [] }),
      (doc) => ({
        request_uri: doc.request_uri,
        status: doc.status,
        bytes: doc.response_size_bytes === null ? null : BigInt(doc.response_size_bytes as number),
        t: BigInt(Date.parse(doc['@timestamp'] as string)),
        event_hour: hourOf(doc['@timestamp'] as string),
        region: REGION,
      }),
    );
    expect(rows.length + backups.length).toBe(written.length);
    expect(backups.length).toBeGreaterThan(0);
  });
});
