/** S3 object operations shared by handlers: server-side copy of any size, move, and a streamed upload sink. */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough } from 'node:stream';
import { MAX_SINGLE_COPY_BYTES, copyPartRanges } from '../core/s3-event';
import { writableFileSink, type FileSink } from '../core/light/convert';

export interface CopySource {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly versionId?: string;
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
          new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, CopySource: copySourceHeader(o), CopySourceRange: ranges[i] }),
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
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: copySourceHeader(o), TaggingDirective: 'REPLACE' }));
  return false;
}

/** Copy, then delete the original: the object exists at one of the two keys at every moment. */
export async function moveObject(s3: S3Client, o: CopySource, key: string, opts: CopyOptions = {}): Promise<void> {
  await copyObject(s3, o, o.bucket, key, opts);
  await s3.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: o.key }));
}

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
