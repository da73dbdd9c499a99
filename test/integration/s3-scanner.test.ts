/**
 * The one-time S3 load scanner as it ships: the esbuild bundle the Dockerfile builds, run as a child process against
 * the in-process S3/SQS emulator. Stopped with SIGTERM part-way, resumed, run once more: every matching object must
 * reach the copy queue exactly once, as a message the copy handler reads back to the real key.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { objectsFromMessage } from '../../lambda/core/s3-event';
import { parseCheckpoint, type Checkpoint, type ScanTarget } from '../../lambda/core/scan';
import { buildScanner, dockerfileOf } from '../../lambda/scanner/build';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { emfMetrics, type EmfMetric } from './harness/cloudwatch-logs';

jest.setTimeout(120_000);

const TARGET: ScanTarget = { bucket: 'source', prefix: 'logs/', suffix: '.log' };
const CHECKPOINT = { bucket: 'state', key: '_logtong/scanner/web.json' };
const MATCHING = 10_000;
/**
 * Names that S3 notifications encode: spaces, '+', '%', unicode. Every key starts with its own zero-padded number
 * so that the emulator's listing order (it sorts with localeCompare, S3 by UTF-8 bytes) equals S3's for this set.
 */
const TRICKY = ['', ' with space', '+plus', ' a+b %2B', '-日志', '_ü', '(1)', '=x&y'];

let aws: AwsEmulator;
let workDir: string;
let bundle: string;
let bundleBytes: number;
let queueUrl: string;
const matching = new Set<string>();
const sizes = new Map<string, number>();
const notMatching: string[] = [];

const pad = (i: number) => String(i).padStart(5, '0');

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Array<Record<string, any>>;
  /** Its embedded-metric-format lines (progress and outcome metrics), apart from the log lines. */
  metrics: EmfMetric[];
  stderr: string;
}

interface RunOptions {
  /** Called per log line; a signal returned is sent to the scanner (once). */
  onLine?: (line: Record<string, any>) => NodeJS.Signals | undefined;
  queue?: string;
  checkpointKey?: string;
}

function runScanner(opts: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], {
      // Only what the task definition sets, and the emulator: nothing from the developer's AWS profile.
      env: {
        PATH: process.env.PATH ?? '',
        ...aws.env,
        SOURCE_BUCKET: TARGET.bucket,
        SOURCE_PREFIX: TARGET.prefix,
        SOURCE_SUFFIX: TARGET.suffix,
        COPY_QUEUE_URL: opts.queue ?? queueUrl,
        CHECKPOINT_BUCKET: CHECKPOINT.bucket,
        CHECKPOINT_KEY: opts.checkpointKey ?? CHECKPOINT.key,
        PROGRESS_INTERVAL_SECONDS: '0.2',
        // The image runs Node 22; this test runs the bundle on whatever node runs jest (20 here), which the SDK warns of.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { code: null, signal: null, lines: [], metrics: [], stderr: '' };
    let buffered = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const text of parts.filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, any>;
        if (line._aws) {
          run.metrics.push(...emfMetrics([text]));
          continue;
        }
        run.lines.push(line);
        const signal = signalled ? undefined : opts.onLine?.(line);
        if (signal) {
          signalled = true;
          child.kill(signal);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ ...run, code, signal }));
  });
}

/** Every message in the queue, deleted as read (a duplicate send would show up as a second message). */
async function drainQueue(url = queueUrl): Promise<string[]> {
  const keys: string[] = [];
  for (let idle = 0; idle < 2; ) {
    const batches = await Promise.all(
      Array.from({ length: 4 }, () => aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))),
    );
    const messages = batches.flatMap((b) => b.Messages ?? []);
    if (messages.length === 0) {
      idle++;
      continue;
    }
    idle = 0;
    for (const m of messages) {
      const objects = objectsFromMessage(m.Body!);
      expect(objects).toHaveLength(1);
      expect(objects[0].bucket).toBe(TARGET.bucket);
      expect(objects[0].size).toBe(sizes.get(objects[0].key));
      keys.push(objects[0].key);
    }
    for (const b of batches) {
      if (b.Messages?.length) {
        await aws.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: b.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }
  }
  return keys;
}

async function readCheckpoint(key = CHECKPOINT.key): Promise<Checkpoint> {
  const obj = await aws.s3.send(new GetObjectCommand({ Bucket: CHECKPOINT.bucket, Key: key }));
  return parseCheckpoint(await obj.Body!.transformToString(), TARGET);
}

function duplicates(keys: string[]): string[] {
  const seen = new Set<string>();
  return keys.filter((k) => seen.has(k) || !seen.add(k));
}

const messages = (run: Run) => run.lines.map((l) => String(l.message));

beforeAll(async () => {
  aws = await startAwsEmulator();
  workDir = mkdtempSync(path.join(tmpdir(), 'logtong-scanner-'));
  bundle = path.join(workDir, 'scanner.js');
  bundleBytes = buildScanner(bundle);

  for (const b of [TARGET.bucket, CHECKPOINT.bucket]) await aws.s3.send(new CreateBucketCommand({ Bucket: b }));
  queueUrl = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'copy', Attributes: { VisibilityTimeout: '300' } }))).QueueUrl!;

  const puts: Array<{ key: string; body: string }> = [];
  // One numbering for every key under the prefix, so that non-matching keys interleave with matching ones and no
  // two keys share their number.
  for (let n = 0, i = 0; i < MATCHING; n++) {
    if (n % 40 === 7) {
      notMatching.push(`${TARGET.prefix}${pad(n)}-rotated.log.1`, `${TARGET.prefix}${pad(++n)}.log.gz`);
      continue;
    }
    const key = `${TARGET.prefix}${pad(n)}${TRICKY[i % TRICKY.length]}.log`;
    puts.push({ key, body: `line ${i}\n`.repeat(1 + (i % 3)) });
    matching.add(key);
    i++;
  }
  for (let i = 0; i < 100; i++) notMatching.push(`other/${pad(i)}.log`, `logs-old/${pad(i)}.log`, `LOGS/${pad(i)}.log`);
  for (const key of notMatching) puts.push({ key, body: 'not for the scan\n' });
  for (const p of puts) sizes.set(p.key, Buffer.byteLength(p.body));
  const t0 = Date.now();
  await inParallel(puts, 48, (p) => aws.s3.send(new PutObjectCommand({ Bucket: TARGET.bucket, Key: p.key, Body: p.body })));
  console.log(`put ${puts.length} objects in ${Date.now() - t0} ms`);
});

afterAll(async () => {
  await aws?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the scanner image', () => {
  it('is one self-contained bundle run as the node user on Node 22', () => {
    const dockerfile = readFileSync(dockerfileOf(), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/RUN npm ci\b/);
    expect(stages[1]).toMatch(/^public\.ecr\.aws\/docker\/library\/node:22-slim\n/);
    expect(stages[1].match(/^COPY .*/gm)).toEqual(['COPY --from=build /out/scanner.js /app/scanner.js']);
    expect(stages[1]).toMatch(/^USER node$/m);
    expect(stages[1]).toMatch(/^CMD \["node", "\/app\/scanner\.js"\]$/m);
    // Self-contained: nothing left to require from node_modules at run time.
    const code = readFileSync(bundle, 'utf8');
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((m) => !m.startsWith('node:'));
    const builtins = new Set(require('node:module').builtinModules as string[]);
    // The CRT signer is an optional require in a try/catch, used only for SigV4a (multi-region access points).
    expect(required.filter((m) => !builtins.has(m) && m !== '@aws-sdk/signature-v4-crt')).toEqual([]);
  });
});

describe('one-time load of logs in S3', () => {
  const total = { sent: 0, ms: 0 };
  let firstRun = new Set<string>();

  it('stops on SIGTERM part-way with exit 0 and an exact checkpoint', async () => {
    const started = Date.now();
    const run = await runScanner({ onLine: (line) => (line.message === 'progress' && line.objectsSent >= 3000 ? 'SIGTERM' : undefined) });
    const ms = Date.now() - started;
    expect(run.signal).toBeNull();
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    // Progress lines while the listing runs: counts and a rate, and no invented total or ETA.
    const progress = run.lines.filter((l) => l.message === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ listingDone: false, eta: expect.stringMatching(/^unknown until the listing ends/) });
    // The Logger leaves out the null fields: no number is printed for what is not known.
    expect(progress[0]).not.toHaveProperty('etaSeconds');
    expect(progress[0]).not.toHaveProperty('remainingObjects');
    expect(progress.at(-1)!.objectsSent).toBeGreaterThanOrEqual(3000);
    expect(progress.at(-1)!.objectsPerSecond).toBeGreaterThan(0);
    expect(messages(run).at(-1)).toMatch(/^stopped; checkpoint written at .*a rerun resumes after it and sends no object twice/);

    const cp = await readCheckpoint();
    expect(cp.done).toBe(false);
    expect(cp.startAfter).not.toBeNull();
    const t0 = Date.now();
    const sent = await drainQueue();
    console.log(`first run: ${sent.length} sent in ${ms} ms; drained in ${Date.now() - t0} ms`);
    expect(duplicates(sent)).toEqual([]);
    // Exact: the messages are precisely the matching keys up to the checkpoint (this key set sorts alike everywhere).
    const expected = [...matching].filter((k) => k <= cp.startAfter!).sort();
    expect(sent.sort()).toEqual(expected);
    expect(cp.objectsSent).toBe(sent.length);
    expect(sent.length).toBeGreaterThanOrEqual(3000);
    expect(sent.length).toBeLessThan(MATCHING); // really part-way
    total.sent += sent.length;
    total.ms += ms;
    firstRun = new Set(sent);
  });

  it('resumes after the checkpoint and sends the rest, no object twice, nothing outside prefix and suffix', async () => {
    const started = Date.now();
    const run = await runScanner();
    const ms = Date.now() - started;
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(messages(run)).toContain('resuming from the checkpoint');
    const final = run.lines.at(-1)!;
    expect(final.message).toMatch(/^scan complete/);

    const sent = await drainQueue();
    const first = firstRun;
    expect(duplicates(sent)).toEqual([]);
    expect(sent.filter((k) => first.has(k))).toEqual([]);
    expect([...first, ...sent].sort()).toEqual([...matching].sort());
    expect(sent.filter((k) => notMatching.includes(k))).toEqual([]);

    const cp = await readCheckpoint();
    expect(cp).toMatchObject({ done: true, objectsSent: MATCHING, runs: 2 });
    // Its metrics say the same: what this run sent, and a scan that did not fail (the scanner-failed alarm's metric).
    const sum = (name: string) => run.metrics.filter((m) => m.name === name).reduce((n, m) => n + m.value, 0);
    expect(sum('ObjectsSent')).toBe(sent.length);
    expect(sum('BytesSent')).toBe(sent.reduce((n, k) => n + sizes.get(k)!, 0));
    expect(run.metrics.filter((m) => m.name === 'ScanFailed').map((m) => m.value)).toEqual([0]);
    total.sent += sent.length;
    total.ms += ms;
    console.log(
      `scanner: ${total.sent} objects sent in ${total.ms} ms over two runs (process start included) = ` +
        `${Math.round(total.sent / (total.ms / 1000))} objects/s; second run reported ${final.objectsPerSecond} objects/s; bundle ${bundleBytes} bytes`,
    );
  });

  it('sends nothing on a third run and says why', async () => {
    const run = await runScanner();
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(messages(run).at(-1)).toMatch(/^nothing to send: the checkpoint s3:\/\/state\/_logtong\/scanner\/web\.json says this scan finished.*delete it to scan again/);
    const attrs = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(attrs.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    expect(await drainQueue()).toEqual([]);
  });

  it('after a crash (SIGKILL) resends at most the page that was in flight', async () => {
    const crashQueue = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'copy-crash', Attributes: { VisibilityTimeout: '300' } }))).QueueUrl!;
    const key = '_logtong/scanner/crash.json';
    const crashed = await runScanner({
      queue: crashQueue,
      checkpointKey: key,
      onLine: (line) => (line.message === 'progress' && line.objectsSent >= 2500 ? 'SIGKILL' : undefined),
    });
    expect(crashed.signal).toBe('SIGKILL');
    const cp = await readCheckpoint(key);
    expect(cp.done).toBe(false);
    const before = await drainQueue(crashQueue);
    expect(duplicates(before)).toEqual([]);

    const rerun = await runScanner({ queue: crashQueue, checkpointKey: key });
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: '' });
    const after = await drainQueue(crashQueue);
    expect(duplicates(after)).toEqual([]);
    expect([...new Set([...before, ...after])].sort()).toEqual([...matching].sort());
    // The only objects sent twice are those after the last checkpoint: part of one listed page (1,000 keys).
    const sentBefore = new Set(before);
    const twice = after.filter((k) => sentBefore.has(k)).sort();
    expect(twice).toEqual(before.filter((k) => k > cp.startAfter!).sort());
    expect(twice.length).toBeLessThanOrEqual(1000);
    console.log(`crash: ${before.length} sent before SIGKILL, checkpoint had ${cp.objectsSent}; ${twice.length} sent again by the rerun`);
  });
});
