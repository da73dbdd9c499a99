/**
 * SQS (S3 object-created events of the source bucket) → copy each object into the staging bucket under
 * `<pipeline>/<source-bucket>/etag=<ETag>/<key>` (stagingKey: one key per content). Failed messages are reported
 * individually so only they come back.
 *
 * With MARK_SOURCE_DONE=true (the source is the pipeline's own buffer bucket, never a user's bucket) the source
 * object is marked done once its copy is staged: the buffer bucket expires only objects marked done.
 *
 * With SOURCE_ROLE_ARN (a source bucket of another account) the object is read with that role's credentials and
 * written with the function's own, streamed through the function: no single identity may do both server-side.
 */
import type { SQSRecord } from 'aws-lambda';
import { requireEnv, s3Client, sourceRole, sourceS3Client } from '../adapters/aws';
import { streamCopy } from '../adapters/cross-account-copy';
import { logger, sqsEntryPoint } from '../adapters/powertools';
import { copyObject, isPreconditionFailed, markDoneOrLog } from '../adapters/s3-objects';
import { MAX_SINGLE_COPY_BYTES, objectsFromMessage, stagingKey } from '../core/s3-event';

async function copyRecord(record: SQSRecord): Promise<void> {
  const staging = requireEnv('STAGING_BUCKET');
  const prefix = requireEnv('STAGING_PREFIX');
  const threshold = Number(process.env.MULTIPART_THRESHOLD_BYTES ?? MAX_SINGLE_COPY_BYTES);
  const partBytes = Number(process.env.MULTIPART_PART_BYTES ?? 512 * 1024 ** 2);
  const markSourceDone = process.env.MARK_SOURCE_DONE === 'true';
  const crossAccount = sourceRole() !== undefined;
  for (const o of objectsFromMessage(record.body)) {
    // The key names the event's content (its ETag), and the copy takes only that content: a source key written again
    // since the event has its own event, staged under its own key, so no copy is ever read under another's identity.
    const key = stagingKey(prefix, o);
    let multipart: boolean;
    try {
      const from = { ...o, ...(o.etag ? { ifMatchEtag: o.etag } : {}) };
      multipart = crossAccount
        ? await streamCopy(sourceS3Client(), s3Client(), from, staging, key)
        : await copyObject(s3Client(), from, staging, key, { multipartThreshold: threshold, partBytes });
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      // Nothing of ours is lost: the content this event named was replaced in the source before it could be read.
      logger.error('source object changed before it was copied: its new content comes with its own event', { source: `s3://${o.bucket}/${o.key}`, etag: o.etag });
      continue;
    }
    logger.info('copied', { source: `s3://${o.bucket}/${o.key}`, target: `s3://${staging}/${key}`, bytes: o.size, multipart });
    // The staged copy now holds the lines (and expires only once they are delivered). A failure to tag is logged, not
    // thrown: a retry would stage the object again and have it processed twice.
    if (markSourceDone) await markDoneOrLog(s3Client(), o, logger);
  }
}

export const handler = sqsEntryPoint(copyRecord);
