/**
 * Light Engine, step 1 (Step Functions task): which staged objects to convert in this run, as batch manifests
 * (lambda/core/light/batches.ts, listBatches).
 */
import { requireEnv, s3Client } from '../adapters/aws';
import { entryPoint, logger } from '../adapters/powertools';
import { bucketStore } from '../adapters/s3-store';
import { listBatches } from '../core/light/batches';

export const handler = entryPoint(async (_event: unknown) =>
  listBatches(bucketStore(s3Client(), requireEnv('STAGING_BUCKET')), {
    pipeline: requireEnv('PIPELINE_NAME'),
    maxBytes: Number(requireEnv('BATCH_MAX_BYTES')),
    maxObjects: Number(requireEnv('BATCH_MAX_OBJECTS')),
    maxBatches: Number(process.env.MAX_BATCHES ?? 100),
    log: logger,
  }),
);
