/**
 * Syslog receivers end to end, every component real: util-linux `logger` → rsyslogd (harness/rsyslog.ts) → omfwd over
 * TCP LF-framed, TCP octet-counted and UDP, with the RFC 5424 and RFC 3164 forward templates → the receiver
 * configuration fluentBitConfigDocument generates for the syslog examples of pipelines.yaml, run by Fluent Bit 4.2.2
 * → its s3 output into the buffer bucket of the S3/SQS emulator → the notifications the synthesized stack configures →
 * copy handler → staging → processor handler → an OpenSearch 2.19 node. The count: each frame rsyslog forwarded (its own impstats counters) is
 * indexed exactly once, or is in the backup bucket with its raw text and the reason; nothing else is in either.
 *
 * A receiver listens with one framing per TCP port, so there is one Fluent Bit per framing: net-syslog as in
 * pipelines.yaml (tcp, LF), the same with octet counting, and syslog-parquet's tcp_udp listener. Each is fed by its own
 * rsyslogd, whose two forwards differ by template (a document's `version` tells them apart), and every message carries
 * a token naming its rsyslogd: a document or backup record maps to exactly one (message, forward).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sourceOfStagingKey } from '../../lambda/core/s3-event';
import { isDeepStrictEqual } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { fluentBitConfigDocument, type AgentTargets, type FluentBitConfigDocument } from '../../lib/agent/fluent-bit-config';
import type { Pipeline } from '../../lib/config/schema';
import { compileSyslog, splitSyslogFrames } from '../../lambda/core/formats/syslog';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { localize, startFluentBit, waitUntil, withoutMetricsPath, type FluentBitMetrics, type FluentBitProcess } from '../../lib/local/fluent-bit';
import { freePort } from '../../lib/local/net';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { allDocuments, backupRecords, examplePipeline, exampleRaw, objectBodies, queueDepth, stagedBuckets, wireStagedPath, type StagedPath } from './harness/agent-path';
import { CRAFTED_MESSAGES, expectedSyslogFields, findLogger, findRsyslogd, loggerSend, RSYSLOG_SETUP_HINT, startRsyslog, type ForwardSpec, type LoggerMessage, type RsyslogInstance } from './harness/rsyslog';

jest.setTimeout(300_000);

const NET = exampleRaw('net-syslog');
const PARQUET = exampleRaw('syslog-parquet');
/** net-syslog with changes to its entry in pipelines.yaml. */
const net = (edit: (raw: Record<string, any>) => Record<string, any>): Pipeline => examplePipeline('net-syslog', edit);

const PIPELINE = NET.name as string;
const ALIAS = NET.engine.indexPrefix as string;
const B = stagedBuckets(PIPELINE);
// Small enough that one message rsyslog forwards is too long: that frame must reach the backup bucket, not vanish.
const MAX_LINE_BYTES = 4096;
const TARGETS: AgentTargets = { region: 'us-east-1', bucketName: B.buffer, keyPrefix: `${PIPELINE}/` };
const T5424 = 'RSYSLOG_SyslogProtocol23Format';
const T3164 = 'RSYSLOG_TraditionalForwardFormat';

type ReceiverName = 'lf' | 'octet' | 'tcpudp';
/** The receivers' sources: net-syslog's own, with octet counting, and syslog-parquet's tcp_udp listener. */
const RECEIVER_SOURCES: Record<ReceiverName, Record<string, unknown>> = {
  lf: NET.source,
  octet: { ...NET.source, framing: 'octet-counting' },
  tcpudp: PARQUET.source,
};
/** One rsyslogd per path; its two forwards go to one receiver port with the 5424 and the 3164 template. */
const PATHS: Array<{ id: string; receiver: ReceiverName; protocol: 'tcp' | 'udp'; framing?: ForwardSpec['framing'] }> = [
  { id: 'lf', receiver: 'lf', protocol: 'tcp', framing: 'traditional' },
  { id: 'oc', receiver: 'octet', protocol: 'tcp', framing: 'octet-counted' },
  { id: 'ud', receiver: 'tcpudp', protocol: 'udp' },
  { id: 'tu', receiver: 'tcpudp', protocol: 'tcp', framing: 'traditional' },
];

const RUN = `r${process.pid}x${Date.now().toString(36)}`;
const TOKEN = new RegExp(`${RUN}-[a-z]+-\\d+`);
const tokenOf = (text: unknown): string | undefined => TOKEN.exec(String(text))?.[0];
const BAD_BYTES = Buffer.from([0xff, 0xfe, 0x80]);

interface Sent extends LoggerMessage {
  /** Its frames do not parse: the backup bucket, with this reason. */
  fails?: RegExp;
}

/** The sample checked field by field, then plain messages for volume, then two that the processor must back up. */
function messagesFor(pathId: string): Sent[] {
  const crafted: Array<Omit<Sent, 'token'>> = CRAFTED_MESSAGES.map((m) => ({ ...m }));
  const transports = ['tcp-lf', 'tcp-octet', 'udp'] as const;
  const plain = Array.from({ length: 20 }, (_, i): Omit<Sent, 'token'> => ({
    text: `plain message ${i}`,
    proto: i % 2 ? '3164' : '5424',
    transport: transports[i % 3],
    tag: 'bulk',
    prio: 'local0.info',
    facility: 16,
    severity: 6,
  }));
  // Both pass Fluent Bit untouched: bytes that are not UTF-8 used to fail the receiver's parser regex (the frame was
  // dropped there), and a frame longer than maxLineBytes must not be cut by the receiver's buffer.
  const failing: Array<Omit<Sent, 'token'>> = [
    { text: 'not UTF-8:', bytes: BAD_BYTES, proto: '5424', transport: 'tcp-lf', tag: 'badbytes', prio: 'user.warning', facility: 1, severity: 4, fails: /^invalid UTF-8 at byte \d+ \(0xff\)$/ },
    { text: `too long: ${'x'.repeat(MAX_LINE_BYTES + 1000)}`, proto: '3164', transport: 'udp', tag: 'toolong', prio: 'user.info', facility: 1, severity: 6, fails: new RegExp(`^line exceeds ${MAX_LINE_BYTES} bytes$`) },
  ];
  return [...crafted, ...plain, ...failing].map((m, i) => {
    const token = `${RUN}-${pathId}-${i}`;
    // the token first: an over-long line's raw text is cut, never its start
    return { ...m, token, text: `${token} ${m.text}` };
  });
}

const parser = compileSyslog(examplePipeline('net-syslog').logFormat);
const parsed = (frame: string): Record<string, unknown> => {
  const r = parser.parse(frame);
  if (!r.ok) throw new Error(`${JSON.stringify(frame)} does not parse: ${r.reason}`);
  return r.doc;
};

let node: OpenSearchNode;
let aws: AwsEmulator;
let staged: StagedPath;
const receivers = {} as Record<ReceiverName, { doc: FluentBitConfigDocument; port: number; fb: FluentBitProcess; metrics?: FluentBitMetrics }>;
const daemons: RsyslogInstance[] = [];
const sent = new Map<string, Sent[]>();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-fb-syslog-'));

const indexed = async (): Promise<Array<Record<string, any>>> => (await allDocuments(node.url, ALIAS)).map((d) => d._source);
const backedUp = () => backupRecords(aws.s3, B.backup, `${PIPELINE}/failed-records/`);
const objects = (bucket: string, prefix = '') => objectBodies(aws.s3, bucket, prefix);

/** Each rsyslogd forwards every message twice: with the RFC 5424 and with the RFC 3164 template. */
const TEMPLATES = [T5424, T3164];
const framesPerPath = (id: string) => sent.get(id)!.length * TEMPLATES.length;
const expectedFrames = () => PATHS.reduce((n, p) => n + framesPerPath(p.id), 0);
const expectedBackups = () => PATHS.reduce((n, p) => n + sent.get(p.id)!.filter((m) => m.fails).length * TEMPLATES.length, 0);

beforeAll(async () => {
  if (!findRsyslogd() || !findLogger()) throw new Error(`rsyslogd and logger are required for this test: ${RSYSLOG_SETUP_HINT}`);
  [node, aws] = await Promise.all([startOpenSearch(), startAwsEmulator()]);
  // The buckets, queues, notifications and handlers' environments as the synthesized stack has them (the buffer
  // bucket notifies the copy queue of `<pipeline>/….log.gz`: lib/stacks/pipeline/staged-ingest.ts); the processor's
  // `object processed` lines (info) carry its counters.
  const processorPipeline = net((p) => ({
    ...p,
    logFormat: { ...p.logFormat, maxLineBytes: MAX_LINE_BYTES },
    engine: { ...p.engine, domain: { type: 'self-managed', url: node.url }, index: { replicas: 0 } },
  }));
  staged = await wireStagedPath(aws, [processorPipeline], node.url);

  for (const name of Object.keys(RECEIVER_SOURCES) as ReceiverName[]) {
    const doc = fluentBitConfigDocument(net((p) => ({ ...p, source: RECEIVER_SOURCES[name], logFormat: { ...p.logFormat, maxLineBytes: MAX_LINE_BYTES } })), TARGETS);
    const port = await freePort();
    const dir = path.join(tmp, name);
    const local = localize(doc, {
      stateDir: path.join(dir, 'state'),
      httpPort: await freePort(),
      syslogPort: port,
      s3Endpoint: aws.endpoint,
      // Shortened so that the test takes seconds: flush 5 s → 1 s, upload_timeout 60 s → 2 s (the s3 output still checks
      // it on a timer of at least 6 s: UPLOAD_TIMER_MIN_WAIT, plugins/out_s3/s3.h).
      timing: { service: { flush: 1 }, s3: { upload_timeout: '2s' } },
    });
    receivers[name] = { doc, port, fb: await startFluentBit({ doc: local, dir, env: aws.env }) };
  }
  for (const p of PATHS) {
    const forwards: ForwardSpec[] = TEMPLATES.map((template) => ({ name: `${p.id}${template === T5424 ? 5424 : 3164}`, protocol: p.protocol, framing: p.framing, template, port: receivers[p.receiver].port }));
    daemons.push(await startRsyslog({ forwards, timeZone: 'UTC' }));
    sent.set(p.id, messagesFor(p.id));
  }
}, 240_000);

afterAll(async () => {
  staged?.logs.restore();
  for (const d of daemons) await d.stop();
  for (const r of Object.values(receivers)) await r.fb.stop();
  await node?.dispose();
  await aws?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('rsyslog → Fluent Bit syslog receivers → S3 buffer → copy → processor → OpenSearch', () => {
  it('runs the generated receivers: localize only moves listeners and endpoints; syslog-parquet listens as the tcp_udp one', () => {
    for (const [name, r] of Object.entries(receivers)) {
      const local = fs.readFileSync(r.fb.configFile, 'utf8');
      const logPath = withoutMetricsPath(r.doc);
      for (const input of logPath.pipeline.inputs) {
        expect(input).toMatchObject({ name: 'syslog', parser: 'logtong-raw-frame', port: RECEIVER_SOURCES[name as ReceiverName].port });
        expect(local).toContain(`port: ${r.port}`);
      }
      expect(logPath.pipeline.outputs).toEqual([expect.objectContaining({ name: 's3', bucket: B.buffer, log_key: 'log', compression: 'gzip', s3_key_format: `/${PIPELINE}/%Y/%m/%d/%H/%M%S-$UUID.log.gz` })]);
    }
    expect(receivers.octet.doc.pipeline.inputs[0].format).toBe('octet_counting');
    expect(receivers.lf.doc.pipeline.inputs[0].format).toBeUndefined();
    expect(withoutMetricsPath(receivers.tcpudp.doc).pipeline.inputs.map((i) => i.mode)).toEqual(['tcp', 'udp']);

    // syslog-parquet (Light Engine) renders the same receiver as net-syslog with its source: only the tag differs
    const strip = (d: FluentBitConfigDocument) => ({
      ...d,
      pipeline: { inputs: d.pipeline.inputs.map(({ tag: _t, ...i }) => i), outputs: d.pipeline.outputs.map(({ match: _m, ...o }) => o) },
    });
    expect(strip(withoutMetricsPath(fluentBitConfigDocument(examplePipeline('syslog-parquet'), TARGETS)))).toEqual(
      strip(withoutMetricsPath(fluentBitConfigDocument(net((p) => ({ ...p, source: PARQUET.source })), TARGETS))),
    );
  });

  it('the count equals what rsyslog sent: every frame indexed exactly once, or backed up with its raw text and the reason', async () => {
    PATHS.forEach((p, i) => {
      for (const m of sent.get(p.id)!) loggerSend(daemons[i], m, { maxSize: 4 * MAX_LINE_BYTES });
    });
    const total = expectedFrames();
    const progress = async () => `${(await indexed()).length} indexed + ${(await backedUp()).length} backed up of ${total}; buffer: ${(await objects(B.buffer)).length} objects`;
    await waitUntil(
      async () => {
        await staged.pump();
        return (await indexed()).length + (await backedUp()).length >= total;
      },
      // seconds normally (upload timer ≤ 6 s); a lost frame shows as this timeout with the counts
      60_000,
      progress,
      1_000,
    );
    for (const r of Object.values(receivers)) r.metrics = await r.fb.metrics();
    // What rsyslog sent, by its own counters (impstats, reported every second): each forward, every message once.
    const want = (i: number) => Object.fromEntries(TEMPLATES.map((t) => [`${PATHS[i].id}${t === T5424 ? 5424 : 3164}`, { processed: sent.get(PATHS[i].id)!.length, failed: 0, suspended: 0 }]));
    await waitUntil(async () => daemons.every((d, i) => isDeepStrictEqual(d.forwardStats(), want(i))), 15_000, () => JSON.stringify(daemons.map((d) => d.forwardStats())));
    const rsyslogSent = daemons.reduce((n, d) => n + Object.values(d.forwardStats()).reduce((k, s) => k + s.processed, 0), 0);
    expect(rsyslogSent).toBe(total);
    // Nothing more may come: rsyslog has nothing queued, and Fluent Bit uploads what it still holds when stopped.
    for (const d of daemons) await d.stop();
    for (const r of Object.values(receivers)) await r.fb.stop();
    await staged.pump();
    await staged.pump();

    const docs = await indexed();
    const backups = await backedUp();
    expect(docs.length + backups.length).toBe(rsyslogSent);
    expect({ indexed: docs.length, backedUp: backups.length }).toEqual({ indexed: total - expectedBackups(), backedUp: expectedBackups() });

    // each (message, forward) exactly once, in the index or in the backup bucket as its message says
    const seen = new Map<string, string[]>();
    const note = (token: string | undefined, template: string, where: string) => {
      const k = `${token}|${template}`;
      seen.set(k, [...(seen.get(k) ?? []), where]);
    };
    for (const d of docs) note(tokenOf(d.message), d.version === 1 ? '5424' : '3164', 'index');
    for (const b of backups) note(tokenOf(b.raw), /^<\d+>1 /.test(b.raw) ? '5424' : '3164', 'backup');
    const where = new Map<string, string[]>();
    for (const p of PATHS) for (const m of sent.get(p.id)!) for (const t of ['5424', '3164']) where.set(`${m.token}|${t}`, [m.fails ? 'backup' : 'index']);
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(where));
    expect(total).toBe(PATHS.length * (6 + 20 + 2) * TEMPLATES.length);

    // nothing was given up on the way
    const queues = staged.pipelines[PIPELINE];
    for (const q of [queues.copy.dlq, queues.process!.dlq]) expect(await queueDepth(aws.sqs, q)).toBe(0);
  });

  it("Fluent Bit took every frame at its listeners and put each, once, as one line of a gzip object under the pipeline's prefix", async () => {
    const perReceiver = (name: ReceiverName, protocol?: 'tcp' | 'udp') =>
      PATHS.filter((p) => p.receiver === name && (!protocol || p.protocol === protocol)).reduce((n, p) => n + framesPerPath(p.id), 0);
    const inputs = (name: ReceiverName) => receivers[name].metrics!.input;
    expect(inputs('lf')['syslog.0'].records).toBe(perReceiver('lf'));
    expect(inputs('octet')['syslog.0'].records).toBe(perReceiver('octet'));
    // tcp_udp: one input per protocol on the same port, each with its own rsyslogd's frames
    expect(inputs('tcpudp')['syslog.0'].records).toBe(perReceiver('tcpudp', 'tcp'));
    expect(inputs('tcpudp')['syslog.1'].records).toBe(perReceiver('tcpudp', 'udp'));
    for (const [name, r] of Object.entries(receivers)) {
      const out = r.metrics!.output['s3.0'];
      expect({ name, errors: out.errors, dropped: out.dropped_records, failed: out.retries_failed }).toEqual({ name, errors: 0, dropped: 0, failed: 0 });
      // the two ways in_syslog and out_s3 drop records without failing a chunk
      expect(r.fb.log()).not.toMatch(/error parsing log message|Could not find log_key/);
    }

    const buffered = await objects(B.buffer);
    expect(buffered.length).toBeGreaterThan(0);
    const lines: string[] = [];
    for (const o of buffered) {
      expect(o.key).toMatch(new RegExp(`^${PIPELINE}/\\d{4}/\\d{2}/\\d{2}/\\d{2}/\\d{4}-\\w+\\.log\\.gz$`));
      expect(o.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      const text = gunzipSync(o.body).toString('latin1');
      expect(text.endsWith('\n')).toBe(true);
      lines.push(...text.slice(0, -1).split('\n'));
    }
    // one frame, one line: no empty line from a trailing LF (octet-counted, 5424 datagrams), no frame twice
    expect(lines.length).toBe(expectedFrames());
    expect(lines.filter((l) => l.length === 0)).toEqual([]);
    expect(new Set(lines).size).toBe(lines.length);
    // the copy stage staged each object under <pipeline>/<bucket>/etag=<ETag>/<key>
    expect((await objects(B.staging, `${PIPELINE}/${B.buffer}/`)).map((o) => sourceOfStagingKey(PIPELINE, o.key)).sort((a, b) => a!.key.localeCompare(b!.key))).toEqual(
      buffered.map((o) => ({ bucket: B.buffer, key: o.key, etag: expect.any(String) })).sort((a, b) => a.key.localeCompare(b.key)),
    );
  });

  it("the processor's counters balance on every object and add up to the frames", async () => {
    const processorLogs = staged.logs.records;
    expect(processorLogs.length).toBe((await objects(B.buffer)).length);
    for (const l of processorLogs) expect({ source: l.source, balanced: l.balanced, duplicates: l.duplicates, deferred: l.deferred }).toEqual({ source: expect.stringMatching(new RegExp(`^s3://${B.buffer}/`)), balanced: true, duplicates: 0, deferred: 0 });
    const sum = (k: string) => processorLogs.reduce((n, l) => n + l[k], 0);
    expect({ recordsIn: sum('recordsIn'), indexed: sum('indexed'), filtered: sum('filtered'), backedUp: sum('backedUp') }).toEqual({
      recordsIn: expectedFrames(),
      indexed: expectedFrames() - expectedBackups(),
      filtered: 0,
      backedUp: expectedBackups(),
    });
  });

  it('documents hold what logger sent, field by field, through each forward template and transport', async () => {
    const docs = await indexed();
    for (const p of PATHS) {
      for (const m of sent.get(p.id)!.filter((x) => !x.fails)) {
        const orig = parsed(splitSyslogFrames(m.wire!, true).frames[0]);
        expect(orig.message).toBe(m.text);
        for (const out5424 of [true, false]) {
          const [d, ...more] = docs.filter((x) => tokenOf(x.message) === m.token && (x.version === 1) === out5424);
          expect(more).toEqual([]);
          const ctx = `${p.id} ${out5424 ? 5424 : 3164} ← logger ${m.proto}/${m.transport}: ${m.text}`;
          const expected = expectedSyslogFields(m, out5424, orig.hostname);
          expect({ ctx, ...Object.fromEntries(Object.keys(expected).map((k) => [k, d[k]])) }).toEqual({ ctx, ...expected });
          if (out5424 && m.proto === '5424' && !m.notq) expect({ ctx, sd: d.structured_data }).toEqual({ ctx, sd: orig.structured_data });
          else expect({ ctx, sd: d.structured_data }).toEqual({ ctx, sd: null });
          if (m.sd && out5424) expect(d.structured_data).toMatchObject({ 'zoo@32473': { tiger: 'hun"gry', path: 'C:\\dir]x' } });
          // time: exact (µs → ms) when RFC 5424 in and out; whole seconds when either side is RFC 3164
          const origMs = Date.parse(orig['@timestamp'] as string);
          expect(Math.abs(Date.now() - origMs)).toBeLessThan(300_000);
          expect({ ctx, t: d['@timestamp'] }).toEqual({ ctx, t: new Date(out5424 && m.proto === '5424' ? origMs : Math.floor(origMs / 1000) * 1000).toISOString() });
        }
      }
    }
  });

  it('frames that do not parse are backed up with the raw text, the reason, and the buffer line they came from', async () => {
    const backups = await backedUp();
    const buffered = new Map((await objects(B.buffer)).map((o) => [o.key, gunzipSync(o.body)]));
    for (const b of backups) {
      const m = [...sent.values()].flat().find((x) => tokenOf(b.raw) === x.token)!;
      expect(m.fails).toBeDefined();
      expect(b).toMatchObject({ pipeline: PIPELINE, bucket: B.buffer, reason: expect.stringMatching(m.fails!) });
      const line = buffered.get(b.key)!.toString('latin1').split('\n')[b.line - 1];
      if (m.bytes) {
        // not UTF-8: the bytes as rsyslog forwarded them, logger's included unchanged
        const raw = Buffer.from(b.rawBase64, 'base64');
        expect(raw.includes(BAD_BYTES)).toBe(true);
        expect(raw.toString('latin1')).toBe(line);
        expect(b.raw).toContain(m.text);
      } else {
        expect(b.rawBase64).toBeUndefined();
        expect(b.raw).toBe(line);
        expect(b.raw).toContain(m.text);
      }
    }
  });
});
