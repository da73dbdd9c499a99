/**
 * A bucket as the Light Engine core's BucketStore (lambda/core/light/store.ts), on the operations of s3-objects.ts, and
 * the streamed upload its files are written through. Apart from s3-objects.ts so that what only lists and copies (the
 * scanner, the copy function) does not carry lib-storage and the Parquet code.
 */
import { DeleteObjectCommand, PutObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough, type Readable } from 'node:stream';
import { writableFileSink, type FileSink } from '../core/light/convert';
import type { BucketStore, Conditional, StoredBody } from '../core/light/store';
import { getObjectIfExists, headObjectIfExists, isNotFound, listObjects, moveObject } from './s3-objects';

/**
 * A file written chunk by chunk to S3 (multipart above 5 MiB, via lib-storage): memory stays at one part per file.
 * close() resolves when the object exists; abort() drops the upload so no partial object appears.
 */
export function s3FileSink(s3: S3Client, bucket: string, key: string, contentType = 'application/vnd.apache.parquet'): FileSink {
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType }, queueSize: 2 });
  return writableFileSink(body, upload.done(), async () => {
    await upload.abort().catch(() => undefined);
    body.destroy();
  });
}

function storedBody(o: GetObjectCommandOutput): StoredBody {
  const body = o.Body!;
  return { etag: o.ETag ?? '', stream: body as Readable, text: () => body.transformToString(), bytes: () => body.transformToByteArray() };
}

/**
 * Why a conditional request did not happen, as S3 answers it: 412 PreconditionFailed (If-None-Match: the key exists;
 * If-Match: another ETag), 404 NoSuchKey (If-Match on a key that is gone: nothing is created), 409
 * ConditionalRequestConflict (a concurrent write to the key won; read again). Undefined: another error, thrown on.
 */
function conditionFailure(e: unknown, ifNoneMatch: boolean): 'exists' | 'changed' | 'gone' | undefined {
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (status === 412) return ifNoneMatch ? 'exists' : 'changed';
  if (status === 409) return 'changed';
  if (status === 404 && !ifNoneMatch && isNotFound(e)) return 'gone';
  return undefined;
}

async function conditionalPut(s3: S3Client, bucket: string, key: string, value: unknown, condition: { IfNoneMatch: '*' } | { IfMatch: string }): Promise<Conditional> {
  try {
    const r = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json', ...condition }));
    return { etag: r.ETag ?? '' };
  } catch (e) {
    const conflict = conditionFailure(e, 'IfNoneMatch' in condition);
    if (conflict) return { conflict };
    throw e;
  }
}

export function bucketStore(s3: S3Client, bucket: string): BucketStore {
  return {
    bucket,
    async *list(prefix) {
      for await (const o of listObjects(s3, bucket, prefix)) {
        if (!o.key.endsWith('/')) yield { key: o.key, etag: o.etag ?? '', size: o.size, lastModified: o.lastModified };
      }
    },
    async get(key) {
      const o = await getObjectIfExists(s3, { bucket, key });
      return o && storedBody(o);
    },
    async etag(key) {
      return (await headObjectIfExists(s3, { bucket, key }))?.ETag;
    },
    async putJson(key, value) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
    },
    createJson: (key, value) => conditionalPut(s3, bucket, key, value, { IfNoneMatch: '*' }),
    replaceJson: (key, value, etag) => conditionalPut(s3, bucket, key, value, { IfMatch: etag }),
    async deleteIfUnchanged(key, etag) {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
        return true;
      } catch (e) {
        if (conditionFailure(e, false)) return false;
        throw e;
      }
    },
    async delete(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async move(from, to) {
      try {
        await moveObject(s3, { bucket, key: from.key, size: from.size }, to);
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },
    create: (key) => s3FileSink(s3, bucket, key),
  };
}
