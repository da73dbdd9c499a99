/**
 * `logtong local` end to end, as a user runs it: the example config's `web-access` pipeline (S3 source into
 * OpenSearch) on the real node and the emulator, its stack synthesized and its functions run from their bundles.
 * The counts it prints are checked against the node and the backup files it left, and nothing it started is left
 * running afterwards.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runLocal } from '../../lib/cli/local-command';
import { main } from '../../lib/cli/main';
import { corpusPath } from '../corpora';
import { EXAMPLE_CONFIG } from '../infra/synth';
import { captured } from '../unit/cli/captured';

jest.setTimeout(300_000);

const CORPUS = corpusPath('apache_combined_elastic_examples.log');
const lines = readFileSync(CORPUS, 'utf8').split('\n').filter(Boolean);

/**
 * The processes this one started that still run. A zombie has ended and holds nothing (esbuild's service, stopped
 * after synth, is one until this process exits: the worker thread that would reap it is gone).
 */
function children(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const status = readFileSync(`/proc/${d}/status`, 'utf8');
        return Number(/^PPid:\s+(\d+)$/m.exec(status)![1]) === process.pid && !/^State:\s+Z/m.test(status);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/**
 * `logtong local` running until `stop()` (what Ctrl-C does), with `until` waiting (90 s at most) for what it prints;
 * a wait that times out shows what was printed.
 */
function runUntilStopped(args: string[]) {
  const out = captured();
  const err = captured();
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const running = runLocal(args, { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream }, () => stopped);
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 900 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(check() ? 'ok' : `${out.text()}\n${err.text().slice(-3000)}`).toBe('ok');
  };
  return { out, err, stop, running, until };
}

describe('logtong local', () => {
  it('runs an S3 → OpenSearch pipeline on the local components, prints where every record went, and stops everything it started', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const before = children();
    const out = captured();
    const err = captured();
    const code = await main(['local', '--config', EXAMPLE_CONFIG, '--pipeline', 'web-access', '--input', CORPUS, '--data', data, '--once'], {
      stdin: Readable.from([]),
      stdout: out.stream,
      stderr: err.stream,
    });
    const report = out.text();
    expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
    expect(report).toContain(`web-access: ${lines.length.toLocaleString('en-US')} records in 1 file`);
    expect(report).toMatch(/^ {2}indexed +9,999 {2}into web-access on http:\/\/127\.0\.0\.1:\d+$/m);
    expect(report).toMatch(/^ {2}filtered +0 /m);
    expect(report).toMatch(new RegExp(`^ {2}backed up +1 {2}with their raw text and reason, in ${data}/backup$`, 'm'));
    expect(report).toContain(`all ${lines.length.toLocaleString('en-US')} records accounted for`);
    expect(report).toContain('the local node has no ISM plugin');
    // the backed-up record is on disk, whole
    const failedDir = path.join(data, 'backup', 'web-access', 'failed-records');
    const files = readdirSync(failedDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const failed = files.flatMap((f) => gunzipSync(readFileSync(path.join(f.parentPath, f.name))).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    expect(failed).toEqual([expect.objectContaining({ line: 8899, raw: lines[8898] })]);
    // the stack it ran is the one synth makes, in the data folder
    expect(readdirSync(path.join(data, 'cdk.out'))).toContain('Logtong-web-access.template.json');
    // everything it started is stopped: the node's port is closed, no child process is left
    const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(report)![1]);
    expect(await refused(port)).toBe(true);
    const left = children().filter((p) => !before.includes(p));
    expect(left.map((p) => readFileSync(`/proc/${p}/status`, 'utf8').split('\n').slice(0, 3).join(' '))).toEqual([]);
  });

  it('keeps the node\'s indices for the next run, where the same records count as already indexed; --fresh starts empty', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const run = async (...extra: string[]) => {
      const out = captured();
      const err = captured();
      const code = await main(['local', '--config', EXAMPLE_CONFIG, '--pipeline', 'web-access', '--input', CORPUS, '--data', data, '--once', ...extra], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
      expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
      return out.text();
    };
    expect(await run()).toMatch(/^ {2}indexed +9,999 /m);
    const again = await run();
    expect(again).toMatch(/^ {2}indexed +0 /m);
    expect(again).toMatch(/^ {2}duplicate +9,999 {2}already indexed by an earlier run/m);
    expect(again).toContain('all 10,000 records accounted for');
    const fresh = await run('--fresh');
    expect(fresh).toMatch(/^ {2}indexed +9,999 /m);
    expect(fresh).not.toContain('duplicate');
  });

  it('runs an S3 → Light Engine pipeline: its batch state machine as synthesized, Parquet in the Hive layout, the table as DDL', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const config = path.join(data, 'pipelines.yaml');
    writeFileSync(
      config,
      ['pipelines:', '  - name: web-lake', '    source: { type: s3, bucketName: demo-logs, prefix: access/ }', '    logFormat: { type: nginx }', '    engine: { type: light, region: eu-west-1 }', ''].join('\n'),
    );
    const before = children();
    const out = captured();
    const err = captured();
    const code = await main(['local', '--config', config, '--pipeline', 'web-lake', '--input', CORPUS, '--data', data, '--once'], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
    const report = out.text();
    expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
    const parquet = path.join(data, 'parquet');
    expect(report).toMatch(new RegExp(`^ {2}written +9,999 {2}rows to \\d+ Parquet files under ${parquet}$`, 'm'));
    expect(report).toMatch(/^ {2}backed up +1 /m);
    expect(report).toContain(`all ${lines.length.toLocaleString('en-US')} records accounted for`);
    expect(report).toContain('CREATE EXTERNAL TABLE `logtong_web_lake`.`web_lake` (');
    expect(report).toContain("'projection.region.values' = 'eu-west-1'");
    // the files are where the deployed table reads them, and DuckDB reads back every row, per hour as in the input
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (await db.runAndReadAll(`select event_hour::VARCHAR as h, region, count(*)::INTEGER as n from read_parquet('${parquet}/web_lake/**/*.parquet', hive_partitioning = true) group by 1, 2`)).getRowObjectsJS();
    db.closeSync();
    expect(rows.reduce((n, r) => n + Number(r.n), 0)).toBe(9999);
    expect(new Set(rows.map((r) => r.region))).toEqual(new Set(['eu-west-1']));
    expect(rows.length).toBeGreaterThan(1);
    expect(children().filter((p) => !before.includes(p))).toEqual([]);
  });

  it('--follow ingests the lines appended to an input, shows progress, and sums everything up when stopped', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const input = path.join(data, 'access.log');
    writeFileSync(input, `${lines.slice(0, 4000).join('\n')}\n`);
    const { out, err, stop, running, until } = runUntilStopped(['--config', EXAMPLE_CONFIG, '--pipeline', 'web-access', '--input', input, '--data', data, '--follow']);
    await until(() => out.text().includes('all 4,000 records accounted for'));
    // appended in two writes, the first ending mid-line: only complete lines go in
    appendFileSync(input, `${lines.slice(4000, 7000).join('\n')}\n${lines[7000].slice(0, 20)}`);
    await until(() => /records 7,000 /.test(err.text()));
    appendFileSync(input, `${lines[7000].slice(20)}\n${lines.slice(7001).join('\n')}\n`);
    await until(() => /records 10,000 /.test(err.text()));
    stop();
    expect(await running).toBe(0);
    const final = out.text().split('\n\n').find((b) => b.startsWith('web-access: 10,000 records'))!;
    expect(final).toMatch(/^ {2}indexed +9,999 /m);
    expect(final).toMatch(/^ {2}backed up +1 /m);
    expect(final).toContain('all 10,000 records accounted for');
    expect(err.text()).toMatch(/^logtong local: records 10,000 \([\d,]+\/s since following\) · written 9,999 · duplicate 0 · filtered 0 · backed up 1$/m);
  });

  it('a one-time source runs the scanner task from its image\'s bundle over what was uploaded first', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const out = captured();
    const err = captured();
    const code = await main(['local', '--config', EXAMPLE_CONFIG, '--pipeline', 'apache-backfill', '--input', CORPUS, '--data', data, '--once'], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
    expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
    expect(err.text()).toContain('running the one-time scanner');
    expect(out.text()).toMatch(/^ {2}indexed +9,999 {2}into apache-backfill /m);
    expect(out.text()).toContain(`all ${lines.length.toLocaleString('en-US')} records accounted for`);
  });

  it('a fluent-bit source runs its generated agent configuration on the real Fluent Bit, tailing the inputs into the buffer bucket', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const before = children();
    const out = captured();
    const err = captured();
    const code = await main(['local', '--config', EXAMPLE_CONFIG, '--pipeline', 'legacy-parquet', '--input', CORPUS, '--data', data, '--once'], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
    expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
    expect(err.text()).toContain('running the agent (Fluent Bit 4.2.2, its generated configuration) on the inputs');
    expect(out.text()).toMatch(/^ {2}written +9,999 {2}rows to \d+ Parquet files/m);
    expect(out.text()).toContain(`all ${lines.length.toLocaleString('en-US')} records accounted for`);
    expect(children().filter((p) => !before.includes(p))).toEqual([]);
  });

  it('an agent with buffer none indexes into the node itself, its filters drop at the agent, what it cannot parse goes to agent-failed/; a rerun adds nothing', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const input = path.join(data, 'access.log');
    const healthz = lines.slice(0, 3).map((l) => l.replace(/"(GET|POST|HEAD) \S+/, '"GET /healthz'));
    writeFileSync(input, `${[...lines.slice(0, 2000), ...healthz, 'not an access log line'].join('\n')}\n`);
    const runOnce = async () => {
      const out = captured();
      const err = captured();
      const code = await main(['local', '--config', EXAMPLE_CONFIG, '--pipeline', 'edge-direct', '--input', input, '--data', data, '--once'], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
      expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
      return out.text();
    };
    const first = await runOnce();
    const parsed = 2000;
    expect(first).toMatch(new RegExp(`^ {2}indexed +${(parsed).toLocaleString('en-US')} {2}into edge-direct`, 'm'));
    expect(first).toMatch(/^ {2}filtered +3 /m);
    expect(first).toMatch(/^ {2}backed up +1 /m);
    expect(first).toContain('all 2,004 records accounted for');
    const backup = readdirSync(path.join(data, 'backup', 'agent-failed', 'edge-direct'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const failed = backup.flatMap((f) => gunzipSync(readFileSync(path.join(f.parentPath, f.name))).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { raw: string }));
    expect(failed.map((r) => r.raw)).toContain('not an access log line');
    // The same lines again: the agent makes the same ids, which the node already holds.
    const second = await runOnce();
    expect(second).toMatch(/^ {2}indexed +0 /m);
    expect(second).toMatch(new RegExp(`^ {2}duplicate +${parsed.toLocaleString('en-US')} `, 'm'));
    expect(second).toContain('all 2,004 records accounted for');
  });

  it('an agent with buffer kinesis puts into the stream on the Kinesis emulator, whose event source mapping runs the processor', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const input = path.join(data, 'orders.log');
    const orders = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ time: `2026-12-05T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}+0000`, level: i % 7 ? 'INFO' : 'WARN', latencyMs: i % 250, msg: `order ${i} placed` }));
    writeFileSync(input, `${[...orders.slice(0, 700), 'orders: unstructured line', ...orders.slice(700)].join('\n')}\n`);
    const out = captured();
    const err = captured();
    const before = children();
    const code = await main(['local', '--config', EXAMPLE_CONFIG, '--pipeline', 'orders-agent', '--input', input, '--data', data, '--once'], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
    expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
    expect(out.text()).toMatch(/^ {2}indexed +1,500 {2}into orders-agent/m);
    expect(out.text()).toMatch(/^ {2}backed up +1 /m);
    expect(out.text()).toContain('all 1,501 records accounted for');
    // the Kinesis emulator and the agent included
    expect(children().filter((p) => !before.includes(p))).toEqual([]);
  });

  it('an EKS agent reads the inputs as container logs; with --follow it goes on reading what is appended, multi-line events joined', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const input = path.join(data, 'orders.log');
    // Spring Boot's layout of the example, made of the Hadoop corpus's log4j events; some with a stack trace.
    const LOG4J = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (\w+) +\[([^\]]+)\] ([^:]+): (.*)$/;
    const events = readFileSync(corpusPath('loghub_Hadoop_2k.log'), 'utf8')
      .split(/\r?\n/)
      .map((l) => LOG4J.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m, i) => [`${m[1]}.${m[2]} ${m[3].padEnd(5)} [${m[4]}] ${m[5]} : ${m[6]}`, ...(i % 40 === 0 ? ['java.net.ConnectException: Connection refused', '\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)', '\t... 28 more'] : [])].join('\n'));
    writeFileSync(input, `${events.slice(0, 600).join('\n')}\n`);
    const { out, err, stop, running, until } = runUntilStopped(['--config', EXAMPLE_CONFIG, '--pipeline', 'k8s-spring', '--input', input, '--data', data, '--follow']);
    await until(() => out.text().includes('all 600 records accounted for'));
    appendFileSync(input, `${events.slice(600).join('\n')}\n`);
    await until(() => new RegExp(`records ${events.length.toLocaleString('en-US')} .* written ${events.length.toLocaleString('en-US')} `).test(err.text()));
    stop();
    expect(await running).toBe(0);
    const final = out.text().split('\n\n').find((b) => b.startsWith(`k8s-spring: ${events.length.toLocaleString('en-US')} records`))!;
    expect(final).toMatch(new RegExp(`^ {2}indexed +${events.length.toLocaleString('en-US')} `, 'm'));
    expect(final).toContain(`all ${events.length.toLocaleString('en-US')} records accounted for`);
  });

  it('a syslog receiver gets the inputs\' lines as frames and, with --listen, what a syslog client sends', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const input = corpusPath('loghub_Linux_2k.log');
    // Listening is following: the file's last line, without its line break, waits for it (and is not sent).
    const text = readFileSync(input, 'utf8');
    const frames = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).length;
    expect(frames).toBe(text.split('\n').filter(Boolean).length - 1);
    const before = children();
    const { out, err, stop, running, until } = runUntilStopped(['--config', EXAMPLE_CONFIG, '--pipeline', 'net-syslog', '--input', input, '--data', data, '--listen']);
    await until(() => out.text().includes(`all ${frames.toLocaleString('en-US')} records accounted for`));
    const port = Number(/listening for syslog on 127\.0\.0\.1:(\d+) \(tcp, one message per line\)/.exec(err.text())?.[1]);
    // A real client: util-linux logger, RFC 5424 over TCP.
    for (let i = 0; i < 5; i++) execFileSync('logger', ['-n', '127.0.0.1', '-P', String(port), '--tcp', '--rfc5424', '-t', 'checkout', `order ${i} placed`]);
    await until(() => new RegExp(`records ${(frames + 5).toLocaleString('en-US')} `).test(err.text()));
    // The client's messages are documents on the node, parsed as RFC 5424.
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.text())![1];
    const checkouts = async () => {
      await fetch(`${url}/net-syslog/_refresh`, { method: 'POST' });
      return ((await (await fetch(`${url}/net-syslog/_count?q=app_name:checkout%20AND%20version:1`)).json()) as { count?: number }).count;
    };
    for (let i = 0; i < 60 && (await checkouts()) !== 5; i++) await new Promise((r) => setTimeout(r, 500));
    expect(await checkouts()).toBe(5);
    stop();
    expect(await running).toBe(0);
    const final = out.text().split('\n\n').find((b) => b.startsWith(`net-syslog: ${(frames + 5).toLocaleString('en-US')} records`))!;
    expect(final).toContain(`all ${(frames + 5).toLocaleString('en-US')} records accounted for`);
    // Ctrl-C stopped the receiver, the node and the emulator: the receiver's port is closed too.
    expect(children().filter((p) => !before.includes(p))).toEqual([]);
    expect(await refused(port)).toBe(true);
  });

  it('a syslog receiver with octet counting gets each line as one counted frame, bytes as they are', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const config = path.join(data, 'pipelines.yaml');
    const yaml = readFileSync(EXAMPLE_CONFIG, 'utf8');
    expect(yaml).toContain('      protocol: tcp\n      port: 5140\n');
    writeFileSync(config, yaml.replace('      protocol: tcp\n      port: 5140\n', '      protocol: tcp\n      port: 5140\n      framing: octet-counting\n'));
    const input = path.join(data, 'syslog.log');
    const corpus = readFileSync(corpusPath('loghub_Linux_2k.log')).subarray(0, 60_000);
    // CRLF line ends, an empty line, and a line that is not UTF-8 (Latin-1 é): each goes as the bytes it is
    writeFileSync(input, Buffer.concat([corpus.subarray(0, corpus.lastIndexOf(0x0a) + 1), Buffer.from('<13>Dec  5 10:00:00 web01 app: first\r\n\r\n<13>Dec  5 10:00:01 web01 app: caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]));
    const out = captured();
    const err = captured();
    const code = await main(['local', '--config', config, '--pipeline', 'net-syslog', '--input', input, '--data', data, '--once'], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
    expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
    expect(err.text()).toMatch(/the receiver listens on 127\.0\.0\.1:\d+ \(tcp, octet counting \(RFC 6587\)\)/);
    const frames = readFileSync(input).toString('latin1').split(/\r?\n/).filter(Boolean).length;
    expect(out.text()).toContain(`all ${frames.toLocaleString('en-US')} records accounted for`);
  });

  it('a syslog receiver listening on TCP and UDP feeds the Light Engine', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'logtong-local-'));
    const input = corpusPath('loghub_Linux_2k.log');
    const frames = readFileSync(input, 'utf8').split(/\r?\n/).filter(Boolean).length;
    const out = captured();
    const err = captured();
    const code = await main(['local', '--config', EXAMPLE_CONFIG, '--pipeline', 'syslog-parquet', '--input', input, '--data', data, '--once'], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
    expect({ code, err: code === 0 ? '' : err.text() }).toEqual({ code: 0, err: '' });
    expect(err.text()).toMatch(/the receiver listens on 127\.0\.0\.1:\d+ \(tcp and udp, one message per line\)/);
    expect(out.text()).toContain(`all ${frames.toLocaleString('en-US')} records accounted for`);
    expect(out.text()).toMatch(/^ {2}written +[\d,]+ {2}rows to [1-9]\d* Parquet files/m);
  });

  it('refuses arguments that do not fit the pipeline, in one line', async () => {
    const refusal = async (...args: string[]) => {
      const out = captured();
      const err = captured();
      const code = await main(['local', '--config', EXAMPLE_CONFIG, ...args], { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
      expect(code).toBe(2);
      return err.text().split('\n')[0];
    };
    expect(await refusal('--pipeline', 'web-access', '--listen')).toBe('logtong: --listen: pipeline web-access\'s source is of type s3; --listen is for syslog receivers');
    expect(await refusal('--pipeline', 'net-syslog', '--listen', '5514', '--once')).toBe('logtong: --listen and --once go apart: --listen runs until Ctrl-C');
    expect(await refusal('--pipeline', 'net-syslog', '--listen', '99999')).toBe('logtong: unexpected argument 99999 (--listen takes a port, 1 to 65535)');
    expect(await refusal('--pipeline', 'web-access', '--input', CORPUS, 'extra')).toBe('logtong: unexpected argument extra');
  });
});
