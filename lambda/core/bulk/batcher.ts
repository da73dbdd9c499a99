/**
 * OpenSearch `_bulk` request bodies (NDJSON), cut by size and count.
 *
 * Each document is written as `{"create":{"_index":…,"_id":…}}\n<doc>\n`: `create`, not `index`, so a redelivered
 * object (same deterministic _id) never overwrites or duplicates a document — the caller treats 409 as already
 * indexed. A batch is its body's bytes (UTF-8, as sent) and its items' refs, made only when asked for: a sender
 * needs the refs of the items that did not go in, nothing per item that did.
 */
import { createHash } from 'node:crypto';
import type { JsonWriter } from '../formats';
import type { BulkRequest } from './sender';

export type BulkBatch<T> = BulkRequest<T>;

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
   * For addRange(): ids are `${idPrefix}-${lineNo}` and item refs are made by rangeRef when a batch's ref(i) is
   * called (nothing per line is allocated while the batch is built).
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
   * cost as much again. Here the byte count comes from the encode, and the body is copied out once per batch.
   */
  private buf: Buffer;
  private off = 0;
  /**
   * Output stays below `limit`; addRange() puts its source chunk's bytes at buf[limit..] (the writer copies values
   * from there with copyWithin, natively) once per chunk.
   */
  private limit: number;
  private staged: Buffer | undefined;
  /** A DataView of buf (same offsets), for the writer's word stores. */
  private view: DataView;
  // per item: addRange() items have their line number, source buffer (index into srcs) and range; add() and
  // addLine() items have line -1 and their ref at refs[srcIdx]
  private refs: T[] = [];
  private count = 0;
  private lines = new Int32Array(1024);
  private srcIdx = new Int32Array(1024);
  private starts = new Int32Array(1024);
  private ends = new Int32Array(1024);
  private srcs: Buffer[] = [];
  /** Buffers of sent batches, given back by release(). */
  private spare: Buffer[] = [];
  /** The action line up to the line number (`{"create":…,"_id":"<prefix>-`) as little-endian words, zero-padded. */
  private readonly idHead: Int32Array | undefined;
  private readonly idHeadLength: number;
  private readonly rangeRef: ((lineNo: number, src: Buffer, start: number, end: number) => T) | undefined;

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
    this.view = viewOf(this.buf);
    if (opts.idPrefix !== undefined && !isPlainId(opts.idPrefix)) throw new Error('BulkBatcher: idPrefix must be base64url');
    const head = Buffer.from(`${this.actionHead}"${opts.idPrefix ?? ''}-`, 'utf8');
    const padded = Buffer.alloc(Math.ceil(head.length / 4) * 4);
    head.copy(padded);
    this.idHead = opts.idPrefix !== undefined ? Int32Array.from({ length: padded.length / 4 }, (_, i) => padded.readInt32LE(4 * i)) : undefined;
    this.idHeadLength = head.length;
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
    return this.commit(start, n, ref);
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
    return this.commit(start, end + 1 - start, ref);
  }

  /**
   * addLine() for line number `lineNo` at src[start..end) (JsonWriter.writeRange states what the caller must have
   * checked). Needs the idPrefix and rangeRef options.
   */
  addRange(lineNo: number, src: Buffer, start: number, end: number, writer: JsonWriter): BulkBatch<T> | undefined | false {
    const at = this.off;
    const idHead = this.idHead!;
    // (+ 4 * idHead.length: the padding of the last word is written too, then overwritten)
    const need = 4 * idHead.length + 16 + writer.maxBytes(end - start);
    if (at + need > this.limit) this.grow(at + need);
    if (src !== this.staged) this.stage(src);
    const buf = this.buf;
    const view = this.view;
    for (let i = 0; i < idHead.length; i++) view.setInt32(at + 4 * i, idHead[i], true);
    let o = at + this.idHeadLength;
    // line numbers are below 2^31: integer division
    let digits = 1;
    for (let v = lineNo; v >= 10; v = (v / 10) | 0) digits++;
    for (let i = digits - 1, v = lineNo; i >= 0; i--, v = (v / 10) | 0) buf[o + i] = 48 + (v % 10);
    o += digits;
    // `"}}` and the newline
    view.setInt32(o, 0x0a7d7d22, true);
    o += 4;
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
  private commit(start: number, n: number, ref: T): BulkBatch<T> | undefined {
    const full = this.cut(start, n);
    const k = this.count;
    if (k === this.lines.length) this.growItems();
    this.lines[k] = -1;
    this.srcIdx[k] = this.refs.length;
    this.refs.push(ref);
    this.count = k + 1;
    return full;
  }

  /** Makes room for the entry just written at buf[start..start+n): the batch so far when the entry does not fit in it. */
  private cut(start: number, n: number): BulkBatch<T> | undefined {
    let full: BulkBatch<T> | undefined;
    if (this.count >= this.maxDocs || (this.count > 0 && start + n > this.maxBytes)) {
      full = this.take(start, n);
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
    return this.count === 0 ? undefined : this.take(this.off, 0);
  }

  /**
   * Gives back the buffer of a batch this batcher made, once nothing reads its body any more (the send settled):
   * the next batch is built in it instead of in fresh memory. Releasing it again once it is back in use (the
   * buffer being built) is ignored.
   */
  release(batch: BulkBatch<T>): void {
    const buf = batch instanceof Batch ? batch.buffer : undefined;
    if (buf && buf !== this.buf && buf.length === this.buf.length && this.spare.length < MAX_SPARE && !this.spare.includes(buf)) this.spare.push(buf);
  }

  /**
   * The batch of buf[0..end) and its items; buf[end..end+keep) (the entry that starts the next batch, if any) moves
   * to the front of the next buffer. The body is buf itself, not a copy: copying 5 MiB per batch, and the garbage
   * collections that fresh buffers triggered, cost more than a tenth of the fast path.
   */
  private take(end: number, keep: number): BulkBatch<T> {
    const old = this.buf;
    const body = old.subarray(0, end);
    const dflt = this.defaultCapacity();
    // back to the default size once a huge document has gone
    const shrink = this.limit > 2 * dflt && 3 * keep <= dflt;
    if (shrink) this.limit = dflt;
    const spare = shrink ? undefined : this.spare.pop();
    this.setBuffer(spare?.length === old.length ? spare : Buffer.allocUnsafe(shrink ? dflt : old.length));
    old.copy(this.buf, 0, end, end + keep);
    this.staged = undefined;
    const n = this.count;
    const batch = new Batch<T>(old, body, n, this.lines.slice(0, n), this.srcIdx.slice(0, n), this.starts.slice(0, n), this.ends.slice(0, n), this.srcs, this.refs, this.rangeRef);
    this.refs = [];
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
    this.setBuffer(next);
    this.staged = undefined;
  }

  private setBuffer(buf: Buffer): void {
    this.buf = buf;
    this.view = viewOf(buf);
  }

  /** Puts src's bytes at buf[limit..]. */
  private stage(src: Buffer): void {
    if (this.limit + src.length > this.buf.length) {
      const next = Buffer.allocUnsafe(this.limit + Math.max(src.length, 512 * 1024));
      this.buf.copy(next, 0, 0, this.off);
      this.setBuffer(next);
    }
    src.copy(this.buf, this.limit);
    this.staged = src;
  }
}

/** A built batch: item k's ref comes from the batcher's refs (add, addLine) or is made from its line range. */
class Batch<T> implements BulkBatch<T> {
  constructor(
    /** The batcher's buffer that holds the body. */
    readonly buffer: Buffer,
    readonly body: Buffer,
    readonly count: number,
    private readonly lines: Int32Array,
    private readonly srcIdx: Int32Array,
    private readonly starts: Int32Array,
    private readonly ends: Int32Array,
    private readonly srcs: Buffer[],
    private readonly refs: T[],
    private readonly rangeRef: ((lineNo: number, src: Buffer, start: number, end: number) => T) | undefined,
  ) {}

  ref(i: number): T {
    const line = this.lines[i];
    if (line < 0) return this.refs[this.srcIdx[i]];
    return this.rangeRef!(line, this.srcs[this.srcIdx[i]], this.starts[i], this.ends[i]);
  }
}

/** Spare buffers kept: one per bulk request in flight, and one being built. */
const MAX_SPARE = 4;

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.length);
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
