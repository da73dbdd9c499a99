/**
 * SQS (S3 object-created events of the source bucket) → copy each object into the staging bucket under
 * `<pipeline>/<source-bucket>/<key>`. Failed messages are reported individually so only they come back.
 */
import type { SQSRecord } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { logger, sqsEntryPoint } from '../adapters/powertools';
import { copyObject } from '../adapters/s3-objects';
import { MAX_SINGLE_COPY_BYTES, objectsFromMessage, stagingKey } from '../core/s3-event';

async function copyRecord(record: SQSRecord): Promise<void> {
  const staging = requireEnv('STAGING_BUCKET');
  const prefix = requireEnv('STAGING_PREFIX');
  const threshold = Number(process.env.MULTIPART_THRESHOLD_BYTES ?? MAX_SINGLE_COPY_BYTES);
  const partBytes = Number(process.env.MULTIPART_PART_BYTES ?? 512 * 1024 ** 2);
  for (const o of objectsFromMessage(record.body)) {
    const key = stagingKey(prefix, o);
    const multipart = await copyObject(s3Client(), o, staging, key, { multipartThreshold: threshold, partBytes });
    logger.info('copied', { source: `s3://${o.bucket}/${o.key}`, target: `s3://${staging}/${key}`, bytes: o.size, multipart });
  }
}

export const handler = sqsEntryPoint(copyRecord);
