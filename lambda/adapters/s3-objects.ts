/**
 * S3 for every handler and the scanner, in one place: listing (the SDK's paginator), "get if it exists" and what
 * counts as "not found", server-side copy of any size, move, and marking an object done (the tag the lifecycle rules
 * expire on). (s3-store.ts builds the Light Engine's BucketStore on these.)
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCopyCommand,
  paginateListObjectsV2,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { STATE_DONE, STATE_TAG_KEY } from '../core/object-state';
import { MAX_SINGLE_COPY_BYTES, copyPartRanges, decodeS3Key } from '../core/s3-event';

// ---- not found, get if exists --------------------------------------------------------------------------------

/**
 * A missing key, whichever call met it: GetObject and CopyObject answer NoSuchKey; a HEAD response has no body to
 * name its error, so the SDK names it after the status (NotFound). GetObject tells a missing bucket apart
 * (NoSuchBucket, which this is not); HEAD cannot.
 */
export function isNotFound(e: unknown): boolean {
  const name = (e as { name?: unknown } | null | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** S3's 412: a condition (If-Match, CopySourceIfMatch…) did not hold. */
export function isPreconditionFailed(e: unknown): boolean {
  const err = e as { name?: unknown; $metadata?: { httpStatusCode?: number } } | null | undefined;
  return err?.name === 'PreconditionFailed' || err?.$metadata?.httpStatusCode === 412;
}

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

export function getObject(s3: S3Client, o: ObjectRef): Promise<GetObjectCommandOutput> {
  return s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: o.key, ...(o.versionId ? { VersionId: o.versionId } : {}) }));
}

/** The object, or undefined when there is no such key; any other failure throws. */
export async function getObjectIfExists(s3: S3Client, o: ObjectRef): Promise<GetObjectCommandOutput | undefined> {
  try {
    return await getObject(s3, o);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The object's metadata, or undefined when there is no such key; any other failure throws. */
export async function headObjectIfExists(s3: S3Client, o: ObjectRef): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: o.bucket, Key: o.key, ...(o.versionId ? { VersionId: o.versionId } : {}) }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

// ---- listing --------------------------------------------------------------------------------------------------

export interface ListedS3Object {
  /** The real key, decoded when S3 url-encoded it. */
  readonly key: string;
  readonly size: number;
  /** As ListObjectsV2 returns it, quotes included. */
  readonly etag?: string;
  readonly lastModified?: Date;
}

export interface ListedS3Page {
  readonly objects: readonly ListedS3Object[];
  /** Absent on the last page. */
  readonly nextContinuationToken?: string;
}

export interface ListRequest {
  readonly bucket: string;
  /** '' or absent: the whole bucket. */
  readonly prefix?: string;
  /** Keys after this one. */
  readonly startAfter?: string;
  /** Resumes a listing where the page that returned this token ended. */
  readonly continuationToken?: string;
}

/** The listing's pages, fetched as the caller iterates (the SDK's paginator). */
export async function* listPages(s3: S3Client, r: ListRequest): AsyncGenerator<ListedS3Page> {
  const pages = paginateListObjectsV2(
    { client: s3, startingToken: r.continuationToken },
    // Keys may hold characters XML 1.0 cannot carry; S3 then url-encodes them (space as '+'). An endpoint that
    // ignores the request does not echo EncodingType, and its keys are taken as they are.
    { Bucket: r.bucket, Prefix: r.prefix || undefined, StartAfter: r.startAfter, EncodingType: 'url' },
  );
  for await (const page of pages) {
    const encoded = page.EncodingType === 'url';
    yield {
      objects: (page.Contents ?? []).map((o) => ({ key: encoded ? decodeS3Key(o.Key!) : o.Key!, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified })),
      nextContinuationToken: page.IsTruncated ? page.NextContinuationToken : undefined,
    };
  }
}

/** One page at a cursor, for a caller that decides between pages whether to go on (the scanner checkpoints there). */
export async function listPage(s3: S3Client, r: ListRequest): Promise<ListedS3Page> {
  for await (const page of listPages(s3, r)) return page;
  return { objects: [] };
}

/** Every object under `prefix`, in key order; pages are fetched as the caller iterates. */
export async function* listObjects(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<ListedS3Object> {
  for await (const page of listPages(s3, { bucket, prefix })) yield* page.objects;
}

// ---- copy, move, upload ---------------------------------------------------------------------------------------

export interface CopySource {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly versionId?: string;
  /**
   * Copy only this content (CopySourceIfMatch): S3 answers 412 if the key now holds something else. Not `etag`, so
   * an event's ETag passed along with its object does not turn the condition on by accident.
   * @default - whatever the key holds
   */
  readonly ifMatchEtag?: string;
}

export interface CopyOptions {
  /** Above this size the copy is multipart (UploadPartCopy); S3's CopyObject stops at 5 GiB. */
  readonly multipartThreshold?: number;
  readonly partBytes?: number;
}

function copySourceHeader(o: CopySource): string {
  const path = `${o.bucket}/${encodeURIComponent(o.key).replace(/%2F/g, '/')}`;
  return o.versionId ? `${path}?versionId=${encodeURIComponent(o.versionId)}` : path;
}

async function multipartCopy(s3: S3Client, o: CopySource, bucket: string, key: string, partBytes: number): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  try {
    const ranges = copyPartRanges(o.size, partBytes);
    const parts: Array<{ ETag: string; PartNumber: number }> = new Array(ranges.length);
    let next = 0;
    // A few parts in flight: UploadPartCopy is server-side, so the Lambda only waits.
    const worker = async () => {
      while (next < ranges.length) {
        const i = next++;
        const res = await s3.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: i + 1,
            CopySource: copySourceHeader(o),
            CopySourceRange: ranges[i],
            ...(o.ifMatchEtag ? { CopySourceIfMatch: o.ifMatchEtag } : {}),
          }),
        );
        parts[i] = { ETag: res.CopyPartResult?.ETag ?? '', PartNumber: i + 1 };
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, ranges.length) }, worker));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (e) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw e;
  }
}

/** Server-side copy; returns whether it was multipart. */
export async function copyObject(s3: S3Client, o: CopySource, bucket: string, key: string, opts: CopyOptions = {}): Promise<boolean> {
  const threshold = opts.multipartThreshold ?? MAX_SINGLE_COPY_BYTES;
  if (o.size > threshold) {
    await multipartCopy(s3, o, bucket, key, opts.partBytes ?? 512 * 1024 ** 2);
    return true;
  }
  // TaggingDirective REPLACE: copying the source's tags would need GetObjectTagging on a bucket we may not own.
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: copySourceHeader(o),
      TaggingDirective: 'REPLACE',
      ...(o.ifMatchEtag ? { CopySourceIfMatch: o.ifMatchEtag } : {}),
    }),
  );
  return false;
}

/** Copy, then delete the original: the object exists at one of the two keys at every moment. */
export async function moveObject(s3: S3Client, o: CopySource, key: string, opts: CopyOptions = {}): Promise<void> {
  await copyObject(s3, o, o.bucket, key, opts);
  await s3.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: o.key }));
}

// ---- done -----------------------------------------------------------------------------------------------------

/** An ETag as S3 headers carry it (quoted) or as S3 events do (bare): compared without the quotes. */
const bareEtag = (etag: string) => etag.replace(/"/g, '');

export type MarkDoneResult = 'marked' | 'missing' | 'changed';

/**
 * Tags the object `logtong:state=done`, the only tag the staging and buffer buckets' lifecycle rules expire (after
 * their retention, counted from the object's creation). Call it only once every line of the object is indexed,
 * written, filtered or in the backup bucket. With `etag`, an object whose key now holds other content is left
 * pending ('changed'): that content has an event of its own and is not done. A key that is gone is 'missing'.
 * Replaces the object's tags (Logtong's objects carry no other).
 */
export async function markObjectDone(s3: S3Client, o: ObjectRef & { readonly etag?: string }): Promise<MarkDoneResult> {
  if (o.etag) {
    const head = await headObjectIfExists(s3, o);
    if (!head) return 'missing';
    if (bareEtag(head.ETag ?? '') !== bareEtag(o.etag)) return 'changed';
  }
  try {
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: o.bucket,
        Key: o.key,
        ...(o.versionId ? { VersionId: o.versionId } : {}),
        Tagging: { TagSet: [{ Key: STATE_TAG_KEY, Value: STATE_DONE }] },
      }),
    );
    return 'marked';
  } catch (e) {
    if (isNotFound(e)) return 'missing';
    throw e;
  }
}

/** Where a caller that must not fail over a tag reports it (Powertools' Logger is one). */
export interface DoneLog {
  info(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/**
 * markObjectDone for a step whose work is already delivered: a failure to tag is logged as an error and leaves the
 * object pending — kept, never lost, only not expired — instead of failing the step, whose retry would deliver the
 * object's lines a second time. Never throws.
 */
export async function markDoneOrLog(s3: S3Client, o: ObjectRef & { readonly etag?: string }, log: DoneLog): Promise<MarkDoneResult | 'failed'> {
  const where = `s3://${o.bucket}/${o.key}`;
  try {
    const result = await markObjectDone(s3, o);
    if (result !== 'marked') log.info(`object not marked done: ${result === 'missing' ? 'it is gone' : 'the key holds newer content, which stays pending'}`, { object: where, etag: o.etag });
    return result;
  } catch (e) {
    log.error('could not mark the object done: it stays pending and does not expire (delete it by hand once delivered)', {
      object: where,
      error: e as Error,
    });
    return 'failed';
  }
}
