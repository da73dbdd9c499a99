/**
 * The Light Engine batch's two steps over the staging bucket, as pure orchestration over a BucketStore:
 *
 * - List: the manifests a failed run left behind come first, unchanged, so their output keys repeat and overwrite
 *   instead of duplicating; the rest of the staged objects are grouped into new manifests. Only manifest keys are
 *   returned, so the state's payload stays small whatever the backlog. One List at a time per pipeline (its lock,
 *   lease.ts): each sees every manifest the one before it wrote, so no staged object is ever in two manifests.
 * - Convert: one manifest's objects → Parquet (convertBatch), under the manifest's lease: one Convert per batch at a
 *   time, whichever runs offered it. Only when every file is written are the objects moved to `archive/` and the
 *   manifest deleted, so a crash at any point leaves the batch to be retried whole, writing the same keys again; a
 *   retry whose manifest is gone (the reply of a finished batch was lost) does nothing. So a batch's files change
 *   only while its manifest exists, which is what compaction relies on to leave them alone (compaction.ts).
 */
import { objectIdPrefix } from '../bulk/batcher';
import { UnbalancedCounts } from '../accounting';
import { sourceOfStagingKey } from '../s3-event';
import { convertAccountedFor, convertBatch, type ConvertBatchOptions, type ConvertCounts, type ConvertInput } from './convert';
import { LEASE_MARGIN_MS, SYSTEM_CLOCK, acquireLease, leaseLive, lockSlot, newLease, releaseLock, type LeaseClock, type LeaseSlot } from './lease';
import { MANIFEST_PREFIX, archiveKey, batchIdOf, listLockKey, manifestIdOf, manifestKey, planBatches, type BatchManifest, type StagedObject } from './layout';
import { SILENT, type BucketStore, type StepLog } from './store';

/** When the caller does not say (a test, the CLI): the List and Convert Lambda timeouts. */
const DEFAULT_LIST_MS = 5 * 60_000;
const DEFAULT_CONVERT_MS = 15 * 60_000;

// ---- List ------------------------------------------------------------------------------------------------------

export interface ListOptions {
  readonly pipeline: string;
  /** Raw bytes per batch. */
  readonly maxBytes: number;
  readonly maxObjects: number;
  /** Batches per run, resumed ones included; the rest wait for the next run. */
  readonly maxBatches: number;
  /** Archive lookups in flight at once. @default 16 */
  readonly headConcurrency?: number;
  /** Epoch ms at which this invocation is stopped (its Lambda deadline): its lock lasts until then + LEASE_MARGIN_MS. */
  readonly deadline?: number;
  readonly clock?: LeaseClock;
  readonly log?: StepLog;
}

/** One Convert's work: the manifest, and the run that offers it (its retries may take over their own dead lease). */
export interface BatchRef {
  readonly manifestKey: string;
  readonly run: string;
}

export interface ListResult {
  readonly batches: BatchRef[];
  /** Staged objects listed (claimed or not) and their bytes. */
  readonly staged: number;
  readonly stagedBytes: number;
  /** Batches of earlier runs retried in this one. */
  readonly resumed: number;
  /** Batches a Convert of another run holds right now: left to it, not offered again. */
  readonly busy: number;
  /** Staged objects whose identical copy (same key and ETag) a finished batch had archived: dropped, not converted again. */
  readonly alreadyConverted: number;
}

export async function listBatches(staging: BucketStore, o: ListOptions): Promise<ListResult> {
  const log = o.log ?? SILENT;
  const clock = o.clock ?? SYSTEM_CLOCK;
  const start = clock.now();
  const deadline = o.deadline ?? start + DEFAULT_LIST_MS;
  const me = newLease({ deadline });
  const lockKey = listLockKey(o.pipeline);
  // Another List is writing manifests: wait for it (seconds), so that this one sees them all. Half of this
  // invocation's time at most: a holder that died keeps the lock until its deadline, and a retry comes back for it.
  const lock = await acquireLease(staging, lockSlot(lockKey), me, { clock, othersHeld: 'wait', waitUntil: start + (deadline - start) / 2 });
  if (lock.state !== 'held') throw new Error(`${lockKey}: not acquired (${lock.state})`);
  try {
    return await listUnderLock(staging, o, me.run, clock, log);
  } finally {
    // Not released (an S3 error, or taken over after it expired): it ends by itself; the manifests stand either way.
    await releaseLock(staging, lockKey, lock.etag).then(
      (released) => released || log.warn('list lock was no longer ours to release', { key: lockKey }),
      (e: unknown) => log.error('list lock not released; it expires by itself', { key: lockKey, until: me.until, error: String(e) }),
    );
  }
}

async function listUnderLock(staging: BucketStore, o: ListOptions, run: string, clock: LeaseClock, log: StepLog): Promise<ListResult> {
  const pending: string[] = [];
  let busy = 0;
  const claimed = new Set<string>();
  for await (const m of staging.list(`${MANIFEST_PREFIX}${o.pipeline}/`)) {
    if (manifestIdOf(m.key) === undefined) continue;
    const body = await staging.get(m.key);
    // Listed a moment ago: only a Convert could have finished it since, and then it is not pending.
    if (!body) continue;
    const manifest = JSON.parse(await body.text()) as BatchManifest;
    for (const s of manifest.objects) claimed.add(s.key);
    // Converting right now: its own run retries it or reports its failure; offered again once its lease is gone.
    if (leaseLive(manifest.lease, clock.now())) busy++;
    else pending.push(m.key);
  }

  // Keys are listed in order, so stopping after enough objects for this run keeps the oldest keys first.
  const limit = claimed.size + o.maxBatches * o.maxObjects;
  const listed: StagedObject[] = [];
  let stagedBytes = 0;
  let n = 0;
  for await (const s of staging.list(`${o.pipeline}/`)) {
    stagedBytes += s.size;
    if (!claimed.has(s.key)) listed.push({ key: s.key, etag: s.etag, size: s.size });
    if (++n >= limit) break;
  }
  const { fresh, converted } = await withoutConverted(staging, listed, o.headConcurrency ?? 16, log);
  const room = Math.max(0, o.maxBatches - pending.length - busy);
  const planned = room > 0 ? planBatches(fresh, { maxBytes: o.maxBytes, maxObjects: o.maxObjects, maxBatches: room }) : [];
  const created: string[] = [];
  for (const objects of planned) {
    const id = batchIdOf(objects);
    const key = manifestKey(o.pipeline, id);
    const manifest: BatchManifest = { id, pipeline: o.pipeline, objects };
    // Create-only: a manifest already there (it cannot be, under the lock; defensive) may carry a Convert's lease,
    // which an overwrite would drop. Its members are the same, so it is offered as it is.
    const written = await staging.createJson(key, manifest);
    if (!('etag' in written)) log.warn('manifest already there: offered as it is', { manifestKey: key });
    created.push(key);
  }
  const result: ListResult = {
    batches: [...pending.slice(0, o.maxBatches), ...created].map((k) => ({ manifestKey: k, run })),
    staged: fresh.length + claimed.size,
    stagedBytes,
    resumed: Math.min(pending.length, o.maxBatches),
    busy,
    alreadyConverted: converted,
  };
  log.info('batches listed', { ...result, batches: result.batches.length, created: created.length });
  return result;
}

/**
 * An object staged again after its batch finished (a redelivered copy message, a rescan) has its archived twin
 * under `archive/`: same key, same ETag, same bytes. Converting it again would add its rows a second time, so the
 * staged copy is deleted instead. Unclaimed objects only: a pending manifest's objects may be half-archived on purpose.
 */
async function withoutConverted(staging: BucketStore, objects: StagedObject[], concurrency: number, log: StepLog): Promise<{ fresh: StagedObject[]; converted: number }> {
  const isTwin = new Array<boolean>(objects.length).fill(false);
  const check = async (s: StagedObject, i: number): Promise<void> => {
    const twin = await staging.etag(archiveKey(s.key));
    if (twin === undefined || twin !== s.etag) return;
    await staging.delete(s.key);
    isTwin[i] = true;
    log.info('staged again after its batch was archived: dropped', { key: s.key, etag: s.etag });
  };
  for (let i = 0; i < objects.length; i += concurrency) await Promise.all(objects.slice(i, i + concurrency).map((s, k) => check(s, i + k)));
  return { fresh: objects.filter((_, i) => !isTwin[i]), converted: isTwin.filter(Boolean).length };
}

// ---- Convert ---------------------------------------------------------------------------------------------------

export interface ConvertEvent {
  readonly manifestKey: string;
  /** The run that offered the batch (BatchRef). Absent: this invocation is a run of its own. */
  readonly run?: string;
}

export interface ConvertResult {
  readonly batchId: string;
  readonly objects: number;
  /** Objects of the manifest that no longer exist (expired or deleted); nothing to convert for them. */
  readonly missing: number;
  readonly recordsIn: number;
  readonly written: number;
  readonly filtered: number;
  readonly failed: number;
  /** Of `failed`: records outside the Glue table's `event_hour` projection (`engine.projection`), backed up instead. */
  readonly outOfProjection: number;
  readonly files: number;
  /** The manifest was already gone: an earlier attempt finished the batch and only its reply was lost. */
  readonly alreadyConverted?: boolean;
  /** A Convert of another run holds the batch right now: it is that run's to finish (or to report). */
  readonly busy?: boolean;
}

export interface ConvertManifestOptions {
  readonly manifestKey: string;
  readonly pipeline: string;
  /** The run that offered the batch (ConvertEvent.run). @default this invocation alone */
  readonly run?: string;
  /** Epoch ms at which this invocation is stopped (its Lambda deadline): its lease lasts until then + LEASE_MARGIN_MS. */
  readonly deadline?: number;
  readonly clock?: LeaseClock;
  /** How records become Parquet; the batch id and the objects come from the manifest. */
  readonly convert: Omit<ConvertBatchOptions, 'batchId' | 'objects'>;
  readonly log?: StepLog;
}

/** The manifest holds its batch's lease: deleted with the manifest when the batch is done. */
const manifestSlot = (key: string): LeaseSlot<BatchManifest> => ({
  key,
  leaseOf: (m) => m.lease,
  holding: (m, lease) => {
    const { lease: _previous, ...rest } = m!;
    return lease ? { ...rest, lease } : rest;
  },
  createIfAbsent: false,
});

const emptyResult = (batchId: string) => ({ batchId, objects: 0, missing: 0, recordsIn: 0, written: 0, filtered: 0, failed: 0, outOfProjection: 0, files: 0 });

export async function convertManifest(staging: BucketStore, o: ConvertManifestOptions): Promise<ConvertResult> {
  const log = o.log ?? SILENT;
  const clock = o.clock ?? SYSTEM_CLOCK;
  const me = newLease({ run: o.run, deadline: o.deadline ?? clock.now() + DEFAULT_CONVERT_MS });
  // An earlier attempt of this run that timed out is waited out (its lease ends LEASE_MARGIN_MS after its deadline);
  // one that failed released its lease already.
  const claim = await acquireLease(staging, manifestSlot(o.manifestKey), me, { clock, othersHeld: 'skip', waitUntil: clock.now() + 2 * LEASE_MARGIN_MS });
  const idOfKey = manifestIdOf(o.manifestKey) ?? o.manifestKey;
  if (claim.state === 'gone') {
    // Deleted only as the last step of a finished batch.
    log.warn('manifest already gone: batch converted by an earlier attempt', { manifestKey: o.manifestKey });
    return { ...emptyResult(idOfKey), alreadyConverted: true };
  }
  if (claim.state === 'busy') {
    log.info('batch held by a Convert of another run: left to it', { manifestKey: o.manifestKey, run: me.run, heldBy: claim.lease });
    return { ...emptyResult(idOfKey), busy: true };
  }
  const manifest = claim.value;
  try {
    return await convertHeld(staging, manifest, o, log);
  } catch (e) {
    // Released, so that a retry (this run's or the next one's) starts at once rather than when the lease ends. A
    // manifest deleted meanwhile (the batch finished) is not recreated: the write is conditional on its ETag.
    await staging.replaceJson(o.manifestKey, manifestSlot(o.manifestKey).holding(manifest, undefined), claim.etag).catch((err: unknown) => {
      log.error('batch lease not released; it expires by itself', { manifestKey: o.manifestKey, until: me.until, error: String(err) });
    });
    throw e;
  }
}

/** The batch, converted and archived by the holder of its lease. */
async function convertHeld(staging: BucketStore, manifest: BatchManifest, o: ConvertManifestOptions, log: StepLog): Promise<ConvertResult> {
  let missing = 0;
  async function* inputs(): AsyncGenerator<ConvertInput> {
    for (const s of manifest.objects) {
      // A retry after a crash during archiving finds some objects already moved: they are read from the archive.
      let read = s.key;
      let object = await staging.get(read);
      if (!object) object = await staging.get((read = archiveKey(s.key)));
      if (!object) {
        missing++;
        log.error('staged object is gone; nothing to convert', { key: s.key, batch: manifest.id });
        continue;
      }
      const origin = sourceOfStagingKey(o.pipeline, s.key) ?? { bucket: staging.bucket, key: s.key };
      const stored = { bucket: staging.bucket, key: read, size: s.size };
      yield { ...origin, objectId: objectIdPrefix(origin.bucket, origin.key, s.etag), body: object.stream, stored };
    }
  }
  const counts = await convertBatch({ ...o.convert, batchId: manifest.id, objects: inputs() });
  const result = convertResult(manifest, missing, counts);
  const balanced = convertAccountedFor(counts);
  log[balanced ? 'info' : 'error']('batch converted', { ...result, balanced });
  // Checked before the batch is archived: an unbalanced one stays staged, fails the run (and notifies), and is retried.
  if (!balanced) throw new UnbalancedCounts(`batch ${manifest.id}`, counts);
  // Unconditional delete at its end: the lease outlives this invocation, so nobody else can hold the batch meanwhile.
  await archiveBatch(staging, manifest, o.manifestKey);
  return result;
}

/** The last step of a batch, once its Parquet exists: its objects leave the staging prefix, then its manifest goes. */
async function archiveBatch(staging: BucketStore, manifest: BatchManifest, key: string): Promise<void> {
  // An object not there was moved by an earlier attempt, or is gone: either way no longer staged.
  for (const s of manifest.objects) await staging.move(s, archiveKey(s.key));
  await staging.delete(key);
}

function convertResult(manifest: BatchManifest, missing: number, counts: ConvertCounts): ConvertResult {
  return {
    batchId: manifest.id,
    objects: manifest.objects.length,
    missing,
    recordsIn: counts.recordsIn,
    written: counts.written,
    filtered: counts.filtered,
    failed: counts.failed,
    outOfProjection: counts.outOfProjection,
    files: counts.files.length,
  };
}
