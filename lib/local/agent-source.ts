/**
 * A fluent-bit or syslog source run locally: the agent or receiver configuration the stack deploys (lib/agent),
 * pointed at this machine by `localize` (its outputs at the emulated buffer bucket or stream, or at the local node for
 * buffer none), run by the real Fluent Bit built by `.ci/setup-fluent-bit.sh`. Without that build, a one-line error
 * names the command.
 *
 * How the input files reach it is how the source gets its lines when deployed:
 * - an EC2 agent tails the input files themselves (what is appended to them is read by the agent, as on a server);
 * - an EKS agent tails container log files: each input's lines are written to one, in containerd's CRI format
 *   (container-logs.ts), as a pod writing them to stdout would have them written;
 * - a syslog receiver gets each line as one frame over its listener (TCP with the source's framing; UDP datagrams
 *   when that is all it listens to), as a syslog client sends them; it also listens for real clients (`--listen`).
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fluentBitConfigDocument, type AgentTargets } from '../agent/fluent-bit-config';
import type { Pipeline } from '../config/schema';
import type { AwsEmulator } from './aws-emulator';
import { containerLogFile, criLine } from './container-logs';
import { FLUENT_BIT_VERSION, fluentBitBinary, localize, QUICK_AGENT_TIMING, startFluentBit, type FluentBitProcess } from './fluent-bit';
import type { KinesisEmulator } from './kinesis';
import type { LocalStack } from './local-stack';
import { freePort } from './net';
import { MissingPrerequisiteError } from './prerequisites';

/** The agent's timers shortened (QUICK_AGENT_TIMING), the tail's look for new files every second: a run waits on it. */
const LOCAL_TIMING = { ...QUICK_AGENT_TIMING, tail: { refresh_interval: 1 } };

export interface LocalAgentOptions {
  readonly pipeline: Pipeline;
  readonly stack: LocalStack;
  readonly aws: AwsEmulator;
  /** buffer kinesis: the emulator whose stream the stack made. */
  readonly kinesis?: KinesisEmulator;
  /** buffer none: the node the agent indexes into. */
  readonly opensearchUrl?: string;
  readonly inputs: readonly string[];
  /** The agent's folder: its state (offsets, filesystem buffer), configuration, log and, for EKS, the container logs. */
  readonly dir: string;
  /** syslog: the port of 127.0.0.1 its listener takes. @default a free port */
  readonly listenPort?: number;
}

export interface LocalAgent {
  /** syslog: where the receiver listens on 127.0.0.1, and how it reads frames. */
  readonly listening?: { readonly port: number; readonly protocols: string; readonly framing: string };
  /** The files its tail reads (EC2: the inputs; EKS: their container log files): the `logtong.file` of its records. */
  readonly tailed: readonly string[];
  /**
   * Lines of an input file (complete lines; at the start, what it holds), given to the agent the way its source gets
   * them. An EC2 agent tails the input itself: nothing to do.
   */
  feed(file: string, bytes: Buffer): Promise<void>;
  /** Records the agent's inputs have read so far (tail lines, syslog frames). */
  readRecords(): Promise<number>;
  /** Records the agent's own filters dropped (buffer none: the pipeline's filters run at the agent). */
  filtered(): Promise<number>;
  /** SIGTERM: the agent flushes what it holds and exits. */
  stop(): Promise<void>;
}

/** The targets the stack gives its agents (agent-config-props.ts), with the local names. */
function localTargets(o: LocalAgentOptions): AgentTargets {
  const buffer = o.pipeline.engine.type === 'light' ? 's3' : o.pipeline.engine.buffer;
  return {
    region: o.aws.region,
    ...(buffer === 's3' ? { bucketName: o.stack.bucketName('BufferBucket'), keyPrefix: `${o.pipeline.name}/` } : {}),
    ...(buffer === 'kinesis' ? { streamName: o.stack.streamName('KinesisStream') } : {}),
    ...(buffer === 'none' ? { backupBucketName: o.stack.bucketName('BackupBucket') } : {}),
  };
}

/**
 * The lines of a chunk, as bytes (a line that is not UTF-8 goes as it is, as a client would send it): CR stripped,
 * empty lines left out (the processor skips them too; and see syslogInputs in lib/agent on empty LF frames).
 */
function linesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    const line = bytes.subarray(start, end > start && bytes[end - 1] === 0x0d ? end - 1 : end);
    if (line.length > 0) out.push(line);
    start = end + 1;
  }
  return out;
}

async function sendTcp(port: number, payload: Buffer): Promise<void> {
  await new Promise<void>((done, fail) => {
    const socket = net.createConnection({ host: '127.0.0.1', port }, () => socket.end(payload));
    socket.on('error', fail);
    socket.on('close', () => done());
  });
}

async function sendUdp(port: number, frames: readonly Buffer[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    for (const [i, f] of frames.entries()) {
      await new Promise<void>((done, fail) => socket.send(f, port, '127.0.0.1', (e) => (e ? fail(e) : done())));
      // Paced: a datagram the receiver's socket buffer has no room for is dropped, and the kernel may cap that buffer
      // (net.core.rmem_max) below the receiver's receive_buffer_size.
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    socket.close();
  }
}

export async function startLocalAgent(o: LocalAgentOptions): Promise<LocalAgent> {
  try {
    fluentBitBinary();
  } catch {
    throw new MissingPrerequisiteError('fluent-bit', `Fluent Bit ${FLUENT_BIT_VERSION} is needed to run this pipeline's ${o.pipeline.source.type === 'syslog' ? 'receiver' : 'agent'} locally: run \`bash .ci/setup-fluent-bit.sh\` (builds it once into the cache folder, about 3 minutes)`);
  }
  const source = o.pipeline.source;
  const eks = source.type === 'fluent-bit' && source.platform === 'eks';
  // EKS: one container log file per input, written as containerd writes a pod's stdout.
  const containers = new Map<string, string>();
  if (eks) {
    o.inputs.forEach((file, i) => containers.set(file, containerLogFile(path.join(o.dir, 'var-log'), 'default', `${path.basename(file).toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${i}`, 'app')));
  }
  const tailed = eks ? [...containers.values()] : [...o.inputs];
  const syslogPort = source.type === 'syslog' ? (o.listenPort ?? (await freePort())) : undefined;
  const doc = localize(fluentBitConfigDocument(o.pipeline, localTargets(o)), {
    stateDir: path.join(o.dir, 'state'),
    httpPort: await freePort(),
    logPaths: tailed,
    s3Endpoint: o.aws.endpoint,
    ...(syslogPort ? { syslogPort } : {}),
    ...(o.opensearchUrl ? { opensearchUrl: o.opensearchUrl } : {}),
    ...(o.kinesis ? { kinesis: { tlsPort: o.kinesis.tlsPort, certificateFile: o.kinesis.certificateFile } } : {}),
    timing: LOCAL_TIMING,
  });
  const fb: FluentBitProcess = await startFluentBit({ doc, dir: o.dir, env: o.aws.env });

  const feed = async (file: string, bytes: Buffer): Promise<void> => {
    if (eks) {
      const time = new Date().toISOString().replace('Z', '000000Z');
      fs.appendFileSync(containers.get(file)!, Buffer.concat(linesOf(bytes).map((l) => criLine(time, 'stdout', l))));
    } else if (source.type === 'syslog') {
      const frames = linesOf(bytes);
      if (frames.length === 0) return;
      if (source.protocol === 'udp') return sendUdp(syslogPort!, frames);
      const octet = source.framing === 'octet-counting';
      // RFC 6587: octet counting prefixes each frame with its length in bytes; otherwise a frame ends at LF.
      await sendTcp(syslogPort!, Buffer.concat(frames.flatMap((f) => (octet ? [Buffer.from(`${f.length} `), f] : [f, Buffer.from('\n')]))));
    }
    // EC2: the agent tails the file itself.
  };
  const sum = (rows: Record<string, { records?: number; drop_records?: number }>, prefix: string, key: 'records' | 'drop_records') =>
    Object.entries(rows)
      .filter(([name]) => name.startsWith(prefix))
      .reduce((n, [, v]) => n + (v[key] ?? 0), 0);
  return {
    ...(source.type === 'syslog'
      ? { listening: { port: syslogPort!, protocols: source.protocol === 'tcp_udp' ? 'tcp and udp' : source.protocol, framing: source.protocol === 'udp' ? 'one message per datagram' : source.framing === 'octet-counting' ? 'octet counting (RFC 6587)' : 'one message per line' } }
      : {}),
    tailed,
    feed,
    async readRecords() {
      const m = await fb.metrics();
      return sum(m.input, source.type === 'syslog' ? 'syslog' : 'tail', 'records');
    },
    async filtered() {
      return sum((await fb.metrics()).filter, 'grep', 'drop_records');
    },
    stop: () => fb.stop(),
  };
}
