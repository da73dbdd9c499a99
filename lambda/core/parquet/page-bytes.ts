/** The bytes of one page before compression, with the appends the column chunk encoder needs done in place. */
import { ByteWriter } from 'hyparquet-writer';

/** ByteWriter with a UTF-8 string append that writes straight into the buffer. */
export class PageBytes extends ByteWriter {
  private nodeView: Buffer = Buffer.alloc(0);
  private u8 = new Uint8Array(0);

  reset(): void {
    this.index = 0;
    this.offset = 0;
  }

  appendUtf8(s: string): void {
    this.ensure(4 + s.length * 3);
    if (this.nodeView.buffer !== this.buffer) this.nodeView = Buffer.from(this.buffer);
    const n = this.nodeView.write(s, this.index + 4, 'utf8');
    this.view.setUint32(this.index, n, true);
    this.index += 4 + n;
    this.offset += 4 + n;
  }

  /**
   * RLE/bit-packed hybrid of values[from, to) (`bitWidth` ≤ 24): runs of 8+ equal values as RLE runs, the rest in
   * bit-packed groups of 8 (the last one padded with zeros), written straight into the buffer.
   */
  appendHybrid(values: Int32Array | Uint8Array, from: number, to: number, bitWidth: number): void {
    this.ensure(((to - from + 7) >>> 3) * (bitWidth + 6) + 16);
    if (this.u8.buffer !== this.buffer) this.u8 = new Uint8Array(this.buffer);
    const buf = this.u8;
    const start = this.index;
    let o = start;
    const width = (bitWidth + 7) >>> 3;
    let bpStart = from;
    let groups = 0;
    let i = from;
    while (i < to) {
      const first = values[i];
      let run = 1;
      while (i + run < to && values[i + run] === first) run++;
      if (run >= 8) {
        if (groups > 0) {
          o = packGroups(buf, o, values, bpStart, groups, to, bitWidth);
          groups = 0;
        }
        // RLE run: varint(count << 1), then the value in `width` bytes
        let h = run << 1;
        while (h > 0x7f) {
          buf[o++] = (h & 0x7f) | 0x80;
          h >>>= 7;
        }
        buf[o++] = h;
        for (let b = 0; b < width; b++) buf[o++] = (first >>> (b << 3)) & 0xff;
        i += run;
      } else {
        if (groups === 0) bpStart = i;
        groups++;
        i += 8;
      }
    }
    if (groups > 0) o = packGroups(buf, o, values, bpStart, groups, to, bitWidth);
    this.offset += o - start;
    this.index = o;
  }

  /** INT64 from a safe-integer number (epoch millis) without a BigInt. */
  appendInt64Number(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    this.view.setUint32(this.index, v - hi * 4294967296, true);
    this.view.setInt32(this.index + 4, hi, true);
    this.index += 8;
    this.offset += 8;
  }
}

/** Bit-packed groups of 8 values from values[from] (zeros past `to`), header first; returns the new offset. */
function packGroups(buf: Uint8Array, o: number, values: Int32Array | Uint8Array, from: number, groups: number, to: number, bitWidth: number): number {
  let h = (groups << 1) | 1;
  while (h > 0x7f) {
    buf[o++] = (h & 0x7f) | 0x80;
    h >>>= 7;
  }
  buf[o++] = h;
  const end = from + groups * 8;
  let acc = 0;
  let bits = 0;
  for (let i = from; i < end; i++) {
    acc |= (i < to ? values[i] : 0) << bits;
    bits += bitWidth;
    while (bits >= 8) {
      buf[o++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) buf[o++] = acc & 0xff;
  return o;
}
