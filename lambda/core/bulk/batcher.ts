/**
 * OpenSearch `_bulk` request bodies (NDJSON), cut by size and count.
 *
 * Each document is written as `{"create":{"_index":…,"_id":…}}\n<doc>\n`: `create`, not `index`, so a redelivered
 * object (same deterministic _id) never overwrites or duplicates a document — the caller treats 409 as already
 * indexed. `bytes` is the UTF-8 size of the whole body.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { JsonWriter } from '../formats';

export interface BulkBatch<T> {
  body: string;
  bytes: number;
  items: Array<{ id: string; ref: T }>;
}

export interface BulkBatcherOptions {
  /** Index or write alias. */
  index: string;
  /** Body size cap (bytes); a single document larger than this still goes, alone. */
  maxBytes: number;
  maxDocs: number;
  /**
   * Serializer of the documents; default JSON.stringify. Pass a template parser's `stringify` (nginx, apache) for
   * ~2× faster bodies — only valid for docs exactly as that parser returned them.
   */
  stringify?: (doc: Record<string, unknown>) => string;
}

export class BulkBatcher<T = unknown> {
  private readonly actionHead: string;
  private readonly actionHeadBytes: Buffer;
  private readonly maxBytes: number;
  private readonly maxDocs: number;
  private readonly stringify: (doc: Record<string, unknown>) => string;
  /*
   * The body being built is UTF-8 encoded into one reused buffer: each entry string dies young and the batch is
   * off the JS heap until it is complete. Keeping thousands of entry strings alive for the life of a batch made
   * every young-generation GC copy them, which cost as much as parsing; measuring each one (Buffer.byteLength)
   * cost as much again. Here the byte count comes from the encode, and the body string is decoded once per batch.
   */
  private buf: Buffer;
  private off = 0;
  private items: Array<{ id: string; ref: T }> = [];

  constructor(opts: BulkBatcherOptions) {
    if (!opts.index) throw new Error('BulkBatcher: index is required');
    if (!(opts.maxBytes > 0) || !(opts.maxDocs >= 1)) throw new Error('BulkBatcher: maxBytes and maxDocs must be positive');
    this.actionHead = `{"create":{"_index":${JSON.stringify(opts.index)},"_id":`;
    this.actionHeadBytes = Buffer.from(this.actionHead, 'utf8');
    this.maxBytes = opts.maxBytes;
    this.maxDocs = opts.maxDocs;
    this.stringify = opts.stringify ?? JSON.stringify;
    this.buf = Buffer.allocUnsafe(this.defaultCapacity());
  }

  /** Documents in the batch being built. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Adds a document. Returns the batch built so far when this document does not fit in it (by bytes or count);
   * the document then starts the next batch.
   */
  add(id: string, doc: object, ref: T): BulkBatch<T> | undefined {
    const entry = `${this.actionHead}${isPlainId(id) ? `"${id}"` : JSON.stringify(id)}}}\n${this.stringify(doc as Record<string, unknown>)}\n`;
    const start = this.off;
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    if (start + 3 * entry.length > this.buf.length) this.grow(start + 3 * entry.length);
    const n = (this.buf as FastBuffer).utf8Write(entry, start, this.buf.length - start);
    return this.commit(start, n, id, ref);
  }

  /**
   * add() for the document of a log line whose JSON `writer` writes straight into the body (no document object, no
   * intermediate strings). Returns false, having added nothing, when the writer declines the line: parse it and
   * add() its document instead.
   */
  addLine(id: string, line: string, writer: JsonWriter, ref: T): BulkBatch<T> | undefined | false {
    const start = this.off;
    const head = this.actionHeadBytes;
    const need = head.length + 3 * id.length + 8 + writer.maxBytes(line.length);
    if (start + need > this.buf.length) this.grow(start + need);
    const buf = this.buf;
    let o = start;
    for (let i = 0; i < head.length; i++) buf[o++] = head[i];
    if (isPlainId(id)) {
      buf[o++] = 34;
      for (let i = 0; i < id.length; i++) buf[o++] = id.charCodeAt(i);
      buf[o++] = 34;
    } else {
      o += (buf as FastBuffer).utf8Write(JSON.stringify(id), o, buf.length - o);
    }
    buf[o++] = 125;
    buf[o++] = 125;
    buf[o++] = 10;
    const end = writer.write(line, buf, o);
    if (end < 0) return false;
    buf[end] = 10;
    return this.commit(start, end + 1 - start, id, ref);
  }

  /** Adds the entry just written at buf[start..start+n), cutting the batch before it when it does not fit. */
  private commit(start: number, n: number, id: string, ref: T): BulkBatch<T> | undefined {
    let full: BulkBatch<T> | undefined;
    if (this.items.length >= this.maxDocs || (this.items.length > 0 && start + n > this.maxBytes)) {
      full = this.take(start);
      this.keepAtFront(start, n);
    }
    this.off += n;
    this.items.push({ id, ref });
    return full;
  }

  /** The batch being built, if it has any document. */
  flush(): BulkBatch<T> | undefined {
    if (this.items.length === 0) return undefined;
    const batch = this.take(this.off);
    this.keepAtFront(0, 0);
    return batch;
  }

  /** The batch of buf[0..end) and its items; what follows `end` (if anything) is the caller's. */
  private take(end: number): BulkBatch<T> {
    const bytes = this.buf.subarray(0, end);
    // ASCII (the usual body) decodes as latin1 — a plain copy, ~4× faster than the UTF-8 decoder.
    const body = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
    const batch: BulkBatch<T> = { body, bytes: end, items: this.items };
    this.items = [];
    this.off = 0;
    return batch;
  }

  private defaultCapacity(): number {
    return Math.min(this.maxBytes, 64 * 1024 * 1024) + 64 * 1024;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, 2 * this.buf.length));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Moves buf[from..from+len) (the entry that starts the next batch) to the front, into a fresh buffer if the current one grew for a huge document. */
  private keepAtFront(from: number, len: number): void {
    const dflt = this.defaultCapacity();
    if (this.buf.length > 2 * dflt && 3 * len <= dflt) {
      const next = Buffer.allocUnsafe(dflt);
      this.buf.copy(next, 0, from, from + len);
      this.buf = next;
    } else if (from > 0) {
      this.buf.copy(this.buf, 0, from, from + len);
    }
  }
}

/**
 * Buffer's own UTF-8 writer (what buf.write(s, offset, 'utf8') ends in, minus its argument juggling, which cost
 * more than the encoding itself); present in every Node version, just not in @types/node.
 */
type FastBuffer = Buffer & { utf8Write(s: string, offset: number, length: number): number };

/** Ids made of base64url characters and digits need no JSON escaping. */
function isPlainId(id: string): boolean {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95)) return false;
  }
  return id.length > 0;
}

/**
 * Short deterministic prefix of the document ids of one object version: base64url of the first 96 bits of
 * SHA-256(bucket, key, etag-or-version). Document `_id` = `${prefix}-${lineNo}`.
 */
export function objectIdPrefix(bucket: string, key: string, etagOrVersion: string): string {
  return createHash('sha256').update(JSON.stringify([bucket, key, etagOrVersion])).digest('base64url').slice(0, 16);
}
