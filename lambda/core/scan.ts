/**
 * The one-time S3 load: list a bucket by prefix, send one S3-event-shaped message per matching object to the copy
 * queue, checkpoint the continuation point. Pure: the listing, the queue, the checkpoint object and the clock come in
 * as small interfaces (lambda/scanner/main.ts wires them to S3 and SQS), so every path is unit-testable.
 *
 * Delivery guarantees, by how the previous run ended:
 *  - finished: the checkpoint says `done`; a rerun sends nothing until the checkpoint object is deleted.
 *  - graceful stop (SIGTERM) or a hard error: sends in flight are finished, then the checkpoint records the last key
 *    such that it and every key listed before it was sent (or did not match the suffix). A rerun lists with
 *    StartAfter = that key, so after a graceful stop no object is sent twice. After a hard error, batches that were
 *    in flight beside the failing one and succeeded lie after the checkpoint and are sent again.
 *  - crash (SIGKILL, OOM, lost task): nothing is written at the end, so the objects sent since the last checkpoint
 *    (at most one listed page: 1,000 keys) are sent again by the rerun. The copy stage tolerates that: a staging key
 *    is a function of the source key, so a second copy overwrites the first.
 *
 * Messages carry one object each: the copy Lambda fails and retries per message, so one bad object must not drag
 * others through retries and into the DLQ with it.
 */
import { s3EventMessage } from './s3-event';

export interface ScanTarget {
  readonly bucket: string;
  readonly prefix: string;
  /** '' matches every key. */
  readonly suffix: string;
}

export interface ListedObject {
  /** The real key, already decoded if the listing used EncodingType=url. */
  readonly key: string;
  readonly size: number;
  /** As ListObjectsV2 returns it, quotes included or not. */
  readonly etag?: string;
}

/** Where the next page starts: S3 takes StartAfter on the first request and the opaque token after that. */
export interface ListCursor {
  readonly startAfter?: string;
  readonly continuationToken?: string;
}

export interface ListedPage {
  /** In listing order (S3: ascending UTF-8 byte order). */
  readonly objects: readonly ListedObject[];
  /** Absent on the last page. */
  readonly nextContinuationToken?: string;
}

export interface BatchEntry {
  /** Unique within the batch; SQS allows [A-Za-z0-9_-]{1,80}. */
  readonly id: string;
  readonly body: string;
}

export interface FailedEntry {
  readonly id: string;
  readonly code?: string;
  readonly message?: string;
  /** SQS's verdict that the entry itself is wrong (too big, bad characters): resending it cannot succeed. */
  readonly senderFault?: boolean;
}

export interface BatchResult {
  readonly successful: readonly string[];
  readonly failed: readonly FailedEntry[];
}

export interface ScanDeps {
  listPage(cursor: ListCursor): Promise<ListedPage>;
  /** At most SEND_BATCH_SIZE entries. May throw: the whole batch then counts as failed and is retried. */
  sendBatch(entries: readonly BatchEntry[]): Promise<BatchResult>;
  /** The checkpoint document, or undefined when there is none yet. */
  loadCheckpoint(): Promise<string | undefined>;
  saveCheckpoint(body: string): Promise<void>;
  clock: Clock;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface ScanOptions {
  /** Batches in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Attempts per entry before the run fails. @default 6 */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per attempt up to maxDelayMs. @default 100 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
  /** Aborted = stop gracefully: no new batch starts, the ones in flight finish, the checkpoint is written. */
  readonly signal?: AbortSignal;
  /** The start (with the live progress record, updated in place), retries and checkpoints: for the log. */
  readonly onEvent?: (event: ScanEvent) => void;
}

export type ScanEvent =
  | { readonly type: 'start'; readonly progress: Progress; readonly resumeAfter: string | null }
  | { readonly type: 'retry'; readonly attempt: number; readonly entries: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'checkpoint'; readonly checkpoint: Checkpoint };

export const SEND_BATCH_SIZE = 10;

// ---- suffix filter and message bodies -------------------------------------------------------------------------

export function matchesSuffix(key: string, suffix: string): boolean {
  return key.endsWith(suffix);
}

/** ListObjectsV2 quotes ETags, S3 event records do not. */
function bareEtag(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}

/** The body S3 would have sent for the object: objectsFromMessage (the copy handler) reads it back exactly. */
export function scanMessageBody(bucket: string, object: ListedObject): string {
  return s3EventMessage([{ bucket, key: object.key, size: object.size, etag: bareEtag(object.etag) }]);
}

// ---- checkpoint document --------------------------------------------------------------------------------------

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  readonly version: typeof CHECKPOINT_VERSION;
  readonly bucket: string;
  readonly prefix: string;
  readonly suffix: string;
  /** Every key up to and including this one is handled; null before the first page. */
  readonly startAfter: string | null;
  /** The listing ended and everything was sent: a rerun sends nothing. */
  readonly done: boolean;
  /** Totals over every run up to startAfter. */
  readonly objectsListed: number;
  readonly objectsSent: number;
  readonly bytesSent: number;
  readonly runs: number;
  readonly updatedAt: string;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function newCheckpoint(target: ScanTarget, now: number): Checkpoint {
  return {
    version: CHECKPOINT_VERSION,
    bucket: target.bucket,
    prefix: target.prefix,
    suffix: target.suffix,
    startAfter: null,
    done: false,
    objectsListed: 0,
    objectsSent: 0,
    bytesSent: 0,
    runs: 0,
    updatedAt: new Date(now).toISOString(),
  };
}

export function serializeCheckpoint(cp: Checkpoint): string {
  return `${JSON.stringify(cp, null, 2)}\n`;
}

/**
 * Reads a checkpoint and, given the target, refuses one written for another bucket, prefix or suffix: resuming it
 * would skip or resend objects. Any doubt is an error, never a silent restart from the beginning.
 */
export function parseCheckpoint(text: string, target?: ScanTarget): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CheckpointError(`checkpoint is not JSON: ${JSON.stringify(text.slice(0, 60))}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CheckpointError('checkpoint is not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`checkpoint version ${JSON.stringify(o.version)} is not supported (expected ${CHECKPOINT_VERSION})`);
  }
  const str = (name: string): string => {
    if (typeof o[name] !== 'string') throw new CheckpointError(`checkpoint field ${name} must be a string, got ${JSON.stringify(o[name])}`);
    return o[name] as string;
  };
  const count = (name: string): number => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new CheckpointError(`checkpoint field ${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  if (o.startAfter !== null && typeof o.startAfter !== 'string') {
    throw new CheckpointError(`checkpoint field startAfter must be a string or null, got ${JSON.stringify(o.startAfter)}`);
  }
  if (typeof o.done !== 'boolean') throw new CheckpointError(`checkpoint field done must be true or false, got ${JSON.stringify(o.done)}`);
  const cp: Checkpoint = {
    version: CHECKPOINT_VERSION,
    bucket: str('bucket'),
    prefix: str('prefix'),
    suffix: str('suffix'),
    startAfter: o.startAfter,
    done: o.done,
    objectsListed: count('objectsListed'),
    objectsSent: count('objectsSent'),
    bytesSent: count('bytesSent'),
    runs: count('runs'),
    updatedAt: str('updatedAt'),
  };
  if (cp.startAfter !== null && !cp.startAfter.startsWith(cp.prefix)) {
    throw new CheckpointError(`checkpoint startAfter ${JSON.stringify(cp.startAfter)} is not under its prefix ${JSON.stringify(cp.prefix)}`);
  }
  if (target) {
    for (const field of ['bucket', 'prefix', 'suffix'] as const) {
      if (cp[field] !== target[field]) {
        throw new CheckpointError(
          `checkpoint belongs to another scan: its ${field} is ${JSON.stringify(cp[field])}, this scan's is ${JSON.stringify(target[field])} ` +
            '(delete the checkpoint object to start this scan from the beginning)',
        );
      }
    }
  }
  return cp;
}

// ---- progress -------------------------------------------------------------------------------------------------

export interface Progress {
  readonly startedAt: number;
  pages: number;
  objectsListed: number;
  bytesListed: number;
  objectsMatched: number;
  bytesMatched: number;
  objectsSent: number;
  bytesSent: number;
  retries: number;
  /** The last page has been listed: from here the remaining work is known. */
  listingDone: boolean;
  /** Sent by earlier runs of this scan (from the checkpoint). */
  readonly previouslySent: number;
}

export function newProgress(startedAt: number, previouslySent = 0): Progress {
  return {
    startedAt,
    pages: 0,
    objectsListed: 0,
    bytesListed: 0,
    objectsMatched: 0,
    bytesMatched: 0,
    objectsSent: 0,
    bytesSent: 0,
    retries: 0,
    listingDone: false,
    previouslySent,
  };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/**
 * One progress record (rates are this run's). S3 says how many keys there are only by listing them all, and the
 * scanner lists as it sends, so until the last page is in, neither a total nor an ETA exists; the line says so
 * instead of guessing from pages.
 */
export function progressLine(p: Progress, now: number): Record<string, unknown> & { summary: string } {
  const seconds = Math.max((now - p.startedAt) / 1000, 0.001);
  const objectsPerSecond = Math.round(p.objectsSent / seconds);
  const bytesPerSecond = Math.round(p.bytesSent / seconds);
  const remaining = p.objectsMatched - p.objectsSent;
  const etaSeconds = p.listingDone ? (remaining === 0 ? 0 : objectsPerSecond > 0 ? Math.ceil(remaining / objectsPerSecond) : null) : null;
  const eta = p.listingDone
    ? etaSeconds === null
      ? 'unknown: nothing sent yet to measure a rate'
      : `${etaSeconds}s`
    : 'unknown until the listing ends (S3 gives no object count in advance)';
  const summary =
    `${p.objectsSent} objects (${formatBytes(p.bytesSent)}) sent of ${p.objectsMatched} matching, ${p.objectsListed} listed in ${p.pages} pages; ` +
    `${objectsPerSecond} objects/s, ${formatBytes(bytesPerSecond)}/s; ` +
    (p.listingDone ? `${remaining} to go, ETA ${eta}` : 'listing continues, total unknown');
  return {
    summary,
    elapsedSeconds: Math.round(seconds),
    pages: p.pages,
    objectsListed: p.objectsListed,
    bytesListed: p.bytesListed,
    objectsMatched: p.objectsMatched,
    bytesMatched: p.bytesMatched,
    objectsSent: p.objectsSent,
    bytesSent: p.bytesSent,
    objectsSentAllRuns: p.previouslySent + p.objectsSent,
    objectsPerSecond,
    bytesPerSecond,
    retries: p.retries,
    listingDone: p.listingDone,
    remainingObjects: p.listingDone ? remaining : null,
    etaSeconds,
    eta,
  };
}

// ---- the scan loop --------------------------------------------------------------------------------------------

export type ScanOutcome = 'completed' | 'stopped' | 'already-done';

export interface ScanResult {
  readonly outcome: ScanOutcome;
  readonly checkpoint: Checkpoint;
  readonly progress: Progress;
}

/** Fails the run: an object could not be sent. Carries the checkpoint that was still written, if any. */
export class ScanError extends Error {
  checkpoint?: Checkpoint;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScanError';
  }
}

interface Settings extends ScanOptions {
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

interface Batch {
  readonly objects: readonly ListedObject[];
  readonly entries: readonly BatchEntry[];
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Sends one batch until every entry is accepted. Only entries SQS did not confirm are resent; a sender fault or an
 * entry still failing after maxAttempts ends the run, because skipping it would lose the object silently.
 */
async function sendWithRetry(bucket: string, batch: Batch, deps: ScanDeps, opts: Settings, progress: Progress): Promise<void> {
  let pending = batch.entries;
  for (let attempt = 1; ; attempt++) {
    let failures: FailedEntry[];
    try {
      const res = await deps.sendBatch(pending);
      const ok = new Set(res.successful);
      const reported = new Map(res.failed.map((f) => [f.id, f]));
      // An entry neither confirmed nor reported failed is treated as failed: absence of an error is not delivery.
      failures = pending.filter((e) => !ok.has(e.id)).map((e) => reported.get(e.id) ?? { id: e.id, code: 'NoResult', message: 'SQS returned no result for the entry' });
    } catch (err) {
      failures = pending.map((e) => ({ id: e.id, code: 'RequestFailed', message: errorText(err) }));
    }
    if (failures.length === 0) return;
    const keyOf = (id: string) => batch.objects[Number(id)]?.key;
    const describe = (f: FailedEntry) => `s3://${bucket}/${keyOf(f.id)}: ${f.code ?? 'Error'} ${f.message ?? ''}`.trim();
    const fatal = failures.find((f) => f.senderFault);
    if (fatal) throw new ScanError(`SQS refused the message for ${describe(fatal)} (sender fault: resending cannot help)`);
    if (attempt >= opts.maxAttempts) {
      throw new ScanError(`could not send ${failures.length} message(s) after ${attempt} attempts; first: ${describe(failures[0])}`);
    }
    const delayMs = Math.min(opts.baseDelayMs * 2 ** (attempt - 1), opts.maxDelayMs);
    progress.retries += failures.length;
    opts.onEvent?.({ type: 'retry', attempt, entries: failures.length, delayMs, reason: describe(failures[0]) });
    await deps.clock.sleep(delayMs);
    const again = new Set(failures.map((f) => f.id));
    pending = pending.filter((e) => again.has(e.id));
  }
}

/**
 * Sends a page's batches, `concurrency` at a time, started in order. On abort or failure no new batch starts and
 * the ones in flight finish, so the completed batches are always a prefix: `completed` of them.
 */
async function sendPage(
  bucket: string,
  batches: readonly Batch[],
  deps: ScanDeps,
  opts: Settings,
  progress: Progress,
): Promise<{ completed: number; failure?: unknown }> {
  const done = new Array<boolean>(batches.length).fill(false);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && !opts.signal?.aborted && next < batches.length) {
      const i = next++;
      try {
        await sendWithRetry(bucket, batches[i], deps, opts, progress);
        done[i] = true;
        for (const o of batches[i].objects) {
          progress.objectsSent++;
          progress.bytesSent += o.size;
        }
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, batches.length) }, worker));
  let completed = 0;
  while (completed < batches.length && done[completed]) completed++;
  return { completed, failure };
}

function toBatches(bucket: string, objects: readonly ListedObject[]): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i < objects.length; i += SEND_BATCH_SIZE) {
    const slice = objects.slice(i, i + SEND_BATCH_SIZE);
    batches.push({ objects: slice, entries: slice.map((o, j) => ({ id: String(j), body: scanMessageBody(bucket, o) })) });
  }
  return batches;
}

const sum = (objects: readonly ListedObject[]) => objects.reduce((n, o) => n + o.size, 0);

/** Lists, filters, sends and checkpoints until the listing ends, the signal aborts, or an object cannot be sent. */
export async function runScan(target: ScanTarget, deps: ScanDeps, options: ScanOptions = {}): Promise<ScanResult> {
  const opts: Settings = {
    ...options,
    concurrency: options.concurrency ?? 8,
    maxAttempts: options.maxAttempts ?? 6,
    baseDelayMs: options.baseDelayMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 5000,
  };
  if (!(opts.concurrency >= 1 && opts.maxAttempts >= 1)) throw new Error('concurrency and maxAttempts must be at least 1');
  const stored = await deps.loadCheckpoint();
  const startedAt = deps.clock.now();
  const previous = stored === undefined ? newCheckpoint(target, startedAt) : parseCheckpoint(stored, target);
  const progress = newProgress(startedAt, previous.objectsSent);
  if (previous.done) return { outcome: 'already-done', checkpoint: previous, progress };
  opts.onEvent?.({ type: 'start', progress, resumeAfter: previous.startAfter });

  // What the checkpoint may claim: only keys whose page prefix is entirely sent.
  let handled = { startAfter: previous.startAfter, objectsListed: previous.objectsListed, objectsSent: previous.objectsSent, bytesSent: previous.bytesSent };
  let checkpoint = previous;
  let unsaved = true;
  const save = async (done: boolean) => {
    unsaved = false;
    checkpoint = { ...checkpoint, ...handled, done, runs: previous.runs + 1, updatedAt: new Date(deps.clock.now()).toISOString() };
    await deps.saveCheckpoint(serializeCheckpoint(checkpoint));
    opts.onEvent?.({ type: 'checkpoint', checkpoint });
  };
  const list = (cursor: ListCursor) => {
    const p = deps.listPage(cursor);
    p.catch(() => undefined); // a prefetched page may be abandoned on stop; its failure is seen only if awaited
    return p;
  };

  let listing = list(previous.startAfter === null ? {} : { startAfter: previous.startAfter });
  for (;;) {
    if (opts.signal?.aborted) {
      if (unsaved) await save(false);
      return { outcome: 'stopped', checkpoint, progress };
    }
    const page = await listing;
    // Listing the next page while this one is sent keeps the queue busy.
    if (page.nextContinuationToken !== undefined) listing = list({ continuationToken: page.nextContinuationToken });
    progress.pages++;
    progress.objectsListed += page.objects.length;
    progress.bytesListed += sum(page.objects);
    progress.listingDone = page.nextContinuationToken === undefined;
    const matching = page.objects.filter((o) => matchesSuffix(o.key, target.suffix));
    progress.objectsMatched += matching.length;
    progress.bytesMatched += sum(matching);

    const batches = toBatches(target.bucket, matching);
    const { completed, failure } = await sendPage(target.bucket, batches, deps, opts, progress);
    const sent = batches.slice(0, completed).flatMap((b) => b.objects);
    const whole = completed === batches.length && failure === undefined;
    const through = whole ? page.objects.at(-1) : sent.at(-1);
    // Keys between the last sent one and the first unsent one did not match the suffix; they are listed again on
    // resume, which costs nothing and keeps the rule simple.
    const listedThrough = through ? page.objects.indexOf(through) + 1 : 0;
    unsaved = true;
    handled = {
      startAfter: through?.key ?? handled.startAfter,
      objectsListed: handled.objectsListed + listedThrough,
      objectsSent: handled.objectsSent + sent.length,
      bytesSent: handled.bytesSent + sum(sent),
    };
    if (failure !== undefined) {
      const err = failure instanceof ScanError ? failure : new ScanError(errorText(failure), { cause: failure });
      try {
        await save(false);
        err.checkpoint = checkpoint;
      } catch (saveErr) {
        err.message += `; the checkpoint could not be written either (${errorText(saveErr)}), a rerun resumes from the previous one`;
      }
      throw err;
    }
    if (!whole) {
      await save(false);
      return { outcome: 'stopped', checkpoint, progress };
    }
    const finished = page.nextContinuationToken === undefined;
    await save(finished);
    if (finished) return { outcome: 'completed', checkpoint, progress };
  }
}
