/**
 * An alarm on a metric nobody emits never fires. Every function and task that emits Logtong's custom metrics runs
 * here with its environment as synthesized (so its service name and pipeline dimension are the deployed ones), on the
 * real OpenSearch node and the S3/SQS emulator, on a real corpus with lines that fail; the embedded-metric-format
 * lines it writes are read as CloudWatch would extract them. Every alarm in the `Logtong` namespace of those pipelines'
 * stacks must watch one of those metrics: same namespace, name and dimension set (keys and values). For the other
 * example pipelines, whose handlers are the same code under another pipeline name, each alarm's metric must be one
 * of them with the pipeline's own name as the `pipeline` dimension.
 *
 * The agents' counters the agent alarms watch are checked the same way against the real Fluent Bit, through the stack's
 * metric filters, in fluent-bit-metrics.test.ts; the alarms on AWS/* metrics watch what the services publish.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import { buildScanner } from '../../lambda/scanner/build';
import { METRICS_NAMESPACE } from '../../lambda/core/metric-catalog';
import { AGENT_METRIC_NAMES } from '../../lib/agent/agent-metrics';
import { s3EventMessage } from '../../lambda/core/s3-event';
import type { Pipeline } from '../../lib/config/schema';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { runStateMachine, stateMachineDefinition, type TaskBindings } from '../../lib/local/local-sfn';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { lambdaContext } from '../../lib/local/sqs-lambda';
import { functionEnvironment, type StackTemplate } from '../../lib/local/template';
import { corpusLines } from '../corpora';
import { exampleConfig } from '../infra/synth';
import { bootstrapIndex, createBuckets, examplePipeline, listKeys, synthesizedTemplates, workQueue } from './harness/agent-path';
import { emfMetrics, type EmfMetric } from './harness/cloudwatch-logs';

jest.setTimeout(300_000);

const REGION = 'us-east-1';
const GARBAGE = 'this line is no access log and no JSON';

let node: OpenSearchNode;
let aws: AwsEmulator;
let templates: Record<string, StackTemplate>;
const pipelines: Record<string, Pipeline> = {};
const emitted: EmfMetric[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-emf-'));

/** Every line a handler writes to stdout is kept; the EMF ones are read as CloudWatch extracts them. */
let restoreStdout: () => void;
function captureStdout(): void {
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    const lines = chunk.toString().split('\n').filter((l) => l.startsWith('{'));
    emitted.push(...emfMetrics(lines));
    // a handler's errors explain a failing step
    for (const l of lines) if (/"level":"(ERROR|CRITICAL)"/.test(l)) process.stderr.write(`${l}\n`);
    return true;
  }) as typeof process.stdout.write);
  restoreStdout = () => spy.mockRestore();
}

/** The handler module loaded afresh with its function's synthesized environment, as a cold start would. */
function handlerOf<H>(pipeline: string, fn: string, module: string, refs: Record<string, string>): H {
  const env = functionEnvironment(templates[pipeline], fn, refs);
  Object.assign(process.env, env);
  let handler: H | undefined;
  jest.isolateModules(() => {
    handler = (require(`../../lambda/handlers/${module}`) as { handler: H }).handler;
  });
  return ((...args: unknown[]) => {
    Object.assign(process.env, env);
    return (handler as unknown as (...a: unknown[]) => unknown)(...args);
  }) as H;
}

const sqsEvent = (body: string, queue: string, receiveCount = 1): SQSEvent =>
  ({
    Records: [
      {
        messageId: `m-${Math.random().toString(36).slice(2)}`,
        receiptHandle: 'h',
        body,
        attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${REGION}:000000000000:${queue}`,
        awsRegion: REGION,
      },
    ],
  }) as unknown as SQSEvent;

async function put(s3: S3Client, bucket: string, key: string, body: string): Promise<{ bucket: string; key: string; size: number; etag: string }> {
  const res = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { bucket, key, size: Buffer.byteLength(body), etag: res.ETag! };
}

const buckets = (name: string) => ({ staging: `${name}-staging`, backup: `${name}-backup`, central: `${name}-central` });
const refsOf = (name: string, extra: Record<string, string> = {}) => ({
  StagingBucket: buckets(name).staging,
  BackupBucket: buckets(name).backup,
  CentralBucket: buckets(name).central,
  'AWS::Region': REGION,
  ...extra,
});

/** Source object → copy (as synthesized) → staging; returns the staged object. */
async function stage(name: string, body: string): Promise<{ bucket: string; key: string; size: number; etag: string }> {
  const p = pipelines[name];
  if (p.source.type !== 's3') throw new Error(`${name} is not an S3 source`);
  const source = await put(aws.s3, p.source.bucketName, `${p.source.prefix}${name}/part-1${p.source.suffix}`, body);
  const copy = handlerOf<(e: SQSEvent, c: unknown) => Promise<unknown>>(name, 'CopyFunction', 'copy', refsOf(name));
  expect(await copy(sqsEvent(s3EventMessage([source]), `${name}-copy`), lambdaContext('copy'))).toEqual({ batchItemFailures: [] });
  const [key] = await listKeys(aws.s3, buckets(name).staging, `${name}/`);
  const staged = await aws.s3.send(new HeadObjectCommand({ Bucket: buckets(name).staging, Key: key }));
  return { bucket: buckets(name).staging, key, size: Buffer.byteLength(body), etag: staged.ETag! };
}

/** The processor of a staged object, as the processor queue would deliver it. */
async function processStaged(name: string, body: string): Promise<void> {
  const staged = await stage(name, body);
  const processor = handlerOf<(e: SQSEvent, c: unknown) => Promise<unknown>>(name, 'ProcessorFunction', 'process', refsOf(name));
  expect(await processor(sqsEvent(s3EventMessage([staged]), `${name}-process`), lambdaContext('process'))).toEqual({ batchItemFailures: [] });
}

/** The dead-letter backup of one message naming an object that no longer exists. */
async function backUpDeadLetter(name: string): Promise<void> {
  const backup = handlerOf<(e: SQSEvent, c: unknown) => Promise<unknown>>(name, 'DeadLetterBackupFunction', 'backup', refsOf(name));
  const gone = s3EventMessage([{ bucket: buckets(name).staging, key: `${name}/gone.log`, size: 1 }]);
  expect(await backup(sqsEvent(gone, `${name}-dlq`, 1), lambdaContext('backup'))).toEqual({ batchItemFailures: [] });
}

const apacheLines = () => [...corpusLines('apache_combined_elastic_examples.log', 50), GARBAGE].join('\n') + '\n';

beforeAll(async () => {
  [node, aws] = await Promise.all([startOpenSearch(), startAwsEmulator({ region: REGION })]);
  // The emulator's endpoints and credentials; each handler adds its function's environment on top.
  Object.assign(process.env, aws.env, { POWERTOOLS_DEV: 'false', POWERTOOLS_LOG_LEVEL: 'INFO' });
  const toNode = (p: Record<string, any>) => ({ ...p, engine: { ...p.engine, domain: { type: 'self-managed', url: node.url }, index: { ...p.engine.index, replicas: 0 } } });
  for (const name of ['web-access', 'apache-backfill', 'orders-agent']) pipelines[name] = examplePipeline(name, toNode);
  pipelines['web-parquet'] = examplePipeline('web-parquet');
  templates = synthesizedTemplates(Object.values(pipelines));
  for (const p of Object.values(pipelines)) {
    const b = buckets(p.name);
    await createBuckets(aws.s3, b.staging, b.backup, b.central);
    if (p.engine.type === 'opensearch') await bootstrapIndex(node.url, p);
  }
  await createBuckets(aws.s3, 'example-storefront-logs', 'example-legacy-web-logs');
  captureStdout();
}, 300_000);

afterAll(async () => {
  restoreStdout?.();
  await node?.dispose();
  await aws?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('every alarm watches a metric the code emits', () => {
  it('the S3 processor (web-access, apache-backfill) and the dead-letter backup', async () => {
    await processStaged('web-access', apacheLines());
    await processStaged('apache-backfill', apacheLines());
    for (const name of ['web-access', 'apache-backfill', 'orders-agent']) await backUpDeadLetter(name);
  });

  it('the Kinesis processor (orders-agent)', async () => {
    const kinesis = handlerOf<(e: KinesisStreamEvent, c: unknown) => Promise<unknown>>('orders-agent', 'KinesisFunction', 'kinesis-process', refsOf('orders-agent'));
    const lines = ['{"time":"2026-12-05T10:00:00.000+0000","order":1}', GARBAGE];
    const event = {
      Records: lines.map((line, i) => ({
        kinesis: { data: Buffer.from(`${line}\n`).toString('base64'), sequenceNumber: `4959000000000000000000000000000000000000000000000000000${i}`, partitionKey: 'p', approximateArrivalTimestamp: Date.now() / 1000, kinesisSchemaVersion: '1.0' },
        eventSource: 'aws:kinesis',
        eventID: `shardId-000000000000:4959000000000000000000000000000000000000000000000000000${i}`,
        eventSourceARN: `arn:aws:kinesis:${REGION}:000000000000:stream/orders-agent`,
        awsRegion: REGION,
      })),
    } as unknown as KinesisStreamEvent;
    expect(await kinesis(event, lambdaContext('kinesis-process'))).toEqual({ batchItemFailures: [] });
  });

  it('the Light Engine convert and compaction (web-parquet), and its dead-letter backup', async () => {
    const name = 'web-parquet';
    // its format ends with $request_time
    await stage(name, [...corpusLines('apache_combined_elastic_examples.log', 50).map((l) => `${l} 0.012`), GARBAGE].join('\n') + '\n');
    const list = handlerOf<(e: unknown, c: unknown) => Promise<unknown>>(name, 'LightEngineListFunction', 'light-list', refsOf(name));
    const convert = handlerOf<(e: unknown, c: unknown) => Promise<unknown>>(name, 'LightEngineConvertFunction', 'light-convert', refsOf(name));
    const bindings: TaskBindings = {
      FindRunningExecutions: { raw: () => ({ Executions: [{ executionArn: 'arn:aws:states:::execution:this', status: 'RUNNING' }] }) },
      List: (e, c) => list(e, c),
      Convert: (e, c) => convert(e, c),
      NotifyFailure: () => {
        throw new Error('the batch failed');
      },
    };
    await runStateMachine(stateMachineDefinition(templates[name], 'LightEngineStateMachine'), { trigger: 'schedule' }, bindings);
    const compact = handlerOf<(e: unknown, c: unknown) => Promise<unknown>>(name, 'CompactionCompactFunction', 'light-compact', refsOf(name));
    const [file] = await listKeys(aws.s3, buckets(name).central, 'web_parquet/');
    expect(file).toBeDefined();
    await compact({ prefix: file.slice(0, file.lastIndexOf('/') + 1), run: 'r-1' }, lambdaContext('light-compact'));
    await backUpDeadLetter(name);
  });

  it('the one-time scanner task (apache-backfill), run from its bundle with the task definition’s environment', async () => {
    const name = 'apache-backfill';
    const queue = await workQueue(aws.sqs, `${name}-copy`);
    await put(aws.s3, 'example-legacy-web-logs', 'apache/2025/a.log', apacheLines());
    const env = containerEnvironment(templates[name], { CopyQueue: queue.url, StagingBucket: buckets(name).staging });
    const bundle = path.join(tmp, 'scanner.js');
    buildScanner(bundle);
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [bundle], {
        env: { PATH: process.env.PATH ?? '', ...aws.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`scanner exited ${code}: ${out}`))));
    });
    emitted.push(...emfMetrics(stdout.split('\n').filter((l) => l.startsWith('{'))));
  });

  it('matches every Logtong alarm of those stacks to an emitted metric, exactly', () => {
    const key = (m: { namespace: string; name: string; dimensions: Record<string, string> }) => JSON.stringify([m.namespace, m.name, Object.entries(m.dimensions).sort()]);
    const seen = new Set(emitted.map(key));
    for (const [name, template] of Object.entries(templates)) {
      const watched = handlerAlarmMetrics(template);
      expect(watched.length).toBeGreaterThan(0);
      for (const m of watched) expect({ alarm: m.alarm, emitted: seen.has(key(m)) }).toEqual({ alarm: m.alarm, emitted: true });
      expect(watched.every((m) => m.dimensions.pipeline === name)).toBe(true);
    }
  });

  it('the other example pipelines watch the same metrics under their own pipeline name', () => {
    const generic = new Set(emitted.filter((m) => m.namespace === METRICS_NAMESPACE).map((m) => JSON.stringify([m.name, m.dimensions.service])));
    const all = synthesizedTemplates(exampleConfig().pipelines);
    for (const [name, template] of Object.entries(all)) {
      for (const m of handlerAlarmMetrics(template)) {
        expect(Object.keys(m.dimensions).sort()).toEqual(['pipeline', 'service']);
        expect({ alarm: m.alarm, pipeline: m.dimensions.pipeline, emitted: generic.has(JSON.stringify([m.name, m.dimensions.service])) }).toEqual({ alarm: m.alarm, pipeline: name, emitted: true });
      }
    }
  });
});

/**
 * The Logtong metrics the handlers and the scanner emit that an alarm of the template watches. The agents' counters
 * (`Agent…`, published by the agent-metrics log group's metric filters) are matched against the real Fluent Bit's
 * events in fluent-bit-metrics.test.ts.
 */
function handlerAlarmMetrics(template: StackTemplate): ReturnType<typeof alarmMetrics> {
  const agent = new Set<string>(Object.values(AGENT_METRIC_NAMES));
  return alarmMetrics(template).filter((m) => m.namespace === METRICS_NAMESPACE && !agent.has(m.name));
}

/** The metrics an alarm watches: its own, or each of its metric-math inputs. */
function alarmMetrics(template: StackTemplate): Array<{ alarm: string; namespace: string; name: string; dimensions: Record<string, string> }> {
  const out = [];
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = r.Properties as Record<string, any>;
    const stats = p.Metrics ? (p.Metrics as Array<Record<string, any>>).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric) : [p];
    for (const m of stats) {
      const dimensions = Object.fromEntries(((m.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>).map((d) => [d.Name, typeof d.Value === 'string' ? d.Value : JSON.stringify(d.Value)]));
      out.push({ alarm: String(p.AlarmName), namespace: String(m.Namespace), name: String(m.MetricName), dimensions });
    }
  }
  return out;
}

/** The scanner container's environment as synthesized, references resolved through `refs` (logical ids without hash). */
function containerEnvironment(template: StackTemplate, refs: Record<string, string>): Record<string, string> {
  const defs = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  expect(defs).toHaveLength(1);
  const vars = (defs[0].Properties!.ContainerDefinitions[0].Environment ?? []) as Array<{ Name: string; Value: unknown }>;
  return Object.fromEntries(
    vars.map(({ Name, Value }) => {
      if (typeof Value === 'string') return [Name, Value];
      const ref = (Value as { Ref?: string }).Ref ?? '';
      const stand = Object.keys(refs).find((k) => ref.startsWith(k));
      if (!stand) throw new Error(`scanner environment ${Name} = ${JSON.stringify(Value)} has no stand-in`);
      return [Name, refs[stand]];
    }),
  );
}
