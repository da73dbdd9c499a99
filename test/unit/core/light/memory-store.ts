/** The Light Engine core's BucketStore over a Map, with S3's listing order, copy-keeps-ETag and injectable failures. */
import { createHash } from 'node:crypto';
import type { FileSink } from '../../../../lambda/core/light/convert';
import type { BucketStore, StoredObject } from '../../../../lambda/core/light/store';

interface Entry {
  body: Buffer;
  etag: string;
  lastModified: Date;
}

export type StoreOp = 'get' | 'etag' | 'putJson' | 'delete' | 'move' | 'create';

export interface MemoryStore extends BucketStore {
  readonly objects: Map<string, Entry>;
  put(key: string, body: string | Uint8Array, lastModified?: Date): void;
  keys(prefix?: string): string[];
  text(key: string): string;
  /** Throws an injected error for the operations on keys it returns true for. */
  failWhen(fail: ((op: StoreOp, key: string) => boolean) | undefined): void;
  readonly ops: Array<[StoreOp, string]>;
}

const etagOf = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function memoryStore(bucket = 'staging', clock: () => number = () => Date.now()): MemoryStore {
  const objects = new Map<string, Entry>();
  const ops: Array<[StoreOp, string]> = [];
  let fail: ((op: StoreOp, key: string) => boolean) | undefined;
  const op = (name: StoreOp, key: string) => {
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
    async *list(prefix): AsyncIterable<StoredObject> {
      for (const key of [...objects.keys()].filter((k) => k.startsWith(prefix) && !k.endsWith('/')).sort(byteOrder)) {
        const e = objects.get(key);
        if (e) yield { key, etag: e.etag, size: e.body.length, lastModified: e.lastModified };
      }
    },
    async get(key) {
      op('get', key);
      const e = objects.get(key);
      if (!e) return undefined;
      const body = e.body;
      return {
        stream: (async function* () {
          yield body;
        })(),
        text: async () => body.toString('utf8'),
        bytes: async () => new Uint8Array(body),
      };
    },
    async etag(key) {
      op('etag', key);
      return objects.get(key)?.etag;
    },
    async putJson(key, value) {
      op('putJson', key);
      put(key, JSON.stringify(value));
    },
    async delete(key) {
      op('delete', key);
      objects.delete(key);
    },
    async move(from, to) {
      op('move', from.key);
      const e = objects.get(from.key);
      if (!e) return false;
      objects.set(to, { ...e, lastModified: new Date(clock()) });
      objects.delete(from.key);
      return true;
    },
    create(key): FileSink {
      op('create', key);
      const chunks: Buffer[] = [];
      return {
        write: (c) => void chunks.push(Buffer.from(c)),
        close: async () => put(key, Buffer.concat(chunks)),
        abort: async () => void (chunks.length = 0),
      };
    },
  };
}
