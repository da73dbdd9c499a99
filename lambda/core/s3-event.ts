/**
 * S3 event notifications as they arrive in SQS message bodies, and the copy plan for one object.
 * Pure: the copy handler and the one-time scanner share it.
 */

export interface S3ObjectRef {
  readonly bucket: string;
  /** Decoded object key (S3 events URL-encode keys, with `+` for a space). */
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  readonly versionId?: string;
}

interface S3EventRecord {
  eventSource?: string;
  eventName?: string;
  s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number; eTag?: string; versionId?: string } };
}

/** S3 event keys are form-encoded: `+` is a space, `%2B` is a plus. */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

export class MalformedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEventError';
  }
}

/**
 * Objects named by one SQS message body. `s3:TestEvent` (sent when a notification is configured) names none.
 * Anything that is not an S3 notification is an error, so that it is retried and finally backed up, not dropped.
 */
export function objectsFromMessage(body: string): S3ObjectRef[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedEventError('message body is not JSON');
  }
  const msg = parsed as { Event?: string; Records?: S3EventRecord[]; Message?: string; Type?: string };
  if (msg.Event === 's3:TestEvent') return [];
  // Notifications fanned out through SNS arrive wrapped once more.
  if (msg.Type === 'Notification' && typeof msg.Message === 'string') return objectsFromMessage(msg.Message);
  if (!Array.isArray(msg.Records)) throw new MalformedEventError('message body has no S3 event Records');
  return msg.Records.filter((r) => !r.eventName || r.eventName.startsWith('ObjectCreated')).map((r, i) => {
    const bucket = r.s3?.bucket?.name;
    const key = r.s3?.object?.key;
    if (!bucket || key === undefined) throw new MalformedEventError(`Records[${i}] has no s3.bucket.name or s3.object.key`);
    return {
      bucket,
      key: decodeS3Key(key),
      size: r.s3?.object?.size ?? 0,
      etag: r.s3?.object?.eTag,
      versionId: r.s3?.object?.versionId,
    };
  });
}

/** Builds the body S3 itself would send for these objects: used by the one-time scanner and the tests. */
export function s3EventMessage(objects: ReadonlyArray<Pick<S3ObjectRef, 'bucket' | 'key' | 'size'> & { etag?: string }>): string {
  return JSON.stringify({
    Records: objects.map((o) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: o.bucket, arn: `arn:aws:s3:::${o.bucket}` },
        object: { key: encodeURIComponent(o.key).replace(/%20/g, '+').replace(/%2F/g, '/'), size: o.size, eTag: o.etag },
      },
    })),
  });
}

/**
 * Deterministic staging key, so a redelivered event overwrites instead of duplicating:
 * `<pipeline>/<bucket>/etag=<ETag>/<key>`. The ETag makes the key name one content: a source key written again
 * (new content, new event) is staged beside the first copy, never over it, so neither copy is read with the other's
 * identity (the processor's `_id`s and the Light Engine's archive check are built from the event's ETag). Without an
 * ETag (an event that carries none) the key is `<pipeline>/<bucket>/<key>`.
 */
export function stagingKey(pipeline: string, ref: Pick<S3ObjectRef, 'bucket' | 'key' | 'etag'>): string {
  const etag = ref.etag?.replace(/"/g, '');
  return etag ? `${pipeline}/${ref.bucket}/${ETAG_SEGMENT}${etag}/${ref.key}` : `${pipeline}/${ref.bucket}/${ref.key}`;
}

const ETAG_SEGMENT = 'etag=';

/** Inverse of stagingKey: where a staged object came from, and the source content's ETag when the key names it. */
export function sourceOfStagingKey(pipeline: string, key: string): { bucket: string; key: string; etag?: string } | undefined {
  if (!key.startsWith(`${pipeline}/`)) return undefined;
  const rest = key.slice(pipeline.length + 1);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const bucket = rest.slice(0, slash);
  const after = rest.slice(slash + 1);
  const m = /^etag=([0-9A-Za-z-]+)\/(.+)$/s.exec(after);
  return m ? { bucket, key: m[2], etag: m[1] } : { bucket, key: after };
}

/** CopyObject handles up to 5 GiB; larger objects need a multipart copy. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
const MAX_PARTS = 10_000;
const MIN_PART_BYTES = 5 * 1024 ** 2;

/** Byte ranges (`bytes=a-b`, inclusive) for UploadPartCopy: parts of `partBytes`, grown if 10,000 parts would not cover the object. */
export function copyPartRanges(size: number, partBytes = 512 * 1024 ** 2): string[] {
  if (size <= 0) return [];
  let part = Math.max(partBytes, MIN_PART_BYTES, Math.ceil(size / MAX_PARTS));
  if (Math.ceil(size / part) > MAX_PARTS) part = Math.ceil(size / MAX_PARTS);
  const ranges: string[] = [];
  for (let start = 0; start < size; start += part) ranges.push(`bytes=${start}-${Math.min(start + part, size) - 1}`);
  return ranges;
}
