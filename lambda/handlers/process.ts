/**
 * SQS (staging bucket object-created events) → stream each staged object through the parsing core into OpenSearch.
 * Every line ends indexed, filtered by the pipeline's rules, or in the backup bucket with a reason; transient
 * indexing failures are left to SQS redelivery until the last attempt, then backed up too.
 */
import type { Context, SQSRecord } from 'aws-lambda';
import type { Readable } from 'node:stream';
import { requireEnv, s3Client } from '../adapters/aws';
import { objectBackups, writeFailedRecords } from '../adapters/backup-store';
import { addIndexingMetrics, enforceBalance } from '../adapters/metrics';
import { bulkRetryPolicy, indexingConnection, withInvocationDeadline } from '../adapters/opensearch';
import { indexingRuntime, logger, metrics, sqsEntryPoint } from '../adapters/pipeline-runtime';
import { getObject, markDoneOrLog } from '../adapters/s3-objects';
import { objectIdPrefix } from '../core/bulk/batcher';
import { pinObject, type PinContext } from '../core/opensearch/pins';
import { refuseAll, sendBulk } from '../core/bulk/sender';
import { retryingHttp } from '../core/opensearch/retrying-http';
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
    // The staging key names the source content (stagingKey); a key staged without it falls back to the event's ETag,
    // which equals the source's for single-part copies and names this content either way.
    const etag = origin.etag ?? staged.etag ?? object.ETag ?? '';
    const objectId = objectIdPrefix(origin.bucket, origin.key, etag);
    // Where this object's documents go, now and on every redelivery: the index it was first written to.
    const pin = await pinnedIndex({ ...conn.pins, http: retryingHttp(conn.pins.http, policy) }, objectId, finalAttempt);
    const counts = await processObject({
      ...options,
      index: 'index' in pin ? pin.index : options.index,
      body: object.Body as Readable,
      source: { ...origin, etag },
      send: 'index' in pin ? (req) => sendBulk(req, conn.bulk, policy) : (req) => Promise.resolve(refuseAll(req, pin.refused)),
      backup: (part, records) => writeFailedRecords(s3Client(), backupBucket, config.name, objectId, part, records),
      // over-long lines to objects of their own; a broken gzip object read again up to its break and copied whole
      ...objectBackups(s3Client(), backupBucket, config.name, objectId, { ...staged, etag: object.ETag, size: object.ContentLength ?? 0 }),
      finalAttempt,
    });
    const balanced = accountedFor(counts);
    logger[balanced ? 'info' : 'error']('object processed', { source: `s3://${origin.bucket}/${origin.key}`, ...counts, balanced, finalAttempt });
    addIndexingMetrics(metrics, counts);
    enforceBalance(metrics, `s3://${origin.bucket}/${origin.key}`, counts, balanced);
    deferred += counts.deferred;
    // Every line indexed, filtered or backed up: only now may the staging lifecycle expire the content that was read.
    if (balanced && counts.deferred === 0) await markDoneOrLog(s3Client(), { ...staged, etag: object.ETag }, logger);
  }
  if (deferred > 0) throw new RedeliveryRequested(deferred);
}

/**
 * The object's pinned index. A pin that cannot be read or written (the domain stayed unreachable through the retries)
 * fails the message for a redelivery; on the last delivery its lines are backed up with that reason instead. Not
 * written through the alias: after a rollover that would index a second time what an earlier delivery indexed.
 */
async function pinnedIndex(pins: PinContext, objectId: string, finalAttempt: boolean): Promise<{ index: string } | { refused: string }> {
  try {
    return { index: await pinObject(pins, objectId) };
  } catch (e) {
    if (!finalAttempt) throw e;
    logger.error('delivery pin unavailable on the last delivery: backing the lines up', { objectId, error: (e as Error).message });
    return { refused: `delivery pin unavailable on the last delivery: ${(e as Error).message}` };
  }
}

export const handler = sqsEntryPoint(processRecord, { metrics: true });
