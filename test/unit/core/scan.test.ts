import { objectsFromMessage } from '../../../lambda/core/s3-event';
import {
  CheckpointError,
  matchesSuffix,
  newCheckpoint,
  newProgress,
  parseCheckpoint,
  progressLine,
  runScan,
  scanMessageBody,
  ScanError,
  serializeCheckpoint,
  type BatchEntry,
  type BatchResult,
  type ListCursor,
  type ListedObject,
  type ListedPage,
  type ScanDeps,
  type ScanTarget,
} from '../../../lambda/core/scan';

const TRICKY_KEYS = [
  'logs/plain.log',
  'logs/with space.log',
  'logs/a+b.log',
  'logs/a +b%2B%20c.log',
  'logs/日志/访问 日志.gz',
  'logs/emoji-🪵.log',
  "logs/!'()*~.log",
  'logs/q?x=1&y=2#frag.log',
  'logs/double//slash/',
  'logs/ trailing space ',
  'logs/+++',
  'logs/ü-ümlaut-é.log',
];

describe('scan message bodies', () => {
  it.each(TRICKY_KEYS)('round-trips %j through objectsFromMessage', (key) => {
    const body = scanMessageBody('src-bucket', { key, size: 42, etag: '"0123abcd-3"' });
    expect(objectsFromMessage(body)).toEqual([{ bucket: 'src-bucket', key, size: 42, etag: '0123abcd-3', versionId: undefined }]);
  });

  it('encodes keys the way S3 notifications do: + for a space, %2B for a plus, slashes kept', () => {
    const record = JSON.parse(scanMessageBody('b', { key: 'dir/a b+c%.log', size: 1 })).Records[0];
    expect(record.s3.object.key).toBe('dir/a+b%2Bc%25.log');
    expect(record).toMatchObject({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' } } });
  });
});

describe('suffix filter', () => {
  it('matches the end of the key only, case-sensitively; empty matches all', () => {
    expect(matchesSuffix('a/x.log.gz', '.gz')).toBe(true);
    expect(matchesSuffix('a/x.gz.tmp', '.gz')).toBe(false);
    expect(matchesSuffix('a/x.GZ', '.gz')).toBe(false);
    expect(matchesSuffix('anything', '')).toBe(true);
  });
});

const TARGET: ScanTarget = { bucket: 'src', prefix: 'logs/', suffix: '.gz' };

describe('checkpoint document', () => {
  const good = { ...newCheckpoint(TARGET, 0), startAfter: 'logs/0042.gz', objectsSent: 40, objectsListed: 43, bytesSent: 900, runs: 2 };

  it('round-trips', () => {
    expect(parseCheckpoint(serializeCheckpoint(good), TARGET)).toEqual(good);
  });

  it.each([
    ['not JSON', 'garbage{', /not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['another version', JSON.stringify({ ...good, version: 2 }), /version 2 is not supported/],
    ['a missing bucket', JSON.stringify({ ...good, bucket: undefined }), /field bucket must be a string/],
    ['a negative count', JSON.stringify({ ...good, objectsSent: -1 }), /objectsSent must be a non-negative integer/],
    ['a fractional count', JSON.stringify({ ...good, bytesSent: 1.5 }), /bytesSent must be a non-negative integer/],
    ['a numeric startAfter', JSON.stringify({ ...good, startAfter: 7 }), /startAfter must be a string or null/],
    ['done as a string', JSON.stringify({ ...good, done: 'yes' }), /done must be true or false/],
    ['startAfter outside the prefix', JSON.stringify({ ...good, startAfter: 'other/1.gz' }), /not under its prefix/],
  ])('rejects %s with a clear error', (_what, text, message) => {
    expect(() => parseCheckpoint(text, TARGET)).toThrow(CheckpointError);
    expect(() => parseCheckpoint(text, TARGET)).toThrow(message);
  });

  it('refuses the checkpoint of another bucket, prefix or suffix', () => {
    for (const other of [{ bucket: 'elsewhere' }, { prefix: 'logs/2025/' }, { suffix: '.log' }]) {
      expect(() => parseCheckpoint(serializeCheckpoint(good), { ...TARGET, ...other })).toThrow(/belongs to another scan.*delete the checkpoint/);
    }
  });
});

describe('progress line', () => {
  it('admits that the total and the ETA are unknown while the listing runs, and computes them once it ended', () => {
    const p = newProgress(0, 100);
    Object.assign(p, { pages: 3, objectsListed: 3000, objectsMatched: 2500, objectsSent: 2000, bytesSent: 2 * 1024 ** 2 });
    const running = progressLine(p, 4000);
    expect(running).toMatchObject({ objectsPerSecond: 500, remainingObjects: null, etaSeconds: null, objectsSentAllRuns: 2100 });
    expect(running.eta).toMatch(/unknown until the listing ends/);
    expect(running.summary).toMatch(/2000 objects \(2\.0 MiB\) sent of 2500 matching.*500 objects\/s.*total unknown/);
    p.listingDone = true;
    const ending = progressLine(p, 4000);
    expect(ending).toMatchObject({ remainingObjects: 500, etaSeconds: 1, eta: '1s' });
  });
});

// ---- the scan loop against fakes -------------------------------------------------------------------------------

/** A bucket listing with S3's semantics: sorted keys, StartAfter, an opaque continuation token, pages of `pageSize`. */
function fakeBucket(keys: string[], pageSize: number) {
  const sorted = [...keys].sort();
  const cursors: ListCursor[] = [];
  const listPage = async (cursor: ListCursor): Promise<ListedPage> => {
    cursors.push(cursor);
    const after = cursor.continuationToken !== undefined ? Buffer.from(cursor.continuationToken, 'base64').toString() : cursor.startAfter;
    const rest = sorted.filter((k) => k.startsWith(TARGET.prefix) && (after === undefined || k > after));
    const page = rest.slice(0, pageSize);
    return {
      objects: page.map((key): ListedObject => ({ key, size: key.length, etag: `"${key.length}"` })),
      nextContinuationToken: rest.length > pageSize ? Buffer.from(page.at(-1)!).toString('base64') : undefined,
    };
  };
  return { listPage, cursors };
}

/** A queue that records what it accepted; `reject` decides per entry and attempt whether it fails. */
function fakeQueue(reject: (key: string, call: number) => { code: string; senderFault?: boolean } | 'omit' | undefined = () => undefined) {
  const accepted: string[] = [];
  const batches: string[][] = [];
  let calls = 0;
  const sendBatch = async (entries: readonly BatchEntry[]): Promise<BatchResult> => {
    calls++;
    const keys = entries.map((e) => objectsFromMessage(e.body)[0].key);
    batches.push(keys);
    const successful: string[] = [];
    const failed: BatchResult['failed'][number][] = [];
    entries.forEach((e, i) => {
      const verdict = reject(keys[i], calls);
      if (verdict === 'omit') return;
      if (verdict) failed.push({ id: e.id, code: verdict.code, message: 'injected', senderFault: verdict.senderFault ?? false });
      else {
        successful.push(e.id);
        accepted.push(keys[i]);
      }
    });
    await Promise.resolve();
    return { successful, failed };
  };
  return { sendBatch, accepted, batches, calls: () => calls };
}

function memoryCheckpoint(initial?: string) {
  const saved: string[] = [];
  let current = initial;
  return {
    saved,
    current: () => current,
    loadCheckpoint: async () => current,
    saveCheckpoint: async (body: string) => {
      saved.push(body);
      current = body;
    },
  };
}

function fakeClock() {
  const sleeps: number[] = [];
  let t = 1_000_000;
  return { sleeps, clock: { now: () => (t += 10), sleep: async (ms: number) => void sleeps.push(ms) } };
}

const pad = (i: number) => String(i).padStart(4, '0');
/** 95 matching keys (.gz) interleaved with 20 that do not match, plus keys outside the prefix. */
function keySet(): { all: string[]; matching: string[] } {
  const matching = Array.from({ length: 95 }, (_, i) => `logs/${pad(i)}.gz`);
  const other = Array.from({ length: 20 }, (_, i) => `logs/${pad(i * 5)}.txt`);
  const outside = ['app/0001.gz', 'logsx/0001.gz', 'zzz.gz'];
  return { all: [...matching, ...other, ...outside], matching };
}

function deps(bucket: ReturnType<typeof fakeBucket>, queue: ReturnType<typeof fakeQueue>, cp: ReturnType<typeof memoryCheckpoint>, clock = fakeClock().clock): ScanDeps {
  return { listPage: bucket.listPage, sendBatch: queue.sendBatch, loadCheckpoint: cp.loadCheckpoint, saveCheckpoint: cp.saveCheckpoint, clock };
}

describe('runScan', () => {
  it('sends every matching object once in batches of 10, checkpoints per page, and finishes with a done checkpoint', async () => {
    const { all, matching } = keySet();
    const bucket = fakeBucket(all, 40);
    const queue = fakeQueue();
    const cp = memoryCheckpoint();
    const result = await runScan(TARGET, deps(bucket, queue, cp), { concurrency: 3 });

    expect(result.outcome).toBe('completed');
    expect([...queue.accepted].sort()).toEqual(matching);
    // Pages hold 33, 33 and 29 matching keys: full batches of 10, one short batch per page, in listing order.
    expect(queue.batches.map((b) => b.length)).toEqual([10, 10, 10, 3, 10, 10, 10, 3, 10, 10, 9]);
    expect(queue.batches.flat()).toEqual(matching);
    // 115 keys under the prefix in pages of 40: three pages, three checkpoints, the last one done.
    expect(bucket.cursors).toHaveLength(3);
    expect(cp.saved.map((s) => JSON.parse(s).done)).toEqual([false, false, true]);
    const final = parseCheckpoint(cp.current()!, TARGET);
    // The last listed key, though it does not match: all of the listing is handled.
    expect(final).toMatchObject({ done: true, startAfter: 'logs/0095.txt', objectsSent: 95, objectsListed: 115, runs: 1 });
    expect(final.bytesSent).toBe(matching.reduce((n, k) => n + k.length, 0));
    expect(result.progress).toMatchObject({ objectsSent: 95, objectsMatched: 95, objectsListed: 115, listingDone: true });

    const again = fakeQueue();
    const rerun = await runScan(TARGET, deps(fakeBucket(all, 40), again, cp));
    expect(rerun.outcome).toBe('already-done');
    expect(again.calls()).toBe(0);
  });

  it('resends only the entries SQS failed or did not answer for, with growing delays', async () => {
    const { all, matching } = keySet();
    const failOnce = new Map<string, number>([['logs/0003.gz', 0], ['logs/0007.gz', 0], ['logs/0051.gz', 0]]);
    const queue = fakeQueue((key) => {
      if (!failOnce.has(key)) return undefined;
      const n = failOnce.get(key)!;
      failOnce.set(key, n + 1);
      if (key === 'logs/0051.gz') return n < 1 ? 'omit' : undefined;
      return n < 2 ? { code: 'InternalError' } : undefined;
    });
    const { sleeps, clock } = fakeClock();
    const result = await runScan(TARGET, deps(fakeBucket(all, 40), queue, memoryCheckpoint(), clock), { concurrency: 1, baseDelayMs: 100 });

    expect(result.outcome).toBe('completed');
    expect([...queue.accepted].sort()).toEqual(matching); // each exactly once: no duplicates from the retries
    expect(queue.batches).toContainEqual(['logs/0003.gz', 'logs/0007.gz']); // the retry carries only the failed entries
    expect(queue.batches).toContainEqual(['logs/0051.gz']);
    expect(sleeps).toEqual([100, 200, 100]);
    expect(result.progress.retries).toBe(5);
  });

  it('retries a batch whose request threw', async () => {
    const { all, matching } = keySet();
    const queue = fakeQueue();
    let thrown = 0;
    const send = queue.sendBatch;
    const d = { ...deps(fakeBucket(all, 40), queue, memoryCheckpoint()), sendBatch: async (e: readonly BatchEntry[]) => (thrown++ < 2 ? Promise.reject(new Error('socket hang up')) : send(e)) };
    expect((await runScan(TARGET, d)).outcome).toBe('completed');
    expect([...queue.accepted].sort()).toEqual(matching);
  });

  it('fails the run loudly on an entry that keeps failing, after checkpointing what precedes it', async () => {
    const { all, matching } = keySet();
    const queue = fakeQueue((key) => (key === 'logs/0047.gz' ? { code: 'KmsThrottled' } : undefined));
    const cp = memoryCheckpoint();
    const run = runScan(TARGET, deps(fakeBucket(all, 40), queue, cp), { concurrency: 1, maxAttempts: 4 });
    await expect(run).rejects.toThrow(ScanError);
    await expect(run).rejects.toThrow(/could not send 1 message\(s\) after 4 attempts; first: s3:\/\/src\/logs\/0047\.gz: KmsThrottled/);
    expect(queue.batches.filter((b) => b.includes('logs/0047.gz'))).toHaveLength(4);

    // Page 2 starts at logs/0033.gz; its first batch (0033..0042) went out, the second (0043..0052) did not entirely.
    const written = parseCheckpoint(cp.current()!, TARGET);
    expect(written).toMatchObject({ done: false, startAfter: 'logs/0042.gz' });
    expect(queue.accepted).not.toContain('logs/0053.gz'); // no batch starts after the failure

    // Fixed, the rerun resumes after the checkpoint: together the runs sent every object; the only ones sent twice
    // are those the failing batch delivered beside the failing entry, past the checkpoint.
    const fixed = fakeQueue();
    const bucket = fakeBucket(all, 40);
    expect((await runScan(TARGET, deps(bucket, fixed, cp))).outcome).toBe('completed');
    expect(bucket.cursors[0]).toEqual({ startAfter: 'logs/0042.gz' });
    expect([...new Set([...queue.accepted, ...fixed.accepted])].sort()).toEqual(matching);
    const twice = queue.accepted.filter((k) => fixed.accepted.includes(k)).sort();
    expect(twice).toEqual(['0043', '0044', '0045', '0046', '0048', '0049', '0050', '0051', '0052'].map((n) => `logs/${n}.gz`));
  });

  it('does not retry an entry SQS calls a sender fault', async () => {
    const { all } = keySet();
    const queue = fakeQueue((key) => (key === 'logs/0005.gz' ? { code: 'InvalidMessageContents', senderFault: true } : undefined));
    await expect(runScan(TARGET, deps(fakeBucket(all, 40), queue, memoryCheckpoint()), { concurrency: 1 })).rejects.toThrow(
      /refused the message for s3:\/\/src\/logs\/0005\.gz: InvalidMessageContents.*sender fault/,
    );
    expect(queue.batches.filter((b) => b.includes('logs/0005.gz'))).toHaveLength(1);
  });

  it('stops gracefully: in-flight batches finish, the checkpoint is exact, and the resumed run sends no object twice', async () => {
    const { all, matching } = keySet();
    const stop = new AbortController();
    const first = fakeQueue((_key, call) => {
      if (call === 6) stop.abort(); // mid page 2, with other batches in flight
      return undefined;
    });
    const cp = memoryCheckpoint();
    const result = await runScan(TARGET, deps(fakeBucket(all, 40), first, cp), { concurrency: 3, signal: stop.signal });
    expect(result.outcome).toBe('stopped');
    const stopped = parseCheckpoint(cp.current()!, TARGET);
    expect(stopped.done).toBe(false);
    // Everything up to the checkpoint was sent, nothing after it.
    const sorted = [...first.accepted].sort();
    expect(stopped.startAfter).toBe(sorted.at(-1));
    expect(sorted).toEqual(matching.filter((k) => k <= stopped.startAfter!));
    expect(stopped.objectsSent).toBe(first.accepted.length);
    expect(first.accepted.length).toBeGreaterThan(40);
    expect(first.accepted.length).toBeLessThan(95);

    const second = fakeQueue();
    const resumed = await runScan(TARGET, deps(fakeBucket(all, 40), second, cp), { concurrency: 3 });
    expect(resumed.outcome).toBe('completed');
    const both = [...first.accepted, ...second.accepted].sort();
    expect(both).toEqual(matching);
    expect(parseCheckpoint(cp.current()!, TARGET)).toMatchObject({ done: true, objectsSent: 95, runs: 2 });
  });

  it('refuses to resume the checkpoint of another prefix, before listing anything', async () => {
    const { all } = keySet();
    const bucket = fakeBucket(all, 40);
    const cp = memoryCheckpoint(serializeCheckpoint(newCheckpoint({ ...TARGET, prefix: 'old/' }, 0)));
    await expect(runScan(TARGET, deps(bucket, fakeQueue(), cp))).rejects.toThrow(/another scan: its prefix is "old\/"/);
    expect(bucket.cursors).toHaveLength(0);
  });

  it('finishes an empty listing with a done checkpoint', async () => {
    const cp = memoryCheckpoint();
    const result = await runScan(TARGET, deps(fakeBucket([], 40), fakeQueue(), cp));
    expect(result.outcome).toBe('completed');
    expect(parseCheckpoint(cp.current()!, TARGET)).toMatchObject({ done: true, startAfter: null, objectsSent: 0 });
  });
});
