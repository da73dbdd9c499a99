/**
 * Light Engine, step 2 (Step Functions Map task, one per batch manifest): staged raw objects → Hive-partitioned
 * Parquet in the centralized bucket; failed records → backup bucket. Only after every file is written are the raw
 * objects moved to `archive/` and the manifest deleted, so a crash at any point leaves the batch to be retried
 * whole, writing the same keys again.
 */
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Readable } from 'node:stream';
import { runtimeConfig } from '../adapters/runtime-config';
import { requireEnv, s3Client } from '../adapters/aws';
import { writeFailedRecords } from '../adapters/backup-store';
import { moveObject, s3FileSink } from '../adapters/s3-objects';
import { objectIdPrefix } from '../core/bulk/batcher';
import { compileFilters } from '../core/filters';
import { compileParser } from '../core/formats';
import { convertAccountedFor, convertBatch, type ConvertInput } from '../core/light/convert';
import { archiveKey, type BatchManifest } from '../core/light/layout';
import { lightTable } from '../core/light/table';
import { sourceOfStagingKey } from '../core/s3-event';

const logger = new Logger();
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Logtong' });

const pipeline = runtimeConfig();
const parser = compileParser(pipeline.logFormat);
const filter = compileFilters(pipeline.logFormat.filters);
const table = lightTable(pipeline.logFormat, parser.fields);

export interface ConvertEvent {
  readonly manifestKey: string;
}

export interface ConvertResult {
  readonly batchId: string;
  readonly objects: number;
  /** Objects of the manifest that no longer exist (expired or deleted); nothing to convert for them. */
  readonly missing: number;
  readonly recordsIn: number;
  readonly written: number;
  readonly filtered: number;
  readonly failed: number;
  readonly files: number;
  /** The manifest was already gone: an earlier attempt finished the batch and only its reply was lost. */
  readonly alreadyConverted?: boolean;
}

export async function convertManifest(event: ConvertEvent): Promise<ConvertResult> {
  const staging = requireEnv('STAGING_BUCKET');
  const central = requireEnv('CENTRAL_BUCKET');
  const backupBucket = requireEnv('BACKUP_BUCKET');
  const tableName = requireEnv('TABLE_NAME');
  const region = requireEnv('PARTITION_REGION');
  const s3 = s3Client();

  let manifest: BatchManifest;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: staging, Key: event.manifestKey }));
    manifest = JSON.parse(await res.Body!.transformToString()) as BatchManifest;
  } catch (e) {
    if (!(e instanceof NoSuchKey)) throw e;
    // Deleted only as the last step of a finished batch.
    logger.warn('manifest already gone: batch converted by an earlier attempt', { manifestKey: event.manifestKey });
    const id = event.manifestKey.replace(/^.*\//, '').replace(/\.json$/, '');
    return { batchId: id, objects: 0, missing: 0, recordsIn: 0, written: 0, filtered: 0, failed: 0, files: 0, alreadyConverted: true };
  }
  let missing = 0;

  // A retry after a crash during archiving finds some objects already moved: read them from the archive.
  const open = async (key: string) => {
    for (const k of [key, archiveKey(key)]) {
      try {
        return await s3.send(new GetObjectCommand({ Bucket: staging, Key: k }));
      } catch (e) {
        if (!(e instanceof NoSuchKey)) throw e;
      }
    }
    return undefined;
  };

  async function* inputs(): AsyncGenerator<ConvertInput> {
    for (const o of manifest.objects) {
      const object = await open(o.key);
      if (!object) {
        missing++;
        logger.error('staged object is gone; nothing to convert', { key: o.key, batch: manifest.id });
        continue;
      }
      const origin = sourceOfStagingKey(pipeline.name, o.key) ?? { bucket: staging, key: o.key };
      yield { ...origin, objectId: objectIdPrefix(origin.bucket, origin.key, o.etag), body: object.Body as Readable };
    }
  }

  const counts = await convertBatch({
    batchId: manifest.id,
    objects: inputs(),
    parser,
    filter,
    columns: table.columns,
    toRow: table.toRow,
    table: tableName,
    region,
    maxLineBytes: pipeline.logFormat.maxLineBytes,
    openFile: (key) => s3FileSink(s3, central, key),
    backup: (objectId, part, records) => writeFailedRecords(s3, backupBucket, pipeline.name, objectId, part, records),
  });

  for (const o of manifest.objects) {
    try {
      await moveObject(s3, { bucket: staging, key: o.key, size: o.size }, archiveKey(o.key));
    } catch (e) {
      // Moved by an earlier attempt, or gone: either way no longer staged.
      if (!(e instanceof NoSuchKey) && (e as { name?: string }).name !== 'NoSuchKey') throw e;
    }
  }
  await s3.send(new DeleteObjectCommand({ Bucket: staging, Key: event.manifestKey }));

  const balanced = convertAccountedFor(counts);
  const result: ConvertResult = {
    batchId: manifest.id,
    objects: manifest.objects.length,
    missing,
    recordsIn: counts.recordsIn,
    written: counts.written,
    filtered: counts.filtered,
    failed: counts.failed,
    files: counts.files.length,
  };
  logger[balanced ? 'info' : 'error']('batch converted', { ...result, balanced });
  metrics.addMetric('RecordsIn', MetricUnit.Count, counts.recordsIn);
  metrics.addMetric('Written', MetricUnit.Count, counts.written);
  metrics.addMetric('Filtered', MetricUnit.Count, counts.filtered);
  metrics.addMetric('BackedUp', MetricUnit.Count, counts.failed);
  return result;
}

export const handler = async (event: ConvertEvent, context: Context): Promise<ConvertResult> => {
  logger.addContext(context);
  try {
    return await convertManifest(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
