/**
 * On-failure destination of the Kinesis event source mapping (SQS). The mapping sends only where a batch that
 * exhausted its retries or its age was (shard, first and last sequence number); this reads those records back from
 * the stream and writes them raw to the backup bucket with the reason, so the batch is not lost when the mapping
 * moves on. A message that fails here stays on the queue (and its DLQ drains into the backup bucket).
 */
import type { SQSRecord } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { failedBatchKey, writeFailedBatch } from '../adapters/backup-store';
import { sdkShardReader } from '../adapters/kinesis';
import { logger, sqsEntryPoint } from '../adapters/powertools';
import { compareSequence, parseFailureNotice, readBatch, type ShardReader } from '../core/kinesis';

/** Reads the batch a notice describes and writes it to the backup bucket; returns the key. */
async function backupFailedBatch(body: string, reader: ShardReader, bucket: string, pipeline: string): Promise<{ key: string; records: number; complete: boolean }> {
  const notice = parseFailureNotice(body);
  const b = notice.batch;
  const read = await readBatch(reader, b);
  const first = read.records[0]?.sequenceNumber;
  const notes: string[] = [];
  // Records older than the stream's retention are gone; say so rather than pretend the dump is whole.
  if (first === undefined || compareSequence(first, b.startSequenceNumber) > 0) notes.push('records from the start of the batch were no longer in the stream');
  if (!read.complete) notes.push('the end of the batch was not reached');
  const reason = `Kinesis batch discarded by the event source mapping (${notice.condition ?? 'unknown condition'}${notice.functionError ? `, function error ${notice.functionError}` : ''})${notes.length ? `; ${notes.join('; ')}` : ''}`;
  const failedAt = new Date().toISOString();
  const lines = read.records.map((r) =>
    JSON.stringify({
      pipeline,
      failedAt,
      streamArn: b.streamArn,
      shardId: b.shardId,
      sequenceNumber: r.sequenceNumber,
      partitionKey: r.partitionKey,
      approximateArrivalTimestamp: r.approximateArrivalTimestamp?.toISOString(),
      reason,
      data: Buffer.from(r.data).toString('base64'),
    }),
  );
  // The notice itself too: with the records gone, it is the only trace of the batch.
  const header = JSON.stringify({ pipeline, failedAt, reason, notice: JSON.parse(body), recordsRead: read.records.length });
  const key = failedBatchKey(pipeline, b.streamArn, b.shardId, b.startSequenceNumber, b.endSequenceNumber);
  await writeFailedBatch(s3Client(), bucket, key, [header, ...lines]);
  return { key, records: read.records.length, complete: read.complete && notes.length === 0 };
}

async function onRecord(record: SQSRecord): Promise<void> {
  const r = await backupFailedBatch(record.body, sdkShardReader(), requireEnv('BACKUP_BUCKET'), requireEnv('PIPELINE_NAME'));
  logger[r.complete ? 'warn' : 'error']('failed Kinesis batch backed up', { ...r, messageId: record.messageId });
}

export const handler = sqsEntryPoint(onRecord);
