/**
 * Kinesis event source mapping (Fluent Bit → stream) → parse each line into OpenSearch. Every line ends indexed,
 * filtered, or in the backup bucket with a reason; lines hit by transient indexing failures are handed back to the
 * mapping through batchItemFailures (ReportBatchItemFailures), and any unexpected error is thrown so that the
 * mapping retries or bisects the batch — a batch is never answered "done" when it is not.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { writeFailedRecords } from '../adapters/backup-store';
import { addIndexingMetrics, enforceBalance } from '../adapters/metrics';
import { bulkRetryPolicy, indexingConnection, withInvocationDeadline } from '../adapters/opensearch';
import { entryPoint, indexingRuntime, logger, metrics } from '../adapters/pipeline-runtime';
import { sendBulk } from '../core/bulk/sender';
import { compareSequence, shardIdOf, shardIdPrefix, streamArnOf } from '../core/kinesis';
import { pinShardBatch } from '../core/opensearch/pins';
import { retryingHttp } from '../core/opensearch/retrying-http';
import { accountedFor } from '../core/process-object';
import { processRecords } from '../core/process-records';

const { config, parser, indexing, options } = indexingRuntime();
const openSearch = indexingConnection(indexing, parser.fields);
// Kept short by default: a batch the mapping retries is better than an invocation that runs into its timeout.
const retryPolicy = bulkRetryPolicy({ maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 });
const text = {
  jsonKey: process.env.KINESIS_LOG_KEY ?? 'log',
  unescape: process.env.KINESIS_UNESCAPE === 'never' ? ('never' as const) : ('auto' as const),
};

async function processBatch(event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> {
  const records = event.Records ?? [];
  if (records.length === 0) return { batchItemFailures: [] };
  const backupBucket = requireEnv('BACKUP_BUCKET');
  const conn = await openSearch();
  const policy = withInvocationDeadline(retryPolicy, context);
  // A mapping's batch comes from one shard of one stream.
  const streamArn = streamArnOf(records[0].eventSourceARN);
  const shardId = shardIdOf(records[0].eventID);
  const all = records.map((r) => ({ sequenceNumber: r.kinesis.sequenceNumber, partitionKey: r.kinesis.partitionKey, data: Buffer.from(r.kinesis.data, 'base64') }));
  // Where these records go, now and on every redelivery (core/opensearch/pins.ts); records of a later segment, if a
  // redelivered batch reaches one, are left to the retry.
  const plan = await pinShardBatch({ ...conn.pins, http: retryingHttp(conn.pins.http, policy) }, shardIdPrefix(streamArn, shardId), all[0].sequenceNumber, all[all.length - 1].sequenceNumber);
  const cut = plan.cutAt === undefined ? all.length : all.findIndex((r) => compareSequence(r.sequenceNumber, plan.cutAt!) >= 0);
  const result = await processRecords({
    ...options,
    index: plan.index,
    streamArn,
    shardId,
    records: all.slice(0, cut),
    text,
    send: (req) => sendBulk(req, conn.bulk, policy),
    backup: (objectId, failed) => writeFailedRecords(s3Client(), backupBucket, config.name, objectId, 1, failed),
  });
  const { counts } = result;
  const retryFrom = result.retryFrom ?? (cut < all.length ? all[cut].sequenceNumber : undefined);
  const balanced = accountedFor(counts);
  logger[balanced ? 'info' : 'error']('batch processed', {
    streamArn,
    shardId,
    records: records.length,
    firstSequenceNumber: records[0].kinesis.sequenceNumber,
    lastSequenceNumber: records[records.length - 1].kinesis.sequenceNumber,
    ...counts,
    balanced,
    retryFrom,
    index: plan.index,
    redelivery: plan.redelivery,
  });
  addIndexingMetrics(metrics, counts);
  enforceBalance(metrics, `${streamArn} ${shardId}`, counts, balanced);
  return { batchItemFailures: retryFrom ? [{ itemIdentifier: retryFrom }] : [] };
}

export const handler = entryPoint(processBatch, { metrics: true });
