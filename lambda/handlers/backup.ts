/**
 * Drains the dead-letter queues: a message that exhausted its deliveries is written to the backup bucket with its
 * context, so nothing expires silently in a queue.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { objectsFromMessage } from '../core/s3-event';

const logger = new Logger();
const processor = new BatchProcessor(EventType.SQS);

export function deadLetterKey(pipeline: string, queueArn: string, messageId: string): string {
  const queue = queueArn.split(':').pop() || 'unknown-queue';
  return `${pipeline}/dead-letters/${queue}/${messageId}.json`;
}

function describeObjects(body: string): unknown {
  try {
    return objectsFromMessage(body);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function backupRecord(record: SQSRecord): Promise<void> {
  const bucket = requireEnv('BACKUP_BUCKET');
  const pipeline = requireEnv('PIPELINE_NAME');
  const key = deadLetterKey(pipeline, record.eventSourceARN, record.messageId);
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
  await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(doc, null, 2), ContentType: 'application/json' }));
  logger.warn('dead letter backed up', { key, messageId: record.messageId });
}

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return processPartialResponse(event, backupRecord, processor, { context });
};
