/**
 * Drains the dead-letter queues: a message that exhausted its deliveries is written to the backup bucket with its
 * context, so nothing expires silently in a queue.
 */
import type { SQSRecord } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { writeDeadLetter } from '../adapters/backup-store';
import { logger, sqsEntryPoint } from '../adapters/powertools';
import { objectsFromMessage } from '../core/s3-event';

function describeObjects(body: string): unknown {
  try {
    return objectsFromMessage(body);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function backupRecord(record: SQSRecord): Promise<void> {
  const pipeline = requireEnv('PIPELINE_NAME');
  const doc = {
    pipeline,
    reason: `message exhausted its deliveries on the queue that redrove it to ${record.eventSourceARN.split(':').pop()}`,
    deadLetterQueue: record.eventSourceARN,
    messageId: record.messageId,
    firstSentAt: new Date(Number(record.attributes.SentTimestamp)).toISOString(),
    backedUpAt: new Date().toISOString(),
    objects: describeObjects(record.body),
    body: record.body,
    messageAttributes: record.messageAttributes,
  };
  const key = await writeDeadLetter(s3Client(), requireEnv('BACKUP_BUCKET'), pipeline, record.eventSourceARN, record.messageId, doc);
  logger.warn('dead letter backed up', { key, messageId: record.messageId });
}

export const handler = sqsEntryPoint(backupRecord);
