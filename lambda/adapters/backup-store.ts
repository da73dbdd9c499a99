/**
 * The backup bucket: where each kind of record that could not be delivered is kept, at keys that are deterministic
 * per source (object, stream batch, queue message), so a retry overwrites instead of adding.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { streamNameOf, type KinesisBatchInfo } from '../core/kinesis';
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

async function putGzippedLines(s3: S3Client, bucket: string, key: string, text: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(text), ContentType: 'application/gzip' }));
}
