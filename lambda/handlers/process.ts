/**
 * SQS (staging bucket object-created events) → stream each staged object through the parsing core into OpenSearch.
 * Every line ends indexed, filtered by the pipeline's rules, or in the backup bucket with a reason; transient
 * indexing failures are left to SQS redelivery until the last attempt, then backed up too.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Readable } from 'node:stream';
import { writeFailedRecords } from '../adapters/backup-store';
import { requireEnv, s3Client } from '../adapters/aws';
import { addIndexingMetrics } from '../adapters/metrics';
import { bulkRetryPolicy, layoutCheckedConnection, withInvocationDeadline } from '../adapters/opensearch';
import { objectIdPrefix } from '../core/bulk/batcher';
import { sendBulk } from '../core/bulk/sender';
import { toOpenSearchMappings } from '../core/fields';
import { compileFilters } from '../core/filters';
import { compileParser } from '../core/formats';
import { ensureIndexLayout } from '../core/opensearch/index-layout';
import { indexingOf, layoutSettings } from '../core/opensearch/settings';
import { runtimeConfig } from '../adapters/runtime-config';
import { accountedFor, processObject, type ObjectCounts } from '../core/process-object';
import { objectsFromMessage, sourceOfStagingKey } from '../core/s3-event';

const logger = new Logger();
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Logtong' });
const processor = new BatchProcessor(EventType.SQS);

const pipeline = runtimeConfig();
const indexing = indexingOf(pipeline);
const parser = compileParser(pipeline.logFormat);
const filter = compileFilters(pipeline.logFormat.filters);

// Operators can trade patience for latency; the defaults ride out a blue/green domain change of a few seconds.
const retryPolicy = bulkRetryPolicy({ maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 });

const openSearch = layoutCheckedConnection(async (conn) => {
  const layout = await ensureIndexLayout(conn.http, layoutSettings(indexing), toOpenSearchMappings(parser.fields));
  logger.info('index layout checked', { ...layout });
});

async function processRecord(record: SQSRecord, context?: Context): Promise<void> {
  const policy = context ? withInvocationDeadline(retryPolicy, context) : retryPolicy;
  const backupBucket = requireEnv('BACKUP_BUCKET');
  const maxReceiveCount = Number(process.env.MAX_RECEIVE_COUNT ?? 5);
  const finalAttempt = Number(record.attributes.ApproximateReceiveCount) >= maxReceiveCount;
  const conn = await openSearch();
  let deferred = 0;
  for (const staged of objectsFromMessage(record.body)) {
    const origin = sourceOfStagingKey(pipeline.name, staged.key) ?? { bucket: staged.bucket, key: staged.key };
    const object = await s3Client().send(
      new GetObjectCommand({ Bucket: staged.bucket, Key: staged.key, ...(staged.versionId ? { VersionId: staged.versionId } : {}) }),
    );
    // The staged copy's ETag equals the source's for single-part copies; either way it names this content.
    const etag = staged.etag ?? object.ETag ?? '';
    const objectId = objectIdPrefix(origin.bucket, origin.key, etag);
    const counts: ObjectCounts = await processObject({
      body: object.Body as Readable,
      source: { ...origin, etag },
      parser,
      filter,
      index: indexing.indexPrefix,
      bulkMaxBytes: indexing.bulkMaxBytes,
      bulkMaxDocs: indexing.bulkMaxDocs,
      maxLineBytes: pipeline.logFormat.maxLineBytes,
      send: (req) => sendBulk(req, conn.bulk, policy),
      backup: (part, records) => writeFailedRecords(s3Client(), backupBucket, pipeline.name, objectId, part, records),
      finalAttempt,
    });
    const balanced = accountedFor(counts);
    logger[balanced ? 'info' : 'error']('object processed', { source: `s3://${origin.bucket}/${origin.key}`, ...counts, balanced, finalAttempt });
    addIndexingMetrics(metrics, counts);
    deferred += counts.deferred;
  }
  // Redelivery is safe: documents are created with deterministic ids, backups land at deterministic keys.
  if (deferred > 0) throw new Error(`${deferred} records hit transient indexing failures; leaving the message for redelivery`);
}

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  try {
    return await processPartialResponse(event, processRecord, processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
};
