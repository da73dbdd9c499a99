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

export interface BulkBatcherOptions<T = unknown> {
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
  /**
   * For addRange(): ids are `${idPrefix}-${lineNo}` and item refs are made by rangeRef when the batch's items are
   * first read (nothing per line is allocated while the batch is built).
   */
  idPrefix?: string;
  rangeRef?: (lineNo: number, src: Buffer, start: number, end: number) => T;
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
  /**
   * Output stays below `limit`; addRange() puts its source chunk's bytes at buf[limit..] (the writer copies values
   * from there with copyWithin, natively) once per chunk.
   */
  private limit: number;
  private staged: Buffer | undefined;
  private view: DataView | undefined;
  private items: Array<{ id: string; ref: T }> = [];
  // addRange() items: line number, source buffer (index into srcs) and range; line -1 = next of `items`
  private count = 0;
  private lines = new Int32Array(1024);
  private srcIdx = new Int32Array(1024);
  private starts = new Int32Array(1024);
  private ends = new Int32Array(1024);
  private srcs: Buffer[] = [];
  private readonly idHead: Buffer | undefined;
  private readonly rangeRef: ((lineNo: number, src: Buffer, start: number, end: number) => T) | undefined;
  private readonly idPrefix: string;

  constructor(opts: BulkBatcherOptions<T>) {
    if (!opts.index) throw new Error('BulkBatcher: index is required');
    if (!(opts.maxBytes > 0) || !(opts.maxDocs >= 1)) throw new Error('BulkBatcher: maxBytes and maxDocs must be positive');
    this.actionHead = `{"create":{"_index":${JSON.stringify(opts.index)},"_id":`;
    this.actionHeadBytes = Buffer.from(this.actionHead, 'utf8');
    this.maxBytes = opts.maxBytes;
    this.maxDocs = opts.maxDocs;
    this.stringify = opts.stringify ?? JSON.stringify;
    this.limit = this.defaultCapacity();
    this.buf = Buffer.allocUnsafe(this.limit);
    this.idPrefix = opts.idPrefix ?? '';
    if (opts.idPrefix !== undefined && !isPlainId(opts.idPrefix)) throw new Error('BulkBatcher: idPrefix must be base64url');
    // the action line up to the line number, written with one native copy
    this.idHead = opts.idPrefix !== undefined ? Buffer.from(`${this.actionHead}"${opts.idPrefix}-`, 'utf8') : undefined;
    this.rangeRef = opts.rangeRef;
  }

  /** Documents in the batch being built. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds a document. Returns the batch built so far when this document does not fit in it (by bytes or count);
   * the document then starts the next batch.
   */
  add(id: string, doc: object, ref: T): BulkBatch<T> | undefined {
    const entry = `${this.actionHead}${isPlainId(id) ? `"${id}"` : JSON.stringify(id)}}}\n${this.stringify(doc as Record<string, unknown>)}\n`;
    const start = this.off;
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    if (start + 3 * entry.length > this.limit) this.grow(start + 3 * entry.length);
    const n = (this.buf as FastBuffer).utf8Write(entry, start, this.limit - start);
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
    if (start + need > this.limit) this.grow(start + need);
    const buf = this.buf;
    let o = start;
    for (let i = 0; i < head.length; i++) buf[o++] = head[i];
    if (isPlainId(id)) {
      buf[o++] = 34;
      for (let i = 0; i < id.length; i++) buf[o++] = id.charCodeAt(i);
      buf[o++] = 34;
    } else {
      o += (buf as FastBuffer).utf8Write(JSON.stringify(id), o, this.limit - o);
    }
    buf[o++] = 125;
    buf[o++] = 125;
    buf[o++] = 10;
    const end = writer.write(line, buf, o);
    if (end < 0) return false;
    buf[end] = 10;
    return this.commit(start, end + 1 - start, id, ref);
  }

  /**
   * addLine() for line number `lineNo` at src[start..end) (JsonWriter.writeRange states what the caller must have
   * checked). Needs the idPrefix and rangeRef options.
   */
  addRange(lineNo: number, src: Buffer, start: number, end: number, writer: JsonWriter): BulkBatch<T> | undefined | false {
    const at = this.off;
    const idHead = this.idHead!;
    const need = idHead.length + 16 + writer.maxBytes(end - start);
    if (at + need > this.limit) this.grow(at + need);
    if (src !== this.staged) this.stage(src);
    const buf = this.buf;
    let o = at;
    buf.set(idHead, o);
    o += idHead.length;
    let digits = 1;
    for (let v = lineNo; v >= 10; v = Math.floor(v / 10)) digits++;
    for (let i = digits - 1, v = lineNo; i >= 0; i--, v = Math.floor(v / 10)) buf[o + i] = 48 + (v % 10);
    o += digits;
    buf[o++] = 34;
    buf[o++] = 125;
    buf[o++] = 125;
    buf[o++] = 10;
    let view = this.view;
    if (view === undefined || view.buffer !== buf.buffer) view = this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const e = writer.writeRange!(this.limit, start, end, buf, o, view);
    if (e < 0) return false;
    buf[e] = 10;
    const full = this.cut(at, e + 1 - at);
    const k = this.count;
    if (k === this.lines.length) this.growItems();
    this.lines[k] = lineNo;
    let si = this.srcs.length - 1;
    if (si < 0 || this.srcs[si] !== src) {
      this.srcs.push(src);
      si++;
    }
    this.srcIdx[k] = si;
    this.starts[k] = start;
    this.ends[k] = end;
    this.count = k + 1;
    return full;
  }

  /** Adds the entry just written at buf[start..start+n), cutting the batch before it when it does not fit. */
  private commit(start: number, n: number, id: string, ref: T): BulkBatch<T> | undefined {
    const full = this.cut(start, n);
    const k = this.count;
    if (k === this.lines.length) this.growItems();
    this.lines[k] = -1;
    this.count = k + 1;
    this.items.push({ id, ref });
    return full;
  }

  /** Makes room for the entry just written at buf[start..start+n): the batch so far when the entry does not fit in it. */
  private cut(start: number, n: number): BulkBatch<T> | undefined {
    let full: BulkBatch<T> | undefined;
    if (this.count >= this.maxDocs || (this.count > 0 && start + n > this.maxBytes)) {
      full = this.take(start);
      this.keepAtFront(start, n);
    }
    this.off += n;
    return full;
  }

  private growItems(): void {
    const n = 2 * this.lines.length;
    const g = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.lines = g(this.lines);
    this.srcIdx = g(this.srcIdx);
    this.starts = g(this.starts);
    this.ends = g(this.ends);
  }

  /** The batch being built, if it has any document. */
  flush(): BulkBatch<T> | undefined {
    if (this.count === 0) return undefined;
    const batch = this.take(this.off);
    this.keepAtFront(0, 0);
    return batch;
  }

  /** The batch of buf[0..end) and its items; what follows `end` (if anything) is the caller's. */
  private take(end: number): BulkBatch<T> {
    const bytes = this.buf.subarray(0, end);
    // ASCII (the usual body) decodes as latin1 — a plain copy, ~4× faster than the UTF-8 decoder.
    const body = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
    const n = this.count;
    const objs = this.items;
    let batch: BulkBatch<T>;
    if (objs.length === n) batch = { body, bytes: end, items: objs };
    else {
      // range items: their ids and refs are made only if someone reads them (a sender does, once)
      const lines = this.lines.slice(0, n);
      const srcIdx = this.srcIdx.slice(0, n);
      const starts = this.starts.slice(0, n);
      const ends = this.ends.slice(0, n);
      const srcs = this.srcs;
      const prefix = this.idPrefix;
      const rangeRef = this.rangeRef!;
      let items: Array<{ id: string; ref: T }> | undefined;
      batch = {
        body,
        bytes: end,
        get items() {
          if (items === undefined) {
            items = new Array(n);
            for (let k = 0, j = 0; k < n; k++) {
              const line = lines[k];
              items[k] = line < 0 ? objs[j++] : { id: `${prefix}-${line}`, ref: rangeRef(line, srcs[srcIdx[k]], starts[k], ends[k]) };
            }
          }
          return items;
        },
      };
    }
    this.items = [];
    this.srcs = [];
    this.count = 0;
    this.off = 0;
    return batch;
  }

  private defaultCapacity(): number {
    return Math.min(this.maxBytes, 64 * 1024 * 1024) + 64 * 1024;
  }

  private grow(need: number): void {
    this.limit = Math.max(need, 2 * this.limit);
    const next = Buffer.allocUnsafe(this.limit);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
    this.staged = undefined;
  }

  /** Puts src's bytes at buf[limit..]. */
  private stage(src: Buffer): void {
    if (this.limit + src.length > this.buf.length) {
      const next = Buffer.allocUnsafe(this.limit + Math.max(src.length, 512 * 1024));
      this.buf.copy(next, 0, 0, this.off);
      this.buf = next;
    }
    src.copy(this.buf, this.limit);
    this.staged = src;
  }

  /** Moves buf[from..from+len) (the entry that starts the next batch) to the front, into a fresh buffer if the current one grew for a huge document. */
  private keepAtFront(from: number, len: number): void {
    const dflt = this.defaultCapacity();
    if (this.limit > 2 * dflt && 3 * len <= dflt) {
      const next = Buffer.allocUnsafe(dflt);
      this.buf.copy(next, 0, from, from + len);
      this.buf = next;
      this.limit = dflt;
      this.staged = undefined;
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
