/**
 * Integration-test harness: a real rsyslogd (Debian `rsyslog`, installed by `bash .ci/setup-rsyslog.sh`) that
 * receives on 127.0.0.1 (imtcp + imudp on free ports) and forwards every message with omfwd to listeners that this
 * process runs on 127.0.0.1, so that a test sees the exact bytes rsyslog puts on the wire, or to a port some other
 * process already listens on (a Fluent Bit syslog receiver: ForwardSpec.port).
 *
 * rsyslogd runs in the foreground (`-n`) with a generated config (`-f`), its pid file (`-i`), work directory and
 * spool in a fresh temp dir; it loads no imuxsock/imklog/imjournal and writes no file: system logging is not touched.
 * As root it runs as the unprivileged user `logtong` (setpriv, like the OpenSearch harness); setpriv's --pdeathsig
 * kills it if the test process dies without cleaning up.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../../lib/local/net';

export const RSYSLOG_SETUP_HINT = 'run `bash .ci/setup-rsyslog.sh`';
const RUN_USER = process.env.LOGTONG_RSYSLOG_USER ?? process.env.LOGTONG_OPENSEARCH_USER ?? 'logtong';
const READY_TIMEOUT_MS = 20_000;

/** One omfwd action of the generated config. */
export interface ForwardSpec {
  name: string;
  protocol: 'tcp' | 'udp';
  /** TCP only: `octet-counted` (RFC 6587 `LEN SP MSG`) or `traditional` (LF-terminated); default traditional. */
  framing?: 'octet-counted' | 'traditional';
  /** rsyslog template name, e.g. RSYSLOG_SyslogProtocol23Format (RFC 5424) or RSYSLOG_TraditionalForwardFormat (3164). */
  template: string;
  /**
   * Forward to this port on 127.0.0.1, where something else listens, instead of an in-process capture (the forward then
   * has no capture). The start-up probes are kept from it, so that it receives only what the test sends.
   */
  port?: number;
}

/** Everything one forward target received: TCP reads (per connection, in order) or UDP datagrams. */
export interface Capture {
  readonly spec: ForwardSpec;
  readonly port: number;
  /** TCP: each `data` event of each connection; UDP: each datagram. */
  readonly reads: Buffer[];
  /** TCP: the concatenated stream of every connection (one string per connection), decoded as UTF-8. */
  streams(): string[];
  /** Resolves when `predicate` holds for this capture (checked on every read), rejects after timeoutMs. */
  waitFor(predicate: (c: Capture) => boolean, timeoutMs?: number): Promise<void>;
}

export interface RsyslogInstance {
  /** rsyslog's imtcp port on 127.0.0.1 */
  readonly tcpPort: number;
  /** rsyslog's imudp port on 127.0.0.1 */
  readonly udpPort: number;
  readonly pid: number | undefined;
  readonly dir: string;
  /** The in-process captures, by forward name (forwards with a `port` have none). */
  readonly captures: Record<string, Capture>;
  /** rsyslogd's stderr so far (errors about the config land here). */
  stderr(): string;
  /**
   * rsyslog's own counters of each forward (impstats, `fwd_<name>`: messages its omfwd action processed and failed),
   * as last reported; rsyslog reports them every second.
   */
  forwardStats(): Record<string, { processed: number; failed: number; suspended: number }>;
  /** Kills rsyslogd (SIGTERM, then SIGKILL), closes the listeners and removes the temp dir. */
  stop(): Promise<void>;
}

export const DEFAULT_FORWARDS: ForwardSpec[] = [
  { name: 'tcp5424octet', protocol: 'tcp', framing: 'octet-counted', template: 'RSYSLOG_SyslogProtocol23Format' },
  { name: 'tcp3164lf', protocol: 'tcp', framing: 'traditional', template: 'RSYSLOG_TraditionalForwardFormat' },
  { name: 'tcp5424lf', protocol: 'tcp', framing: 'traditional', template: 'RSYSLOG_SyslogProtocol23Format' },
  { name: 'udp5424', protocol: 'udp', template: 'RSYSLOG_SyslogProtocol23Format' },
  { name: 'udp3164', protocol: 'udp', template: 'RSYSLOG_TraditionalForwardFormat' },
];

/** rsyslogd's path (it is in /usr/sbin, not always on PATH), or undefined when not installed. */
export function findRsyslogd(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v rsyslogd'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  for (const p of ['/usr/sbin/rsyslogd', '/sbin/rsyslogd']) if (fs.existsSync(p)) return p;
  return undefined;
}

export function findLogger(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v logger'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

function runUserIds(): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', RUN_USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', RUN_USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`rsyslogd must not run as root and the user '${RUN_USER}' does not exist: ${RSYSLOG_SETUP_HINT}`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function launchPrefix(): string[] {
  const have = spawnSync('setpriv', ['--version']).status === 0;
  if (!have) {
    if (isRoot()) throw new Error(`setpriv (util-linux) is required to run rsyslogd as '${RUN_USER}': ${RSYSLOG_SETUP_HINT}`);
    return [];
  }
  const drop = isRoot() ? [`--reuid=${RUN_USER}`, `--regid=${RUN_USER}`, '--init-groups'] : [];
  return ['setpriv', '--pdeathsig', 'SIGKILL', ...drop, '--'];
}

class CaptureImpl implements Capture {
  readonly reads: Buffer[] = [];
  private readonly conns: Buffer[][] = [];
  private waiters: Array<() => void> = [];
  port = 0;
  close: () => Promise<void> = async () => {};

  constructor(readonly spec: ForwardSpec) {}

  async listen(): Promise<void> {
    if (this.spec.protocol === 'tcp') {
      const sockets = new Set<net.Socket>();
      const srv = net.createServer((sock) => {
        sockets.add(sock);
        const chunks: Buffer[] = [];
        this.conns.push(chunks);
        sock.on('data', (b: Buffer) => {
          chunks.push(b);
          this.reads.push(b);
          this.notify();
        });
        sock.on('error', () => {});
        sock.on('close', () => sockets.delete(sock));
      });
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
      this.port = (srv.address() as net.AddressInfo).port;
      this.close = () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          srv.close(() => resolve());
        });
    } else {
      const sock = dgram.createSocket('udp4');
      sock.on('message', (b: Buffer) => {
        this.reads.push(b);
        this.notify();
      });
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(0, '127.0.0.1', () => resolve());
      });
      this.port = sock.address().port;
      this.close = () => new Promise<void>((resolve) => sock.close(() => resolve()));
    }
  }

  /** Forgets everything received so far. */
  reset(): void {
    this.reads.length = 0;
    for (const c of this.conns) c.length = 0;
  }

  streams(): string[] {
    return this.conns.map((c) => Buffer.concat(c).toString('utf8'));
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  waitFor(predicate: (c: Capture) => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`capture ${this.spec.name}: condition not met within ${timeoutMs} ms; ${this.reads.length} reads: ${JSON.stringify(this.reads.map((r) => r.toString('utf8')).slice(-5))}`));
      }, timeoutMs);
      const check = (): void => {
        if (predicate(this)) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }
}

const PROBE_APP = 'logtong-probe';
/** The capture that only sees probes, when every forward goes to an outside port. */
const READY_SPEC: ForwardSpec = { name: '__ready', protocol: 'udp', template: 'RSYSLOG_SyslogProtocol23Format' };

const statsFile = (dir: string): string => path.join(dir, 'work', 'impstats.json');

function renderConfig(dir: string, tcpPort: number, udpPort: number, caps: CaptureImpl[], external: ForwardSpec[]): string {
  const action = (spec: ForwardSpec, port: number): string => {
    const framing = spec.protocol === 'tcp' ? ` TCP_Framing="${spec.framing ?? 'traditional'}"` : '';
    return `action(type="omfwd" name="fwd_${spec.name}" target="127.0.0.1" address="127.0.0.1" port="${port}" protocol="${spec.protocol}"${framing} template="${spec.template}")`;
  };
  const probe = `$rawmsg contains "${PROBE_APP}"`;
  const actions = [
    ...caps.map((c) => (c.spec === READY_SPEC ? `  if ${probe} then { ${action(c.spec, c.port)} }` : `  ${action(c.spec, c.port)}`)),
    ...external.map((f) => `  if not (${probe}) then { ${action(f, f.port!)} }`),
  ];
  return [
    '# generated by test/integration/harness/rsyslog.ts',
    `global(workDirectory="${dir}/work" net.enableDNS="off" maxMessageSize="64k")`,
    `module(load="impstats" interval="1" format="json" log.syslog="off" log.file="${statsFile(dir)}")`,
    'module(load="imtcp")',
    'module(load="imudp")',
    `input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="forward")`,
    `input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="forward")`,
    'ruleset(name="forward") {',
    ...actions,
    '}',
    '',
  ].join('\n');
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sendUdp(port: number, text: string): Promise<void> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.send(Buffer.from(text), port, '127.0.0.1', () => s.close(() => resolve()));
  });
}

/**
 * Starts rsyslogd with the given forward actions (default DEFAULT_FORWARDS) and waits until both of its inputs
 * deliver to every capture (a probe message each, then the captures are emptied). Throws with an instruction when
 * rsyslogd is not installed.
 */
export interface StartRsyslogOptions {
  /** omfwd actions; default DEFAULT_FORWARDS */
  forwards?: ForwardSpec[];
  /** TZ of rsyslogd (it writes RFC 3164 timestamps in its local time); default the test process's TZ, else UTC. */
  timeZone?: string;
}

export async function startRsyslog(options: StartRsyslogOptions = {}): Promise<RsyslogInstance> {
  const forwards = options.forwards ?? DEFAULT_FORWARDS;
  const rsyslogd = findRsyslogd();
  if (!rsyslogd) throw new Error(`rsyslogd is not installed: ${RSYSLOG_SETUP_HINT}`);
  const prefix = launchPrefix();
  const external = forwards.filter((f) => f.port !== undefined);
  const inProcess = forwards.filter((f) => f.port === undefined);
  // readiness is seen on a capture: without one of the test's own, a capture that receives the probes only
  const caps = (inProcess.length > 0 ? inProcess : [READY_SPEC]).map((f) => new CaptureImpl(f));
  for (const c of caps) await c.listen();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-rsyslog-'));
  fs.mkdirSync(path.join(dir, 'work'));
  if (isRoot()) {
    const { uid, gid } = runUserIds();
    for (const p of [dir, path.join(dir, 'work')]) fs.chownSync(p, uid, gid);
  }
  const tcpPort = await freePort('tcp');
  const udpPort = await freePort('udp');
  const conf = path.join(dir, 'rsyslog.conf');
  fs.writeFileSync(conf, renderConfig(dir, tcpPort, udpPort, caps, external), { mode: 0o644 });
  const pidFile = path.join(dir, 'rsyslogd.pid');

  const argv = [...prefix, rsyslogd, '-n', '-f', conf, '-i', pidFile];
  let stderr = '';
  let exitInfo: string | undefined;
  const child: ChildProcess = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() kills it whole
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: options.timeZone ?? process.env.TZ ?? 'UTC' },
  });
  child.stdout?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    });
    child.once('error', (err) => {
      exitInfo = `failed to spawn: ${err.message}`;
      resolve();
    });
  });

  const killGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined || exitInfo) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        process.kill(child.pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  const onExit = (): void => killGroup('SIGKILL');
  process.once('exit', onExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    killGroup('SIGTERM');
    const t = setTimeout(() => killGroup('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
    for (const c of caps) await c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const captures: Record<string, Capture> = Object.fromEntries(caps.filter((c) => c.spec !== READY_SPEC).map((c) => [c.spec.name, c]));
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const fail = (what: string): Error =>
      new Error(`rsyslogd (${argv.join(' ')}) ${what}.\nconfig:\n${fs.readFileSync(conf, 'utf8')}\noutput:\n${stderr}`);
    while (!(await tcpAccepts(tcpPort))) {
      if (exitInfo) throw fail(exitInfo);
      if (Date.now() > deadline) throw fail(`did not listen on 127.0.0.1:${tcpPort} within ${READY_TIMEOUT_MS} ms`);
      await sleep(50);
    }
    // imudp may come up a moment after imtcp: probe until a datagram makes it through to every capture
    const probe = `<14>1 - - ${PROBE_APP} - - - ready-${process.pid}`;
    const allGot = (): boolean => caps.every((c) => c.reads.some((r) => r.includes(PROBE_APP)));
    while (!allGot()) {
      if (exitInfo) throw fail(exitInfo);
      if (Date.now() > deadline) throw fail(`did not forward a probe to every capture within ${READY_TIMEOUT_MS} ms`);
      await sendUdp(udpPort, probe);
      await sleep(100);
    }
    await sleep(200); // stragglers of the probe
    for (const c of caps) c.reset();
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    tcpPort,
    udpPort,
    get pid() {
      return exitInfo ? undefined : child.pid;
    },
    dir,
    captures,
    stderr: () => stderr,
    forwardStats() {
      const out: ReturnType<RsyslogInstance['forwardStats']> = {};
      const text = fs.existsSync(statsFile(dir)) ? fs.readFileSync(statsFile(dir), 'utf8') : '';
      // `<date>: { "name": …, "origin": "core.action", "processed": … }`, one line per counter set and interval
      for (const line of text.split('\n')) {
        if (!line.includes('"core.action"')) continue;
        const rec = JSON.parse(line.slice(line.indexOf('{'))) as { name: string; processed: number; failed: number; suspended: number };
        if (rec.name.startsWith('fwd_') && rec.name !== `fwd_${READY_SPEC.name}`) out[rec.name.slice(4)] = { processed: rec.processed, failed: rec.failed, suspended: rec.suspended };
      }
      return out;
    },
    stop,
  };
}

/** One message util-linux `logger` sends, and what rsyslog and the processor must make of it. */
export interface LoggerMessage {
  token: string;
  text: string;
  proto: '5424' | '3164';
  transport: 'tcp-octet' | 'tcp-lf' | 'udp';
  tag: string;
  prio: string;
  facility: number;
  severity: number;
  pid?: string;
  msgid?: string;
  sd?: Array<[string, string]>;
  notq?: boolean;
  /** Sent on logger's stdin as bytes (argv would be re-encoded as UTF-8), after `text` and a space. */
  bytes?: Buffer;
  /** logger's own copy of the message (stderr of logger -s). */
  wire?: string;
}

/**
 * Messages that cover what a syslog client varies: RFC 5424 with structured data (escaped quotes, brackets and
 * backslashes), without time quality, RFC 3164 with and without a pid, each over TCP LF, TCP octet-counted and UDP.
 */
export const CRAFTED_MESSAGES: ReadonlyArray<Omit<LoggerMessage, 'token'>> = [
  {
    text: 'five-4-two-4 over tcp octet-counted: ünïcödé ✓ "quoted" [brackets] \\back',
    proto: '5424',
    transport: 'tcp-octet',
    tag: 'myapp',
    pid: '4242',
    msgid: 'MID1',
    sd: [
      ['sd-id', 'zoo@32473'],
      ['sd-param', 'tiger="hun\\"gry"'],
      ['sd-param', 'path="C:\\\\dir\\]x"'],
    ],
    prio: 'local3.warning',
    facility: 19,
    severity: 4,
  },
  { text: 'five-4-two-4 over tcp LF without time quality', proto: '5424', transport: 'tcp-lf', tag: 'lfapp', notq: true, prio: 'user.notice', facility: 1, severity: 5 },
  { text: 'five-4-two-4 over udp', proto: '5424', transport: 'udp', tag: 'udpapp', msgid: 'UDP-1', prio: 'mail.info', facility: 2, severity: 6 },
  { text: 'bsd over tcp LF with pid', proto: '3164', transport: 'tcp-lf', tag: 'bsdapp', pid: '777', prio: 'auth.err', facility: 4, severity: 3 },
  { text: 'bsd over tcp octet-counted', proto: '3164', transport: 'tcp-octet', tag: 'bsdoct', prio: 'local7.debug', facility: 23, severity: 7 },
  { text: 'bsd over udp', proto: '3164', transport: 'udp', tag: 'bsdudp', pid: '31337', prio: 'daemon.crit', facility: 3, severity: 2 },
];

/** Sends one message with `logger -s` to an rsyslogd's inputs; keeps logger's own copy of it in `m.wire`. */
export function loggerSend(rs: Pick<RsyslogInstance, 'tcpPort' | 'udpPort'>, m: LoggerMessage, opts: { timeZone?: string; maxSize?: number } = {}): void {
  const args = ['-s', '-n', '127.0.0.1', '-p', m.prio, '-t', m.tag, m.proto === '5424' ? (m.notq ? '--rfc5424=notq' : '--rfc5424') : '--rfc3164'];
  args.push(...(m.transport === 'udp' ? ['--udp', '-P', String(rs.udpPort)] : ['--tcp', '-P', String(rs.tcpPort)]));
  if (m.transport === 'tcp-octet') args.push('--octet-count');
  if (m.pid) args.push(`--id=${m.pid}`);
  if (m.msgid) args.push('--msgid', m.msgid);
  for (const [k, v] of m.sd ?? []) args.push(k === 'sd-id' ? '--sd-id' : '--sd-param', v);
  if (opts.maxSize) args.push('--size', String(opts.maxSize));
  const input = m.bytes ? Buffer.concat([Buffer.from(`${m.text} `), m.bytes, Buffer.from('\n')]) : undefined;
  if (!input) args.push(m.text);
  const r = spawnSync('logger', args, { input, env: { ...process.env, TZ: opts.timeZone ?? 'UTC' } });
  if (r.status !== 0) throw new Error(`logger ${args.join(' ')} failed: ${r.stderr}`);
  m.wire = r.stderr.toString('utf8');
}

/**
 * The fields the processor must read from a message `logger` sent, once rsyslog forwarded it with the RFC 5424
 * (`out5424`) or the RFC 3164 template; `hostname` is what logger itself wrote.
 */
export function expectedSyslogFields(m: LoggerMessage, out5424: boolean, hostname: unknown): Record<string, unknown> {
  return {
    facility: m.facility,
    severity: m.severity,
    facility_name: m.prio.split('.')[0],
    severity_name: m.prio.split('.')[1],
    version: out5424 ? 1 : null,
    hostname,
    app_name: m.tag,
    procid: m.pid ?? null,
    // rsyslog keeps MSGID only when it both receives and sends RFC 5424
    msgid: out5424 && m.proto === '5424' ? (m.msgid ?? null) : null,
    // the 3164 MSG property keeps the space after `TAG:`, and the RFC 5424 template writes it after the SP
    message: out5424 && m.proto === '3164' ? ` ${m.text}` : m.text,
  };
}
