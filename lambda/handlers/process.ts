/**
 * SQS (staging bucket object-created events) → stream each staged object through the parsing core into OpenSearch.
 * Every line ends indexed, filtered by the pipeline's rules, or in the backup bucket with a reason; transient
 * indexing failures are left to SQS redelivery until the last attempt, then backed up too.
 */
import type { Context, SQSRecord } from 'aws-lambda';
import type { Readable } from 'node:stream';
import { requireEnv, s3Client } from '../adapters/aws';
import { writeFailedRecords } from '../adapters/backup-store';
import { addIndexingMetrics } from '../adapters/metrics';
import { bulkRetryPolicy, indexingConnection, withInvocationDeadline } from '../adapters/opensearch';
import { indexingRuntime, logger, metrics, sqsEntryPoint } from '../adapters/pipeline-runtime';
import { getObject } from '../adapters/s3-objects';
import { objectIdPrefix } from '../core/bulk/batcher';
import { sendBulk } from '../core/bulk/sender';
import { RedeliveryRequested, accountedFor, processObject } from '../core/process-object';
import { objectsFromMessage, sourceOfStagingKey } from '../core/s3-event';

const { config, parser, indexing, options } = indexingRuntime();
const openSearch = indexingConnection(indexing, parser.fields);
// Operators can trade patience for latency; the defaults ride out a blue/green domain change of a few seconds.
const retryPolicy = bulkRetryPolicy({ maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 });

async function processRecord(record: SQSRecord, context?: Context): Promise<void> {
  const policy = context ? withInvocationDeadline(retryPolicy, context) : retryPolicy;
  const backupBucket = requireEnv('BACKUP_BUCKET');
  const finalAttempt = Number(record.attributes.ApproximateReceiveCount) >= Number(process.env.MAX_RECEIVE_COUNT ?? 5);
  const conn = await openSearch();
  let deferred = 0;
  for (const staged of objectsFromMessage(record.body)) {
    const origin = sourceOfStagingKey(config.name, staged.key) ?? { bucket: staged.bucket, key: staged.key };
    const object = await getObject(s3Client(), staged);
    // The staged copy's ETag equals the source's for single-part copies; either way it names this content.
    const etag = staged.etag ?? object.ETag ?? '';
    const objectId = objectIdPrefix(origin.bucket, origin.key, etag);
    const counts = await processObject({
      ...options,
      body: object.Body as Readable,
      source: { ...origin, etag },
      send: (req) => sendBulk(req, conn.bulk, policy),
      backup: (part, records) => writeFailedRecords(s3Client(), backupBucket, config.name, objectId, part, records),
      finalAttempt,
    });
    const balanced = accountedFor(counts);
    logger[balanced ? 'info' : 'error']('object processed', { source: `s3://${origin.bucket}/${origin.key}`, ...counts, balanced, finalAttempt });
    addIndexingMetrics(metrics, counts);
    deferred += counts.deferred;
  }
  if (deferred > 0) throw new RedeliveryRequested(deferred);
}

export const handler = sqsEntryPoint(processRecord, { metrics: true });
