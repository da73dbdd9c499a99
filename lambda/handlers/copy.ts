/**
 * SQS (S3 object-created events of the source bucket) → copy each object into the staging bucket under
 * `<pipeline>/<source-bucket>/<key>`. Failed messages are reported individually so only they come back.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { MAX_SINGLE_COPY_BYTES, copyPartRanges, objectsFromMessage, stagingKey, type S3ObjectRef } from '../core/s3-event';

const logger = new Logger();
const processor = new BatchProcessor(EventType.SQS);

function copySource(o: S3ObjectRef): string {
  const path = `${o.bucket}/${encodeURIComponent(o.key).replace(/%2F/g, '/')}`;
  return o.versionId ? `${path}?versionId=${encodeURIComponent(o.versionId)}` : path;
}

async function multipartCopy(o: S3ObjectRef, bucket: string, key: string, partBytes: number): Promise<void> {
  const s3 = s3Client();
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
          new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, CopySource: copySource(o), CopySourceRange: ranges[i] }),
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

async function copyRecord(record: SQSRecord): Promise<void> {
  const staging = requireEnv('STAGING_BUCKET');
  const prefix = requireEnv('STAGING_PREFIX');
  const threshold = Number(process.env.MULTIPART_THRESHOLD_BYTES ?? MAX_SINGLE_COPY_BYTES);
  const partBytes = Number(process.env.MULTIPART_PART_BYTES ?? 512 * 1024 ** 2);
  for (const o of objectsFromMessage(record.body)) {
    const key = stagingKey(prefix, o);
    // TaggingDirective REPLACE: copying the source's tags would need GetObjectTagging on a bucket we do not own.
    if (o.size > threshold) await multipartCopy(o, staging, key, partBytes);
    else await s3Client().send(new CopyObjectCommand({ Bucket: staging, Key: key, CopySource: copySource(o), TaggingDirective: 'REPLACE' }));
    logger.info('copied', { source: `s3://${o.bucket}/${o.key}`, target: `s3://${staging}/${key}`, bytes: o.size, multipart: o.size > threshold });
  }
}

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return processPartialResponse(event, copyRecord, processor, { context });
};
