/**
 * Light Engine, step 2 (Step Functions Map task, one per batch manifest): staged raw objects → Hive-partitioned
 * Parquet in the centralized bucket, failed records → backup bucket, then the batch is archived
 * (lambda/core/light/batches.ts, convertManifest).
 */
import type { Context } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { copyBrokenObject, failedLineSink, writeFailedRecords } from '../adapters/backup-store';
import { addConvertMetrics, countingUnbalanced } from '../adapters/metrics';
import { entryPoint, logger, metrics, pipelineRuntime } from '../adapters/pipeline-runtime';
import { markingArchivedDone } from '../adapters/archive-done';
import { bucketStore } from '../adapters/s3-store';
import { convertManifest, type ConvertEvent } from '../core/light/batches';
import { lightTable } from '../core/light/table';

const { config, parser, filter } = pipelineRuntime();
const table = lightTable(config.logFormat, parser.fields);
// The Glue table's event_hour range: without it a record could be written where no query sees it, so refuse to start.
const projection = config.light?.projection;
if (!projection) throw new Error('RUNTIME_CONFIG has no light.projection: redeploy the stack (toRuntimeConfig writes it for every Light Engine pipeline)');

export const handler = entryPoint(
  async (event: ConvertEvent, context: Context) => {
    const s3 = s3Client();
    // Archived copies are tagged done once the batch is finished, so the staging lifecycle may expire them.
    const staging = markingArchivedDone(bucketStore(s3, requireEnv('STAGING_BUCKET')), s3, logger);
    const central = bucketStore(s3, requireEnv('CENTRAL_BUCKET'));
    const backupBucket = requireEnv('BACKUP_BUCKET');
    const result = await countingUnbalanced(metrics, () => convertManifest(staging, {
      manifestKey: event.manifestKey,
      pipeline: config.name,
      // The batch's lease (one Convert at a time) names the run and outlives this invocation by a margin.
      run: event.run,
      deadline: Date.now() + context.getRemainingTimeInMillis(),
      convert: {
        parser,
        filter,
        columns: table.columns,
        toRow: table.toRow,
        table: requireEnv('TABLE_NAME'),
        region: requireEnv('PARTITION_REGION'),
        maxLineBytes: config.logFormat.maxLineBytes,
        projection,
        openFile: (key) => central.create(key),
        backup: (objectId, part, records) => writeFailedRecords(s3, backupBucket, config.name, objectId, part, records),
        // over-long lines to objects of their own; a broken gzip object read again up to its break and copied whole
        spill: (input, lineNo) => failedLineSink(s3, backupBucket, config.name, input.objectId, lineNo),
        reopen: async ({ stored }) => {
          const again = stored && (await staging.get(stored.key));
          if (!again) throw new Error('the staged object is gone: no second read');
          return again.stream;
        },
        backupObject: ({ objectId, bucket, key, stored }) => copyBrokenObject(s3, backupBucket, config.name, objectId, stored ?? { bucket, key, size: 0 }),
      },
      log: logger,
    }));
    if (!result.alreadyConverted && !result.busy) addConvertMetrics(metrics, result);
    return result;
  },
  { metrics: true },
);
