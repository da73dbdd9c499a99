/**
 * The agents' own counters, on the real Fluent Bit 4.2.2: the configuration fluentBitConfigDocument generates for the
 * example pipelines (EC2 agents with buffer s3 and kinesis, the tcp_udp syslog receiver) runs its metrics path as
 * shipped — `fluentbit_metrics` input, `cloudwatch_logs` output — against the CloudWatch Logs shim
 * (harness/cloudwatch-logs.ts), and the events that arrive are read the way CloudWatch would publish them: by the
 * metric filters of the pipeline's synthesized stack template (metricFilterDatapoints).
 * What it holds the agent and the stack to: the filters publish, from what the agent really sends, each metric of
 * lib/agent/agent-metrics.ts in Logtong's namespace with the pipeline as the only dimension; counts equal to the lines
 * and frames written; retries and then drops when the main output cannot deliver; every agent alarm of the template
 * watches a series the filters really publish (an alarm on a series nobody publishes never fires); and the reverse: a
 * metrics path that cannot deliver neither holds up the log path nor makes the agent unhealthy.
 *
 * Timing, test-only: QUICK_AGENT_TIMING (agent-path.ts), and a scrape every second instead of every 60 s (except in the
 * last test, which keeps 60 s and scrapes once at start).
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AGENT_COUNTER, AGENT_INSTANCE, AGENT_METRIC_NAMES, AGENT_METRICS_NAMESPACE, agentInputAlias, agentMetricDimensions, agentMetricsLogGroupName } from '../../lib/agent/agent-metrics';
import { fluentBitConfigDocument } from '../../lib/agent/fluent-bit-config';
import type { Pipeline } from '../../lib/config/schema';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { localize, startFluentBit, waitUntil, type FluentBitProcess, type LocalTargets } from '../../lib/local/fluent-bit';
import { freePort } from '../../lib/local/net';
import { type StackTemplate } from '../../lib/local/template';
import { corpusLines } from '../corpora';
import { appendLines, createBuckets, examplePipeline, FAKE_AWS_ENV, objectBodies, QUICK_AGENT_TIMING, startTailingAgent, synthesizedTemplates, type TailingAgent } from './harness/agent-path';
import { metricFilterDatapoints, startCloudWatchLogs, templateMetricFilters, type CloudWatchLogsShim, type MetricDatapoint } from './harness/cloudwatch-logs';

jest.setTimeout(300_000);

/** The target region of the stack: the metrics output must sign for it, as the buffer outputs do. */
const REGION = 'eu-west-1';
const BUFFER = 'buffer';
const LEGACY = examplePipeline('legacy-parquet');
const ORDERS = examplePipeline('orders-agent');
const RECEIVER = examplePipeline('syslog-parquet');
const LINES = corpusLines('apache_combined_elastic_examples.log', 400);
const QUICK_SCRAPE: LocalTargets['timing'] = { fluentbit_metrics: { scrape_interval: 1 } };
const M = AGENT_METRIC_NAMES;
type AgentMetricName = (typeof M)[keyof typeof M];

let aws: AwsEmulator;
let cw: CloudWatchLogsShim;
/** The pipelines' stack templates, as `cdk synth` writes them: their metric filters and alarms. */
let templates: Record<string, StackTemplate>;
const running: FluentBitProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  templates = synthesizedTemplates([LEGACY, ORDERS, RECEIVER]);
  [aws, cw] = await Promise.all([startAwsEmulator({ region: REGION }), startCloudWatchLogs()]);
  await createBuckets(aws.s3, BUFFER);
  // as the stack's AgentConfig creates them before any agent runs
  for (const p of [LEGACY, ORDERS, RECEIVER]) cw.createLogGroup(agentMetricsLogGroupName(p.name));
}, 120_000);

afterAll(async () => {
  for (const fb of running) await fb.stop();
  await cw?.close();
  await aws?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function tailingAgent(name: string, pipeline: Pipeline, targets: Parameters<typeof startTailingAgent>[2], local: Parameters<typeof startTailingAgent>[3], timing: LocalTargets['timing']): Promise<TailingAgent> {
  const agent = await startTailingAgent(name, pipeline, targets, { aliases: true, ...local }, timing);
  running.push(agent.fb);
  dirs.push(agent.dir);
  return agent;
}

/** The events of a pipeline's agent-metrics group so far, in the order they arrived, parsed. */
const eventsOf = (pipeline: Pipeline) => cw.events(agentMetricsLogGroupName(pipeline.name)).map((e) => ({ timestamp: e.timestamp, doc: JSON.parse(e.message) as Record<string, any> }));

/** What the metric filters of the pipeline's synthesized template publish from those events, in arrival order. */
function datapointsOf(pipeline: Pipeline): MetricDatapoint[] {
  const filters = templateMetricFilters(templates[pipeline.name], agentMetricsLogGroupName(pipeline.name));
  if (filters.length !== Object.keys(M).length) throw new Error(`${pipeline.name}: the template has ${filters.length} metric filters on its agent-metrics group`);
  return metricFilterDatapoints(filters, cw.events(agentMetricsLogGroupName(pipeline.name)));
}

/** The value of a metric's last datapoint (arrival order: one agent per group here, whose counters only grow). */
const latest = (pipeline: Pipeline, name: AgentMetricName): number | undefined =>
  datapointsOf(pipeline)
    .filter((d) => d.name === name)
    .at(-1)?.value;

/** An idle counter's events: the main output's dropped records, while nothing is dropped. */
const droppedEvents = (pipeline: Pipeline) => eventsOf(pipeline).filter((e) => e.doc.name === AGENT_INSTANCE.output && AGENT_COUNTER.outputDroppedRecords in e.doc);

const describeSeries = (pipeline: Pipeline, fb: FluentBitProcess) => () => {
  const last = new Map<string, number>();
  for (const d of datapointsOf(pipeline)) last.set(`${d.name}${JSON.stringify(d.dimensions)}`, d.value);
  return `${JSON.stringify(Object.fromEntries(last), null, 1)}\n--- agent log (tail) ---\n${fb.log().slice(-3000)}`;
};

const seriesKey = (namespace: unknown, name: unknown, dimensions: Record<string, unknown>): string =>
  JSON.stringify([namespace, name, Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))]);

/**
 * Every alarm of the pipeline's template on an agent metric (a name starting with `Agent`; the alarm's own metric or a
 * metric-math input's `MetricStat.Metric`) watches a series the filters published from this run's events: the same
 * namespace, name, dimension keys and values. At least one such alarm exists.
 */
function expectAgentAlarmsWatchPublishedSeries(pipeline: Pipeline): void {
  const published = new Set(datapointsOf(pipeline).map((d) => seriesKey(d.namespace, d.name, d.dimensions)));
  const watched = Object.entries(templates[pipeline.name].Resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .flatMap(([id, r]) => {
      const p = r.Properties ?? {};
      const metrics: Array<Record<string, any>> = p.MetricName ? [p] : (p.Metrics ?? []).map((m: Record<string, any>) => m.MetricStat?.Metric).filter(Boolean);
      return metrics.filter((m) => String(m.MetricName).startsWith('Agent')).map((m) => ({ alarm: id, metric: m }));
    });
  expect(watched.length).toBeGreaterThan(0);
  for (const { alarm, metric } of watched) {
    const dimensions = Object.fromEntries(((metric.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>).map((d) => [d.Name, d.Value]));
    const key = seriesKey(metric.Namespace, metric.MetricName, dimensions);
    expect({ alarm, key, published: published.has(key) }).toEqual({ alarm, key, published: true });
  }
}

describe('agent metrics on the real Fluent Bit, into the CloudWatch Logs shim, through the stack’s metric filters', () => {
  it('EC2 agent, buffer s3: plain JSON events; the filters publish every metric in Logtong’s namespace per pipeline; counts equal to the lines', async () => {
    const agent = await tailingAgent('metrics-s3', LEGACY, { region: REGION, bucketName: BUFFER, keyPrefix: `${LEGACY.name}/` }, { s3Endpoint: aws.endpoint, cloudwatchLogs: cw }, QUICK_SCRAPE);
    appendLines(agent.file, LINES);
    await waitUntil(async () => latest(LEGACY, M.inputRecords) === LINES.length && latest(LEGACY, M.outputProcRecords) === LINES.length, 60_000, describeSeries(LEGACY, agent.fb));

    const points = datapointsOf(LEGACY);
    // every metric, each in one series: the pipeline's, nothing per host or instance
    expect(new Set(points.map((d) => d.name))).toEqual(new Set(Object.values(M)));
    for (const d of points) expect([d.namespace, d.dimensions, d.unit]).toEqual([AGENT_METRICS_NAMESPACE, agentMetricDimensions(LEGACY.name), 'Count']);
    for (const n of [M.outputRetries, M.outputRetriesFailed, M.outputDroppedRecords, M.outputErrors]) expect(latest(LEGACY, n)).toBe(0);
    // the same counts as Fluent Bit's own HTTP API for those instances
    const own = await agent.fb.metrics();
    expect(own.input[AGENT_INSTANCE.input].records).toBe(LINES.length);
    expect(own.output[AGENT_INSTANCE.output].proc_records).toBe(LINES.length);

    // what the agent sent: every event carries its pipeline; one per counter and instance, still with the EMF
    // directive the output always encodes (Unit "Counter" is cmetrics', not a CloudWatch unit: nothing reads it)
    expect(eventsOf(LEGACY).filter((e) => e.doc.pipeline !== LEGACY.name)).toEqual([]);
    expect(droppedEvents(LEGACY)[0].doc).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [{ Namespace: 'fluentbit', Dimensions: [['name', 'pipeline']], Metrics: [{ Name: AGENT_COUNTER.outputDroppedRecords, Unit: 'Counter', StorageResolution: 60 }] }],
      },
      name: AGENT_INSTANCE.output,
      pipeline: LEGACY.name,
      prom_metric_type: 'counter',
      [AGENT_COUNTER.outputDroppedRecords]: 0,
    });
    // a datapoint's time is its event's (when the output put the scrape), not `_aws.Timestamp` (when the counter last
    // changed): an idle counter still adds a datapoint with a new time every scrape
    await waitUntil(async () => droppedEvents(LEGACY).length >= 3, 30_000, describeSeries(LEGACY, agent.fb));
    const idle = droppedEvents(LEGACY);
    expect(new Set(idle.map((e) => e.doc._aws.Timestamp)).size).toBe(1);
    expect(new Set(idle.map((e) => e.timestamp)).size).toBe(idle.length);
    for (const e of idle) expect(e.timestamp).toBeGreaterThanOrEqual(e.doc._aws.Timestamp);
    expect(
      datapointsOf(LEGACY)
        .filter((d) => d.name === M.outputDroppedRecords)
        .map((d) => d.timestamp),
    ).toEqual(idle.map((e) => e.timestamp));

    // how the agent wrote: signed for the target region and CloudWatch Logs, no x-amzn-logs-format header (no EMF
    // extraction asked for), one stream named by host, into the group the stack created (never creating one)
    expect(new Set(cw.requests.map((r) => `${r.region}/${r.service}`))).toEqual(new Set([`${REGION}/logs`]));
    const ours = cw.requests.filter((r) => r.body.logGroupName === agentMetricsLogGroupName(LEGACY.name));
    expect(new Set(ours.map((r) => r.action))).toEqual(new Set(['CreateLogStream', 'PutLogEvents']));
    expect(ours.every((r) => r.status === 200)).toBe(true);
    expect(ours.filter((r) => r.logsFormat !== undefined)).toEqual([]);
    expect([...cw.streams(agentMetricsLogGroupName(LEGACY.name)).keys()]).toEqual([os.hostname()]);

    expectAgentAlarmsWatchPublishedSeries(LEGACY);

    // and the log path delivered every line meanwhile
    await waitUntil(async () => (await bufferedLines(LEGACY)).length === LINES.length, 60_000, () => agent.fb.log().slice(-3000));
    expect((await bufferedLines(LEGACY)).sort()).toEqual([...LINES].sort());
  });

  it('EC2 agent, buffer kinesis that cannot be reached: retries, then retries failed and every record dropped, published while it happens', async () => {
    const closed = await freePort();
    const lines = LINES.slice(0, 150);
    const agent = await tailingAgent(
      'metrics-down',
      ORDERS,
      { region: REGION, streamName: 'orders' },
      { kinesis: { tlsPort: closed, certificateFile: cw.certificateFile }, cloudwatchLogs: cw },
      // one retry a second or two after the first try, instead of 15 over two hours
      { ...QUICK_SCRAPE, service: { ...QUICK_AGENT_TIMING.service, 'scheduler.base': 1, 'scheduler.cap': 2 }, kinesis_streams: { retry_limit: 1 } },
    );
    appendLines(agent.file, lines);
    const v = (n: AgentMetricName) => latest(ORDERS, n) ?? 0;
    await waitUntil(async () => v(M.outputDroppedRecords) === lines.length, 90_000, describeSeries(ORDERS, agent.fb));
    expect(v(M.inputRecords)).toBe(lines.length);
    expect(v(M.outputRetries)).toBeGreaterThan(0);
    expect(v(M.outputRetriesFailed)).toBeGreaterThan(0);
    expect(v(M.outputProcRecords)).toBe(0);
    // the same as Fluent Bit's own counters, and what its log says
    const own = (await agent.fb.metrics()).output[AGENT_INSTANCE.output];
    expect([own.dropped_records, own.retries, own.retries_failed]).toEqual([v(M.outputDroppedRecords), v(M.outputRetries), v(M.outputRetriesFailed)]);
    expect(agent.fb.log()).toMatch(/cannot be retried: .*output=logtong_out/);
    expect(eventsOf(ORDERS).filter((e) => e.doc.pipeline !== ORDERS.name)).toEqual([]);
    // the alarms' series (retries failed, dropped records of this pipeline), now above their threshold of 1
    expectAgentAlarmsWatchPublishedSeries(ORDERS);
  });

  it('syslog receiver (tcp_udp): both protocols’ inputs publish into the input metric', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-metrics-syslog-'));
    dirs.push(dir);
    const port = await freePort();
    const doc = localize(fluentBitConfigDocument(RECEIVER, { region: REGION, bucketName: BUFFER, keyPrefix: `${RECEIVER.name}/` }), {
      stateDir: path.join(dir, 'state'),
      httpPort: await freePort(),
      syslogPort: port,
      s3Endpoint: aws.endpoint,
      cloudwatchLogs: cw,
      aliases: true,
      timing: { ...QUICK_AGENT_TIMING, ...QUICK_SCRAPE },
    });
    const fb = await startFluentBit({ doc, dir, env: FAKE_AWS_ENV });
    running.push(fb);
    const frame = (i: number) => `<14>1 2026-01-01T00:00:00Z host app - - - frame ${i}`;
    const tcp = 60;
    const udp = 25;
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(Array.from({ length: tcp }, (_, i) => `${frame(i)}\n`).join(''), () => resolve()));
      s.once('error', reject);
    });
    const sock = dgram.createSocket('udp4');
    for (let i = 0; i < udp; i++) {
      await new Promise<void>((resolve, reject) => sock.send(frame(tcp + i), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
      await new Promise((r) => setTimeout(r, 5));
    }
    sock.close();
    // each input's events (by its alias), then the datapoints: every scrape publishes both inputs' totals into
    // AgentInputRecords, whose Maximum is therefore the larger, not the sum (see agent-metrics.ts)
    const lastOf = (alias: string) =>
      eventsOf(RECEIVER)
        .filter((e) => e.doc.name === alias && AGENT_COUNTER.inputRecords in e.doc)
        .at(-1)?.doc[AGENT_COUNTER.inputRecords];
    await waitUntil(
      async () => lastOf(agentInputAlias('tcp')) === tcp && lastOf(agentInputAlias('udp')) === udp && latest(RECEIVER, M.outputProcRecords) === tcp + udp,
      60_000,
      describeSeries(RECEIVER, fb),
    );
    const input = datapointsOf(RECEIVER).filter((d) => d.name === M.inputRecords);
    expect(input.slice(-2).map((d) => d.value).sort((a, b) => a - b)).toEqual([udp, tcp]);
    for (const d of input) expect(d.dimensions).toEqual(agentMetricDimensions(RECEIVER.name));
    expect(eventsOf(RECEIVER).filter((e) => e.doc.pipeline !== RECEIVER.name)).toEqual([]);
    expectAgentAlarmsWatchPublishedSeries(RECEIVER);
  });

  it('CloudWatch Logs unreachable: the log path delivers every line as usual, the agent stays healthy, the metrics chunk is given up', async () => {
    const closed = await freePort();
    const pipeline = examplePipeline('legacy-parquet', (p) => ({ ...p, name: 'legacy-nocw' }));
    const lines = LINES.slice(0, 200);
    // the shipped scrape interval (60 s); one scrape 5 s after start (scrape_on_start), as a restarted agent would
    const agent = await tailingAgent(
      'metrics-nocw',
      pipeline,
      { region: REGION, bucketName: BUFFER, keyPrefix: `${pipeline.name}/` },
      { s3Endpoint: aws.endpoint, cloudwatchLogs: { port: closed, certificateFile: cw.certificateFile } },
      { fluentbit_metrics: { scrape_on_start: true } },
    );
    appendLines(agent.file, lines);
    const health: number[] = [];
    const own = () => agent.fb.metrics();
    await waitUntil(
      async () => {
        health.push(await fetch(`${agent.fb.httpUrl}/api/v1/health`).then((r) => r.status));
        const m = await own();
        return m.output[AGENT_INSTANCE.output].proc_records === lines.length && (m.output[AGENT_INSTANCE.metrics]?.retries_failed ?? 0) >= 1;
      },
      90_000,
      async () => `${JSON.stringify((await own()).output)}\n${agent.fb.log().slice(-3000)}`,
    );
    await waitUntil(async () => (await bufferedLines(pipeline)).length === lines.length, 60_000, () => agent.fb.log().slice(-3000));
    expect((await bufferedLines(pipeline)).sort()).toEqual([...lines].sort());
    const m = await own();
    expect(m.output[AGENT_INSTANCE.output]).toMatchObject({ retries: 0, retries_failed: 0, dropped_records: 0, errors: 0 });
    // each scrape's chunk given up after the metrics path's own 2 retries (the first 5 s after start, the next at 60 s)
    const metricsOut = m.output[AGENT_INSTANCE.metrics];
    expect(metricsOut.errors).toBe(0);
    expect(metricsOut.retries_failed).toBeGreaterThanOrEqual(1);
    expect(metricsOut.retries - 2 * metricsOut.retries_failed).toBeGreaterThanOrEqual(0);
    expect(metricsOut.retries - 2 * metricsOut.retries_failed).toBeLessThanOrEqual(2);
    expect(health.length).toBeGreaterThan(5);
    expect(new Set(health)).toEqual(new Set([200]));
    expect(cw.events(agentMetricsLogGroupName(pipeline.name))).toEqual([]);
  });
});

/** The lines in the buffer bucket's objects of a pipeline. */
async function bufferedLines(pipeline: Pipeline): Promise<string[]> {
  return (await objectBodies(aws.s3, BUFFER, `${pipeline.name}/`)).flatMap(({ body }) => gunzipSync(body).toString('utf8').split('\n').filter(Boolean));
}
