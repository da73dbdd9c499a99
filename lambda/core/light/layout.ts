/**
 * Where the Light Engine keeps things, as pure functions of names: staged raw objects, batch manifests, archived raw
 * objects in the staging bucket; Hive-partitioned Parquet in the centralized bucket. Every key is derived from its
 * inputs (never from a clock or a random id), so a retried step writes the same keys again.
 */
import { createHash } from 'node:crypto';
import type { Lease } from './lease';

/** A raw log object waiting in the staging bucket under `<pipeline>/`. */
export interface StagedObject {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
}

/** One Convert invocation's work, stored as JSON so a failed execution's batch is retried with the same members. */
export interface BatchManifest {
  readonly id: string;
  readonly pipeline: string;
  readonly objects: readonly StagedObject[];
  /** The Convert invocation converting it right now, if any (lease.ts): no other one starts meanwhile. */
  readonly lease?: Lease;
}

/** `2015-05-17T10:05:03.000Z` → `2015051710`: the record's own hour in UTC (documents carry UTC ISO timestamps). */
export function eventHourOf(isoUtc: string): string {
  return isoUtc.slice(0, 4) + isoUtc.slice(5, 7) + isoUtc.slice(8, 10) + isoUtc.slice(11, 13);
}

export function partitionPrefix(table: string, eventHour: string, region: string): string {
  return `${table}/event_hour=${eventHour}/region=${region}/`;
}

/** Staged keys live under `<pipeline>/`; an archived one under `archive/<pipeline>/…`, out of the next listing's way. */
export function archiveKey(stagedKey: string): string {
  return `archive/${stagedKey}`;
}

export const MANIFEST_PREFIX = '_batches/';

export function manifestKey(pipeline: string, batchId: string): string {
  return `${MANIFEST_PREFIX}${pipeline}/${batchId}.json`;
}

/** The batch id a manifest key names; undefined for any other key under the prefix (the List lock). */
export function manifestIdOf(key: string): string | undefined {
  if (!key.startsWith(MANIFEST_PREFIX)) return undefined;
  return /^[^/]+\/([^/]+)\.json$/.exec(key.slice(MANIFEST_PREFIX.length))?.[1];
}

/**
 * The List step's lock (lease.ts), beside the manifests it guards: one List at a time per pipeline, so two runs can
 * never put one staged object into two different manifests.
 */
export function listLockKey(pipeline: string): string {
  return `${MANIFEST_PREFIX}${pipeline}/list.lock`;
}

/**
 * The batch a Parquet file was written by: Convert names its files `<batch id>-<n>.parquet` (convert.ts), compaction
 * its outputs `compacted-<hash>.parquet` (undefined here).
 */
export function batchOfFile(key: string): string | undefined {
  return /(?:^|\/)([0-9a-f]{24})-\d+\.parquet$/.exec(key)?.[1];
}

/** Names a set of staged objects by content: the same members (keys and ETags, in any order) give the same id. */
export function batchIdOf(objects: readonly StagedObject[]): string {
  const h = createHash('sha256');
  for (const o of [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) h.update(`${o.key}\0${o.etag}\n`);
  return h.digest('hex').slice(0, 24);
}

export interface BatchLimits {
  /** Raw bytes per batch; an object larger than this is a batch of its own. */
  readonly maxBytes: number;
  readonly maxObjects: number;
  /** Batches per execution; the rest wait for the next run. */
  readonly maxBatches: number;
}

/**
 * Groups staged objects, oldest key order first (keys embed the source key, usually dated), greedily into batches
 * bounded by bytes and count. Objects already claimed by a pending manifest are the caller's to leave out.
 */
export function planBatches(objects: readonly StagedObject[], limits: BatchLimits): StagedObject[][] {
  const sorted = [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const batches: StagedObject[][] = [];
  let current: StagedObject[] = [];
  let bytes = 0;
  for (const o of sorted) {
    if (current.length > 0 && (bytes + o.size > limits.maxBytes || current.length >= limits.maxObjects)) {
      batches.push(current);
      if (batches.length >= limits.maxBatches) return batches;
      current = [];
      bytes = 0;
    }
    current.push(o);
    bytes += o.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
