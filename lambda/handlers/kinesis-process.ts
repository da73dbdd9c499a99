/**
 * Kinesis event source mapping (Fluent Bit → stream) → parse each line into OpenSearch. Every line ends indexed,
 * filtered, or in the backup bucket with a reason; lines hit by transient indexing failures are handed back to the
 * mapping through batchItemFailures (ReportBatchItemFailures), and any unexpected error is thrown so that the
 * mapping retries or bisects the batch — a batch is never answered "done" when it is not.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { writeFailedRecords } from '../adapters/backup-store';
import { requireEnv, s3Client } from '../adapters/aws';
import { addIndexingMetrics } from '../adapters/metrics';
import { bulkRetryPolicy, layoutCheckedConnection, withInvocationDeadline } from '../adapters/opensearch';
import { sendBulk } from '../core/bulk/sender';
import { toOpenSearchMappings } from '../core/fields';
import { compileFilters } from '../core/filters';
import { compileParser } from '../core/formats';
import { shardIdOf, streamArnOf } from '../core/kinesis';
import { ensureIndexLayout } from '../core/opensearch/index-layout';
import { indexingOf, layoutSettings } from '../core/opensearch/settings';
import { runtimeConfig } from '../adapters/runtime-config';
import { accountedFor } from '../core/process-object';
import { processRecords } from '../core/process-records';

const logger = new Logger();
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Logtong' });

const pipeline = runtimeConfig();
const indexing = indexingOf(pipeline);
const parser = compileParser(pipeline.logFormat);
const filter = compileFilters(pipeline.logFormat.filters);
const text = {
  jsonKey: process.env.KINESIS_LOG_KEY ?? 'log',
  unescape: process.env.KINESIS_UNESCAPE === 'never' ? ('never' as const) : ('auto' as const),
};

// Kept short by default: a batch the mapping retries is better than an invocation that runs into its timeout.
const retryPolicy = bulkRetryPolicy({ maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 });

const openSearch = layoutCheckedConnection(async (conn) => {
  const layout = await ensureIndexLayout(conn.http, layoutSettings(indexing), toOpenSearchMappings(parser.fields));
  logger.info('index layout checked', { ...layout });
});

export const handler = async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
  logger.addContext(context);
  try {
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    const backupBucket = requireEnv('BACKUP_BUCKET');
    const conn = await openSearch();
    const policy = withInvocationDeadline(retryPolicy, context);
    // A mapping's batch comes from one shard of one stream.
    const streamArn = streamArnOf(records[0].eventSourceARN);
    const shardId = shardIdOf(records[0].eventID);
    const result = await processRecords({
      streamArn,
      shardId,
      records: records.map((r) => ({ sequenceNumber: r.kinesis.sequenceNumber, partitionKey: r.kinesis.partitionKey, data: Buffer.from(r.kinesis.data, 'base64') })),
      parser,
      filter,
      index: indexing.indexPrefix,
      bulkMaxBytes: indexing.bulkMaxBytes,
      bulkMaxDocs: indexing.bulkMaxDocs,
      maxLineBytes: pipeline.logFormat.maxLineBytes,
      text,
      send: (req) => sendBulk(req, conn.bulk, policy),
      backup: (objectId, failed) => writeFailedRecords(s3Client(), backupBucket, pipeline.name, objectId, 1, failed),
    });
    const { counts } = result;
    const balanced = accountedFor(counts);
    logger[balanced ? 'info' : 'error']('batch processed', {
      streamArn,
      shardId,
      records: records.length,
      firstSequenceNumber: records[0].kinesis.sequenceNumber,
      lastSequenceNumber: records[records.length - 1].kinesis.sequenceNumber,
      ...counts,
      balanced,
      retryFrom: result.retryFrom,
    });
    addIndexingMetrics(metrics, counts);
    // An unbalanced count is a bug: throwing keeps the batch for a retry rather than risking a silent loss.
    if (!balanced) throw new Error(`counts do not balance: ${JSON.stringify(counts)}`);
    return { batchItemFailures: result.retryFrom ? [{ itemIdentifier: result.retryFrom }] : [] };
  } finally {
    metrics.publishStoredMetrics();
  }
};
