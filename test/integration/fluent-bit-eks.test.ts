/**
 * The EKS agent on container logs, every component real: the Fluent Bit configuration of the ConfigMap that
 * eksManifestDocuments makes for the example `k8s-spring` (multi-line Spring Boot logs, buffer s3), run by Fluent Bit
 * 4.2.2 on container log files laid out as the kubelet and containerd write them → its s3 output into the buffer bucket
 * of the S3/SQS emulator → the notifications the synthesized stack configures → copy handler → staging → processor
 * handler → an OpenSearch 2.19 node.
 *
 * There is no Spring Boot corpus: the applications' events are the Hadoop and Zookeeper log4j lines of
 * test/fixtures/corpora rewritten in the example's layout (`%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger :
 * %msg%n`), with realistic Java stack traces (hand-written: java.net, Spring's RestTemplate, `Caused by`, `... N more`)
 * after some of them, a Hibernate SQL statement with an empty line in it, the Spring Boot banner and a JVM warning
 * before the first event, WARN/ERROR events on stderr (a second appender) interleaved line by line with stdout, and an
 * event whose first line is longer than containerd's 16 KiB line limit (P parts, a UTF-8 character cut between two).
 * Every event, banner and warning line carries a sequence number (`logtong-seq=N`); the banner's and the warning's are
 * appended by the test.
 *
 * The oracle is the processor core itself (processorVerdicts: line splitter, MultilineAssembler, parser) applied to
 * each container stream as the application wrote it: each event must reach OpenSearch as one document with exactly
 * those values, each line the processor cannot place must be in the backup bucket with its raw text and its reason,
 * exactly once, also across an agent stopped right after a write.
 *
 * The config's `${LOGTONG_BUFFER_BUCKET}` and `${LOGTONG_REGION}` come from the agent's environment, as the manifest
 * expects. Test-only timing: flush 5 s → 1 s, tail refresh_interval 10 s → 1 s (a pod started later is found
 * sooner), s3 upload_timeout 60 s → 2 s (checked on a timer of at least 6 s, plugins/out_s3/s3.h).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sourceOfStagingKey } from '../../lambda/core/s3-event';
import { parse as parseYaml } from 'yaml';
import { eksManifestDocuments } from '../../lib/agent/eks-manifest';
import { AGENT_PLACEHOLDERS, AGENT_STATE_DIR, fluentBitConfig, type AgentTargets, type FluentBitConfigDocument } from '../../lib/agent/fluent-bit-config';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { localize, startFluentBit, waitUntil, withoutMetricsPath, type FluentBitMetrics, type FluentBitProcess } from '../../lib/local/fluent-bit';
import { freePort } from '../../lib/local/net';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { containerLogFile, CRI_MAX_LINE_BYTES, criLine } from '../../lib/local/container-logs';
import { corpusLines } from '../corpora';
import {
  allDocuments,
  backupRecords,
  examplePipeline,
  expectEachOnce,
  groupBySeq,
  listKeys,
  processorVerdicts,
  queueDepth,
  seqOf,
  seqTag,
  stagedBuckets,
  tally,
  wireStagedPath,
  type StagedPath,
  type Verdict,
} from './harness/agent-path';

jest.setTimeout(300_000);

const SHIPPED = examplePipeline('k8s-spring');
const NAME = SHIPPED.name;
const REGION = 'us-east-1';
const B = stagedBuckets(NAME);

/** The targets the stack renders the manifest's configuration with (lib/stacks/pipeline/agent-config-props.ts agentConfigProps). */
const PLACEHOLDERS: AgentTargets = { region: AGENT_PLACEHOLDERS.region, bucketName: AGENT_PLACEHOLDERS.bucketName, keyPrefix: `${NAME}/` };
const MANIFEST = eksManifestDocuments(SHIPPED, { roleArn: AGENT_PLACEHOLDERS.roleArn, configYaml: fluentBitConfig(SHIPPED, PLACEHOLDERS) }) as Array<Record<string, any>>;
const CONFIG_MAP = MANIFEST.find((d) => d.kind === 'ConfigMap')!;
const DAEMON_SET = MANIFEST.find((d) => d.kind === 'DaemonSet')!;
const CONFIG = parseYaml(CONFIG_MAP.data['fluent-bit.yaml']) as FluentBitConfigDocument;

// ---------------------------------------------------------------------------------------------------------------------
// The applications' output

const TRACES = [
  [
    'java.net.ConnectException: Connection refused',
    '\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)',
    '\tat java.base/sun.nio.ch.Net.pollConnectNow(Net.java:672)',
    '\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:547)',
    '\tat java.base/sun.nio.ch.NioSocketImpl.connect(NioSocketImpl.java:602)',
    '\tat java.base/java.net.Socket.connect(Socket.java:633)',
    '\tat org.apache.hadoop.net.NetUtils.connect(NetUtils.java:531)',
    '\tat org.apache.hadoop.ipc.Client$Connection.setupConnection(Client.java:614)',
    '\tat org.apache.hadoop.ipc.Client$Connection.setupIOstreams(Client.java:712)',
    '\t... 28 more',
  ],
  [
    'org.springframework.web.client.ResourceAccessException: I/O error on POST request for "http://payments:8080/api/charges": Read timed out',
    '\tat org.springframework.web.client.RestTemplate.createResourceAccessException(RestTemplate.java:905)',
    '\tat org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:885)',
    '\tat org.springframework.web.client.RestTemplate.execute(RestTemplate.java:790)',
    '\tat com.example.orders.PaymentClient.charge(PaymentClient.java:57)',
    '\tat com.example.orders.OrderService.place(OrderService.java:112)',
    '\tat org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:184)',
    'Caused by: java.net.SocketTimeoutException: Read timed out',
    '\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)',
    '\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:314)',
    '\tat java.base/java.net.Socket$SocketInputStream.read(Socket.java:1099)',
    '\t... 47 common frames omitted',
  ],
  [
    'java.lang.IllegalStateException: Zookeeper session expired',
    '\tat org.apache.zookeeper.ClientCnxn$SendThread.onConnected(ClientCnxn.java:1296)',
    '\tat org.apache.zookeeper.ClientCnxnSocket.readConnectResult(ClientCnxnSocket.java:154)',
    '\tat org.apache.zookeeper.ClientCnxnSocketNIO.doIO(ClientCnxnSocketNIO.java:86)',
    '\tat org.apache.zookeeper.ClientCnxn$SendThread.run(ClientCnxn.java:1145)',
  ],
];
const BANNER = [
  '',
  '  .   ____          _            __ _ _',
  " /\\\\ / ___'_ __ _ _(_)_ __  __ _ \\ \\ \\ \\",
  "( ( )\\___ | '_ | '_| | '_ \\/ _` | \\ \\ \\ \\",
  " \\\\/  ___)| |_)| | | | | || (_| |  ) ) ) )",
  "  '  |____| .__|_| |_|_| |_\\__, | / / / /",
  ' =========|_|==============|___/=/_/_/_/',
  ' :: Spring Boot ::                (v3.3.5)',
  '',
];

/** Corpus lines in the example's layout: [time, level, thread, logger, message]. */
function corpusEvents(): Array<[string, string, string, string, string]> {
  const hadoop = corpusLines('loghub_Hadoop_2k.log').flatMap((l) => {
    const m = /^(\S+ [\d:]+),(\d{3}) (\w+) \[(.*?)\] (\S+): (.*)$/.exec(l);
    return m ? [[`${m[1]}.${m[2]}`, m[3], m[4], m[5], m[6]] as [string, string, string, string, string]] : [];
  });
  const zookeeper = corpusLines('loghub_Zookeeper_2k.log').flatMap((l) => {
    const m = /^(\S+ [\d:]+),(\d{3}) - (\w+) +\[(.*):([\w$]+)@\d+\] - (.*)$/.exec(l);
    return m ? [[`${m[1]}.${m[2]}`, m[3], m[4], `org.apache.zookeeper.server.${m[5]}`, m[6]] as [string, string, string, string, string]] : [];
  });
  return [...hadoop, ...zookeeper];
}
// (the loghub files end their lines with CRLF: corpusLines splits at either)
const EVENTS = corpusEvents();

type Stream = 'stdout' | 'stderr';
interface Container {
  file: string;
  /** What the application wrote to each stream, as text: the oracle's input. */
  text: Record<Stream, string>;
  /** CRI lines (F) written, for the agent's input count. */
  records: number;
}

let seq = 0;
let cursor = 0;
const now = () => new Date().toISOString().replace(/\.(\d{3})Z$/, (_, ms) => `.${ms}${String(process.hrtime()[1]).padStart(9, '0').slice(3, 9)}Z`);

/** Writes lines of both streams in one write (containerd interleaves them in the order given). */
function write(c: Container, lines: Array<[Stream, string]>): void {
  const t = now();
  fs.appendFileSync(c.file, Buffer.concat(lines.map(([s, l]) => criLine(t, s, l))));
  for (const [s, l] of lines) c.text[s] += `${l}\n`;
  c.records += lines.length;
}

/** The lines of one event: its first line (with the sequence number) and the stack trace some WARN/ERROR events have. */
function event(extra: { time?: string; message?: string; trace?: string[] } = {}): { stream: Stream; lines: string[] } {
  // a stride through both corpora, so that a hundred events hold both files' levels (the first Hadoop lines are INFO)
  const [time, level, thread, logger, message] = EVENTS[(cursor++ * 97) % EVENTS.length];
  const s = ++seq;
  const first = `${extra.time ?? time} ${level.padEnd(5)} [${thread}] ${logger} : ${seqTag(s)} ${extra.message ?? message}`;
  const warn = level === 'WARN' || level === 'ERROR';
  const trace = extra.trace ?? (warn && s % 2 === 0 ? TRACES[s % TRACES.length] : []);
  return { stream: warn ? 'stderr' : 'stdout', lines: [first, ...trace] };
}

/** `n` events, their lines interleaved stdout/stderr as two threads writing at once would be (deterministic). */
function batch(n: number): Array<[Stream, string]> {
  const events = Array.from({ length: n }, () => event());
  const queue: Record<Stream, string[]> = { stdout: [], stderr: [] };
  for (const e of events) queue[e.stream].push(...e.lines);
  const out: Array<[Stream, string]> = [];
  for (let k = 0; queue.stdout.length || queue.stderr.length; k++) {
    const s: Stream = queue.stderr.length && (!queue.stdout.length || (k * 7) % 3 === 0) ? 'stderr' : 'stdout';
    out.push([s, queue[s].shift()!]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------

let node: OpenSearchNode;
let aws: AwsEmulator;
let fb: FluentBitProcess;
let metrics: FluentBitMetrics;
let staged: StagedPath;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-fb-eks-'));
/** Stands for the node's /var/log (the DaemonSet's `varlog` hostPath). */
const varLog = path.join(tmp, 'var-log');
const containers: Container[] = [];

function container(pod: string, name = 'orders'): Container {
  const c: Container = { file: containerLogFile(varLog, 'shop', pod, name), text: { stdout: '', stderr: '' }, records: 0 };
  containers.push(c);
  return c;
}

/** Waits until the agent has read `records` container log lines (so that the next write is a read of its own). */
async function read(records: number): Promise<void> {
  await waitUntil(async () => ((await fb.metrics()).input['tail.0']?.records ?? 0) >= records, 30_000, () => fb.log().slice(-3000), 100);
}

beforeAll(async () => {
  [node, aws] = await Promise.all([startOpenSearch(), startAwsEmulator({ region: REGION })]);
  // The processor's side: the example with the node as its domain (the agent's configuration does not name it).
  const processed = examplePipeline(NAME, (p) => ({ ...p, engine: { ...p.engine, domain: { type: 'self-managed', url: node.url }, index: { replicas: 0 } } }));
  expect(fluentBitConfig(processed, PLACEHOLDERS)).toBe(fluentBitConfig(SHIPPED, PLACEHOLDERS));
  staged = await wireStagedPath(aws, [processed], node.url);
}, 240_000);

afterAll(async () => {
  staged?.logs.restore();
  await fb?.stop();
  await node?.dispose();
  await aws?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('EKS DaemonSet configuration on CRI container logs (real Fluent Bit) → S3 buffer → processor → OpenSearch', () => {
  it('reads only what the DaemonSet mounts: container logs under /var/log, its state under the state hostPath', () => {
    const mounts = (DAEMON_SET.spec.template.spec.containers[0].volumeMounts as Array<{ mountPath: string; readOnly?: boolean }>).map((m) => m.mountPath);
    expect(withoutMetricsPath(CONFIG).pipeline.inputs).toEqual([expect.objectContaining({ name: 'tail', path: '/var/log/containers/orders-*.log', 'multiline.parser': 'cri' })]);
    for (const p of [CONFIG.pipeline.inputs[0].db, CONFIG.service['storage.path'], CONFIG.pipeline.outputs[0].store_dir]) expect(String(p).startsWith(`${AGENT_STATE_DIR}/`)).toBe(true);
    expect(mounts).toEqual(expect.arrayContaining(['/var/log', AGENT_STATE_DIR]));
    expect(withoutMetricsPath(CONFIG).pipeline.outputs).toEqual([expect.objectContaining({ name: 's3', bucket: '${LOGTONG_BUFFER_BUCKET}', region: '${LOGTONG_REGION}', log_key: 'log' })]);
  });

  it('every event is one document with the processor\'s values, P parts joined; every other line backed up with its reason; exactly once', async () => {
    const pod1 = container('orders-5c9d7b8f4-x2lqk');
    // not matched by the pipeline's logPaths (orders-*): never read
    const other = container('payments-6f7d9c5b8-q4w2e', 'payments');
    const local = localize(CONFIG, {
      stateDir: path.join(tmp, 'state'),
      httpPort: await freePort(),
      logPaths: (SHIPPED.source as { logPaths: string[] }).logPaths.map((p) => p.replace(/^\/var\/log\//, `${varLog}/`)),
      s3Endpoint: aws.endpoint,
      timing: { service: { flush: 1 }, tail: { refresh_interval: 1 }, s3: { upload_timeout: '2s' } },
    });
    fb = await startFluentBit({ doc: local, dir: path.join(tmp, 'agent'), env: { ...aws.env, LOGTONG_BUFFER_BUCKET: B.buffer, LOGTONG_REGION: REGION } });

    // Start-up: the JVM warns on stderr and Spring prints its banner before logging is up: lines of no event.
    write(pod1, [['stderr', `OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes because bootstrap classpath has been appended ${seqTag(++seq)}`]]);
    write(pod1, BANNER.map((l): [Stream, string] => ['stdout', l ? `${l} ${seqTag(++seq)}` : l]));
    write(other, batch(5));
    for (let i = 0; i < 6; i++) {
      write(pod1, batch(12));
      await read(pod1.records);
    }
    // A pod scheduled later: its file appears while the agent runs, and starts as every Spring Boot pod does.
    const pod2 = container('orders-5c9d7b8f4-mz7wd');
    write(pod2, BANNER.map((l): [Stream, string] => ['stdout', l ? `${l} ${seqTag(++seq)}` : l]));
    for (let i = 0; i < 6; i++) {
      write(pod2, batch(12));
      write(pod1, batch(8));
      await read(pod1.records + pod2.records);
    }

    // A first line longer than containerd's 16 KiB: P parts, then F; a stderr event between two parts; a UTF-8
    // character cut between two parts.
    const big = event({ message: `cart snapshot ${JSON.stringify({ items: Array.from({ length: 700 }, (_, k) => ({ sku: `SKU-${k}`, name: 'Kaffeemühle €', qty: k % 5 })) })}`, trace: [] });
    const warnBetween = event({ trace: TRACES[0] });
    // spaces before a `€` so that containerd's first cut falls inside its three bytes
    const raw = Buffer.from(big.lines[0]);
    const euro = raw.lastIndexOf(Buffer.from('€'), CRI_MAX_LINE_BYTES - 1);
    big.lines[0] = Buffer.concat([raw.subarray(0, euro), Buffer.from(' '.repeat(CRI_MAX_LINE_BYTES - 1 - euro)), raw.subarray(euro)]).toString('utf8');
    const bigLine = Buffer.from(big.lines[0]);
    expect(bigLine.length).toBeGreaterThan(2 * CRI_MAX_LINE_BYTES);
    expect(bigLine[CRI_MAX_LINE_BYTES] & 0xc0).toBe(0x80);
    const parts = criLine(now(), 'stdout', big.lines[0]).toString('latin1').split('\n').filter(Boolean);
    expect(parts.map((p) => p.split(' ')[2])).toEqual([...Array(parts.length - 1).fill('P'), 'F']);
    const cri = (s: Stream, l: string) => criLine(now(), s, l).toString('latin1');
    fs.appendFileSync(pod2.file, Buffer.from([parts[0], ...warnBetween.lines.map((l) => cri('stderr', l).slice(0, -1)), ...parts.slice(1)].join('\n') + '\n', 'latin1'));
    pod2.text.stdout += `${big.lines[0]}\n`;
    pod2.text.stderr += warnBetween.lines.map((l) => `${l}\n`).join('');
    pod2.records += 1 + warnBetween.lines.length;
    // Hibernate's formatted SQL: an empty line inside the event; a first line the layout matches but whose time is
    // no date: the processor backs the whole event up.
    const sql = event({ message: 'select', trace: ['    select', '        o1_0.id,', '        o1_0.status', '', '    from', '        orders o1_0', '    where', '        o1_0.id=?'] });
    const badTime = event({ time: '2015-02-29 10:00:00.000', trace: TRACES[1] });
    write(pod1, [...sql.lines, ...badTime.lines].map((l): [Stream, string] => ['stdout', l]));
    await read(pod1.records + pod2.records);

    // The pod of the agent is replaced (SIGTERM) just after a write: the new one resumes from the offsets DB.
    write(pod1, batch(10));
    await new Promise((r) => setTimeout(r, 300));
    await fb.stop();
    const before = pod1.records + pod2.records;
    write(pod1, batch(10));
    write(pod2, batch(10));
    await fb.start();
    write(pod2, batch(10));
    // (the agent's counters start again from zero) Then stopped: it uploads what it holds.
    await read(pod1.records + pod2.records - before);
    // one flush interval (test-only 1 s), so that the counters below cover the output too
    await new Promise((r) => setTimeout(r, 2_000));
    metrics = await fb.metrics();
    await fb.stop();

    const expected: Array<{ stream: string; verdict: Verdict }> = [];
    for (const c of containers.filter((x) => x !== other)) {
      for (const s of ['stdout', 'stderr'] as const) for (const v of await processorVerdicts(SHIPPED.logFormat, Buffer.from(c.text[s]))) expected.push({ stream: `${c.file}:${s}`, verdict: v });
    }
    const seqOfVerdict = (v: Verdict) => seqOf(v.ok ? v.text : v.raw);
    expect(new Set(expected.map((e) => seqOfVerdict(e.verdict))).size).toBe(expected.length);
    await staged.pump();
    const last = { docs: (await allDocuments(node.url, NAME)).map((d) => d._source), backups: await backupRecords(aws.s3, B.backup, `${NAME}/failed-records/`) };

    const docs = groupBySeq(last.docs, (d) => d.message);
    const backups = groupBySeq(last.backups, (b) => b.raw);
    const found = (e: { verdict: Verdict }) => ({ indexed: (docs.get(seqOfVerdict(e.verdict)) ?? []).length, backedUp: (backups.get(seqOfVerdict(e.verdict)) ?? []).length });
    expectEachOnce(expected, (e) => (e.verdict.ok ? 'index' : 'backup'), found, (e) => ({ stream: e.stream, seq: seqOfVerdict(e.verdict) }));
    for (const { verdict } of expected) {
      const s = seqOfVerdict(verdict);
      const d = docs.get(s) ?? [];
      const b = backups.get(s) ?? [];
      if (verdict.ok) expect({ seq: s, doc: d[0] }).toEqual({ seq: s, doc: verdict.doc });
      else expect({ seq: s, raw: b[0].raw, reason: b[0].reason }).toEqual({ seq: s, raw: verdict.raw, reason: verdict.reason });
    }
    expect(last.docs.length + last.backups.length).toBe(expected.length);

    // what the count covered: events with stack traces, the joined long line, the orphans, the event backed up whole
    const ok = expected.flatMap((e) => (e.verdict.ok ? [e.verdict] : []));
    expect(ok.filter((v) => /\n\tat /.test(String(v.doc.message))).length).toBeGreaterThan(20);
    expect(String(ok.find((v) => seqOfVerdict(v) === seqOf(big.lines[0]))!.doc.message).length).toBeGreaterThan(2 * 16 * 1024);
    expect(ok.find((v) => seqOfVerdict(v) === seqOf(sql.lines[0]))!.doc.message).toMatch(/\n {8}o1_0\.status\n {4}from\n/);
    const failed = expected.flatMap((e) => (e.verdict.ok ? [] : [e.verdict]));
    expect(Object.fromEntries(tally(failed.map((v) => v.reason.replace(/"[^"]*"/, '…'))))).toEqual({
      'continuation line without an event start before it (does not match the first-line pattern)': 2 * BANNER.filter(Boolean).length + 1,
      'first line time … does not match yyyy-MM-dd HH:mm:ss.SSS': 1,
    });
    expect(failed.find((v) => seqOfVerdict(v) === seqOf(badTime.lines[0]))!.raw).toBe(badTime.lines.join('\n'));
  });

  it('one object stream per container file; the copy stage staged each; the processor\'s counters balance; no dead letters', async () => {
    const buffered = await listKeys(aws.s3, B.buffer, '');
    expect(buffered.length).toBeGreaterThanOrEqual(2);
    for (const k of buffered) expect(k).toMatch(new RegExp(`^${NAME}/\\d{4}/\\d{2}/\\d{2}/\\d{2}/\\d{4}-\\w+\\.log\\.gz$`));
    // staged under <pipeline>/<bucket>/etag=<ETag>/<key> (stagingKey)
    expect((await listKeys(aws.s3, B.staging, `${NAME}/`)).map((k) => sourceOfStagingKey(NAME, k)?.key).sort()).toEqual([...buffered].sort());
    expect(staged.logs.records.length).toBe(buffered.length);
    for (const l of staged.logs.records) expect({ balanced: l.balanced, duplicates: l.duplicates, deferred: l.deferred }).toEqual({ balanced: true, duplicates: 0, deferred: 0 });
    // the agent's own counters (since its restart): nothing dropped or given up on the way to the bucket
    const out = metrics.output['s3.0'];
    expect({ errors: out.errors, dropped: out.dropped_records, failed: out.retries_failed, records: out.proc_records > 0 }).toEqual({ errors: 0, dropped: 0, failed: 0, records: true });
    expect(fb.log()).not.toMatch(/Could not find log_key|multiline message truncated|have long lines/);
    const queues = staged.pipelines[NAME];
    for (const q of [queues.copy.dlq, queues.process!.dlq]) expect(await queueDepth(aws.sqs, q)).toBe(0);
  });
});
