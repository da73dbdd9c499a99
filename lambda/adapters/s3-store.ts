/**
 * A bucket as the Light Engine core's BucketStore (lambda/core/light/store.ts), on the operations of s3-objects.ts, and
 * the streamed upload its files are written through. Apart from s3-objects.ts so that what only lists and copies (the
 * scanner, the copy function) does not carry lib-storage and the Parquet code.
 */
import { DeleteObjectCommand, PutObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough, type Readable } from 'node:stream';
import { writableFileSink, type FileSink } from '../core/light/convert';
import type { BucketStore, StoredBody } from '../core/light/store';
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
  return { stream: body as Readable, text: () => body.transformToString(), bytes: () => body.transformToByteArray() };
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
