/**
 * Drains the dead-letter queues: a message that exhausted its deliveries is written to the backup bucket with its
 * context, and every object it names is copied there whole beside it (server-side), so its lines outlive the queue,
 * the staging and the buffer bucket. An object that cannot be kept is recorded as such in the document and logged as
 * an error, never skipped silently; an object of a bucket the pipeline owns (MARK_DONE_BUCKETS) is marked done once
 * kept, so its lifecycle rule may expire it.
 */
import type { SQSRecord } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { copyDeadLetterObject, deadLetterObjectKey, writeDeadLetter, type DeadLetterObjectCopy } from '../adapters/backup-store';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics, sqsEntryPoint } from '../adapters/powertools';
import { METRIC } from '../core/metric-catalog';
import { markDoneOrLog } from '../adapters/s3-objects';
import { objectsFromMessage, type S3ObjectRef } from '../core/s3-event';

function namedObjects(body: string): { refs: S3ObjectRef[]; described: unknown } {
  try {
    const refs = objectsFromMessage(body);
    return { refs, described: refs };
  } catch (e) {
    // Not an S3 event (a Kinesis failure record, a malformed body): the document keeps the body, there is nothing to copy.
    return { refs: [], described: { error: (e as Error).message } };
  }
}

async function backupRecord(record: SQSRecord): Promise<void> {
  const pipeline = requireEnv('PIPELINE_NAME');
  const backupBucket = requireEnv('BACKUP_BUCKET');
  const owned = new Set((process.env.MARK_DONE_BUCKETS ?? '').split(',').filter(Boolean));
  const { refs, described } = namedObjects(record.body);
  const copies: DeadLetterObjectCopy[] = [];
  for (const [i, o] of refs.entries()) {
    copies.push(await copyDeadLetterObject(s3Client(), backupBucket, deadLetterObjectKey(pipeline, record.eventSourceARN, record.messageId, i), o));
  }
  const doc = {
    pipeline,
    reason: `message exhausted its deliveries on the queue that redrove it to ${record.eventSourceARN.split(':').pop()}`,
    deadLetterQueue: record.eventSourceARN,
    messageId: record.messageId,
    firstSentAt: new Date(Number(record.attributes.SentTimestamp)).toISOString(),
    backedUpAt: new Date().toISOString(),
    objects: described,
    objectCopies: copies,
    body: record.body,
    messageAttributes: record.messageAttributes,
  };
  const key = await writeDeadLetter(s3Client(), backupBucket, pipeline, record.eventSourceARN, record.messageId, doc);
  for (const c of copies) {
    if (c.status === 'copied' && owned.has(c.bucket)) await markDoneOrLog(s3Client(), { bucket: c.bucket, key: c.key, etag: c.copiedEtag }, logger);
    else if (c.status !== 'copied') logger.error(`dead letter names an object that could not be kept: ${c.status}`, { document: key, object: `s3://${c.bucket}/${c.key}`, error: c.error });
  }
  const retry = copies.filter((c) => c.status === 'failed');
  // The document already says what is missing; the message comes back so the copy is tried again.
  if (retry.length > 0) throw new Error(`${retry.length} object(s) of message ${record.messageId} could not be copied yet: ${retry[0].error}`);
  // The dead-letter alarm's metric: a message that could not be processed is in the backup bucket, to look at.
  metrics.addMetric(METRIC.DeadLetters, MetricUnit.Count, 1);
  logger.warn('dead letter backed up', { key, messageId: record.messageId, objectsCopied: copies.filter((c) => c.status === 'copied').length });
}

export const handler = sqsEntryPoint(backupRecord, { metrics: true });
