/**
 * On-failure destination of the Kinesis event source mapping (SQS). The mapping sends only where a batch that
 * exhausted its retries or its age was (shard, first and last sequence number); this reads those records back from
 * the stream and writes them raw to the backup bucket with the reason, so the batch is not lost when the mapping
 * moves on. A message that fails here stays on the queue (and its DLQ drains into the backup bucket).
 */
import type { SQSRecord } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { writeFailedBatch } from '../adapters/backup-store';
import { sdkShardReader } from '../adapters/kinesis';
import { logger, sqsEntryPoint } from '../adapters/powertools';
import { failedBatchBackup } from '../core/kinesis';

async function onRecord(record: SQSRecord): Promise<void> {
  const pipeline = requireEnv('PIPELINE_NAME');
  const backup = await failedBatchBackup(record.body, sdkShardReader(), pipeline);
  const key = await writeFailedBatch(s3Client(), requireEnv('BACKUP_BUCKET'), pipeline, backup.batch, backup.lines);
  logger[backup.complete ? 'warn' : 'error']('failed Kinesis batch backed up', { key, records: backup.records, complete: backup.complete, messageId: record.messageId });
}

export const handler = sqsEntryPoint(onRecord);
