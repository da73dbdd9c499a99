/**
 * Light Engine compaction, step 2 (Step Functions Map task, one per partition): merge the partition's small Parquet
 * files into files of at least the target size (lambda/core/light/compaction.ts, compactPartition).
 */
import { requireEnv, s3Client } from '../adapters/aws';
import { entryPoint, logger, pipelineRuntime } from '../adapters/pipeline-runtime';
import { bucketStore } from '../adapters/s3-store';
import { compactPartition } from '../core/light/compaction';
import { lightTable } from '../core/light/table';

const { config, parser } = pipelineRuntime();
// The table's current columns: a merge also brings older files up to date with the format.
const { columns } = lightTable(config.logFormat, parser.fields);

export const handler = entryPoint(async (event: { readonly prefix: string }) =>
  compactPartition(bucketStore(s3Client(), requireEnv('CENTRAL_BUCKET')), {
    prefix: event.prefix,
    columns,
    minAgeMs: Number(requireEnv('COMPACT_MIN_AGE_HOURS')) * 3_600_000,
    targetBytes: Number(requireEnv('COMPACT_TARGET_BYTES')),
    log: logger,
  }),
);
