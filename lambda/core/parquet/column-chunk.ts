/** One column chunk of a row group, encoded: dictionary page, V1 data pages of ~1 MiB, Snappy, min/max statistics. */
import type { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { Kind, type ColumnBuffer } from './column-buffer';
import type { PageBytes } from './page-bytes';
import type { ColumnChunk, Encoding, Statistics } from './schema';

/** Target uncompressed size of a data page. */
const PAGE_BYTES = 1 << 20;

/** Unsigned UTF-8 byte order of two strings (what Parquet min/max of BYTE_ARRAY means), without encoding them. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  let x = a.charCodeAt(i);
  let y = b.charCodeAt(i);
  // Below the surrogates UTF-16 and UTF-8 orders agree; a surrogate (an astral code point, 4 UTF-8 bytes) sorts
  // after U+E000..U+FFFF in UTF-8 but before them in UTF-16.
  if (x < 0xd800 && y < 0xd800) return x - y;
  if (x >= 0xdc00 && x <= 0xdfff && i > 0) x = a.codePointAt(i - 1) ?? x;
  else x = a.codePointAt(i) ?? x;
  if (y >= 0xdc00 && y <= 0xdfff && i > 0) y = b.codePointAt(i - 1) ?? y;
  else y = b.codePointAt(i) ?? y;
  return x - y;
}

interface ChunkStats {
  null_count: bigint;
  min_value?: unknown;
  max_value?: unknown;
}

function physicalBytes(kind: Kind): number {
  return kind === Kind.Int32 || kind === Kind.Float ? 4 : kind === Kind.Boolean ? 1 : 8;
}

/** Scratch for the dictionary indexes of a page's present rows. */
let scratch = new Int32Array(0);

/** Encodes one column chunk (dictionary page + V1 data pages, Snappy) into `out`; returns its metadata. */
export function writeChunk(out: ByteWriter, page: PageBytes, col: ColumnBuffer, rows: number): ColumnChunk {
  const { kind, element } = col;
  const type = element.type!;
  const start = out.offset;
  let uncompressed = 0;
  const useDict = col.useDictionary(rows);
  let dictionary_page_offset: bigint | undefined;
  let min: unknown;
  let max: unknown;
  const stringOrder = kind === Kind.String;
  const consider = (v: unknown) => {
    if (min === undefined) {
      min = max = v;
    } else if (stringOrder) {
      if (compareUtf8(v as string, min as string) < 0) min = v;
      else if (compareUtf8(v as string, max as string) > 0) max = v;
    } else if ((v as number) < (min as number)) {
      min = v;
    } else if ((v as number) > (max as number)) {
      max = v;
    }
  };

  const emitPage = (pageType: 'DICTIONARY_PAGE' | 'DATA_PAGE', numValues: number, encoding: Encoding): void => {
    const raw = page.getBytes();
    const compressed = snappyCompress(raw);
    const headerStart = out.offset;
    if (pageType === 'DICTIONARY_PAGE') {
      writePageHeader(out, {
        type: pageType,
        uncompressed_page_size: raw.length,
        compressed_page_size: compressed.length,
        dictionary_page_header: { num_values: numValues, encoding: 'PLAIN' },
      });
    } else {
      writePageHeader(out, {
        type: pageType,
        uncompressed_page_size: raw.length,
        compressed_page_size: compressed.length,
        data_page_header: { num_values: numValues, encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
      });
    }
    uncompressed += out.offset - headerStart + raw.length;
    out.appendBytes(compressed);
  };

  if (!useDict && kind === Kind.String && col.dictOn) col.materialize(rows);
  if (useDict) {
    dictionary_page_offset = BigInt(out.offset);
    page.reset();
    const values = col.dictValues;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      consider(v);
      if (kind === Kind.String) page.appendUtf8(v as string);
      else if (kind === Kind.Int32) page.appendInt32(v as number);
      else page.appendInt64(v as bigint);
    }
    emitPage('DICTIONARY_PAGE', values.length, 'PLAIN');
  }

  const data_page_offset = BigInt(out.offset);
  const encoding: Encoding = useDict ? 'RLE_DICTIONARY' : 'PLAIN';
  const bitWidth = useDict ? Math.max(1, Math.ceil(Math.log2(col.dictValues.length))) : 0;
  const defs = col.defs;
  const width = physicalBytes(kind);
  const strings = col.strings;
  let pages = 0;
  let from = 0;
  while (from < rows) {
    // page bounds: ~PAGE_BYTES of plain values (dictionary indexes are small: at most 64k rows per page)
    let to: number;
    if (useDict) {
      to = Math.min(rows, from + 65_536);
    } else if (kind === Kind.String) {
      let bytes = 0;
      to = from;
      while (to < rows && bytes < PAGE_BYTES) {
        const s = strings[to++];
        if (s !== null) bytes += s.length + 4;
      }
    } else {
      to = Math.min(rows, from + Math.max(1024, Math.floor(PAGE_BYTES / width)));
    }
    page.reset();
    // definition levels: 4-byte length + RLE/bit-packed hybrid, bit width 1
    page.appendUint32(0);
    page.appendHybrid(defs, from, to, 1);
    page.view.setUint32(0, page.index - 4, true);
    if (useDict) {
      // indexes of the present rows, packed in place at the front of a scratch copy
      const present = scratch.length >= to - from ? scratch : (scratch = new Int32Array(to - from));
      const idx = col.idx;
      let m = 0;
      for (let i = from; i < to; i++) if (defs[i] === 1) present[m++] = idx[i];
      page.appendUint8(bitWidth);
      page.appendHybrid(present, 0, m, bitWidth);
    } else {
      switch (kind) {
        case Kind.String:
          for (let i = from; i < to; i++) {
            const s = strings[i];
            if (s !== null) {
              consider(s);
              page.appendUtf8(s);
            }
          }
          break;
        case Kind.Int32: {
          const a = col.nums as Int32Array;
          for (let i = from; i < to; i++) if (defs[i] === 1) (consider(a[i]), page.appendInt32(a[i]));
          break;
        }
        case Kind.Int64: {
          if (col.bigMode) {
            const a = col.bigs;
            for (let i = from; i < to; i++) if (defs[i] === 1) (consider(a[i]), page.appendInt64(a[i]));
          } else {
            const a = col.nums as Float64Array;
            for (let i = from; i < to; i++) if (defs[i] === 1) (consider(a[i]), page.appendInt64Number(a[i]));
          }
          break;
        }
        case Kind.Float: {
          const a = col.nums as Float32Array;
          for (let i = from; i < to; i++) if (defs[i] === 1) (consider(a[i]), page.appendFloat32(a[i]));
          break;
        }
        case Kind.Double: {
          const a = col.nums as Float64Array;
          for (let i = from; i < to; i++) if (defs[i] === 1) (consider(a[i]), page.appendFloat64(a[i]));
          break;
        }
        case Kind.Timestamp: {
          const a = col.nums as Float64Array;
          for (let i = from; i < to; i++) if (defs[i] === 1) (consider(a[i]), page.appendInt64Number(a[i]));
          break;
        }
        case Kind.Boolean: {
          const a = col.nums as Uint8Array;
          let byte = 0;
          let bit = 0;
          for (let i = from; i < to; i++) {
            if (defs[i] !== 1) continue;
            consider(a[i] === 1);
            if (a[i] === 1) byte |= 1 << bit;
            if (++bit === 8) {
              page.appendUint8(byte);
              byte = 0;
              bit = 0;
            }
          }
          if (bit > 0) page.appendUint8(byte);
          break;
        }
      }
    }
    emitPage('DATA_PAGE', to - from, encoding);
    pages++;
    from = to;
  }

  const statistics: ChunkStats = { null_count: BigInt(col.nulls) };
  if (min !== undefined) {
    // INT64 kept as numbers (safe integers) has number min/max: the footer wants BigInt
    statistics.min_value = kind === Kind.Int64 && typeof min === 'number' ? BigInt(min) : min;
    statistics.max_value = kind === Kind.Int64 && typeof max === 'number' ? BigInt(max as number) : max;
  }
  return {
    file_offset: BigInt(start),
    meta_data: {
      type,
      encodings: useDict ? ['PLAIN', 'RLE', 'RLE_DICTIONARY'] : ['PLAIN', 'RLE'],
      path_in_schema: [element.name],
      codec: 'SNAPPY',
      num_values: BigInt(rows),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(out.offset - start),
      data_page_offset,
      dictionary_page_offset,
      statistics: statistics as Statistics,
      encoding_stats: [
        ...(useDict ? [{ page_type: 'DICTIONARY_PAGE' as const, encoding: 'PLAIN' as const, count: 1 }] : []),
        { page_type: 'DATA_PAGE' as const, encoding, count: pages },
      ],
    },
  };
}
