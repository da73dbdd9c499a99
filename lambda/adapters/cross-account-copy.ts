/**
 * Copy of a source object that one set of credentials cannot do server-side: the source bucket is readable only by
 * a role of another account, the staging bucket writable only by the function's own role, and a CopyObject request
 * carries one identity. The object is streamed instead: GetObject with the source client, a multipart upload (lib-
 * storage) with the staging client, a few parts in memory at a time.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import type { CopySource } from './s3-objects';

/** Parts of 16 MiB, 4 in flight: 64 MiB of buffers, well inside the copy function's 512 MB; 160 GiB at most. */
const PART_BYTES = 16 * 1024 ** 2;
const PARTS_IN_FLIGHT = 4;

/**
 * Streams `o` (only the content `ifMatchEtag` names, else S3 answers 412 as for a server-side copy) from `source`
 * into `bucket`/`key` through `target`. Returns whether the upload was multipart, like `copyObject`.
 */
export async function streamCopy(source: S3Client, target: S3Client, o: CopySource, bucket: string, key: string): Promise<boolean> {
  const got = await source.send(
    new GetObjectCommand({
      Bucket: o.bucket,
      Key: o.key,
      ...(o.versionId ? { VersionId: o.versionId } : {}),
      // An event's ETag is bare; If-Match takes the quoted entity tag of HTTP.
      ...(o.ifMatchEtag ? { IfMatch: `"${o.ifMatchEtag.replace(/"/g, '')}"` } : {}),
    }),
  );
  const upload = new Upload({
    client: target,
    params: { Bucket: bucket, Key: key, Body: got.Body as Readable, ...(got.ContentType ? { ContentType: got.ContentType } : {}) },
    partSize: PART_BYTES,
    queueSize: PARTS_IN_FLIGHT,
  });
  await upload.done();
  return (got.ContentLength ?? o.size) > PART_BYTES;
}
