/**
 * Light Engine compaction, step 1 (Step Functions task): every partition of the table with small files due for
 * merging, however old (a run that was skipped or failed is caught up by the next), plus partitions with an
 * interrupted compaction to finish. Returns partition prefixes only.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { requireEnv, s3Client } from '../adapters/aws';
import { COMPACTION_JOURNAL_PREFIX, dueCompactions, partitionOf, type TableFile } from '../core/light/compaction';

const logger = new Logger();

export interface CompactListResult {
  readonly partitions: Array<{ readonly prefix: string }>;
  readonly scannedFiles: number;
}

async function* list(bucket: string, prefix: string) {
  let token: string | undefined;
  do {
    const page = await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    yield* page.Contents ?? [];
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

export async function listDuePartitions(now = Date.now()): Promise<CompactListResult> {
  const bucket = requireEnv('CENTRAL_BUCKET');
  const table = requireEnv('TABLE_NAME');
  const minAgeMs = Number(requireEnv('COMPACT_MIN_AGE_HOURS')) * 3_600_000;
  const targetBytes = Number(requireEnv('COMPACT_TARGET_BYTES'));
  const maxPartitions = Number(process.env.MAX_PARTITIONS ?? 200);

  const due = new Set<string>();
  for await (const o of list(bucket, `${COMPACTION_JOURNAL_PREFIX}${table}/`)) {
    const p = partitionOf(o.Key!.slice(COMPACTION_JOURNAL_PREFIX.length).replace(/\.json$/, ''));
    if (p) due.add(p.prefix);
  }
  // Keys are listed in order, so the files of one partition arrive together.
  let scannedFiles = 0;
  let current: { prefix: string; eventHour: string; files: TableFile[] } | undefined;
  const consider = () => {
    if (current && dueCompactions(current.eventHour, current.files, now, minAgeMs, targetBytes).length > 0) due.add(current.prefix);
  };
  for await (const o of list(bucket, `${table}/`)) {
    const p = partitionOf(o.Key!);
    if (!p) continue;
    scannedFiles++;
    if (current?.prefix !== p.prefix) {
      consider();
      current = { ...p, files: [] };
    }
    current.files.push({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(now) });
  }
  consider();
  const partitions = [...due].sort().slice(0, maxPartitions).map((prefix) => ({ prefix }));
  logger.info('partitions due for compaction', { due: due.size, returned: partitions.length, scannedFiles });
  return { partitions, scannedFiles };
}

export const handler = async (_event: unknown, context: Context): Promise<CompactListResult> => {
  logger.addContext(context);
  return listDuePartitions();
};
