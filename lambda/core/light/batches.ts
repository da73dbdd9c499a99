/**
 * The Light Engine batch's two steps over the staging bucket, as pure orchestration over a BucketStore:
 *
 * - List: the manifests a failed run left behind come first, unchanged, so their output keys repeat and overwrite
 *   instead of duplicating; the rest of the staged objects are grouped into new manifests. Only manifest keys are
 *   returned, so the state's payload stays small whatever the backlog.
 * - Convert: one manifest's objects → Parquet (convertBatch). Only when every file is written are the objects moved
 *   to `archive/` and the manifest deleted, so a crash at any point leaves the batch to be retried whole, writing the
 *   same keys again; a retry whose manifest is gone (the reply of a finished batch was lost) does nothing.
 */
import { objectIdPrefix } from '../bulk/batcher';
import { sourceOfStagingKey } from '../s3-event';
import { convertAccountedFor, convertBatch, type ConvertBatchOptions, type ConvertCounts, type ConvertInput } from './convert';
import { MANIFEST_PREFIX, archiveKey, batchIdOf, manifestKey, planBatches, type BatchManifest, type StagedObject } from './layout';
import { SILENT, type BucketStore, type StepLog } from './store';

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
  readonly log?: StepLog;
}

export interface ListResult {
  readonly batches: Array<{ readonly manifestKey: string }>;
  /** Staged objects listed (claimed or not) and their bytes. */
  readonly staged: number;
  readonly stagedBytes: number;
  /** Batches of earlier runs retried in this one. */
  readonly resumed: number;
  /** Staged objects whose identical copy (same key and ETag) a finished batch had archived: dropped, not converted again. */
  readonly alreadyConverted: number;
}

export async function listBatches(staging: BucketStore, o: ListOptions): Promise<ListResult> {
  const log = o.log ?? SILENT;
  const pending: string[] = [];
  const claimed = new Set<string>();
  for await (const m of staging.list(`${MANIFEST_PREFIX}${o.pipeline}/`)) {
    const body = await staging.get(m.key);
    // Listed a moment ago: only a concurrent run could have finished it, and then it is not pending.
    if (!body) continue;
    const manifest = JSON.parse(await body.text()) as BatchManifest;
    for (const s of manifest.objects) claimed.add(s.key);
    pending.push(m.key);
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
  const room = Math.max(0, o.maxBatches - pending.length);
  const planned = room > 0 ? planBatches(fresh, { maxBytes: o.maxBytes, maxObjects: o.maxObjects, maxBatches: room }) : [];
  const created: string[] = [];
  for (const objects of planned) {
    const id = batchIdOf(objects);
    const key = manifestKey(o.pipeline, id);
    const manifest: BatchManifest = { id, pipeline: o.pipeline, objects };
    await staging.putJson(key, manifest);
    created.push(key);
  }
  const result: ListResult = {
    batches: [...pending.slice(0, o.maxBatches), ...created].map((k) => ({ manifestKey: k })),
    staged: fresh.length + claimed.size,
    stagedBytes,
    resumed: Math.min(pending.length, o.maxBatches),
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
  readonly files: number;
  /** The manifest was already gone: an earlier attempt finished the batch and only its reply was lost. */
  readonly alreadyConverted?: boolean;
}

export interface ConvertManifestOptions {
  readonly manifestKey: string;
  readonly pipeline: string;
  /** How records become Parquet; the batch id and the objects come from the manifest. */
  readonly convert: Omit<ConvertBatchOptions, 'batchId' | 'objects'>;
  readonly log?: StepLog;
}

export async function convertManifest(staging: BucketStore, o: ConvertManifestOptions): Promise<ConvertResult> {
  const log = o.log ?? SILENT;
  const body = await staging.get(o.manifestKey);
  if (!body) {
    // Deleted only as the last step of a finished batch.
    log.warn('manifest already gone: batch converted by an earlier attempt', { manifestKey: o.manifestKey });
    const id = o.manifestKey.replace(/^.*\//, '').replace(/\.json$/, '');
    return { batchId: id, objects: 0, missing: 0, recordsIn: 0, written: 0, filtered: 0, failed: 0, files: 0, alreadyConverted: true };
  }
  const manifest = JSON.parse(await body.text()) as BatchManifest;

  let missing = 0;
  async function* inputs(): AsyncGenerator<ConvertInput> {
    for (const s of manifest.objects) {
      // A retry after a crash during archiving finds some objects already moved: they are read from the archive.
      const object = (await staging.get(s.key)) ?? (await staging.get(archiveKey(s.key)));
      if (!object) {
        missing++;
        log.error('staged object is gone; nothing to convert', { key: s.key, batch: manifest.id });
        continue;
      }
      const origin = sourceOfStagingKey(o.pipeline, s.key) ?? { bucket: staging.bucket, key: s.key };
      yield { ...origin, objectId: objectIdPrefix(origin.bucket, origin.key, s.etag), body: object.stream };
    }
  }
  const counts = await convertBatch({ ...o.convert, batchId: manifest.id, objects: inputs() });
  await archiveBatch(staging, manifest, o.manifestKey);

  const result = convertResult(manifest, missing, counts);
  const balanced = convertAccountedFor(counts);
  log[balanced ? 'info' : 'error']('batch converted', { ...result, balanced });
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
    files: counts.files.length,
  };
}
