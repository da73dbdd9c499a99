/**
 * The Light Engine's archived copies (`archive/<pipeline>/…` in the staging bucket) expire only once marked done,
 * and they are done only when their batch is: a retry of a batch that crashed while archiving reads them again to
 * rewrite the same Parquet files, so one that expired under a pending manifest would drop its rows from them.
 *
 * The batch step deletes a manifest only as its very last act, once every file is written and every object archived
 * (lambda/core/light/batches.ts, archiveBatch). This decorator of the staging BucketStore turns that delete into the
 * signal: it reads the manifest, deletes it, then marks each member's archived copy done. A crash in between leaves
 * copies unmarked: kept, never expired (a leak, not a loss).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_PREFIX, archiveKey, type BatchManifest } from '../core/light/layout';
import type { BucketStore } from '../core/light/store';
import { markDoneOrLog, type DoneLog } from './s3-objects';

/** Tags in flight at once: a manifest holds up to batchMaxObjects (1000 by default) members. */
const CONCURRENCY = 8;

export function markingArchivedDone(staging: BucketStore, s3: S3Client, log: DoneLog): BucketStore {
  return {
    bucket: staging.bucket,
    list: (prefix) => staging.list(prefix),
    get: (key) => staging.get(key),
    etag: (key) => staging.etag(key),
    putJson: (key, value) => staging.putJson(key, value),
    createJson: (key, value) => staging.createJson(key, value),
    replaceJson: (key, value, etag) => staging.replaceJson(key, value, etag),
    deleteIfUnchanged: (key, etag) => staging.deleteIfUnchanged(key, etag),
    move: (from, to) => staging.move(from, to),
    create: (key) => staging.create(key),
    async delete(key) {
      if (!key.startsWith(MANIFEST_PREFIX)) return staging.delete(key);
      const body = await staging.get(key);
      const manifest = body ? (JSON.parse(await body.text()) as BatchManifest) : undefined;
      await staging.delete(key);
      // No ETag check: an archived key is written only by the move of its staged twin, and a CopyObject of a multipart
      // object gets a new ETag anyway.
      const keys = (manifest?.objects ?? []).map((o) => archiveKey(o.key));
      let next = 0;
      const worker = async () => {
        while (next < keys.length) await markDoneOrLog(s3, { bucket: staging.bucket, key: keys[next++] }, log);
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, keys.length) }, worker));
    },
  };
}
