/**
 * A real single-node OpenSearch on 127.0.0.1, for `logtong local` and the integration tests: the distribution of
 * opensearch-distribution.ts (downloaded from Maven Central on first use), each node with fresh config, data and log
 * folders under os.tmpdir() and free ports. Needs Java 17+ (prerequisites.ts says what to install when it is missing).
 * As root, the node runs as an unprivileged user (OpenSearch refuses root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts } from './net';
import { opensearchHome, type DistributionOptions } from './opensearch-distribution';
import { findJava, isRoot, launchPrefix, runUserIds, runUserPasses, type JavaInstallation } from './prerequisites';

export type { DownloadProgress } from './download';
export { MAVEN_CENTRAL, OPENSEARCH_VERSION, opensearchHome, type DistributionOptions } from './opensearch-distribution';
export { findJava, MIN_JAVA_VERSION, MissingPrerequisiteError, type JavaInstallation, type Prerequisite } from './prerequisites';

export interface OpenSearchNode {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  readonly url: string;
  readonly port: number;
  /** PID of the node's JVM while running, undefined when stopped. */
  readonly pid: number | undefined;
  /** Wall-clock ms of the last (re)start: spawn until cluster health is yellow. */
  readonly startupMs: number;
  /** Kills the whole process tree (SIGTERM, then SIGKILL after 20 s) and waits for exit. Keeps the data dir. */
  stop(): Promise<void>;
  /** Restarts a stopped node on the same port and data dir. No-op when running. */
  start(): Promise<void>;
  /** stop() + delete the node's directory (config, data, logs). */
  dispose(): Promise<void>;
}

/**
 * `cacheDir`, `mavenRepository` and `onDownloadProgress` (called only while the distribution downloads, the first
 * time on a machine) are about where the distribution comes from: see opensearch-distribution.ts.
 */
export interface StartOpenSearchOptions extends Omit<DistributionOptions, 'version'> {
  /** JVM heap (-Xms/-Xmx) in MiB; default 512. */
  heapMb?: number;
  /**
   * Extra JVM flags appended after the defaults (the last occurrence of a flag wins), e.g.
   * `['-XX:TieredStopAtLevel=4']` to get the C2 JIT back for throughput benchmarks.
   */
  javaOpts?: string[];
  /**
   * Extra node settings written to opensearch.yml after our own (a key given here wins), e.g.
   * `{ 'http.max_content_length': '200kb' }` for a node that refuses larger requests with 413. Static settings
   * such as that one cannot be changed on a running node, hence here.
   */
  settings?: Record<string, string | number | boolean>;
  /**
   * The node's own folder (config, data, logs), kept when the node stops and reused by the next start on it: its
   * indices outlive the run (`logtong local`). As root, the unprivileged run user must be able to enter it; when it
   * cannot (a folder under /root), the same folder name under $TMPDIR/logtong-cache is used instead.
   * @default a fresh temporary folder, removed by dispose()
   */
  dir?: string;
}

/**
 * JVM flags for a node that shares a small machine with the pipeline, on top of config/jvm.options:
 *  - no AlwaysPreTouch: RSS ~280 MB instead of ~690 MB with a 512 MB heap
 *  - C1 JIT only: ~2 s faster start and less CPU taken from the handlers (and jest) on 2 cores
 *    (slower steady state; override with javaOpts for benchmarks)
 *  - no /tmp/hsperfdata_* files
 */
const DEFAULT_JAVA_OPTS = ['-XX:-AlwaysPreTouch', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData'];

const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 20_000;

function tail(file: string, lines = 60): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Nodes that may still have a running process or a directory to delete. */
const liveNodes = new Set<NodeImpl>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const n of liveNodes) n.killSync();
  };
  process.on('exit', killAll);
  // jest-worker ends workers with SIGTERM; 'exit' does not fire on signal death. Only take over the
  // signal when nobody else handles it, then re-raise it so the default action still happens.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    if (process.listenerCount(sig) === 0) {
      process.once(sig, () => {
        killAll();
        process.kill(process.pid, sig);
      });
    }
  }
}

class NodeImpl implements OpenSearchNode {
  readonly url: string;
  startupMs = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private exitInfo: string | undefined;

  constructor(
    readonly port: number,
    private readonly transportPort: number,
    private readonly dir: string,
    private readonly home: string,
    private readonly java: JavaInstallation,
    private readonly heapMb: number,
    private readonly javaOpts: string[],
    private readonly extraSettings: Record<string, string | number | boolean> = {},
    /** The folder is the caller's (StartOpenSearchOptions.dir): never removed. */
    private readonly keep = false,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child && !this.exitInfo ? this.child.pid : undefined;
  }

  private get consoleLog(): string {
    return path.join(this.dir, 'logs', 'console.log');
  }

  /** Writes config dir; ids of the run user when root. */
  prepare(): void {
    const confDir = path.join(this.dir, 'config');
    for (const d of ['config', 'config/jvm.options.d', 'data', 'logs', 'tmp']) {
      fs.mkdirSync(path.join(this.dir, d), { recursive: true });
    }
    fs.copyFileSync(path.join(this.home, 'config', 'log4j2.properties'), path.join(confDir, 'log4j2.properties'));
    // bin/opensearch-env does `cd $OPENSEARCH_HOME`, so the relative paths in jvm.options (gc log,
    // hs_err file, heap dumps) would land in the shared, read-only distribution: make them absolute.
    const jvmOptions = fs
      .readFileSync(path.join(this.home, 'config', 'jvm.options'), 'utf8')
      .replace(/(file=|ErrorFile=)logs\//g, `$1${path.join(this.dir, 'logs')}/`)
      .replace(/HeapDumpPath=data\b/g, `HeapDumpPath=${path.join(this.dir, 'data')}`);
    fs.writeFileSync(path.join(confDir, 'jvm.options'), jvmOptions);
    // A kept folder's data belongs to its cluster: the same name on every start.
    const id = this.keep ? 'kept' : randomBytes(4).toString('hex');
    const settings: Record<string, string | number | boolean> = {
      'cluster.name': `logtong-local-${id}`,
      'node.name': `node-${id}`,
      'path.data': path.join(this.dir, 'data'),
      'path.logs': path.join(this.dir, 'logs'),
      'network.host': '127.0.0.1',
      'http.port': this.port,
      'transport.port': this.transportPort,
      'discovery.type': 'single-node',
      'cluster.routing.allocation.disk.threshold_enabled': false,
      'bootstrap.memory_lock': false,
      'action.auto_create_index': true,
      ...this.extraSettings,
    };
    fs.writeFileSync(
      path.join(confDir, 'opensearch.yml'),
      Object.entries(settings)
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join('\n') + '\n',
    );
    if (isRoot()) {
      const { uid, gid } = runUserIds();
      const r = spawnSync('chown', ['-R', `${uid}:${gid}`, this.dir]);
      if (r.status !== 0) throw new Error(`chown ${this.dir} failed: ${r.stderr}`);
    }
  }

  private spawnProcess(): void {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      JAVA_HOME: this.java.home,
      OPENSEARCH_PATH_CONF: path.join(this.dir, 'config'),
      OPENSEARCH_TMPDIR: path.join(this.dir, 'tmp'),
      // Appended after config/jvm.options; for HotSpot the last occurrence of a flag wins.
      OPENSEARCH_JAVA_OPTS: [`-Xms${this.heapMb}m`, `-Xmx${this.heapMb}m`, ...DEFAULT_JAVA_OPTS, ...this.javaOpts].join(' '),
      HOME: this.dir,
    };
    delete env.OPENSEARCH_JAVA_HOME;
    delete env.JAVA_TOOL_OPTIONS;
    delete env.JAVA_OPTS;
    delete env.NODE_OPTIONS;
    const bin = path.join(this.home, 'bin', 'opensearch');
    const pidFile = path.join(this.dir, 'opensearch.pid');
    const [cmd, ...args] = [...launchPrefix(), bin, '-p', pidFile];
    const out = fs.openSync(this.consoleLog, 'a');
    try {
      this.exitInfo = undefined;
      const child = spawn(cmd, args, {
        cwd: this.dir,
        env,
        detached: true, // own process group: stop() kills the whole tree
        stdio: ['ignore', out, out],
      });
      child.unref();
      this.child = child;
      this.exited = new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          this.exitInfo = `exited with ${signal ?? `code ${code}`}`;
          resolve();
        });
        child.once('error', (err) => {
          this.exitInfo = `failed to spawn ${cmd}: ${err.message}`;
          resolve();
        });
      });
    } finally {
      fs.closeSync(out);
    }
  }

  /** Spawns and waits for yellow. Throws (after killing the process) on early exit or timeout. */
  async boot(): Promise<void> {
    const t0 = Date.now();
    this.spawnProcess();
    const deadline = t0 + READY_TIMEOUT_MS;
    let lastErr = '';
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        throw new Error(
          `OpenSearch on port ${this.port} ${this.exitInfo} before becoming ready.\n` +
            `--- tail of ${this.consoleLog} ---\n${tail(this.consoleLog)}`,
        );
      }
      try {
        const res = await fetch(`${this.url}/_cluster/health?wait_for_status=yellow&timeout=2s`, {
          signal: AbortSignal.timeout(5_000),
        });
        const body = await res.text();
        if (res.status === 200) {
          this.startupMs = Date.now() - t0;
          return;
        }
        lastErr = `HTTP ${res.status}: ${body.slice(0, 300)}`;
      } catch (err) {
        lastErr = String((err as Error).cause ?? err);
      }
      await sleep(250);
    }
    await this.stop();
    throw new Error(
      `OpenSearch on port ${this.port} not ready after ${READY_TIMEOUT_MS / 1000}s (last: ${lastErr}).\n` +
        `--- tail of ${this.consoleLog} ---\n${tail(this.consoleLog)}`,
    );
  }

  bootFailedOnPort(): boolean {
    const t = tail(this.consoleLog, 200);
    return /BindException|Address already in use|BindTransportException|BindHttpException/.test(t);
  }

  async start(): Promise<void> {
    if (this.child && !this.exitInfo) return;
    if (!fs.existsSync(this.dir)) throw new Error(`OpenSearch node on port ${this.port} was disposed`);
    liveNodes.add(this);
    await this.boot();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo || child.pid === undefined) return;
    killGroup(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([
      this.exited!.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (!graceful) {
      killGroup(child.pid, 'SIGKILL');
      await this.exited;
    }
    // The group leader is gone; make sure no straggler from the group survives.
    killGroup(child.pid, 'SIGKILL');
  }

  async dispose(): Promise<void> {
    await this.stop();
    liveNodes.delete(this);
    if (!this.keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous best effort for process exit hooks. */
  killSync(): void {
    if (this.child?.pid !== undefined && !this.exitInfo) killGroup(this.child.pid, 'SIGKILL');
    if (this.keep) return;
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

let java: JavaInstallation | undefined;

/**
 * Starts a fresh single-node OpenSearch on 127.0.0.1 and waits for yellow cluster health. Throws a
 * MissingPrerequisiteError (one line: what to install) before downloading anything when Java 17+, or as root setpriv
 * or the run user, is missing. Always pair with `dispose()`; leftovers are killed when the process exits.
 */
/** Where a kept node folder goes when the run user cannot enter the one asked for (see StartOpenSearchOptions.dir). */
const fallbackDir = (dir: string) => path.join(os.tmpdir(), 'logtong-cache', 'nodes', path.resolve(dir).replace(/[^A-Za-z0-9._-]+/g, '_'));

/** A kept node folder the run user can use (see StartOpenSearchOptions.dir). */
function persistentDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  if (!isRoot() || runUserPasses('-x', dir)) return dir;
  const instead = fallbackDir(dir);
  fs.mkdirSync(instead, { recursive: true });
  return instead;
}

/** Removes a kept node folder (StartOpenSearchOptions.dir), wherever it was put. */
export function removeNodeDir(dir: string): void {
  for (const d of [dir, fallbackDir(dir)]) fs.rmSync(d, { recursive: true, force: true });
}

export async function startOpenSearch(opts: StartOpenSearchOptions = {}): Promise<OpenSearchNode> {
  const jvm = (java ??= findJava());
  if (isRoot()) {
    launchPrefix();
    runUserIds();
  }
  const home = await opensearchHome(opts);
  installExitHooks();
  const heapMb = opts.heapMb ?? 512;
  let lastErr: unknown;
  // Ports are probed then released; another process may grab one before the JVM binds: retry.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [httpPort, transportPort] = await freePorts(2);
    const dir = opts.dir ? persistentDir(opts.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-opensearch-'));
    const node = new NodeImpl(httpPort, transportPort, dir, home, jvm, heapMb, opts.javaOpts ?? [], opts.settings, opts.dir !== undefined);
    liveNodes.add(node);
    try {
      node.prepare();
      await node.boot();
      return node;
    } catch (err) {
      lastErr = err;
      const portClash = node.bootFailedOnPort();
      await node.dispose();
      if (!portClash) throw err;
    }
  }
  throw lastErr;
}
