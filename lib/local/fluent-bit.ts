/**
 * The real Fluent Bit 4.2.2 (the version inside aws-for-fluent-bit:3.2.1), built once per machine by
 * `bash .ci/setup-fluent-bit.sh` into the cache folder (paths.ts), running a configuration that Logtong generated, for
 * `logtong local` and the agent integration tests.
 *
 * `localize` is where the caller, never the shipped configuration, points the agent at this machine: the outputs at
 * the node and the emulators on 127.0.0.1, the tailed paths and the state directory (offsets DB, filesystem buffer)
 * at a local folder, Fluent Bit's HTTP server and the syslog listeners at free ports on 127.0.0.1. Everything else
 * (parsers, filters, retries, storage, framing) runs as generated. Timing knobs (flush, refresh, upload timeout) may
 * be shortened by the caller (`timing`); a test says which.
 *
 * The metrics path (a `fluentbit_metrics` input and its `cloudwatch_logs` output, lib/agent/agent-metrics.ts) runs
 * only where the caller gives it a CloudWatch Logs stand-in (`cloudwatchLogs`; the tests' is
 * test/integration/harness/cloudwatch-logs.ts); elsewhere localize leaves it out, since it would write to AWS.
 * Likewise the instances' aliases (`logtong_in`, `logtong_out` …) are kept only with `aliases`: the log-path tests
 * address instances by Fluent Bit's default names (`tail.0`, `s3.0`, `output=opensearch.0` in the agent's log), which
 * an alias replaces. Neither changes what a record goes through on the log path.
 *
 * Fluent Bit runs under `setpriv --pdeathsig SIGKILL` in its own process group, so a dying parent takes it along.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { AGENT_STATE_DIR, type FluentBitConfigDocument } from '../agent/fluent-bit-config';
import { cacheDir } from './paths';

export const FLUENT_BIT_VERSION = '4.2.2';
export const FLUENT_BIT_SETUP_HINT = `run \`bash .ci/setup-fluent-bit.sh\` (builds Fluent Bit ${FLUENT_BIT_VERSION} once into the cache folder, ~/.cache/logtong by default, about 3 minutes)`;

type Plugin = Record<string, unknown>;

/**
 * Timing for runs on this machine (`logtong local`, the agent tests), never in the shipped configuration: flush every
 * second, look for new files every 2 s, upload the s3 output's files after 2 s, and cap the retry backoff at 5 s, so
 * that a run waits seconds, not minutes. What is flushed and how is unchanged.
 */
export const QUICK_AGENT_TIMING: NonNullable<LocalTargets['timing']> = { service: { flush: 1, 'scheduler.cap': 5 }, tail: { refresh_interval: 2 }, s3: { upload_timeout: '2s' } };

/** The binary: LOGTONG_FLUENT_BIT, else the build of .ci/setup-fluent-bit.sh. */
export function fluentBitBinary(): string {
  const bin = process.env.LOGTONG_FLUENT_BIT || path.join(cacheDir(), `fluent-bit-${FLUENT_BIT_VERSION}`, 'bin', 'fluent-bit');
  if (!fs.existsSync(bin)) throw new Error(`Fluent Bit ${FLUENT_BIT_VERSION} not found at ${bin}: ${FLUENT_BIT_SETUP_HINT}`);
  return bin;
}

export interface LocalTargets {
  /** Replaces AGENT_STATE_DIR (offsets DB, filesystem buffer, s3 store_dir). */
  stateDir: string;
  /** Fluent Bit's HTTP server port (health, metrics) on 127.0.0.1. */
  httpPort: number;
  /** tail inputs read these files instead of the pipeline's logPaths. */
  logPaths?: string[];
  /** syslog inputs listen on 127.0.0.1 at this port instead of the pipeline's. */
  syslogPort?: number;
  /** The OpenSearch node (http://127.0.0.1:PORT). */
  opensearchUrl?: string;
  /** The S3 emulator (http://127.0.0.1:PORT). */
  s3Endpoint?: string;
  /**
   * The Kinesis emulator's TLS port on 127.0.0.1 and its certificate: Fluent Bit's kinesis_streams output speaks TLS
   * only and always verifies (plugins/out_kinesis_streams/kinesis.c creates its TLS context with verify on).
   */
  kinesis?: { tlsPort: number; certificateFile: string };
  /**
   * The CloudWatch Logs shim's TLS port on 127.0.0.1 and its certificate: where the metrics path writes. Without it
   * the metrics path is left out.
   */
  cloudwatchLogs?: { port: number; certificateFile: string };
  /**
   * Where the outputs that assume a role (`role_arn`; `aws_role_arn` on opensearch: agents in another account) call
   * STS AssumeRole instead of sts.<region>.amazonaws.com: `sts_endpoint` (`aws_sts_endpoint`) is set to `host`. Fluent
   * Bit 4.2.2's STS client always connects with TLS to port 443 of that host, verifying with the output's own TLS
   * settings (src/aws/flb_aws_credentials_sts.c), so `tls.ca_file` is set to `certificateFile`; an output that already
   * trusts another certificate (kinesis, CloudWatch Logs above) must trust the same one (or this throws). Outputs
   * without a role are left as they are. Default: off (an output with a role would call AWS STS).
   */
  sts?: { host: string; certificateFile: string };
  /** Keep the generated instance aliases (the instance names the agent-metrics filters match); default: left out. */
  aliases?: boolean;
  /** Per-plugin timing overrides the caller applies (e.g. `{ s3: { upload_timeout: '3s' } }`). */
  timing?: Record<string, Record<string, string | number | boolean>>;
}

function replaceStateDir(v: unknown, stateDir: string): unknown {
  return typeof v === 'string' && v.includes(AGENT_STATE_DIR) ? v.split(AGENT_STATE_DIR).join(stateDir) : v;
}

const isMetricsPath = (p: Plugin): boolean => p.name === 'fluentbit_metrics' || p.name === 'cloudwatch_logs';

/**
 * The log path of a generated document: without the metrics path's input and output (lib/agent/agent-metrics.ts), for
 * a test that looks at the inputs and outputs that carry the logs.
 */
export function withoutMetricsPath(doc: FluentBitConfigDocument): FluentBitConfigDocument {
  return {
    ...doc,
    pipeline: {
      ...doc.pipeline,
      inputs: doc.pipeline.inputs.filter((p) => !isMetricsPath(p)),
      outputs: doc.pipeline.outputs.filter((p) => !isMetricsPath(p)),
    },
  };
}

/** The generated document, pointed at this machine (see the module comment). Pure: returns a copy. */
export function localize(doc: FluentBitConfigDocument, t: LocalTargets): FluentBitConfigDocument {
  const fix = (p: Plugin): Plugin => {
    const out: Plugin = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, replaceStateDir(v, t.stateDir)]));
    const name = String(out.name);
    if (name === 'tail' && t.logPaths) out.path = t.logPaths.join(',');
    if (name === 'syslog') {
      out.listen = '127.0.0.1';
      if (t.syslogPort) out.port = t.syslogPort;
    }
    if (name === 'opensearch' && t.opensearchUrl) {
      const u = new URL(t.opensearchUrl);
      out.host = u.hostname;
      out.port = u.port;
      out.tls = 'off';
      delete out['tls.verify'];
    }
    if (name === 's3' && t.s3Endpoint) out.endpoint = t.s3Endpoint;
    if (name === 'kinesis_streams' && t.kinesis) {
      out.endpoint = '127.0.0.1';
      out.port = t.kinesis.tlsPort;
      out['tls.ca_file'] = t.kinesis.certificateFile;
    }
    // TLS only: cloudwatch_logs cannot speak plain HTTP in 4.2.2 (see cloudwatch-logs.ts)
    if (name === 'cloudwatch_logs' && t.cloudwatchLogs) {
      out.endpoint = '127.0.0.1';
      out.port = t.cloudwatchLogs.port;
      out['tls.ca_file'] = t.cloudwatchLogs.certificateFile;
    }
    if (t.sts && (out.role_arn !== undefined || out.aws_role_arn !== undefined)) {
      out[out.aws_role_arn !== undefined ? 'aws_sts_endpoint' : 'sts_endpoint'] = t.sts.host;
      const trusted = out['tls.ca_file'];
      if (typeof trusted === 'string' && trusted !== t.sts.certificateFile && !fs.readFileSync(trusted).equals(fs.readFileSync(t.sts.certificateFile))) {
        throw new Error(`localize: output ${name} trusts ${trusted}, and its STS client (same TLS settings) would have to trust ${t.sts.certificateFile}: use one certificate`);
      }
      out['tls.ca_file'] = t.sts.certificateFile;
    }
    if (!t.aliases) delete out.alias;
    Object.assign(out, t.timing?.[name] ?? {});
    return out;
  };
  if (!t.cloudwatchLogs) doc = withoutMetricsPath(doc);
  const service: Plugin = { ...Object.fromEntries(Object.entries(doc.service).map(([k, v]) => [k, replaceStateDir(v, t.stateDir)])), http_listen: '127.0.0.1', http_port: t.httpPort, ...(t.timing?.service ?? {}) };
  return {
    ...doc,
    service: service as FluentBitConfigDocument['service'],
    pipeline: {
      inputs: doc.pipeline.inputs.map(fix) as FluentBitConfigDocument['pipeline']['inputs'],
      ...(doc.pipeline.filters ? { filters: doc.pipeline.filters.map(fix) as FluentBitConfigDocument['pipeline']['filters'] } : {}),
      outputs: doc.pipeline.outputs.map(fix) as FluentBitConfigDocument['pipeline']['outputs'],
    },
  };
}

export interface FluentBitProcess {
  readonly dir: string;
  readonly configFile: string;
  readonly httpUrl: string;
  readonly pid: number | undefined;
  /** Everything the agent printed so far (this run and the ones before it). */
  log(): string;
  /** Fluent Bit's own counters (`/api/v1/metrics`): records per input and output, retries, errors. */
  metrics(): Promise<FluentBitMetrics>;
  /** SIGTERM: Fluent Bit flushes what it holds (within its grace period) and exits. */
  stop(): Promise<void>;
  /** SIGKILL: a crash; what was not flushed stays in the filesystem buffer and the offsets DB. */
  kill(): Promise<void>;
  /** Starts it again on the same configuration and state directory. */
  start(): Promise<void>;
}

export interface FluentBitMetrics {
  input: Record<string, { records: number; bytes: number }>;
  filter: Record<string, { drop_records?: number; add_records?: number }>;
  output: Record<string, { proc_records: number; proc_bytes: number; errors: number; retries: number; retries_failed: number; dropped_records: number; retried_records: number }>;
}

export interface StartFluentBitOptions {
  /** The configuration (already localized). */
  doc: FluentBitConfigDocument;
  /** Working directory of this agent (config file, log); made when missing. */
  dir: string;
  /** Extra environment (AWS credentials for the emulators, LOGTONG_* placeholders). */
  env?: Record<string, string>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const READY_TIMEOUT_MS = 30_000;

const live = new Set<ChildProcess>();
let hooked = false;
function killAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

export async function startFluentBit(opts: StartFluentBitOptions): Promise<FluentBitProcess> {
  const bin = fluentBitBinary();
  fs.mkdirSync(opts.dir, { recursive: true });
  const configFile = path.join(opts.dir, 'fluent-bit.yaml');
  fs.writeFileSync(configFile, `# localized by lib/local/fluent-bit.ts\n${stringify(opts.doc, { lineWidth: 0 })}`);
  const logFile = path.join(opts.dir, 'fluent-bit.log');
  const httpUrl = `http://127.0.0.1:${opts.doc.service.http_port}`;
  const prefix = spawnSync('setpriv', ['--version']).status === 0 ? ['setpriv', '--pdeathsig', 'SIGKILL', '--'] : [];
  killAllOnExit();

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let exitInfo: string | undefined;

  const start = async (): Promise<void> => {
    if (child && !exitInfo) return;
    exitInfo = undefined;
    const out = fs.openSync(logFile, 'a');
    const argv = [...prefix, bin, '-c', configFile];
    const c = spawn(argv[0], argv.slice(1), { cwd: opts.dir, detached: true, stdio: ['ignore', out, out], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: opts.dir, ...opts.env } });
    fs.closeSync(out);
    // Not holding our process open: a caller that fails before stop() still ends (the exit hook kills it).
    c.unref();
    child = c;
    live.add(c);
    exited = new Promise<void>((resolve) => {
      c.once('exit', (code, signal) => {
        exitInfo = `exited with ${signal ?? `code ${code}`}`;
        live.delete(c);
        resolve();
      });
      c.once('error', (e) => {
        exitInfo = `failed to spawn: ${e.message}`;
        live.delete(c);
        resolve();
      });
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exitInfo) throw new Error(`Fluent Bit ${exitInfo} before it was ready.\n--- ${logFile} ---\n${readLog()}`);
      const ok = await fetch(`${httpUrl}/api/v1/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status === 200, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`Fluent Bit not ready within ${READY_TIMEOUT_MS} ms.\n--- ${logFile} ---\n${readLog()}`);
      await sleep(100);
    }
  };

  const signal = async (sig: NodeJS.Signals, graceMs: number): Promise<void> => {
    const c = child;
    if (!c || exitInfo || c.pid === undefined) return;
    try {
      process.kill(-c.pid, sig);
    } catch {
      /* gone */
    }
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
    clearTimeout(timer);
    if (!done) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await exited;
    }
  };

  const readLog = (): string => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  await start();
  return {
    dir: opts.dir,
    configFile,
    httpUrl,
    get pid() {
      return child && !exitInfo ? child.pid : undefined;
    },
    log: readLog,
    async metrics() {
      // Right after start the endpoint may answer before its first collection, with an empty body.
      for (let attempt = 0; ; attempt++) {
        const text = await (await fetch(`${httpUrl}/api/v1/metrics`)).text();
        if (text.trim()) return JSON.parse(text) as FluentBitMetrics;
        if (attempt > 100) throw new Error('Fluent Bit /api/v1/metrics keeps answering an empty body');
        await sleep(20);
      }
    },
    // Fluent Bit's own grace period is 5 s (service.grace); give it room before killing.
    stop: () => signal('SIGTERM', 30_000),
    kill: () => signal('SIGKILL', 5_000),
    start,
  };
}

/** Polls `check` until it returns true (then resolves) or the timeout passes (then throws `describe()`). */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, describe: () => Promise<string> | string, everyMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${await describe()}`);
    await sleep(everyMs);
  }
}
