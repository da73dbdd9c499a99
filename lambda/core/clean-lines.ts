/**
 * Which lines of a splitRanges() batch a JsonWriter may take by range (JsonWriter.writeRange): no control byte but
 * LF, no backslash, only ASCII. Per batch, one native ASCII test and one native search (memchr) per control byte
 * and backslash, each resumed only when a line passes its last hit: no per-byte loop in JavaScript. Shared by the
 * processor's byte path and `logtong parse`.
 */
import { isAscii } from 'node:buffer';

/** Control characters but LF (never inside a line), and the backslash: bytes the direct writer does not take. */
const DIRTY_BYTES = [...Array.from({ length: 32 }, (_, b) => b).filter((b) => b !== 10), 92];

export class CleanLines {
  private src: Buffer = Buffer.alloc(0);
  private ascii = true;
  private dirty = -1;
  /** next[i]: DIRTY_BYTES[i]'s last hit in src (-1 not searched yet, -2 none left). */
  private readonly next = new Int32Array(DIRTY_BYTES.length);

  /** Starts a batch: lines are then asked about in order. */
  reset(src: Buffer): void {
    this.src = src;
    this.ascii = isAscii(src);
    this.next.fill(-1);
    this.dirty = -1;
  }

  /** Whether src[start..end) may go to writeRange (lines asked in increasing order). */
  test(start: number, end: number): boolean {
    if (this.dirty < start) this.dirty = this.nextDirty(start);
    return this.dirty >= end && (this.ascii || isAscii(this.src.subarray(start, end)));
  }

  /** First position ≥ from of a DIRTY_BYTES byte in src (src.length if none). */
  private nextDirty(from: number): number {
    const src = this.src;
    const next = this.next;
    let min = src.length;
    for (let i = 0; i < next.length; i++) {
      let p = next[i];
      if (p < from && p !== -2) {
        p = src.indexOf(DIRTY_BYTES[i], from);
        next[i] = p === -1 ? -2 : p;
      }
      if (p >= 0 && p < min) min = p;
    }
    return min;
  }
}
