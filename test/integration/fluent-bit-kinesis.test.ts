/**
 * The EC2 agent with buffer kinesis, on the real Fluent Bit 4.2.2: the configuration generated for the example pipeline
 * `orders-agent` (JSON application logs) tails a file and puts each raw line into a stream of the Kinesis emulator
 * (kinesis_streams speaks TLS only: the emulator's TLS port, through a TCP proxy that the outage test cuts); the
 * stream's records go to the Kinesis processor handler as the event source mapping delivers them, which indexes into a
 * real OpenSearch node and backs up what does not parse. Zero-loss count at the end of each test: every line exactly
 * once, indexed or backed up with its raw text and reason, where the processor's own parser says.
 *
 * Timing: QUICK_AGENT_TIMING (agent-path.ts).
 */
import type { KinesisStreamEvent, KinesisStreamRecord, KinesisStreamBatchResponse, Context } from 'aws-lambda';
import { compileParser } from '../../lambda/core/formats';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { waitUntil, type FluentBitProcess } from '../../lib/local/fluent-bit';
import { readStream, startKinesis, type KinesisEmulator } from '../../lib/local/kinesis';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { lambdaContext } from '../../lib/local/sqs-lambda';
import { corpusLines } from '../corpora';
import { allDocuments, appendLines, backupRecords, createBuckets, examplePipeline, expectEachOnce, handlerEnv, startTailingAgent, tally, type TailingAgent } from './harness/agent-path';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy';

jest.setTimeout(300_000);

const PIPELINE = examplePipeline('orders-agent');
/** The processor's side: the example on one node, so without replicas. */
const PROCESSED = examplePipeline('orders-agent', (p) => ({ ...p, engine: { ...p.engine, index: { ...p.engine.index, replicas: 0 } } }));
const ALIAS = 'orders-agent';
const STREAM = 'orders-agent-buffer';
const BACKUP = 'backup';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// The orders service logs JSON lines; there is no such corpus, so each line is built from a real access-log line:
// its time, a level from its status, its response size as latencyMs, its request as the message.
const CORPUS = corpusLines('apache_combined_elastic_examples.log');
const ACCESS = /^(\S+) \S+ \S+ \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}:\d{2}:\d{2}) ([+-]\d{4})\] "([^"]*)" (\d{3}) (\d+|-)/;

let node: OpenSearchNode;
let aws: AwsEmulator;
let kin: KinesisEmulator;
let proxy: TcpProxy;
let streamArn = '';
let seq = 0;
let processHandler: (e: KinesisStreamEvent, c: Context) => Promise<KinesisStreamBatchResponse>;
const processor = compileParser(PIPELINE.logFormat);
/** Per shard, the last sequence number handed to the processor. */
const delivered = new Map<string, string>();

interface Written {
  seq: number;
  line: string;
  kind: 'indexed' | 'failed';
}

function makeLines(n: number): Written[] {
  const out: Written[] = [];
  for (let i = 0; i < n; i++) {
    const s = ++seq;
    const m = ACCESS.exec(CORPUS[s % CORPUS.length]);
    const line =
      s % 89 === 0 || !m
        ? `orders: unstructured line, seq ${s}`
        : JSON.stringify({
            time: `${m[4]}-${String(MONTHS.indexOf(m[3]) + 1).padStart(2, '0')}-${m[2]}T${m[5]}.${String(s % 1000).padStart(3, '0')}${m[6]}`,
            level: Number(m[8]) >= 500 ? 'ERROR' : Number(m[8]) >= 400 ? 'WARN' : 'INFO',
            latencyMs: m[9] === '-' ? 0 : Number(m[9]) % 100_000,
            client: m[1],
            msg: m[7],
            seq: s,
          });
    out.push({ seq: s, line, kind: processor.parse(line).ok ? 'indexed' : 'failed' });
  }
  return out;
}

const seqOfRaw = (raw: string): number => {
  const m = /seq"?:? ?(\d+)/.exec(raw);
  return m ? Number(m[1]) : NaN;
};

const startAgent = (name: string): Promise<TailingAgent> =>
  startTailingAgent(name, PIPELINE, { region: 'us-east-1', streamName: STREAM }, { kinesis: { tlsPort: proxy.port, certificateFile: kin.certificateFile } });

/** What the event source mapping does: every new record of every shard, in batches of the pipeline's batchSize. */
async function deliver(): Promise<number> {
  const byShard = await readStream(kin.client, streamArn, delivered);
  const batchSize = PIPELINE.engine.type === 'opensearch' ? (PIPELINE.engine.kinesis?.batchSize ?? 500) : 500;
  let n = 0;
  for (const [shard, recs] of byShard) {
    for (let i = 0; i < recs.length; i += batchSize) {
      const batch: KinesisStreamRecord[] = recs.slice(i, i + batchSize);
      expect(await processHandler({ Records: batch }, lambdaContext('kinesis-process'))).toEqual({ batchItemFailures: [] });
      delivered.set(shard, batch[batch.length - 1].kinesis.sequenceNumber);
      n += batch.length;
    }
  }
  return n;
}

async function where(written: Written[]): Promise<{ indexed: Map<number, number>; failed: Map<number, number> }> {
  const mine = new Set(written.map((w) => w.seq));
  const docs = (await allDocuments(node.url, ALIAS)).filter((d) => mine.has(Number(d._source.seq)));
  const failed = (await backupRecords(aws.s3, BACKUP, `${PIPELINE.name}/failed-records/kinesis/`)).filter((r) => mine.has(seqOfRaw(String(r.raw))));
  return { indexed: tally(docs.map((d) => Number(d._source.seq))), failed: tally(failed.map((r) => seqOfRaw(String(r.raw)))) };
}

/** Delivers until every line is placed, then checks each exactly once, where the processor's verdict says. */
async function expectZeroLoss(fb: FluentBitProcess, written: Written[], timeoutMs = 120_000): Promise<void> {
  let placed = 0;
  await waitUntil(
    async () => {
      await deliver();
      const w = await where(written);
      placed = w.indexed.size + w.failed.size;
      return placed >= written.length;
    },
    timeoutMs,
    () => `placed ${placed} of ${written.length}\n--- agent log (tail) ---\n${fb.log().slice(-3000)}`,
    1_000,
  );
  await fb.stop();
  await deliver();
  const w = await where(written);
  expectEachOnce(written, (x) => (x.kind === 'indexed' ? 'index' : 'backup'), (x) => ({ indexed: w.indexed.get(x.seq) ?? 0, backedUp: w.failed.get(x.seq) ?? 0 }), (x) => x);
  expect(written.some((x) => x.kind === 'failed')).toBe(true);
}

beforeAll(async () => {
  [node, aws, kin] = await Promise.all([startOpenSearch(), startAwsEmulator(), startKinesis()]);
  await createBuckets(aws.s3, BACKUP);
  proxy = await startTcpProxy(kin.tlsPort);
  streamArn = await kin.createStream(STREAM, PIPELINE.engine.type === 'opensearch' ? (PIPELINE.engine.kinesis?.shards ?? 2) : 2);
  Object.assign(process.env, handlerEnv(aws, { logLevel: 'WARN', processor: { pipeline: PROCESSED, opensearchUrl: node.url, backupBucket: BACKUP } }), { AWS_ENDPOINT_URL_KINESIS: kin.endpoint });
  processHandler = require('../../lambda/handlers/kinesis-process').handler;
});

afterAll(async () => {
  await proxy?.close();
  await node?.dispose();
  await aws?.stop();
  await kin?.stop();
});

describe('EC2 agent, buffer kinesis → Kinesis → processor → OpenSearch (real Fluent Bit)', () => {
  it('every line reaches the stream raw, one record each; the processor indexes or backs up each exactly once', async () => {
    const { fb, file } = await startAgent('basic');
    const written = makeLines(3000);
    appendLines(file, written.map((w) => w.line));
    await expectZeroLoss(fb, written);
    // The record is the line itself (log_key): the processor parsed the agent's raw text, fields as written.
    const one = written.find((w) => w.kind === 'indexed')!;
    const doc = (await allDocuments(node.url, ALIAS)).find((d) => d._source.seq === one.seq)!;
    const src = JSON.parse(one.line);
    expect(doc._source).toMatchObject({ level: src.level, latencyMs: src.latencyMs, msg: src.msg, '@timestamp': processor.parse(one.line).ok ? (processor.parse(one.line) as { doc: Record<string, unknown> }).doc['@timestamp'] : undefined });
  });

  it('the stream unreachable for 30 s while lines keep coming: retried from the filesystem buffer, each line once', async () => {
    const { fb, file } = await startAgent('outage');
    const first = makeLines(300);
    appendLines(file, first.map((w) => w.line));
    await waitUntil(async () => (await deliver()) > 0, 60_000, () => fb.log().slice(-3000));
    await proxy.cut();
    const during: Written[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const batch = makeLines(300);
        appendLines(file, batch.map((w) => w.line));
        during.push(...batch);
        await new Promise((r) => setTimeout(r, 5_000));
      }
    } finally {
      await proxy.restore();
    }
    await expectZeroLoss(fb, [...first, ...during], 180_000);
    expect(fb.log()).toMatch(/failed to flush chunk '[^']+', retry in \d+ seconds: .*output=kinesis_streams\.0/);
  });
});
