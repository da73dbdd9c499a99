/**
 * Compaction of a Light Engine table: which partitions are due, where a compaction in progress is recorded, and the
 * two steps of the compaction state machine (list the due partitions; merge one partition), as pure orchestration
 * over the centralized bucket behind a BucketStore.
 *
 * Each merge is journalled before it starts and its inputs are deleted only after its output exists, so a crash at
 * any point is finished (or redone) by the next attempt and rows are never doubled. Two more things could double
 * them, and neither is left to timing:
 *
 * - A batch that is still pending (its manifest exists) may be converted again, and a retry rewrites its files under
 *   the same keys: merged and deleted meanwhile, its rows would be in the merged file and in the rewritten one. So a
 *   file of a pending batch is never merged. Pending is read after the files are listed: a batch writes files only
 *   while its manifest exists and deletes the manifest last (batches.ts), so a file listed before its manifest was
 *   seen gone is final.
 * - Two compactions of one partition (two overlapping runs) could each merge the other's output with inputs not yet
 *   deleted. One compaction per partition at a time: its lock (lease.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Column } from '../parquet/columns';
import { compactParquet, planCompaction, type CompactionFile, type CompactionGroup } from '../parquet/compact';
import { LEASE_MARGIN_MS, SYSTEM_CLOCK, acquireLease, lockSlot, newLease, releaseLock, type LeaseClock } from './lease';
import { MANIFEST_PREFIX, batchOfFile, manifestIdOf } from './layout';
import { SILENT, type BucketStore, type StepLog } from './store';

export interface TableFile extends CompactionFile {
  readonly lastModified: Date;
}

/** Records of compactions in progress live outside the table prefix, so Athena never reads them. */
export const COMPACTION_JOURNAL_PREFIX = '_logtong/compaction/';

export function journalKey(outputKey: string): string {
  return `${COMPACTION_JOURNAL_PREFIX}${outputKey}.json`;
}

const isJournalKey = (key: string) => key.endsWith('.parquet.json');

/** One compaction of a partition at a time: its lock, beside the partition's journals (`prefix` ends with `/`). */
export function partitionLockKey(prefix: string): string {
  return `${COMPACTION_JOURNAL_PREFIX}${prefix}compaction.lock`;
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
  /**
   * Ids of the batches not finished yet (pendingBatchIds over the staging bucket): their files are left alone, since
   * a retry of the batch rewrites them.
   */
  readonly pendingBatches: () => Promise<ReadonlySet<string>>;
  /** @default Date.now() */
  readonly now?: number;
  readonly log?: StepLog;
}

/**
 * Ids of the batches of `pipeline` not finished yet, from the staging bucket: a batch's manifest exists until its
 * files are final (batches.ts deletes it last), and while it does a retry may rewrite them.
 */
export async function pendingBatchIds(staging: BucketStore, pipeline: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const m of staging.list(`${MANIFEST_PREFIX}${pipeline}/`)) {
    const id = manifestIdOf(m.key);
    if (id !== undefined) ids.add(id);
  }
  return ids;
}

/** Files a merge may take: none of a batch that may still rewrite it. */
function settled<F extends CompactionFile>(files: readonly F[], pending: ReadonlySet<string>): F[] {
  return files.filter((f) => {
    const batch = batchOfFile(f.key);
    return batch === undefined || !pending.has(batch);
  });
}

/** One partition's compaction: the prefix, and the run that asks for it (its retries may take over their own lock). */
export interface PartitionRef {
  readonly prefix: string;
  readonly run: string;
}

export interface CompactListResult {
  readonly partitions: PartitionRef[];
  readonly scannedFiles: number;
}

/**
 * Every partition of `table` with small files due for merging, however old (a run that was skipped or failed is
 * caught up by the next), plus partitions with an interrupted compaction to finish; at most `maxPartitions`.
 */
export async function listDuePartitions(central: BucketStore, o: CompactionSettings & { readonly table: string; readonly maxPartitions: number; readonly run?: string }): Promise<CompactListResult> {
  const now = o.now ?? Date.now();
  const run = o.run ?? randomUUID();
  // Read first: only a hint of which partitions to visit. compactPartition reads it again after listing its files.
  const pending = await o.pendingBatches();
  const due = new Set<string>();
  for await (const j of central.list(`${COMPACTION_JOURNAL_PREFIX}${o.table}/`)) {
    const p = partitionOf(j.key.slice(COMPACTION_JOURNAL_PREFIX.length).replace(/\.json$/, ''));
    if (p) due.add(p.prefix);
  }
  // Keys are listed in order, so the files of one partition arrive together.
  let scannedFiles = 0;
  let current: { prefix: string; eventHour: string; files: TableFile[] } | undefined;
  const consider = () => {
    if (current && dueCompactions(current.eventHour, settled(current.files, pending), now, o.minAgeMs, o.targetBytes).length > 0) due.add(current.prefix);
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
  const partitions = [...due].sort().slice(0, o.maxPartitions).map((prefix) => ({ prefix, run }));
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
  /** Files left as they are because their batch is still pending (a retry may rewrite them). */
  readonly pendingFiles: number;
  /** Another run's compaction holds the partition right now: left to it. */
  readonly busy?: boolean;
}

export interface CompactPartitionOptions extends CompactionSettings {
  readonly prefix: string;
  readonly columns: readonly Column[];
  /** The run that asks (PartitionRef.run). @default this invocation alone */
  readonly run?: string;
  /** Epoch ms at which this invocation is stopped (its Lambda deadline): its lock lasts until then + LEASE_MARGIN_MS. */
  readonly deadline?: number;
  readonly clock?: LeaseClock;
}

/** Compaction's Lambda timeout, when the caller does not say. */
const DEFAULT_COMPACT_MS = 15 * 60_000;

/** Merges the small Parquet files of the partition under `prefix` into files of at least the target size. */
export async function compactPartition(central: BucketStore, o: CompactPartitionOptions): Promise<CompactResult> {
  const log = o.log ?? SILENT;
  const clock = o.clock ?? SYSTEM_CLOCK;
  if (!partitionOf(`${o.prefix}x.parquet`)) throw new Error(`not a partition prefix: ${o.prefix}`);
  const me = newLease({ run: o.run, deadline: o.deadline ?? clock.now() + DEFAULT_COMPACT_MS });
  const lockKey = partitionLockKey(o.prefix);
  const lock = await acquireLease(central, lockSlot(lockKey), me, { clock, othersHeld: 'skip', waitUntil: clock.now() + 2 * LEASE_MARGIN_MS });
  if (lock.state === 'busy') {
    log.info('partition held by a compaction of another run: left to it', { prefix: o.prefix, heldBy: lock.lease });
    return { prefix: o.prefix, merges: 0, filesIn: 0, rows: 0, resumed: 0, pendingFiles: 0, busy: true };
  }
  if (lock.state !== 'held') throw new Error(`${lockKey}: not acquired (${lock.state})`);
  try {
    return await compactLocked(central, o, log);
  } finally {
    await releaseLock(central, lockKey, lock.etag).then(
      (released) => released || log.warn('partition lock was no longer ours to release', { key: lockKey }),
      (e: unknown) => log.error('partition lock not released; it expires by itself', { key: lockKey, until: me.until, error: String(e) }),
    );
  }
}

async function compactLocked(central: BucketStore, o: CompactPartitionOptions, log: StepLog): Promise<CompactResult> {
  const now = o.now ?? Date.now();
  const remove = async (keys: readonly string[]) => {
    for (const key of keys) await central.delete(key);
  };

  // 1. Finish what an earlier attempt started: output written → drop its inputs; not written → forget it, re-plan.
  let resumed = 0;
  for await (const j of central.list(`${COMPACTION_JOURNAL_PREFIX}${o.prefix}`)) {
    if (!isJournalKey(j.key)) continue;
    const body = await central.get(j.key);
    if (!body) continue;
    const journal = JSON.parse(await body.text()) as CompactionJournal;
    if ((await central.etag(journal.output)) !== undefined) {
      await remove(journal.inputs.filter((k) => k !== journal.output));
      resumed++;
    }
    await remove([j.key]);
  }

  // 2. Plan over what is there now, leaving out the files of batches still pending (read after the listing).
  const partition = partitionOf(`${o.prefix}x.parquet`)!;
  const listed: TableFile[] = [];
  for await (const f of central.list(o.prefix)) {
    if (f.key.endsWith('.parquet')) listed.push({ key: f.key, size: f.size, lastModified: f.lastModified ?? new Date(now) });
  }
  const files = settled(listed, await o.pendingBatches());
  const pendingFiles = listed.length - files.length;
  if (pendingFiles > 0) log.info('files of pending batches left as they are', { prefix: o.prefix, files: pendingFiles });
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
  return { prefix: o.prefix, merges: groups.length, filesIn, rows, resumed, pendingFiles };
}
