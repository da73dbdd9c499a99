/**
 * Light Engine, step 2 (Step Functions Map task, one per batch manifest): staged raw objects → Hive-partitioned
 * Parquet in the centralized bucket, failed records → backup bucket, then the batch is archived
 * (lambda/core/light/batches.ts, convertManifest).
 */
import { requireEnv, s3Client } from '../adapters/aws';
import { writeFailedRecords } from '../adapters/backup-store';
import { addConvertMetrics } from '../adapters/metrics';
import { entryPoint, logger, metrics, pipelineRuntime } from '../adapters/pipeline-runtime';
import { bucketStore } from '../adapters/s3-store';
import { convertManifest, type ConvertEvent } from '../core/light/batches';
import { lightTable } from '../core/light/table';

const { config, parser, filter } = pipelineRuntime();
const table = lightTable(config.logFormat, parser.fields);

export const handler = entryPoint(
  async (event: ConvertEvent) => {
    const s3 = s3Client();
    const staging = bucketStore(s3, requireEnv('STAGING_BUCKET'));
    const central = bucketStore(s3, requireEnv('CENTRAL_BUCKET'));
    const backupBucket = requireEnv('BACKUP_BUCKET');
    const result = await convertManifest(staging, {
      manifestKey: event.manifestKey,
      pipeline: config.name,
      convert: {
        parser,
        filter,
        columns: table.columns,
        toRow: table.toRow,
        table: requireEnv('TABLE_NAME'),
        region: requireEnv('PARTITION_REGION'),
        maxLineBytes: config.logFormat.maxLineBytes,
        openFile: (key) => central.create(key),
        backup: (objectId, part, records) => writeFailedRecords(s3, backupBucket, config.name, objectId, part, records),
      },
      log: logger,
    });
    if (!result.alreadyConverted) addConvertMetrics(metrics, result);
    return result;
  },
  { metrics: true },
);
