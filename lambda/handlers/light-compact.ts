/**
 * Light Engine compaction, step 2 (Step Functions Map task, one per partition): merge the partition's small Parquet
 * files into files of at least the target size. Each merge is journalled first, and its inputs are deleted only after
 * its output exists, so a crash at any point is finished (or redone) by the next attempt and rows are never doubled.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type _Object } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { runtimeConfig } from '../adapters/runtime-config';
import { requireEnv, s3Client } from '../adapters/aws';
import { s3FileSink } from '../adapters/s3-objects';
import { compileParser } from '../core/formats';
import { COMPACTION_JOURNAL_PREFIX, dueCompactions, journalKey, partitionOf, type CompactionJournal } from '../core/light/compaction';
import { lightTable } from '../core/light/table';
import { compactParquet } from '../core/parquet/compact';

const logger = new Logger();
const pipeline = runtimeConfig();
const { columns } = lightTable(pipeline.logFormat, compileParser(pipeline.logFormat).fields);

export interface CompactEvent {
  readonly prefix: string;
}

export interface CompactResult {
  readonly prefix: string;
  readonly merges: number;
  readonly filesIn: number;
  readonly rows: number;
  /** Interrupted merges of an earlier attempt that were finished. */
  readonly resumed: number;
}

async function listAll(bucket: string, prefix: string): Promise<_Object[]> {
  const out: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    out.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await s3Client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    if ((e as { name?: string }).name === 'NotFound' || e instanceof NoSuchKey) return false;
    throw e;
  }
}

async function remove(bucket: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) await s3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

export async function compactPartition(event: CompactEvent, now = Date.now()): Promise<CompactResult> {
  const bucket = requireEnv('CENTRAL_BUCKET');
  const minAgeMs = Number(requireEnv('COMPACT_MIN_AGE_HOURS')) * 3_600_000;
  const targetBytes = Number(requireEnv('COMPACT_TARGET_BYTES'));
  const s3 = s3Client();

  // 1. Finish what an earlier attempt started: output written → drop its inputs; not written → forget it, re-plan.
  let resumed = 0;
  for (const j of await listAll(bucket, `${COMPACTION_JOURNAL_PREFIX}${event.prefix}`)) {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: j.Key! }));
    const journal = JSON.parse(await res.Body!.transformToString()) as CompactionJournal;
    if (await exists(bucket, journal.output)) {
      await remove(bucket, journal.inputs.filter((k) => k !== journal.output));
      resumed++;
    }
    await remove(bucket, [j.Key!]);
  }

  // 2. Plan over what is there now.
  const partition = partitionOf(`${event.prefix}x.parquet`);
  if (!partition) throw new Error(`not a partition prefix: ${event.prefix}`);
  const files = (await listAll(bucket, event.prefix))
    .filter((o) => o.Key!.endsWith('.parquet'))
    .map((o) => ({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(now) }));
  const groups = dueCompactions(partition.eventHour, files, now, minAgeMs, targetBytes);

  let filesIn = 0;
  let rows = 0;
  for (const g of groups) {
    const journal: CompactionJournal = { output: g.output, inputs: g.inputs.map((f) => f.key) };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: journalKey(g.output), Body: JSON.stringify(journal), ContentType: 'application/json' }));
    async function* inputs() {
      for (const f of g.inputs) {
        const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: f.key }));
        yield await o.Body!.transformToByteArray();
      }
    }
    const sink = s3FileSink(s3, bucket, g.output);
    let result;
    try {
      result = await compactParquet(inputs(), columns, sink);
      await sink.close();
    } catch (e) {
      await sink.abort();
      throw e;
    }
    await remove(bucket, journal.inputs.filter((k) => k !== g.output));
    await remove(bucket, [journalKey(g.output)]);
    filesIn += g.inputs.length;
    rows += result.rowsOut;
    logger.info('merged', { output: g.output, files: g.inputs.length, rowsIn: result.rowsIn, rowsOut: result.rowsOut, bytes: result.bytes });
  }
  return { prefix: event.prefix, merges: groups.length, filesIn, rows, resumed };
}

export const handler = async (event: CompactEvent, context: Context): Promise<CompactResult> => {
  logger.addContext(context);
  return compactPartition(event);
};
