/**
 * `logtong parse`'s standard output: one document per line, built in one reused buffer and written in large
 * chunks. Hand-written for the issue-16 benchmark target (parse end to end ≥ 100 MiB per CPU-second): a
 * `stream.write` per document string cost more than parsing. A line the template parser's writer can take by range
 * (CleanLines) is written without a string or an object, exactly as the processor's bulk batcher does.
 */
import type { Writable } from 'node:stream';
import type { JsonWriter } from '../../lambda/core/formats';
import { write } from './files';

type FastBuffer = Buffer & { utf8Write(s: string, offset: number, length: number): number };

const CHUNK = 1 << 20;

export class NdjsonOut {
  /** Output at buf[0..off); the staged source chunk at buf[limit..]. */
  private buf: Buffer;
  private view: DataView;
  private off = 0;
  private limit = CHUNK;
  private staged: Buffer | undefined;

  constructor(private readonly out: Writable) {
    this.buf = Buffer.allocUnsafe(2 * CHUNK);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /**
   * The document of src[start..end) through `writer.writeRange` (the caller checked the line with CleanLines);
   * false when the writer declines it (write its document with doc() instead). Call flushIfFull() after.
   */
  range(src: Buffer, start: number, end: number, writer: JsonWriter): boolean {
    if (this.off + writer.maxBytes(end - start) + 1 > this.limit) this.room(writer.maxBytes(end - start) + 1, src.length);
    if (src !== this.staged) this.stage(src);
    const e = writer.writeRange!(this.limit, start, end, this.buf, this.off, this.view);
    if (e < 0) return false;
    this.buf[e] = 10;
    this.off = e + 1;
    return true;
  }

  /** A document's JSON text and a newline. */
  doc(json: string): void {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    const need = 3 * json.length + 1;
    if (this.off + need > this.limit) this.room(need, this.staged?.length ?? 0);
    this.off += (this.buf as FastBuffer).utf8Write(json, this.off, this.limit - this.off);
    this.buf[this.off++] = 10;
  }

  /** Writes the output so far once it is a chunk (waiting when the stream asks). */
  flushIfFull(): Promise<void> | void {
    if (this.off >= this.limit - (this.limit >> 3)) return this.flush();
  }

  flush(): Promise<void> | void {
    if (this.off === 0) return;
    // A copy: the buffer is written into again before the stream is done with it.
    const chunk = Buffer.from(this.buf.subarray(0, this.off));
    this.off = 0;
    return write(this.out, chunk);
  }

  private stage(src: Buffer): void {
    if (this.limit + src.length > this.buf.length) this.resize(this.limit, src.length);
    src.copy(this.buf, this.limit);
    this.staged = src;
  }

  /**
   * Makes `need` bytes of output room: the output so far is moved out of the way by growing the output area (the
   * caller flushes at the next flushIfFull), keeping the staged chunk after it.
   */
  private room(need: number, stagedLength: number): void {
    this.resize(Math.max(2 * this.limit, this.off + need), stagedLength);
  }

  private resize(limit: number, stagedLength: number): void {
    const buf = Buffer.allocUnsafe(limit + Math.max(stagedLength, CHUNK));
    this.buf.copy(buf, 0, 0, this.off);
    if (this.staged) this.staged.copy(buf, limit);
    this.buf = buf;
    this.limit = limit;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
}
