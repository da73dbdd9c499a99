/**
 * Kinesis event source mapping (Fluent Bit → stream) → parse each line into OpenSearch. Every line ends indexed,
 * filtered, or in the backup bucket with a reason; lines hit by transient indexing failures are handed back to the
 * mapping through batchItemFailures (ReportBatchItemFailures), and any unexpected error is thrown so that the
 * mapping retries or bisects the batch — a batch is never answered "done" when it is not.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { writeFailedRecords } from '../adapters/backup-store';
import { addIndexingMetrics } from '../adapters/metrics';
import { bulkRetryPolicy, indexingConnection, withInvocationDeadline } from '../adapters/opensearch';
import { entryPoint, indexingRuntime, logger, metrics } from '../adapters/pipeline-runtime';
import { sendBulk } from '../core/bulk/sender';
import { shardIdOf, streamArnOf } from '../core/kinesis';
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
  const { counts, retryFrom } = await processRecords({
    ...options,
    streamArn,
    shardId,
    records: records.map((r) => ({ sequenceNumber: r.kinesis.sequenceNumber, partitionKey: r.kinesis.partitionKey, data: Buffer.from(r.kinesis.data, 'base64') })),
    text,
    send: (req) => sendBulk(req, conn.bulk, policy),
    backup: (objectId, failed) => writeFailedRecords(s3Client(), backupBucket, config.name, objectId, 1, failed),
  });
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
  });
  addIndexingMetrics(metrics, counts);
  // An unbalanced count is a bug: throwing keeps the batch for a retry rather than risking a silent loss.
  if (!balanced) throw new Error(`counts do not balance: ${JSON.stringify(counts)}`);
  return { batchItemFailures: retryFrom ? [{ itemIdentifier: retryFrom }] : [] };
}

export const handler = entryPoint(processBatch, { metrics: true });
