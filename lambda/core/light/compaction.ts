/**
 * Compaction of a Light Engine table: which partitions are due, where a compaction in progress is recorded, and the
 * two steps of the compaction state machine (list the due partitions; merge one partition), as pure orchestration
 * over the centralized bucket behind a BucketStore.
 *
 * Each merge is journalled before it starts and its inputs are deleted only after its output exists, so a crash at
 * any point is finished (or redone) by the next attempt and rows are never doubled.
 */
import type { Column } from '../parquet/columns';
import { compactParquet, planCompaction, type CompactionFile, type CompactionGroup } from '../parquet/compact';
import { SILENT, type BucketStore, type StepLog } from './store';

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

export interface CompactionSettings {
  /** A partition's hour, and a file, must be at least this old to be merged. */
  readonly minAgeMs: number;
  readonly targetBytes: number;
  /** @default Date.now() */
  readonly now?: number;
  readonly log?: StepLog;
}

export interface CompactListResult {
  readonly partitions: Array<{ readonly prefix: string }>;
  readonly scannedFiles: number;
}

/**
 * Every partition of `table` with small files due for merging, however old (a run that was skipped or failed is
 * caught up by the next), plus partitions with an interrupted compaction to finish; at most `maxPartitions`.
 */
export async function listDuePartitions(central: BucketStore, o: CompactionSettings & { readonly table: string; readonly maxPartitions: number }): Promise<CompactListResult> {
  const now = o.now ?? Date.now();
  const due = new Set<string>();
  for await (const j of central.list(`${COMPACTION_JOURNAL_PREFIX}${o.table}/`)) {
    const p = partitionOf(j.key.slice(COMPACTION_JOURNAL_PREFIX.length).replace(/\.json$/, ''));
    if (p) due.add(p.prefix);
  }
  // Keys are listed in order, so the files of one partition arrive together.
  let scannedFiles = 0;
  let current: { prefix: string; eventHour: string; files: TableFile[] } | undefined;
  const consider = () => {
    if (current && dueCompactions(current.eventHour, current.files, now, o.minAgeMs, o.targetBytes).length > 0) due.add(current.prefix);
  };
  for await (const f of central.list(`${o.table}/`)) {
    const p = partitionOf(f.key);
    if (!p) continue;
    scannedFiles++;
    if (current?.prefix !== p.prefix) {
      consider();
      current = { ...p, files: [] };
    }
    current.files.push({ key: f.key, size: f.size, lastModified: f.lastModified ?? new Date(now) });
  }
  consider();
  const partitions = [...due].sort().slice(0, o.maxPartitions).map((prefix) => ({ prefix }));
  (o.log ?? SILENT).info('partitions due for compaction', { due: due.size, returned: partitions.length, scannedFiles });
  return { partitions, scannedFiles };
}

export interface CompactResult {
  readonly prefix: string;
  readonly merges: number;
  readonly filesIn: number;
  readonly rows: number;
  /** Interrupted merges of an earlier attempt that were finished. */
  readonly resumed: number;
}

/** Merges the small Parquet files of the partition under `prefix` into files of at least the target size. */
export async function compactPartition(central: BucketStore, o: CompactionSettings & { readonly prefix: string; readonly columns: readonly Column[] }): Promise<CompactResult> {
  const now = o.now ?? Date.now();
  const log = o.log ?? SILENT;
  const remove = async (keys: readonly string[]) => {
    for (const key of keys) await central.delete(key);
  };

  // 1. Finish what an earlier attempt started: output written → drop its inputs; not written → forget it, re-plan.
  let resumed = 0;
  for await (const j of central.list(`${COMPACTION_JOURNAL_PREFIX}${o.prefix}`)) {
    const body = await central.get(j.key);
    if (!body) continue;
    const journal = JSON.parse(await body.text()) as CompactionJournal;
    if ((await central.etag(journal.output)) !== undefined) {
      await remove(journal.inputs.filter((k) => k !== journal.output));
      resumed++;
    }
    await remove([j.key]);
  }

  // 2. Plan over what is there now.
  const partition = partitionOf(`${o.prefix}x.parquet`);
  if (!partition) throw new Error(`not a partition prefix: ${o.prefix}`);
  const files: TableFile[] = [];
  for await (const f of central.list(o.prefix)) {
    if (f.key.endsWith('.parquet')) files.push({ key: f.key, size: f.size, lastModified: f.lastModified ?? new Date(now) });
  }
  const groups = dueCompactions(partition.eventHour, files, now, o.minAgeMs, o.targetBytes);

  let filesIn = 0;
  let rows = 0;
  for (const g of groups) {
    const journal: CompactionJournal = { output: g.output, inputs: g.inputs.map((f) => f.key) };
    await central.putJson(journalKey(g.output), journal);
    async function* inputs() {
      for (const f of g.inputs) {
        const body = await central.get(f.key);
        if (!body) throw new Error(`compaction input ${f.key} is gone`);
        yield await body.bytes();
      }
    }
    const sink = central.create(g.output);
    let result;
    try {
      result = await compactParquet(inputs(), o.columns, sink);
      await sink.close();
    } catch (e) {
      await sink.abort();
      throw e;
    }
    await remove(journal.inputs.filter((k) => k !== g.output));
    await remove([journalKey(g.output)]);
    filesIn += g.inputs.length;
    rows += result.rowsOut;
    log.info('merged', { output: g.output, files: g.inputs.length, rowsIn: result.rowsIn, rowsOut: result.rowsOut, bytes: result.bytes });
  }
  return { prefix: o.prefix, merges: groups.length, filesIn, rows, resumed };
}
