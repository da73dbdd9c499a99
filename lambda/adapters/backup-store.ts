/** Failed records → the backup bucket, gzipped NDJSON, at keys that are deterministic per source object. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import type { FailedRecord } from '../core/process-object';
import type { KinesisFailedRecord } from '../core/process-records';

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
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: failedRecordsKey(pipeline, objectId, part),
      Body: gzipSync(body),
      ContentType: 'application/gzip',
    }),
  );
}
