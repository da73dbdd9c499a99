/**
 * Light Engine compaction, step 1 (Step Functions task): the partitions of the table due for merging
 * (lambda/core/light/compaction.ts, listDuePartitions).
 */
import { requireEnv, s3Client } from '../adapters/aws';
import { entryPoint, logger } from '../adapters/powertools';
import { bucketStore } from '../adapters/s3-store';
import { listDuePartitions, pendingBatchIds } from '../core/light/compaction';

export const handler = entryPoint(async (_event: unknown) => {
  const s3 = s3Client();
  return listDuePartitions(bucketStore(s3, requireEnv('CENTRAL_BUCKET')), {
    table: requireEnv('TABLE_NAME'),
    minAgeMs: Number(requireEnv('COMPACT_MIN_AGE_HOURS')) * 3_600_000,
    targetBytes: Number(requireEnv('COMPACT_TARGET_BYTES')),
    maxPartitions: Number(process.env.MAX_PARTITIONS ?? 200),
    // The batches not finished yet: their manifests in the staging bucket.
    pendingBatches: () => pendingBatchIds(bucketStore(s3, requireEnv('STAGING_BUCKET')), requireEnv('PIPELINE_NAME')),
    log: logger,
  });
});
