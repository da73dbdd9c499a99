/**
 * Light Engine compaction, step 2 (Step Functions Map task, one per partition): merge the partition's small Parquet
 * files into files of at least the target size (lambda/core/light/compaction.ts, compactPartition).
 */
import type { Context } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { addCompactionMetrics } from '../adapters/metrics';
import { entryPoint, logger, metrics, pipelineRuntime } from '../adapters/pipeline-runtime';
import { bucketStore } from '../adapters/s3-store';
import { compactPartition, pendingBatchIds, type PartitionRef } from '../core/light/compaction';
import { lightTable } from '../core/light/table';

const { config, parser } = pipelineRuntime();
// The table's current columns: a merge also brings older files up to date with the format.
const { columns } = lightTable(config.logFormat, parser.fields);

export const handler = entryPoint(async (event: PartitionRef, context: Context) => {
  const s3 = s3Client();
  const result = await compactPartition(bucketStore(s3, requireEnv('CENTRAL_BUCKET')), {
    prefix: event.prefix,
    run: event.run,
    columns,
    minAgeMs: Number(requireEnv('COMPACT_MIN_AGE_HOURS')) * 3_600_000,
    targetBytes: Number(requireEnv('COMPACT_TARGET_BYTES')),
    // The batches not finished yet: their manifests in the staging bucket.
    pendingBatches: () => pendingBatchIds(bucketStore(s3, requireEnv('STAGING_BUCKET')), config.name),
    // Its lock outlives this invocation by a margin, never the other way round.
    deadline: Date.now() + context.getRemainingTimeInMillis(),
    log: logger,
  });
  if (!result.busy) addCompactionMetrics(metrics, result);
  return result;
}, { metrics: true });
