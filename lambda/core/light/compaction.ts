/**
 * Which partitions of a Light Engine table are due for compaction, and where a compaction in progress is recorded.
 * Pure: the handlers list S3 and call these.
 */
import { planCompaction, type CompactionFile, type CompactionGroup } from '../parquet/compact';

export interface TableFile extends CompactionFile {
  readonly lastModified: Date;
}

/** Records of compactions in progress live outside the table prefix, so Athena never reads them. */
export const COMPACTION_JOURNAL_PREFIX = '_logtong/compaction/';

export function journalKey(outputKey: string): string {
  return `${COMPACTION_JOURNAL_PREFIX}${outputKey}.json`;
}

export interface CompactionJournal {
  readonly output: string;
  readonly inputs: readonly string[];
}

/** `<table>/event_hour=2015051710/region=r/x.parquet` → `{ prefix: '<table>/event_hour=2015051710/region=r/', hour }`. */
export function partitionOf(key: string): { prefix: string; eventHour: string } | undefined {
  const m = /^(.*\/event_hour=(\d{10})\/region=[^/]+\/)[^/]+\.parquet$/.exec(key);
  return m ? { prefix: m[1], eventHour: m[2] } : undefined;
}

/** Start of the hour `YYYYMMDDHH` (UTC) in epoch ms. */
export function hourStart(eventHour: string): number {
  return Date.UTC(+eventHour.slice(0, 4), +eventHour.slice(4, 6) - 1, +eventHour.slice(6, 8), +eventHour.slice(8, 10));
}

/**
 * The merges due in one partition: only for an hour that ended at least `minAgeMs` ago, and only over files written
 * at least `minAgeMs` ago (a late batch still being retried into an old hour keeps its files until it is done).
 */
export function dueCompactions(eventHour: string, files: readonly TableFile[], now: number, minAgeMs: number, targetBytes: number): CompactionGroup[] {
  if (hourStart(eventHour) + 3_600_000 + minAgeMs > now) return [];
  return planCompaction(
    files.filter((f) => f.lastModified.getTime() + minAgeMs <= now),
    targetBytes,
  );
}
