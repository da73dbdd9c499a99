/**
 * Light Engine, step 1 (Step Functions task): which staged objects to convert in this run, as batch manifests
 * (lambda/core/light/batches.ts, listBatches).
 */
import type { Context } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { entryPoint, logger } from '../adapters/powertools';
import { bucketStore } from '../adapters/s3-store';
import { listBatches } from '../core/light/batches';

export const handler = entryPoint(async (_event: unknown, context: Context) =>
  listBatches(bucketStore(s3Client(), requireEnv('STAGING_BUCKET')), {
    pipeline: requireEnv('PIPELINE_NAME'),
    maxBytes: Number(requireEnv('BATCH_MAX_BYTES')),
    maxObjects: Number(requireEnv('BATCH_MAX_OBJECTS')),
    maxBatches: Number(process.env.MAX_BATCHES ?? 100),
    // Its lock outlives this invocation by a margin, never the other way round.
    deadline: Date.now() + context.getRemainingTimeInMillis(),
    log: logger,
  }),
);
