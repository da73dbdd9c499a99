/**
 * A bucket as the Light Engine's steps use it. The steps (batches.ts, compaction.ts) are pure orchestration over this
 * interface, like processObject over its injected send and backup: lambda/adapters/s3-store.ts puts S3 behind it,
 * the unit tests a Map.
 */
import type { FileSink } from './convert';

export interface StoredObject {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly lastModified?: Date;
}

/** An object's content, read once in whichever form the step needs. */
export interface StoredBody {
  /** The ETag of the version read: what a compare-and-swap (replaceJson, deleteIfUnchanged) names. */
  readonly etag: string;
  readonly stream: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  bytes(): Promise<Uint8Array>;
}

export interface BucketStore {
  /** The bucket's name: where a staged object without a recognisable source key says it came from. */
  readonly bucket: string;
  /**
   * Objects under `prefix` in key order (UTF-8 byte order, as S3 lists), folder markers left out. Pages are fetched
   * as the caller iterates, so stopping early lists no further.
   */
  list(prefix: string): AsyncIterable<StoredObject>;
  /** Undefined when there is no such key. */
  get(key: string): Promise<StoredBody | undefined>;
  /** The ETag of `key`, or undefined when there is no such key. */
  etag(key: string): Promise<string | undefined>;
  putJson(key: string, value: unknown): Promise<void>;
  /**
   * Writes `value` only if nothing is at `key` (S3: PutObject with If-None-Match: *), atomically: of two writers,
   * one gets the ETag and the other `exists`.
   */
  createJson(key: string, value: unknown): Promise<Conditional>;
  /**
   * Replaces `key` only while its ETag is still `etag` (S3: PutObject with If-Match), atomically: `changed` when another
   * write came first, `gone` when the key was deleted (never recreated).
   */
  replaceJson(key: string, value: unknown, etag: string): Promise<Conditional>;
  /** Deletes `key` only while its ETag is still `etag` (S3: DeleteObject with If-Match); false when it changed or is gone. */
  deleteIfUnchanged(key: string, etag: string): Promise<boolean>;
  /** Deleting a key that is not there is no error. */
  delete(key: string): Promise<void>;
  /**
   * Copies `from` to `to`, then deletes `from`, so the object is under one of the two keys at every moment. False
   * when nothing was at `from`.
   */
  move(from: StoredObject, to: string): Promise<boolean>;
  /** A new object written chunk by chunk; it appears only when the sink is closed. */
  create(key: string): FileSink;
}

/** A conditional write: the new ETag, or why the condition did not hold (nothing was written then). */
export type Conditional = { readonly etag: string } | { readonly conflict: 'exists' | 'changed' | 'gone' };

/** Where a step reports what it did, always with the details; Powertools' Logger is one. */
export interface StepLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export const SILENT: StepLog = { info() {}, warn() {}, error() {} };
