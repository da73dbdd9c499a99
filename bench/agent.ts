/**
 * Agent section of `npm run bench` (`--only agent` alone): the real Fluent Bit 4.2.2 on the configuration Logtong
 * generates (fluentBitConfigDocument) for an EC2 nginx pipeline on Amazon OpenSearch, one run per buffer:
 *
 *   none     tail → parser, rewrite_tag of failed lines, request split, … → opensearch (SigV4, gzip _bulk); the lines
 *            that do not parse → s3 (backup bucket): the agent parses
 *   s3       tail → s3 (raw lines, gzip, PutObject): nothing parsed
 *   kinesis  tail → kinesis_streams (raw lines, PutRecords over TLS): nothing parsed
 *
 * The binary is the one `bash .ci/setup-fluent-bit.sh` builds; without it the section prints SKIPPED and no figure.
 *
 * Input: bench/run.ts's 1M nginx-combined lines, appended in one write to a file the agent already tails (empty when
 * it started; read_from_head, offsets DB, filesystem buffer as generated). The CPU the agent spent from spawn until
 * its health endpoint answered is the start-up cost, reported apart. The measured window runs from the append until
 * the sinks have counted every line (documents in _bulk bodies plus lines in backup objects; lines in S3 objects;
 * records in PutRecords), so the agent's flush latency is in the wall time.
 *
 * Measured on the agent process over that window: CPU = utime + stime (+ cutime + cstime, + any live child: it
 * starts none here) from /proc/<pid>/stat, all threads; peak RSS = VmHWM from /proc/<pid>/status once every line is
 * in, just before the agent is killed. Figures: lines and raw input MiB per CPU-second (the per-core figure on a
 * shared machine) and per wall second. Best of --agent-reps runs (default 3, interleaved) by CPU time, each on a
 * fresh state directory. A run whose counts do not add up, or whose outputs retried, is reported and not used (a
 * retried _bulk chunk is CPU spent twice); with no valid run left the bench fails.
 *
 * What differs from the shipped configuration: `localize` (lib/local/fluent-bit.ts) points endpoints at
 * the sinks and paths at a temp dir; on top, latency knobs only: service flush 1 s instead of 5 (a trial with 5: CPU
 * within 5%, wall time 27% longer) and s3 upload_timeout 1 s instead of 60 (else the last object waits a minute; the s3
 * output still uploads it on its own timer, period ≥ 6 s: in the s3 row's wall time, not its CPU). The shape of each
 * configuration (filters, outputs) is printed, since lib/agent changes it.
 *
 * Sinks run in this process (their CPU is printed apart, never counted as the agent's):
 *   _bulk    HTTP: gunzip, count documents, answer {"took":…,"errors":false,"items":[…]} with one item per document
 *            as OpenSearch 2 writes it (Fluent Bit converts the whole answer to msgpack: its size is agent cost)
 *   S3 PUT   HTTP: gunzip the object, count its lines, answer 200 with an ETag
 *   Kinesis  HTTPS with kinesis-local's self-signed certificate: count the records of PutRecords, answer
 *            FailedRecordCount 0 with a sequence number per record. Not the kinesis-local emulator
 *            (lib/local/kinesis.ts): tried on these lines with one shard, it burned 228 CPU-s in
 *            300 s while the agent's 732 retries got no record accepted; the sink would have been the benchmark.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fluentBitConfigDocument, type FluentBitConfigDocument } from '../lib/agent/fluent-bit-config';
import { parseConfig } from '../lib/config/load';
import { FLUENT_BIT_SETUP_HINT, FLUENT_BIT_VERSION, fluentBitBinary, localize, startFluentBit, type FluentBitProcess } from '../lib/local/fluent-bit';
import { freePort } from '../lib/local/net';
import { fmt } from './format';
import { peakRssMiB } from './peak-rss';

const MiB = 1024 * 1024;
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s
type Buffering = 'none' | 's3' | 'kinesis';

/** The processor core's figure from the same run (bench/run.ts FULL). */
export interface ProcessorFigure {
  mibPerCpuS: number;
  linesPerCpuS: number;
  mibPerS: number;
  how: string;
}

const DOMAIN = { type: 'aws', endpoint: 'https://search-bench.eu-west-1.es.amazonaws.com', arn: 'arn:aws:es:eu-west-1:123456789012:domain/bench' };

function generated(buffer: Buffering): FluentBitConfigDocument {
  const pipeline = parseConfig({
    pipelines: [
      {
        name: 'bench',
        source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/nginx/access.log'] },
        logFormat: { type: 'nginx' },
        engine: { type: 'opensearch', buffer, indexPrefix: 'bench-logs', domain: DOMAIN },
      },
    ],
  }).pipelines[0];
  return fluentBitConfigDocument(pipeline, { region: 'eu-west-1', bucketName: 'bench-buffer', streamName: 'bench-stream', backupBucketName: 'bench-backup' });
}

// ---------------------------------------------------------------------------------------------------------------
// Sinks

interface Counts {
  bulkDocs: number;
  bulkRequests: number;
  s3Lines: number;
  s3Objects: number;
  kinesisRecords: number;
  putRecords: number;
  unexpected: number;
}

interface Sinks {
  httpUrl: string;
  kinesisTlsPort: number;
  /** PEM of the TLS sink's self-signed certificate. */
  tlsCert: string;
  counts: Counts;
  reset(): void;
  /** Resolves once the sinks hold `lines` lines in all; rejects when `failed()` says why not, checked every 0.5 s. */
  until(lines: number, failed: () => string | undefined): Promise<void>;
  close(): Promise<void>;
}

const linesIn = (c: Counts) => c.bulkDocs + c.s3Lines + c.kinesisRecords;

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function countOf(buf: Buffer, needle: Buffer | number): number {
  const step = typeof needle === 'number' ? 1 : needle.length;
  let n = 0;
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + step)) n++;
  return n;
}

const gunzipIf = (b: Buffer) => (b.length > 1 && b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b);
const ID = Buffer.from('"_id":"');
const DATA = Buffer.from('"Data":');

async function startSinks(): Promise<Sinks> {
  const zero = (): Counts => ({ bulkDocs: 0, bulkRequests: 0, s3Lines: 0, s3Objects: 0, kinesisRecords: 0, putRecords: 0, unexpected: 0 });
  const counts = zero();
  let waiter: { lines: number; resolve: () => void } | undefined;
  const arrived = () => {
    if (waiter && linesIn(counts) >= waiter.lines) {
      waiter.resolve();
      waiter = undefined;
    }
  };
  let seq = 0;

  const bulk = (raw: Buffer, res: ServerResponse) => {
    const ndjson = gunzipIf(raw);
    // An action line, then a source line, per document (JSON escapes any newline inside one).
    const action = JSON.parse(ndjson.subarray(0, ndjson.indexOf(0x0a)).toString()) as Record<string, { _index: string }>;
    const op = Object.keys(action)[0];
    const index = `${action[op]._index}-2026.12.02-000001`;
    const items: string[] = [];
    for (let start = 0; start < ndjson.length; ) {
      const eol = ndjson.indexOf(0x0a, start);
      const end = eol < 0 ? ndjson.length : eol;
      // the id Fluent Bit sent (generate_id), else one as OpenSearch would make it
      const at = ndjson.subarray(start, end).indexOf(ID);
      const from = start + at + ID.length;
      const id = at >= 0 ? ndjson.toString('latin1', from, ndjson.indexOf(0x22, from)) : (seq + 1e12).toString(36);
      const n = seq++;
      items.push(
        `{"${op}":{"_index":"${index}","_id":"${id}","_version":1,"result":"created",` +
          `"_shards":{"total":2,"successful":2,"failed":0},"_seq_no":${n},"_primary_term":1,"status":201}}`,
      );
      const next = ndjson.indexOf(0x0a, end + 1);
      start = next < 0 ? ndjson.length : next + 1;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(`{"took":${Math.max(1, items.length >> 10)},"errors":false,"items":[${items.join(',')}]}`);
    counts.bulkRequests++;
    counts.bulkDocs += items.length;
  };
  const putObject = (raw: Buffer, res: ServerResponse) => {
    const text = gunzipIf(raw);
    counts.s3Objects++;
    counts.s3Lines += countOf(text, 0x0a) + (text.length > 0 && text[text.length - 1] !== 0x0a ? 1 : 0);
    res.writeHead(200, { etag: `"${(seq++).toString(16).padStart(32, '0')}"` });
    res.end();
  };
  const putRecords = (raw: Buffer, res: ServerResponse) => {
    // base64 data cannot hold a quote: every "Data": is a record
    const n = countOf(raw, DATA);
    const recs: string[] = new Array(n);
    for (let i = 0; i < n; i++) recs[i] = `{"SequenceNumber":"${String(seq++).padStart(56, '4')}","ShardId":"shardId-000000000000"}`;
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(`{"FailedRecordCount":0,"Records":[${recs.join(',')}]}`);
    counts.putRecords++;
    counts.kinesisRecords += n;
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    body(req).then(
      (raw) => {
        const url = req.url ?? '';
        if (req.method === 'POST' && url.split('?')[0].endsWith('/_bulk')) bulk(raw, res);
        else if (req.method === 'PUT') putObject(raw, res);
        else if (req.method === 'POST' && String(req.headers['x-amz-target']).endsWith('.PutRecords')) putRecords(raw, res);
        else {
          counts.unexpected++;
          console.log(`  sink: unexpected ${req.method} ${url} ${req.headers['x-amz-target'] ?? ''}`);
          res.writeHead(400).end('{}');
        }
        arrived();
      },
      () => res.destroy(),
    );
  };
  // Fluent Bit reuses an idle upstream connection for up to 30 s: a server closing it first would cause retries.
  const keep = (srv: Server) => {
    srv.keepAliveTimeout = 120_000;
    srv.headersTimeout = 121_000;
    return srv;
  };
  const plain = keep(createHttp(handler));
  const certFile = path.join(path.dirname(require.resolve('kinesis-local/package.json')), 'server.json');
  const cert = (JSON.parse(fs.readFileSync(certFile, 'utf8')) as { server: { key: string; cert: string } }).server;
  const tls = keep(createHttps({ key: cert.key, cert: cert.cert }, handler));
  const listen = (srv: Server) => new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)));
  const httpPort = await listen(plain);
  const tlsPort = await listen(tls);
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    kinesisTlsPort: tlsPort,
    tlsCert: cert.cert,
    counts,
    reset: () => Object.assign(counts, zero()),
    until(lines, failed) {
      return new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          const why = failed();
          if (why) {
            clearInterval(timer);
            waiter = undefined;
            reject(new Error(why));
          }
        }, 500);
        waiter = {
          lines,
          resolve: () => {
            clearInterval(timer);
            resolve();
          },
        };
        arrived();
      });
    },
    close: async () => {
      for (const srv of [plain, tls]) {
        srv.closeAllConnections();
        await new Promise((r) => srv.close(r));
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The agent process

const procFields = (pid: number): string[] => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // after "pid (comm) ": state ppid pgrp … utime stime cutime cstime (proc(5) fields 3, 4, …, 14 – 17)
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
};

/** utime + stime + cutime + cstime of the process and of its live children, in seconds. */
function cpuSeconds(pid: number): number {
  const own = (p: number) => {
    const f = procFields(p);
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
  };
  let cpu = own(pid);
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (Number(procFields(Number(name))[1]) === pid) cpu += own(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return cpu;
}

/** The agent's distinct warnings and errors (numbers masked to compare), at most five. */
function complaints(log: string): string[] {
  const seen = new Map<string, string>();
  for (const line of log.split('\n')) {
    if (!/\[ ?(warn|error)\]/.test(line)) continue;
    const text = line.replace(/^\[[^\]]*\] /, '');
    seen.set(text.replace(/\d+/g, 'N'), text);
  }
  return [...seen.values()].slice(0, 5).map((l) => `agent: ${l.slice(0, 200)}`);
}

interface AgentRun {
  startupCpu: number;
  startupWall: number;
  cpu: number;
  wall: number;
  peakRssMiB: number;
  /** CPU of this process (sinks, the append) over the window. */
  benchCpu: number;
  detail: string;
  problems: string[];
}

const AWS_ENV = { AWS_ACCESS_KEY_ID: 'AKIDLOGTONGBENCH', AWS_SECRET_ACCESS_KEY: 'logtong-bench', AWS_REGION: 'eu-west-1' };
const WINDOW_LIMIT_MS = 600_000;

async function runOnce(buffer: Buffering, raw: Buffer, lines: number, sinks: Sinks): Promise<AgentRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `logtong-bench-agent-${buffer}-`));
  let agent: FluentBitProcess | undefined;
  try {
    const logFile = path.join(dir, 'access.log');
    fs.writeFileSync(logFile, '');
    const caFile = path.join(dir, 'sink-ca.pem');
    fs.writeFileSync(caFile, sinks.tlsCert);
    const doc = localize(generated(buffer), {
      stateDir: path.join(dir, 'state'),
      httpPort: await freePort(),
      logPaths: [logFile],
      opensearchUrl: sinks.httpUrl,
      s3Endpoint: sinks.httpUrl,
      kinesis: { tlsPort: sinks.kinesisTlsPort, certificateFile: caFile },
      timing: { service: { flush: 1 }, s3: { upload_timeout: '1s' } },
    });
    sinks.reset();
    const t0 = process.hrtime.bigint();
    agent = await startFluentBit({ doc, dir: path.join(dir, 'agent'), env: AWS_ENV });
    const pid = agent.pid!;
    const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm !== 'fluent-bit') throw new Error(`pid ${pid} is ${comm}, not fluent-bit: the CPU would be someone else's`);
    const startupCpu = cpuSeconds(pid);
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage();
    const a = agent;
    const deadline = Date.now() + WINDOW_LIMIT_MS;
    await Promise.all([
      fs.promises.appendFile(logFile, raw),
      sinks.until(lines, () =>
        a.pid === undefined
          ? 'Fluent Bit exited'
          : Date.now() > deadline
            ? `sinks hold ${linesIn(sinks.counts)} of ${lines} lines after ${WINDOW_LIMIT_MS / 1000} s`
            : undefined,
      ),
    ]);
    const cpu = cpuSeconds(pid) - startupCpu;
    const peakRss = peakRssMiB(pid);
    const t2 = process.hrtime.bigint();
    const bench = process.cpuUsage(c1);

    // A retried chunk shows in the output counters at once; a second lets late duplicates arrive too.
    await new Promise((r) => setTimeout(r, 1000));
    const problems: string[] = [];
    for (const [name, o] of Object.entries((await agent.metrics()).output)) {
      if (o.retries || o.errors || o.dropped_records) problems.push(`${name}: ${o.retries} retries, ${o.errors} errors, ${o.dropped_records} dropped`);
    }
    const c = sinks.counts;
    if (linesIn(c) !== lines) problems.push(`the sinks hold ${linesIn(c)} lines, not ${lines}`);
    if (c.unexpected) problems.push(`${c.unexpected} unexpected requests`);
    if (problems.length) problems.push(...complaints(agent.log()));
    const detail = {
      none: `${fmt(c.bulkDocs, 0)} docs in ${c.bulkRequests} _bulk + ${fmt(c.s3Lines, 0)} backed up`,
      s3: `${c.s3Objects} objects`,
      kinesis: `${c.putRecords} PutRecords`,
    }[buffer];
    return {
      startupCpu,
      startupWall: Number(t1 - t0) / 1e9,
      cpu,
      wall: Number(t2 - t1) / 1e9,
      peakRssMiB: peakRss,
      benchCpu: (bench.user + bench.system) / 1e6,
      detail,
      problems,
    };
  } catch (e) {
    if (agent) console.log(`--- Fluent Bit's log (last lines) ---\n${agent.log().split('\n').slice(-30).join('\n')}`);
    throw e;
  } finally {
    // Everything is measured: no need for its 5 s grace period.
    await agent?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** filters and outputs in order, with the settings that weigh on CPU: what was measured. */
function shape(doc: FluentBitConfigDocument): string {
  const filters = (doc.pipeline.filters ?? []).map((f) => `${f.name}${f.name === 'parser' ? `(${f.key_name})` : ''}`);
  const outputs = doc.pipeline.outputs.map((o) => {
    const knobs = ['compress', 'compression', 'generate_id', 'aws_auth', 'workers'].filter((k) => o[k] !== undefined).map((k) => `${k} ${o[k]}`);
    return `${o.name}${knobs.length ? ` (${knobs.join(', ')})` : ''}`;
  });
  return `${filters.length ? `${filters.join(' → ')} → ` : ''}${outputs.join(' + ')}`;
}

export const BUFFERINGS: readonly Buffering[] = ['none', 's3', 'kinesis'];
const LABEL: Record<Buffering, string> = { none: 'none: parse, _bulk', s3: 's3: raw, gzip PUT', kinesis: 'kinesis: raw, TLS' };

export async function agentBench(
  input: { raw: Buffer; lines: number },
  processor: () => Promise<ProcessorFigure>,
  opts: { reps: number; buffers?: readonly Buffering[] },
): Promise<boolean> {
  const rawMiB = input.raw.length / MiB;
  console.log(
    `\nagent: the real Fluent Bit ${FLUENT_BIT_VERSION} on the generated configuration (EC2, nginx, Amazon OpenSearch), ` +
      `the ${fmt(input.lines, 0)} lines (${fmt(rawMiB)} MiB) appended to the file it tails`,
  );
  try {
    fluentBitBinary();
  } catch (e) {
    const where = /not found at (\S+):/.exec((e as Error).message)?.[1] ?? (e as Error).message.trim();
    console.log(`agent: SKIPPED, nothing measured: no Fluent Bit ${FLUENT_BIT_VERSION} at ${where}; ${FLUENT_BIT_SETUP_HINT}, then run the bench again`);
    return true;
  }
  const proc = await processor();
  const buffers = opts.buffers ?? BUFFERINGS;
  for (const b of buffers) console.log(`  ${b}: tail → ${shape(generated(b))}`);
  const runs = new Map<Buffering, AgentRun[]>(buffers.map((b) => [b, []]));
  const sinks = await startSinks();
  const t = Date.now();
  try {
    for (let rep = 1; rep <= opts.reps; rep++) {
      for (const buffer of buffers) {
        const r = await runOnce(buffer, input.raw, input.lines, sinks);
        if (r.problems.length) console.log(`  ${buffer}, run ${rep}: not used:\n    ${r.problems.join('\n    ')}`);
        runs.get(buffer)!.push(r);
      }
    }
  } finally {
    await sinks.close();
  }
  console.log(
    `best of ${opts.reps} by the agent's CPU time (runs took ${fmt((Date.now() - t) / 1000)} s in all; ` +
      `load average now ${os.loadavg().map((l) => fmt(l, 2)).join(' ')} on ${os.cpus().length} CPUs)`,
  );
  console.log('MiB = raw input MiB; cpu = utime + stime of the Fluent Bit process from the append until the sinks held every line');
  const cols: Array<[string, number]> = [
    ['buffer', 19], ['MiB/cpu-s', 10], ['lines/cpu-s', 12], ['MiB/s', 7], ['lines/s', 9], ['cpu s', 6], ['wall s', 7], ['×FULL cpu', 10], ['peak RSS MiB', 13], ['start-up cpu s', 15],
  ];
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(cols[i][1]) : c.padStart(cols[i][1]))).join(' ');
  console.log(`${row(cols.map(([h]) => h))}  notes`);
  let ok = true;
  for (const [buffer, all] of runs) {
    const good = all.filter((r) => r.problems.length === 0);
    if (good.length === 0) {
      ok = false;
      console.log(`${row([LABEL[buffer], 'no valid run (see above)'])}`);
      continue;
    }
    const r = good.reduce((a, b) => (b.cpu < a.cpu ? b : a));
    const perRun = good.map((x) => fmt(rawMiB / x.cpu)).join(', ');
    console.log(
      `${row([
        LABEL[buffer],
        fmt(rawMiB / r.cpu),
        fmt(input.lines / r.cpu, 0),
        fmt(rawMiB / r.wall),
        fmt(input.lines / r.wall, 0),
        fmt(r.cpu, 2),
        fmt(r.wall, 2),
        fmt(rawMiB / r.cpu / proc.mibPerCpuS, 3),
        fmt(r.peakRssMiB),
        `${fmt(r.startupCpu, 2)} in ${fmt(r.startupWall, 2)} s`,
      ])}  ${r.detail}; MiB/cpu-s per run ${perRun}; bench process (sinks, append) ${fmt(r.benchCpu, 2)} cpu s`,
    );
  }
  console.log(`${row(['processor FULL', fmt(proc.mibPerCpuS), fmt(proc.linesPerCpuS, 0), fmt(proc.mibPerS), '', '', '', '1.000', '', ''])}  ${proc.how}`);
  return ok;
}
