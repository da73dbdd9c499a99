/**
 * Streaming front of the processor: S3 object body → (gunzip) → batches of numbered lines.
 *
 * Nothing here buffers a whole object: decodeBody streams through zlib with backpressure, and splitLines keeps at
 * most one partial line (≤ maxLineBytes + 1 bytes) between chunks; an over-long line is reduced to its first
 * RAW_CAP_BYTES while the rest of it is skipped.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { Readable, type TransformOptions } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';

export interface Line {
  lineNo: number;
  text: string;
}
export interface FailedLine {
  lineNo: number;
  raw: string;
  reason: string;
  /** The line's bytes, when `raw` cannot hold them (invalid UTF-8: raw has U+FFFD in their place). */
  rawBase64?: string;
}
export type LineEntry = Line | FailedLine;
export type LineBatch = LineEntry[];

export interface SplitOptions {
  /** Lines longer than this (bytes, without the line break) become failed entries. */
  maxLineBytes: number;
}

/** How much of an over-long line is kept (bytes) as `raw` of its failed entry. */
export const RAW_CAP_BYTES = 64 * 1024;

/** zlib output chunk size: larger chunks mean fewer callbacks and line batches (~1,000 access-log lines each). */
const GUNZIP_CHUNK = 256 * 1024;

export function isFailed(entry: LineEntry): entry is FailedLine {
  return (entry as FailedLine).reason !== undefined;
}

/**
 * Yields the decoded bytes of an object body: gunzipped when it starts with the gzip magic bytes 1f 8b (whatever
 * its name; concatenated gzip members are all decoded), unchanged otherwise; a UTF-8 byte order mark at the start
 * of the text is dropped (editors on Windows write one; it would end up in the first line's first field).
 */
export async function* decodeBody(body: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  let head: Buffer | undefined = EMPTY; // undefined once the start of the text is known to hold no BOM
  for await (const chunk of decoded(body)) {
    if (head === undefined) {
      yield chunk;
      continue;
    }
    const b: Buffer = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (b.length < 3 && BOM.subarray(0, b.length).equals(b)) {
      head = b;
      continue;
    }
    head = undefined;
    const text = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
    if (text.length > 0) yield text;
  }
  // a body of one or two bytes of a BOM: not text, but a line (a failed one) all the same
  if (head !== undefined && head.length > 0) yield head;
}

const EMPTY = Buffer.alloc(0);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

async function* decoded(body: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  const it = body[Symbol.asyncIterator]();
  // Read until at least two bytes are known (a first chunk of one byte is legal).
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 2) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = toBuffer(r.value);
    if (b.length === 0) continue;
    head.push(b);
    headLen += b.length;
  }
  const first = head.length === 1 ? head[0] : Buffer.concat(head);
  const gzip = headLen >= 2 && first[0] === 0x1f && first[1] === 0x8b;

  if (!gzip) {
    if (done) {
      if (headLen > 0) yield first;
      return;
    }
    try {
      yield first;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        if (r.value.length > 0) yield toBuffer(r.value);
      }
    } finally {
      await it.return?.();
    }
  }

  async function* rest(): AsyncGenerator<Buffer> {
    yield first;
    if (done) return;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield toBuffer(r.value);
      }
    } finally {
      await it.return?.();
    }
  }
  // Room for zlib to work ahead on its thread while the caller parses: with the default 16 KiB marks it stopped
  // after every output chunk until the next read, and the caller waited ~15% of the time for each next chunk.
  // (zlib streams pass their options on to Transform, which @types/node does not say)
  const streamOptions: ZlibOptions & TransformOptions = { chunkSize: GUNZIP_CHUNK, readableHighWaterMark: 4 * GUNZIP_CHUNK, writableHighWaterMark: GUNZIP_CHUNK };
  const gunzip = createGunzip(streamOptions);
  const input = Readable.from(rest(), { objectMode: false, highWaterMark: GUNZIP_CHUNK });
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    input.unpipe(gunzip);
    input.destroy();
    gunzip.destroy();
  }
}

/** Buffer's own latin1 decoder (what toString('latin1', s, e) ends in, minus argument handling); untyped in @types/node. */
type FastBuffer = Buffer & { latin1Slice(start: number, end: number): string };

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * Splits decoded bytes into batches of 1-based numbered lines (one batch per input chunk that completes a line).
 * `\n` and `\r\n` end lines; a last line without a line break counts; empty lines are skipped but numbered.
 * Lines that are not valid UTF-8 or longer than maxLineBytes become failed entries (`raw` decoded with U+FFFD for
 * invalid bytes, truncated to RAW_CAP_BYTES).
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, opts: SplitOptions): AsyncIterable<LineBatch> {
  const max = opts.maxLineBytes;
  if (!(max >= 1)) throw new Error(`maxLineBytes must be >= 1, got ${max}`);
  let lineNo = 0;
  // Bytes of the current partial line (no newline seen yet). Never more than max + 1 bytes (+1: a trailing CR).
  let carry: Buffer[] = [];
  let carryLen = 0;
  // When the current line is known to be over-long: its first RAW_CAP_BYTES, the rest is being skipped.
  let overlong: Buffer | undefined;

  for await (const chunk of chunks) {
    const out: LineBatch = [];
    let pos = 0;
    const n = chunk.length;
    if (overlong) {
      const nl = chunk.indexOf(10);
      if (overlong.length < RAW_CAP_BYTES) overlong = headOf([overlong], chunk.subarray(0, nl === -1 ? n : nl));
      if (nl === -1) continue;
      out.push(overlongEntry(++lineNo, overlong, max));
      overlong = undefined;
      pos = nl + 1;
    } else if (carryLen > 0) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        appendPartial(chunk, 0);
        continue;
      }
      if (carryLen + nl > max + 1) {
        out.push(overlongEntry(++lineNo, headOf(carry, chunk.subarray(0, nl)), max));
      } else {
        carry.push(chunk.subarray(0, nl));
        pushLine(out, ++lineNo, Buffer.concat(carry, carryLen + nl), 0, carryLen + nl, max);
      }
      carry = [];
      carryLen = 0;
      pos = nl + 1;
    }
    if (pos < n) {
      const last = chunk.lastIndexOf(10);
      if (last >= pos) {
        lineNo = splitRegion(out, chunk, pos, last + 1, lineNo, max);
        pos = last + 1;
      }
      if (pos < n) appendPartial(chunk, pos);
    }
    if (out.length > 0) yield out;
  }
  const out: LineBatch = [];
  if (overlong) out.push(overlongEntry(++lineNo, overlong, max));
  else if (carryLen > 0) {
    const buf = Buffer.concat(carry, carryLen);
    pushLine(out, ++lineNo, buf, 0, buf.length, max);
  }
  if (out.length > 0) yield out;

  /** Keeps chunk[from..] as (part of) the current partial line, or switches to skipping it once over-long. */
  function appendPartial(chunk: Buffer, from: number): void {
    const len = chunk.length - from;
    if (carryLen + len > max + 1) {
      overlong = headOf(carry, chunk.subarray(from));
      carry = [];
      carryLen = 0;
      return;
    }
    // Copy so that a small remainder does not pin a large chunk in memory.
    carry.push(Buffer.from(chunk.subarray(from)));
    carryLen += len;
  }
}

/** First RAW_CAP_BYTES of carry + tail, copied. */
function headOf(carry: Buffer[], tail: Buffer): Buffer {
  const parts = [...carry, tail];
  const total = parts.reduce((s, b) => s + b.length, 0);
  return Buffer.concat(parts, Math.min(total, RAW_CAP_BYTES));
}

function overlongEntry(lineNo: number, head: Buffer, max: number): FailedLine {
  // the whole line fitted in the head: drop the CR of a CRLF
  if (head.length < RAW_CAP_BYTES && head.length > 0 && head[head.length - 1] === 13) head = head.subarray(0, head.length - 1);
  return { lineNo, raw: head.toString('utf8'), reason: `line exceeds ${max} bytes` };
}

/**
 * Splits buf[start..end) where end - 1 is a newline. Pure-ASCII regions (the common case) are decoded once and
 * split as a string; others line by line so that invalid UTF-8 is pinned to its line.
 */
function splitRegion(out: LineBatch, buf: Buffer, start: number, end: number, lineNo: number, max: number): number {
  if (isAscii(buf.subarray(start, end))) {
    const str = (buf as FastBuffer).latin1Slice(start, end);
    let pos = 0;
    const len = str.length;
    while (pos < len) {
      const nl = str.indexOf('\n', pos);
      lineNo++;
      let e = nl;
      if (e > pos && str.charCodeAt(e - 1) === 13) e--;
      if (e > pos) {
        if (e - pos > max) out.push({ lineNo, raw: str.slice(pos, pos + Math.min(e - pos, RAW_CAP_BYTES)), reason: `line exceeds ${max} bytes` });
        else out.push({ lineNo, text: str.slice(pos, e) });
      }
      pos = nl + 1;
    }
    return lineNo;
  }
  let pos = start;
  while (pos < end) {
    const nl = buf.indexOf(10, pos);
    pushLine(out, ++lineNo, buf, pos, nl, max);
    pos = nl + 1;
  }
  return lineNo;
}

/** One line buf[start..end) (end at the newline or buffer end), CR stripped. */
function pushLine(out: LineBatch, lineNo: number, buf: Buffer, start: number, end: number, max: number): void {
  if (end > start && buf[end - 1] === 13) end--;
  const len = end - start;
  if (len === 0) return;
  if (len > max) {
    out.push(overlongEntry(lineNo, buf.subarray(start, start + Math.min(len, RAW_CAP_BYTES)), max));
    return;
  }
  out.push(decodedLine(lineNo, buf, start, end));
}

/**
 * A batch of splitRanges(): line k is src[starts[k]..ends[k]) (CR stripped, never empty) numbered lineNos[k], or,
 * when ends[k] is -1, the failed entry failures[starts[k]] (an over-long line). The arrays are reused by the next
 * batch.
 */
export interface LineRanges {
  src: Buffer;
  count: number;
  lineNos: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  failures: FailedLine[];
}

/**
 * splitLines() without a string or an object per line: the same lines, numbers and failed entries, as ranges of
 * the decoded chunks. lineAt() gives a range's entry exactly as splitLines() would have.
 */
export async function* splitRanges(chunks: AsyncIterable<Buffer>, opts: SplitOptions): AsyncIterable<LineRanges> {
  const max = opts.maxLineBytes;
  if (!(max >= 1)) throw new Error(`maxLineBytes must be >= 1, got ${max}`);
  let lineNo = 0;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let overlong: Buffer | undefined;
  const r: LineRanges = { src: Buffer.alloc(0), count: 0, lineNos: new Int32Array(4096), starts: new Int32Array(4096), ends: new Int32Array(4096), failures: [] };
  const reset = (src: Buffer) => {
    r.src = src;
    r.count = 0;
    r.failures = [];
  };
  const push = (no: number, start: number, end: number) => {
    const k = r.count;
    if (k === r.lineNos.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(2 * a.length);
        b.set(a);
        return b;
      };
      r.lineNos = grow(r.lineNos);
      r.starts = grow(r.starts);
      r.ends = grow(r.ends);
    }
    r.lineNos[k] = no;
    r.starts[k] = start;
    r.ends[k] = end;
    r.count = k + 1;
  };
  const fail = (f: FailedLine) => {
    push(f.lineNo, r.failures.length, -1);
    r.failures.push(f);
  };
  /** pushLine() semantics for a whole line in `buf` (the only line of its batch). */
  const single = (no: number, buf: Buffer): LineRanges | undefined => {
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 13) end--;
    if (end === 0) return undefined;
    reset(buf);
    if (end > max) fail(overlongEntry(no, buf.subarray(0, Math.min(end, RAW_CAP_BYTES)), max));
    else push(no, 0, end);
    return r;
  };

  for await (const chunk of chunks) {
    let pos = 0;
    const n = chunk.length;
    if (overlong) {
      const nl = chunk.indexOf(10);
      if (overlong.length < RAW_CAP_BYTES) overlong = headOf([overlong], chunk.subarray(0, nl === -1 ? n : nl));
      if (nl === -1) continue;
      reset(chunk.subarray(0, 0));
      fail(overlongEntry(++lineNo, overlong, max));
      yield r;
      overlong = undefined;
      pos = nl + 1;
    } else if (carryLen > 0) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        appendPartial(chunk, 0);
        continue;
      }
      if (carryLen + nl > max + 1) {
        reset(chunk.subarray(0, 0));
        fail(overlongEntry(++lineNo, headOf(carry, chunk.subarray(0, nl)), max));
        yield r;
      } else {
        carry.push(chunk.subarray(0, nl));
        const one = single(++lineNo, Buffer.concat(carry, carryLen + nl));
        if (one) yield one;
      }
      carry = [];
      carryLen = 0;
      pos = nl + 1;
    }
    if (pos < n) {
      const last = chunk.lastIndexOf(10);
      if (last >= pos) {
        const src = chunk.subarray(pos, last + 1);
        reset(src);
        const len = src.length;
        let ascii: boolean | undefined;
        let p = 0;
        while (p < len) {
          const nl = src.indexOf(10, p);
          lineNo++;
          let e = nl;
          if (e > p && src[e - 1] === 13) e--;
          if (e > p) {
            if (e - p > max) {
              // as splitRegion: an ASCII region keeps the text as is, any other goes through overlongEntry
              ascii ??= isAscii(src);
              if (ascii) fail({ lineNo, raw: src.toString('latin1', p, p + Math.min(e - p, RAW_CAP_BYTES)), reason: `line exceeds ${max} bytes` });
              else fail(overlongEntry(lineNo, src.subarray(p, p + Math.min(e - p, RAW_CAP_BYTES)), max));
            } else push(lineNo, p, e);
          }
          p = nl + 1;
        }
        if (r.count > 0) yield r;
        pos = last + 1;
      }
      if (pos < n) appendPartial(chunk, pos);
    }
  }
  if (overlong) {
    reset(Buffer.alloc(0));
    fail(overlongEntry(++lineNo, overlong, max));
    yield r;
  } else if (carryLen > 0) {
    const one = single(++lineNo, Buffer.concat(carry, carryLen));
    if (one) yield one;
  }

  function appendPartial(chunk: Buffer, from: number): void {
    const len = chunk.length - from;
    if (carryLen + len > max + 1) {
      overlong = headOf(carry, chunk.subarray(from));
      carry = [];
      carryLen = 0;
      return;
    }
    carry.push(Buffer.from(chunk.subarray(from)));
    carryLen += len;
  }
}

/** The entry splitLines() gives for line k of a splitRanges() batch. */
export function lineAt(r: LineRanges, k: number): LineEntry {
  const end = r.ends[k];
  if (end < 0) return r.failures[r.starts[k]];
  // as pushLine (the range has its CR stripped already)
  return decodedLine(r.lineNos[k], r.src, r.starts[k], end);
}

/** Line buf[start..end) decoded, or its failed entry when it is not valid UTF-8. */
function decodedLine(lineNo: number, buf: Buffer, start: number, end: number): LineEntry {
  const text = buf.toString('utf8', start, end);
  // Decoding is lossless unless the text holds U+FFFD, which is either real (EF BF BD) or a replaced invalid byte.
  if (!text.includes('\uFFFD')) return { lineNo, text };
  const bytes = buf.subarray(start, end);
  if (isUtf8(bytes)) return { lineNo, text };
  const at = firstInvalidUtf8(bytes);
  return {
    lineNo,
    raw: text,
    reason: `invalid UTF-8 at byte ${at + 1} (0x${bytes[at].toString(16).padStart(2, '0')})`,
    rawBase64: bytes.toString('base64'),
  };
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** A failed line's fields as a failed record has them (`line`, not `lineNo`; the bytes when raw lost them). */
export function failedLineFields(l: FailedLine): { line: number; raw: string; reason: string; rawBase64?: string } {
  return { line: l.lineNo, raw: l.raw, reason: l.reason, ...(l.rawBase64 !== undefined ? { rawBase64: l.rawBase64 } : {}) };
}
