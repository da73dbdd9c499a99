/**
 * Light Engine, step 1 (Step Functions task): which staged objects to convert in this run, as batch manifests.
 * Manifests left by a failed run come first, unchanged, so their output keys repeat and overwrite instead of
 * duplicating; the rest of the staged objects are grouped into new manifests. Returns only manifest keys: the
 * state's payload stays small whatever the backlog.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { MANIFEST_PREFIX, archiveKey, batchIdOf, manifestKey, planBatches, type BatchManifest, type StagedObject } from '../core/light/layout';

const logger = new Logger();

export interface ListResult {
  readonly batches: Array<{ readonly manifestKey: string }>;
  /** Staged objects listed (claimed or not) and their bytes. */
  readonly staged: number;
  readonly stagedBytes: number;
  /** Batches of earlier runs retried in this one. */
  readonly resumed: number;
  /** Staged objects whose identical copy (same key and ETag) a finished batch had archived: dropped, not converted again. */
  readonly alreadyConverted: number;
}

/**
 * An object staged again after its batch finished (a redelivered copy message, a rescan) has its archived twin
 * under `archive/`: same key, same ETag, same bytes. Converting it again would add its rows a second time, so the
 * staged copy is deleted instead. Unclaimed objects only: a pending manifest's objects may be half-archived on purpose.
 */
async function withoutConverted(bucket: string, objects: StagedObject[]): Promise<{ fresh: StagedObject[]; converted: number }> {
  const s3 = s3Client();
  const fresh: StagedObject[] = [];
  let converted = 0;
  const check = async (o: StagedObject): Promise<void> => {
    let twin: string | undefined;
    try {
      twin = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: archiveKey(o.key) }))).ETag;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw e;
    }
    if (twin !== undefined && twin === o.etag) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
      converted++;
      logger.info('staged again after its batch was archived: dropped', { key: o.key, etag: o.etag });
    } else fresh.push(o);
  };
  for (let i = 0; i < objects.length; i += HEAD_CONCURRENCY) await Promise.all(objects.slice(i, i + HEAD_CONCURRENCY).map(check));
  return { fresh, converted };
}

const HEAD_CONCURRENCY = 16;

async function* listObjects(bucket: string, prefix: string, limit: number): AsyncGenerator<StagedObject> {
  let token: string | undefined;
  let n = 0;
  do {
    const page = await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      if (!o.Key || o.Key.endsWith('/')) continue;
      yield { key: o.Key, etag: o.ETag ?? '', size: o.Size ?? 0 };
      if (++n >= limit) return;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

export async function listBatches(): Promise<ListResult> {
  const bucket = requireEnv('STAGING_BUCKET');
  const pipeline = requireEnv('PIPELINE_NAME');
  const maxBytes = Number(requireEnv('BATCH_MAX_BYTES'));
  const maxObjects = Number(requireEnv('BATCH_MAX_OBJECTS'));
  const maxBatches = Number(process.env.MAX_BATCHES ?? 100);
  const s3 = s3Client();

  const pending: string[] = [];
  const claimed = new Set<string>();
  for await (const m of listObjects(bucket, `${MANIFEST_PREFIX}${pipeline}/`, Number.MAX_SAFE_INTEGER)) {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: m.key }));
    const manifest = JSON.parse(await res.Body!.transformToString()) as BatchManifest;
    for (const o of manifest.objects) claimed.add(o.key);
    pending.push(m.key);
  }

  // ListObjectsV2 returns keys in order, so stopping after enough objects for this run keeps the oldest keys first.
  const listed: StagedObject[] = [];
  let stagedBytes = 0;
  for await (const o of listObjects(bucket, `${pipeline}/`, claimed.size + maxBatches * maxObjects)) {
    stagedBytes += o.size;
    if (!claimed.has(o.key)) listed.push(o);
  }
  const { fresh: staged, converted } = await withoutConverted(bucket, listed);
  const room = Math.max(0, maxBatches - pending.length);
  const batchesToPlan = room > 0 ? planBatches(staged, { maxBytes, maxObjects, maxBatches: room }) : [];
  const created: string[] = [];
  for (const objects of batchesToPlan) {
    const id = batchIdOf(objects);
    const key = manifestKey(pipeline, id);
    const manifest: BatchManifest = { id, pipeline, objects };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(manifest), ContentType: 'application/json' }));
    created.push(key);
  }
  const result: ListResult = {
    batches: [...pending.slice(0, maxBatches), ...created].map((k) => ({ manifestKey: k })),
    staged: staged.length + claimed.size,
    stagedBytes,
    resumed: Math.min(pending.length, maxBatches),
    alreadyConverted: converted,
  };
  logger.info('batches listed', { ...result, batches: result.batches.length, created: created.length });
  return result;
}

export const handler = async (_event: unknown, context: Context): Promise<ListResult> => {
  logger.addContext(context);
  return listBatches();
};
