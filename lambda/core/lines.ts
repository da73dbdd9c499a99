/**
 * Streaming front of the processor: decoded body (body.ts: gunzip, BOM) → batches of numbered lines.
 *
 * Nothing here buffers a whole object: splitLines keeps at most one partial line (≤ maxLineBytes + 1 bytes) between
 * chunks. A line longer than maxLineBytes is kept whole all the same: its bytes go, chunk by chunk as they are read,
 * to a sink of its own (`spill`: a backup object, a file) that its failed entry names; without a sink (input that
 * is in memory anyway, a Kinesis record) the entry holds the whole line.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { BodyBreak, DecodedBody } from './body';

export { decodeBody, type BodyBreak, type DecodedBody, type DecodeOptions } from './body';

export interface Line {
  lineNo: number;
  text: string;
}
export interface FailedLine {
  lineNo: number;
  /** The line's text; for a line spilled to `rawObject`, its first RAW_CAP_BYTES only. */
  raw: string;
  reason: string;
  /** The line's bytes, when `raw` cannot hold them (invalid UTF-8: raw has U+FFFD in their place). */
  rawBase64?: string;
  /** Where the line's complete bytes are (LineSink.location), for an over-long line streamed to a sink. */
  rawObject?: string;
  /** Bytes of the line at rawObject. */
  rawBytes?: number;
  /**
   * The body broke off here (a gzip error): this entry stands for the rest of the object (the partial line and
   * whatever could not be decoded), which the caller keeps whole. The lines before it are complete.
   */
  broken?: BodyBreak;
}
export type LineEntry = Line | FailedLine;
export type LineBatch = LineEntry[];

/** Where an over-long line's bytes go as they are read (its own backup object, a file). */
export interface LineSink {
  /** Chunks in order; resolve when there is room for more (backpressure). A chunk may be kept: it is not reused. */
  write(chunk: Buffer): void | Promise<void>;
  /** The line is complete: resolves once its bytes are stored. */
  close(): Promise<void>;
  /** The line will not complete (the body broke off in it): nothing is to be stored. */
  abort(): Promise<void>;
  /** The entry's rawObject. */
  readonly location: string;
}

export interface SplitOptions {
  /** Lines longer than this (bytes, without the line break) become failed entries. */
  maxLineBytes: number;
  /**
   * Opens the sink of an over-long line (numbered lineNo); its bytes are streamed there and its entry names it.
   * @default the line is collected in memory, whole, into the entry's raw (and rawBase64 when not UTF-8)
   */
  spill?: (lineNo: number) => LineSink;
}

/** How much of a spilled line is kept (bytes) as `raw` of its failed entry, to read without opening rawObject. */
export const RAW_CAP_BYTES = 64 * 1024;

export function isFailed(entry: LineEntry): entry is FailedLine {
  return (entry as FailedLine).reason !== undefined;
}

/** Buffer's own latin1 decoder (what toString('latin1', s, e) ends in, minus argument handling); untyped in @types/node. */
type FastBuffer = Buffer & { latin1Slice(start: number, end: number): string };

const EMPTY = Buffer.alloc(0);
const CR = Buffer.from([13]);

/**
 * An over-long line while it is read: its bytes go to its sink (or are collected, without one) and its first
 * RAW_CAP_BYTES are kept for `raw`. A CR at the end of what was added is held back until more comes: the line's
 * last CR is part of its CRLF line break.
 */
class LongLine {
  private readonly sink: LineSink | undefined;
  private readonly kept: Buffer[] = [];
  private readonly head: Buffer[] = [];
  private headLen = 0;
  private bytes = 0;
  private cr = false;

  constructor(
    private readonly lineNo: number,
    private readonly max: number,
    spill: SplitOptions['spill'],
  ) {
    this.sink = spill?.(lineNo);
  }

  async add(part: Buffer): Promise<void> {
    if (part.length === 0) return;
    if (this.cr) {
      this.cr = false;
      await this.put(CR);
    }
    if (part[part.length - 1] === 13) {
      this.cr = true;
      part = part.subarray(0, part.length - 1);
    }
    if (part.length > 0) await this.put(part);
  }

  private async put(b: Buffer): Promise<void> {
    this.bytes += b.length;
    if (!this.sink) {
      this.kept.push(b);
      return;
    }
    if (this.headLen < RAW_CAP_BYTES) {
      const h = Buffer.from(b.subarray(0, RAW_CAP_BYTES - this.headLen));
      this.head.push(h);
      this.headLen += h.length;
    }
    const w = this.sink.write(b);
    if (w) await w;
  }

  /** The line ended (its held CR, if any, was its line break): its failed entry. */
  async finish(): Promise<FailedLine> {
    const reason = `line exceeds ${this.max} bytes`;
    if (!this.sink) {
      const bytes = Buffer.concat(this.kept, this.bytes);
      const raw = bytes.toString('utf8');
      return raw.includes('\uFFFD') && !isUtf8(bytes) ? { lineNo: this.lineNo, raw, reason, rawBase64: bytes.toString('base64') } : { lineNo: this.lineNo, raw, reason };
    }
    await this.sink.close();
    return { lineNo: this.lineNo, raw: Buffer.concat(this.head, this.headLen).toString('utf8'), reason, rawObject: this.sink.location, rawBytes: this.bytes };
  }

  async abort(): Promise<void> {
    await this.sink?.abort();
  }
}

/** The failed entry of a whole over-long line held in `line` (its CR before LF, if any, still there). */
async function longEntry(lineNo: number, line: Buffer, max: number, spill: SplitOptions['spill']): Promise<FailedLine> {
  const long = new LongLine(lineNo, max, spill);
  await long.add(line);
  return long.finish();
}

/**
 * The line in progress across chunks: its bytes while it may still fit (copied, ≤ max + 1: +1 for a CR before the
 * LF to come), streamed to a LongLine once it cannot.
 */
class PartialLine {
  private parts: Buffer[] = [];
  private len = 0;
  private long: LongLine | undefined;

  constructor(
    private readonly max: number,
    private readonly spill: SplitOptions['spill'],
  ) {}

  get pending(): boolean {
    return this.len > 0 || this.long !== undefined;
  }

  /** Bytes of line lineNo, no LF among them. */
  async add(lineNo: number, b: Buffer): Promise<void> {
    if (this.long) return this.long.add(b);
    if (this.len + b.length > this.max + 1) {
      await this.toLong(lineNo);
      return this.long!.add(b);
    }
    // Copy so that a small remainder does not pin a large chunk in memory.
    this.parts.push(Buffer.from(b));
    this.len += b.length;
  }

  /**
   * Line lineNo ends with `last` (the bytes before its LF, or none at the end of the input): the entry of an
   * over-long line, or the line's bytes (CR included) to be split like any other.
   */
  async end(lineNo: number, last: Buffer): Promise<FailedLine | Buffer> {
    if (!this.long && this.len + last.length > this.max + 1) await this.toLong(lineNo);
    const long = this.long;
    if (long) {
      this.long = undefined;
      await long.add(last);
      return long.finish();
    }
    const buf = this.len === 0 ? last : Buffer.concat([...this.parts, last], this.len + last.length);
    this.parts = [];
    this.len = 0;
    return buf;
  }

  /** The body broke off in this line: it is not a line. */
  async abort(): Promise<void> {
    await this.long?.abort();
    this.long = undefined;
    this.parts = [];
    this.len = 0;
  }

  private async toLong(lineNo: number): Promise<void> {
    this.long = new LongLine(lineNo, this.max, this.spill);
    for (const p of this.parts) await this.long.add(p);
    this.parts = [];
    this.len = 0;
  }
}

/** The entry that stands for the rest of a body that broke off while line lineNo was read. */
function brokenEntry(lineNo: number, b: BodyBreak): FailedLine {
  return {
    lineNo,
    raw: '',
    reason: `gzip data unreadable after line ${lineNo - 1} (decompressed byte ${b.decodedBytes}): ${b.message} (${b.code})`,
    broken: b,
  };
}

/** What the input of a splitter says about how it ended (decodeBody's `broken`). */
function breakOf(chunks: AsyncIterable<Buffer>): BodyBreak | undefined {
  return (chunks as Partial<DecodedBody>).broken;
}

/**
 * Splits decoded bytes into batches of 1-based numbered lines (one batch per input chunk that completes a line).
 * `\n` and `\r\n` end lines; a last line without a line break counts; empty lines are skipped but numbered.
 * Lines that are not valid UTF-8 or longer than maxLineBytes become failed entries (`raw` decoded with U+FFFD for
 * invalid bytes, plus the bytes; an over-long line kept whole, see SplitOptions.spill). When the input is a
 * decodeBody() that broke off, its partial last line is not a line: one last failed entry stands for the rest.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, opts: SplitOptions): AsyncIterable<LineBatch> {
  const max = opts.maxLineBytes;
  if (!(max >= 1)) throw new Error(`maxLineBytes must be >= 1, got ${max}`);
  const spill = opts.spill;
  let lineNo = 0;
  const partial = new PartialLine(max, spill);
  // Over-long lines of a region: [index in out, lineNo, start, end at the LF], spilled once the region is split.
  const longs: number[][] = [];

  // A consumer that stops early (an error downstream) leaves no sink open.
  try {
    for await (const chunk of chunks) {
      const out: LineBatch = [];
      let pos = 0;
      const n = chunk.length;
      if (partial.pending) {
        const nl = chunk.indexOf(10);
        if (nl === -1) {
          await partial.add(lineNo + 1, chunk);
          continue;
        }
        await pushEnded(out, ++lineNo, await partial.end(lineNo, chunk.subarray(0, nl)));
        pos = nl + 1;
      }
      if (pos < n) {
        const last = chunk.lastIndexOf(10);
        if (last >= pos) {
          lineNo = splitRegion(out, longs, chunk, pos, last + 1, lineNo, max);
          pos = last + 1;
        }
        for (const [i, no, s, e] of longs.splice(0)) out[i] = await longEntry(no, chunk.subarray(s, e), max, spill);
        if (pos < n) await partial.add(lineNo + 1, chunk.subarray(pos));
      }
      if (out.length > 0) yield out;
    }
    const broken = breakOf(chunks);
    if (broken) {
      await partial.abort();
      yield [brokenEntry(lineNo + 1, broken)];
      return;
    }
    const out: LineBatch = [];
    if (partial.pending) await pushEnded(out, ++lineNo, await partial.end(lineNo, EMPTY));
    if (out.length > 0) yield out;
  } finally {
    await partial.abort();
  }

  /** A line the partial line ended in: an over-long line's entry, or its bytes. */
  async function pushEnded(out: LineBatch, no: number, ended: FailedLine | Buffer): Promise<void> {
    if (!Buffer.isBuffer(ended)) out.push(ended);
    else if (pushLine(out, longs, no, ended, 0, ended.length, max)) for (const [i, , s, e] of longs.splice(0)) out[i] = await longEntry(no, ended.subarray(s, e), max, spill);
  }
}

/** Stands in the batch for an over-long line until it is spilled. */
const PENDING: FailedLine = { lineNo: 0, raw: '', reason: '' };

/**
 * Splits buf[start..end) where end - 1 is a newline. Pure-ASCII regions (the common case) are decoded once and
 * split as a string; others line by line so that invalid UTF-8 is pinned to its line. Over-long lines are left to
 * the caller (`longs`).
 */
function splitRegion(out: LineBatch, longs: number[][], buf: Buffer, start: number, end: number, lineNo: number, max: number): number {
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
        if (e - pos > max) {
          longs.push([out.length, lineNo, start + pos, start + nl]);
          out.push(PENDING);
        } else out.push({ lineNo, text: str.slice(pos, e) });
      }
      pos = nl + 1;
    }
    return lineNo;
  }
  let pos = start;
  while (pos < end) {
    const nl = buf.indexOf(10, pos);
    pushLine(out, longs, ++lineNo, buf, pos, nl, max);
    pos = nl + 1;
  }
  return lineNo;
}

/** One line buf[start..end) (end at the newline or buffer end), CR stripped; true when it is over-long (`longs`). */
function pushLine(out: LineBatch, longs: number[][], lineNo: number, buf: Buffer, start: number, end: number, max: number): boolean {
  const lf = end;
  if (end > start && buf[end - 1] === 13) end--;
  const len = end - start;
  if (len === 0) return false;
  if (len > max) {
    longs.push([out.length, lineNo, start, lf]);
    out.push(PENDING);
    return true;
  }
  out.push(decodedLine(lineNo, buf, start, end));
  return false;
}

/**
 * A batch of splitRanges(): line k is src[starts[k]..ends[k]) (CR stripped, never empty) numbered lineNos[k], or,
 * when ends[k] is -1, the failed entry failures[starts[k]] (an over-long line, the break of a broken body). The
 * arrays are reused by the next batch.
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
  const spill = opts.spill;
  let lineNo = 0;
  const partial = new PartialLine(max, spill);
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
  /** The batch of the line a partial line ended in (pushLine() semantics), or undefined for an empty line. */
  const ended = async (no: number, e: FailedLine | Buffer): Promise<LineRanges | undefined> => {
    if (!Buffer.isBuffer(e)) {
      reset(EMPTY);
      fail(e);
      return r;
    }
    let end = e.length;
    if (end > 0 && e[end - 1] === 13) end--;
    if (end === 0) return undefined;
    reset(e);
    if (end > max) fail(await longEntry(no, e, max, spill));
    else push(no, 0, end);
    return r;
  };

  // A consumer that stops early (an error downstream) leaves no sink open.
  try {
    for await (const chunk of chunks) {
      let pos = 0;
      const n = chunk.length;
      if (partial.pending) {
        const nl = chunk.indexOf(10);
        if (nl === -1) {
          await partial.add(lineNo + 1, chunk);
          continue;
        }
        const one = await ended(++lineNo, await partial.end(lineNo, chunk.subarray(0, nl)));
        if (one) yield one;
        pos = nl + 1;
      }
      if (pos < n) {
        const last = chunk.lastIndexOf(10);
        if (last >= pos) {
          const src = chunk.subarray(pos, last + 1);
          reset(src);
          const len = src.length;
          let p = 0;
          while (p < len) {
            const nl = src.indexOf(10, p);
            lineNo++;
            let e = nl;
            if (e > p && src[e - 1] === 13) e--;
            if (e > p) {
              if (e - p > max) fail(await longEntry(lineNo, src.subarray(p, nl), max, spill));
              else push(lineNo, p, e);
            }
            p = nl + 1;
          }
          if (r.count > 0) yield r;
          pos = last + 1;
        }
        if (pos < n) await partial.add(lineNo + 1, chunk.subarray(pos));
      }
    }
    const broken = breakOf(chunks);
    if (broken) {
      await partial.abort();
      reset(EMPTY);
      fail(brokenEntry(lineNo + 1, broken));
      yield r;
    } else if (partial.pending) {
      const one = await ended(++lineNo, await partial.end(lineNo, EMPTY));
      if (one) yield one;
    }
  } finally {
    await partial.abort();
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

/** A failed line's fields as a failed record has them (`line`, not `lineNo`; the bytes or where they are, when raw lacks them). */
export function failedLineFields(l: FailedLine): { line: number; raw: string; reason: string; rawBase64?: string; rawObject?: string; rawBytes?: number } {
  return {
    line: l.lineNo,
    raw: l.raw,
    reason: l.reason,
    ...(l.rawBase64 !== undefined ? { rawBase64: l.rawBase64 } : {}),
    ...(l.rawObject !== undefined ? { rawObject: l.rawObject, rawBytes: l.rawBytes } : {}),
  };
}
