/**
 * The Light Engine core's BucketStore over a Map, with S3's listing order, copy-keeps-ETag, S3's conditional writes
 * (atomic: checked and applied in one step), injectable failures, and a hook before each operation to script
 * interleavings.
 */
import { createHash } from 'node:crypto';
import type { FileSink } from '../../../../lambda/core/light/convert';
import type { BucketStore, StoredObject } from '../../../../lambda/core/light/store';

interface Entry {
  body: Buffer;
  etag: string;
  lastModified: Date;
}

export type StoreOp = 'list' | 'get' | 'etag' | 'putJson' | 'createJson' | 'replaceJson' | 'deleteIfUnchanged' | 'delete' | 'move' | 'create';

export interface MemoryStore extends BucketStore {
  readonly objects: Map<string, Entry>;
  put(key: string, body: string | Uint8Array, lastModified?: Date): void;
  keys(prefix?: string): string[];
  text(key: string): string;
  /** Throws an injected error for the operations on keys it returns true for. */
  failWhen(fail: ((op: StoreOp, key: string) => boolean) | undefined): void;
  /**
   * Awaited before every operation, before it reads or changes anything: a test runs another step to completion
   * there (or waits for a gate) to place it exactly between two operations of this one.
   */
  beforeOp(hook: ((op: StoreOp, key: string) => Promise<void> | void) | undefined): void;
  readonly ops: Array<[StoreOp, string]>;
}

const etagOf = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function memoryStore(bucket = 'staging', clock: () => number = () => Date.now()): MemoryStore {
  const objects = new Map<string, Entry>();
  const ops: Array<[StoreOp, string]> = [];
  let fail: ((op: StoreOp, key: string) => boolean) | undefined;
  let before: ((op: StoreOp, key: string) => Promise<void> | void) | undefined;
  // Everything after the await runs without yielding, so a conditional write is checked and applied atomically.
  const op = async (name: StoreOp, key: string) => {
    await before?.(name, key);
    ops.push([name, key]);
    if (fail?.(name, key)) throw new Error(`injected failure: ${name} ${key}`);
  };
  const put = (key: string, body: string | Uint8Array, lastModified = new Date(clock())) => {
    const b = Buffer.from(body);
    objects.set(key, { body: b, etag: etagOf(b), lastModified });
  };
  return {
    bucket,
    objects,
    ops,
    put,
    keys: (prefix = '') => [...objects.keys()].filter((k) => k.startsWith(prefix)).sort(byteOrder),
    text: (key) => objects.get(key)!.body.toString('utf8'),
    failWhen(f) {
      fail = f;
    },
    beforeOp(h) {
      before = h;
    },
    async *list(prefix): AsyncIterable<StoredObject> {
      await op('list', prefix);
      for (const key of [...objects.keys()].filter((k) => k.startsWith(prefix) && !k.endsWith('/')).sort(byteOrder)) {
        const e = objects.get(key);
        if (e) yield { key, etag: e.etag, size: e.body.length, lastModified: e.lastModified };
      }
    },
    async get(key) {
      await op('get', key);
      const e = objects.get(key);
      if (!e) return undefined;
      const body = e.body;
      return {
        etag: e.etag,
        stream: (async function* () {
          yield body;
        })(),
        text: async () => body.toString('utf8'),
        bytes: async () => new Uint8Array(body),
      };
    },
    async etag(key) {
      await op('etag', key);
      return objects.get(key)?.etag;
    },
    async putJson(key, value) {
      await op('putJson', key);
      put(key, JSON.stringify(value));
    },
    async createJson(key, value) {
      await op('createJson', key);
      if (objects.has(key)) return { conflict: 'exists' };
      put(key, JSON.stringify(value));
      return { etag: objects.get(key)!.etag };
    },
    async replaceJson(key, value, etag) {
      await op('replaceJson', key);
      const e = objects.get(key);
      if (!e) return { conflict: 'gone' };
      if (e.etag !== etag) return { conflict: 'changed' };
      put(key, JSON.stringify(value));
      return { etag: objects.get(key)!.etag };
    },
    async deleteIfUnchanged(key, etag) {
      await op('deleteIfUnchanged', key);
      if (objects.get(key)?.etag !== etag) return false;
      objects.delete(key);
      return true;
    },
    async delete(key) {
      await op('delete', key);
      objects.delete(key);
    },
    async move(from, to) {
      await op('move', from.key);
      const e = objects.get(from.key);
      if (!e) return false;
      objects.set(to, { ...e, lastModified: new Date(clock()) });
      objects.delete(from.key);
      return true;
    },
    create(key): FileSink {
      ops.push(['create', key]);
      if (fail?.('create', key)) throw new Error(`injected failure: create ${key}`);
      const chunks: Buffer[] = [];
      return {
        write: (c) => void chunks.push(Buffer.from(c)),
        // The file appears when closed, as an upload does: that is where a test places another step.
        close: async () => {
          await before?.('create', key);
          put(key, Buffer.concat(chunks));
        },
        abort: async () => void (chunks.length = 0),
      };
    },
  };
}
