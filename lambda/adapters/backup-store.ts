/**
 * The backup bucket: where each kind of record that could not be delivered is kept, at keys that are deterministic
 * per source (object, stream batch, queue message), so a retry overwrites instead of adding.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { streamNameOf, type KinesisBatchInfo } from '../core/kinesis';
import type { FailedRecord, ProcessObjectOptions } from '../core/process-object';
import type { KinesisFailedRecord } from '../core/process-records';
import type { S3ObjectRef } from '../core/s3-event';
import type { LineSink } from '../core/lines';
import { copyObject, headObjectIfExists, isNotFound, type CopySource } from './s3-objects';

export function failedRecordsKey(pipeline: string, objectId: string, part: number): string {
  return `${pipeline}/failed-records/${objectId}/part-${String(part).padStart(5, '0')}.ndjson.gz`;
}

export async function writeFailedRecords(
  s3: S3Client,
  bucket: string,
  pipeline: string,
  objectId: string,
  part: number,
  // any record with a reason: S3 lines (bucket/key/line) and Kinesis lines (stream/shard/sequence) alike
  records: ReadonlyArray<FailedRecord | KinesisFailedRecord>,
): Promise<void> {
  const failedAt = new Date().toISOString();
  const body = records.map((r) => JSON.stringify({ pipeline, failedAt, ...r })).join('\n') + '\n';
  await putGzippedLines(s3, bucket, failedRecordsKey(pipeline, objectId, part), body);
}

function failedBatchKey(pipeline: string, streamArn: string, shardId: string, start: string, end: string): string {
  return `${pipeline}/failed-batches/kinesis/${streamNameOf(streamArn)}/${shardId}/${start}-${end}.ndjson.gz`;
}

/** A Kinesis batch the event source mapping gave up on, as NDJSON lines (core/kinesis.ts failedBatchBackup); returns its key. */
export async function writeFailedBatch(s3: S3Client, bucket: string, pipeline: string, batch: KinesisBatchInfo, lines: readonly string[]): Promise<string> {
  const key = failedBatchKey(pipeline, batch.streamArn, batch.shardId, batch.startSequenceNumber, batch.endSequenceNumber);
  await putGzippedLines(s3, bucket, key, `${lines.join('\n')}\n`);
  return key;
}

export function deadLetterKey(pipeline: string, queueArn: string, messageId: string): string {
  const queue = queueArn.split(':').pop() || 'unknown-queue';
  return `${pipeline}/dead-letters/${queue}/${messageId}.json`;
}

/** A message that exhausted its deliveries, with its context; returns its key. */
export async function writeDeadLetter(s3: S3Client, bucket: string, pipeline: string, queueArn: string, messageId: string, doc: unknown): Promise<string> {
  const key = deadLetterKey(pipeline, queueArn, messageId);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(doc, null, 2), ContentType: 'application/json' }));
  return key;
}

/** Where the dead-letter backup keeps, whole, the `index`-th object a message named: beside the message's document. */
export function deadLetterObjectKey(pipeline: string, queueArn: string, messageId: string, index: number): string {
  return `${deadLetterKey(pipeline, queueArn, messageId).replace(/\.json$/, '')}/objects/${index}`;
}

/** What became of one object a dead-lettered message named; recorded in the message's document. */
export interface DeadLetterObjectCopy {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** The ETag the message named, when it had one. */
  readonly etag?: string;
  /**
   * copied: whole, at `backupKey`. missing: there is no such key (deleted or expired before the backup).
   * unreadable: S3 refused (403; also what a missing key answers without s3:ListBucket) — final, so the message's
   * document is still written. failed: any other error; the message is retried.
   */
  readonly status: 'copied' | 'missing' | 'unreadable' | 'failed';
  readonly backupKey?: string;
  /** copied: the bytes and the ETag of the content copied. */
  readonly size?: number;
  readonly copiedEtag?: string;
  /** copied: the key held other content than the message named (overwritten since); that content is what was copied. */
  readonly contentChanged?: boolean;
  readonly error?: string;
}

const statusOf = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
const describeError = (e: unknown) => `${(e as Error).name ?? 'Error'}: ${(e as Error).message ?? String(e)}`;
const bare = (etag: string) => etag.replace(/"/g, '');

/**
 * Copies an object a dead-lettered message named into the backup bucket at `backupKey`, server-side and whole
 * (multipart above 5 GiB), exactly the content found when it started (CopySourceIfMatch). Never throws: the outcome
 * is the record.
 */
export async function copyDeadLetterObject(s3: S3Client, backupBucket: string, backupKey: string, o: S3ObjectRef): Promise<DeadLetterObjectCopy> {
  const base = { bucket: o.bucket, key: o.key, ...(o.versionId ? { versionId: o.versionId } : {}), ...(o.etag ? { etag: o.etag } : {}) };
  const missing: DeadLetterObjectCopy = { ...base, status: 'missing', error: 'no such key: deleted or expired before the backup' };
  try {
    const head = await headObjectIfExists(s3, base);
    if (!head) return missing;
    const etag = head.ETag ?? '';
    const size = head.ContentLength ?? 0;
    await copyObject(s3, { ...base, size, ifMatchEtag: etag || undefined }, backupBucket, backupKey);
    const changed = o.etag !== undefined && bare(o.etag) !== bare(etag);
    return { ...base, status: 'copied', backupKey, size, copiedEtag: bare(etag), ...(changed ? { contentChanged: true } : {}) };
  } catch (e) {
    if (isNotFound(e)) return missing;
    return { ...base, status: statusOf(e) === 403 ? 'unreadable' : 'failed', error: describeError(e) };
  }
}

/** Where an over-long line's complete bytes are kept: one object per line (its failed record's rawObject). */
export function failedLineKey(pipeline: string, objectId: string, lineNo: number): string {
  return `${pipeline}/failed-lines/${objectId}/line-${lineNo}`;
}

/**
 * An over-long line's bytes, streamed into the backup bucket as they are read (multipart above 5 MiB, lib-storage,
 * one part in flight): memory stays at a part or two whatever the line's length. close() resolves once the object
 * exists; a write waiting for room fails when the upload does.
 */
export function failedLineSink(s3: S3Client, bucket: string, pipeline: string, objectId: string, lineNo: number): LineSink {
  const key = failedLineKey(pipeline, objectId, lineNo);
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream' }, queueSize: 1 });
  const done = upload.done();
  // Observed through write() and close(); without this a failed upload would surface as an unhandled rejection.
  done.catch(() => undefined);
  return {
    location: key,
    write(chunk) {
      if (body.write(chunk)) return;
      return new Promise<void>((resolve, reject) => {
        body.once('drain', resolve);
        done.catch(reject);
      });
    },
    async close() {
      body.end();
      await done;
    },
    async abort() {
      await upload.abort().catch(() => undefined);
      body.destroy();
    },
  };
}

/** Where a gzip object that is corrupt or breaks off is kept whole (named after its source key's last segment). */
export function brokenObjectKey(pipeline: string, objectId: string, sourceKey: string): string {
  return `${pipeline}/broken-objects/${objectId}/${sourceKey.split('/').pop() || 'object'}`;
}

/** A broken gzip object, copied whole and server-side into the backup bucket (`source` names what was read); returns its key. */
export async function copyBrokenObject(s3: S3Client, bucket: string, pipeline: string, objectId: string, source: CopySource): Promise<string> {
  const key = brokenObjectKey(pipeline, objectId, source.key);
  await copyObject(s3, source, bucket, key);
  return key;
}

/**
 * What processObject needs to keep all of an object, `read` as the processor got it: over-long lines streamed to
 * objects of their own; for gzip data that is corrupt or breaks off, a second read of the same content (If-Match its
 * ETag) to find every line before the break, and the whole object copied.
 */
export function objectBackups(
  s3: S3Client,
  bucket: string,
  pipeline: string,
  objectId: string,
  read: { readonly bucket: string; readonly key: string; readonly etag?: string; readonly size: number },
): Pick<ProcessObjectOptions, 'spill' | 'reopen' | 'backupObject'> {
  return {
    spill: (lineNo) => failedLineSink(s3, bucket, pipeline, objectId, lineNo),
    reopen: async () => (await s3.send(new GetObjectCommand({ Bucket: read.bucket, Key: read.key, ...(read.etag ? { IfMatch: read.etag } : {}) }))).Body as AsyncIterable<Uint8Array>,
    backupObject: () => copyBrokenObject(s3, bucket, pipeline, objectId, { bucket: read.bucket, key: read.key, size: read.size, ...(read.etag ? { ifMatchEtag: read.etag } : {}) }),
  };
}

async function putGzippedLines(s3: S3Client, bucket: string, key: string, text: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(text), ContentType: 'application/gzip' }));
}
