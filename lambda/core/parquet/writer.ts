/**
 * Streaming Parquet writer for the Light Engine: documents go in one at a time, a row group is encoded and handed to
 * the sink every `rowGroupRows` rows, and `close()` writes the footer. Memory is one row group of column values plus
 * the encoded bytes of that row group, whatever the size of the input.
 *
 * Encoding: our own row-group encoder on hyparquet-writer's low-level pieces (page headers, footer thrift, RLE/bit
 * packing, Snappy: pure JS, no native code). Per column chunk: a dictionary (strings, INT32) built while rows are
 * appended and kept when it is smaller than plain encoding (low-cardinality strings get it; it is given up past
 * 64k distinct values / 1 MiB), V1 data pages of ~1 MiB (the page version every reader, Athena's included, reads),
 * Snappy, min/max + null-count statistics (strings truncated to 64 bytes), no page indexes. Chosen by benchmark over
 * hyparquet-writer's own ParquetWriter, parquet-wasm and parquetjs-lite (bench/light-engine.ts).
 *
 * Schema (every column OPTIONAL):
 *   string    BYTE_ARRAY UTF8 (logical STRING)       int     INT32
 *   bigint    INT64                                   float   FLOAT         double  DOUBLE
 *   boolean   BOOLEAN
 *   timestamp INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true) (+ converted type TIMESTAMP_MILLIS for older readers)
 *
 * Values are converted to the column type; a value that cannot be converted is written as null (never throws):
 *   string    strings as they are; numbers / booleans / bigints → their decimal text; objects and arrays → JSON text
 *   int       integers in 32-bit range (numbers, or strings holding one)
 *   bigint    integers in 64-bit range (numbers, bigints, or strings holding one)
 *   float / double   numbers (NaN → null; FLOAT: beyond float32 range → null), or strings holding a finite one
 *   boolean   booleans, `true`/`false` strings (any case), 0/1
 *   timestamp ISO-8601 strings (`2015-05-17T10:05:03.000Z` fast path; any offset), epoch millis, Date
 */
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import type { Column, ColumnType } from './columns';

// hyparquet-writer pins its own hyparquet (types differ in detail from the reader's): take its types.
type FileMetaData = Parameters<typeof writeMetadata>[1];
type RowGroup = FileMetaData['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type SchemaElement = FileMetaData['schema'][number];
type Encoding = ColumnChunk extends { meta_data?: { encodings: (infer E)[] } } ? E : never;
type Statistics = NonNullable<NonNullable<ColumnChunk['meta_data']>['statistics']>;

export interface ParquetSink {
  write(chunk: Uint8Array): void | Promise<void>;
}

export interface ParquetWriterOptions {
  /** rows per row group */
  rowGroupRows?: number;
}

export interface RowWriter {
  /** Adds one parsed document (values read under Column.source); returns a promise only when it flushed a row group to the sink (await it then). */
  append(doc: Record<string, unknown>): void | Promise<void>;
  readonly rows: number;
  /** Writes the last row group and the footer; no appends after. */
  close(): Promise<{ rows: number; bytes: number }>;
}

/**
 * Default rows per row group. 128k nginx rows is ~30 MiB raw and ~1 MiB of Parquet; the writer's buffers for it
 * (typed arrays + dictionaries) stay small, and a 2 GiB object streams at < 200 MB RSS (bench/light-engine.ts).
 * Compaction rewrites partitions into ~128 MiB files with bigger row groups (pass rowGroupRows).
 */
export const DEFAULT_ROW_GROUP_ROWS = 131_072;

/** `created_by` in the footer. Must parse as `<app> version <v> (build <b>)`: parquet-mr/Trino ignore the string
 * statistics of files whose `created_by` does not parse. */
export const CREATED_BY = 'logtong version 0.1.0 (build hyparquet-writer 0.17)';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

type Convert = (v: unknown) => unknown;

/** The Parquet schema element of a column. */
export function schemaElement(column: Column): SchemaElement {
  const name = column.name;
  const repetition_type = 'OPTIONAL' as const;
  switch (column.type) {
    case 'string':
      return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type };
    case 'int':
      return { name, type: 'INT32', repetition_type };
    case 'bigint':
      return { name, type: 'INT64', repetition_type };
    case 'float':
      return { name, type: 'FLOAT', repetition_type };
    case 'double':
      return { name, type: 'DOUBLE', repetition_type };
    case 'boolean':
      return { name, type: 'BOOLEAN', repetition_type };
    case 'timestamp':
      return {
        name,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type,
      };
  }
}

/** The whole file schema: root + one element per column. */
export function parquetSchema(columns: readonly Column[]): SchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.map(schemaElement)];
}

// ---------------------------------------------------------------------------------------------------------------
// Value conversion

function numericString(s: string): number | null {
  // Number('') and Number('  ') are 0, Number('0x10') is 16: only plain decimal text counts.
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function toStringValue(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? String(v) : null;
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'object':
      if (v === null) return null;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
      try {
        return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? null;
      } catch {
        return null; // cycles
      }
    default:
      return null;
  }
}

export function toInt32(v: unknown): number | null {
  let n: number | null;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') n = numericString(v);
  else if (typeof v === 'bigint') n = v >= INT32_MIN && v <= INT32_MAX ? Number(v) : null;
  else return null;
  return n !== null && Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX ? n : null;
}

export function toInt64(v: unknown): bigint | null {
  let b: bigint;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return null;
    b = BigInt(v);
  } else if (typeof v === 'bigint') {
    b = v;
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (!/^[-+]?\d{1,20}$/.test(s)) {
      const n = numericString(s);
      if (n === null || !Number.isInteger(n)) return null;
      b = BigInt(n);
    } else {
      b = BigInt(s[0] === '+' ? s.slice(1) : s);
    }
  } else {
    return null;
  }
  return b >= INT64_MIN && b <= INT64_MAX ? b : null;
}

export function toFloatValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  if (typeof v === 'string') return numericString(v);
  if (typeof v === 'bigint') return Number(v);
  return null;
}

/** FLOAT: a finite double beyond float32 range would become Infinity: null instead. */
export function toFloat32Value(v: unknown): number | null {
  const n = toFloatValue(v);
  if (n === null || !Number.isFinite(n)) return n;
  return Math.abs(Math.fround(n)) === Infinity ? null : n;
}

export function toBooleanValue(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : null;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    return s === 'true' ? true : s === 'false' ? false : null;
  }
  return null;
}

const MAX_MS = 8.64e15; // ±275,760 years: the range of Date

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch millis of an ISO-8601 timestamp; `YYYY-MM-DDTHH:mm:ss.sssZ` (what the parsers emit) without Date.parse. */
export function isoMillis(s: string): number | null {
  if (
    s.length === 24 &&
    s.charCodeAt(4) === 45 && // -
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 && // T
    s.charCodeAt(13) === 58 && // :
    s.charCodeAt(16) === 58 &&
    s.charCodeAt(19) === 46 && // .
    s.charCodeAt(23) === 90 // Z
  ) {
    const y = digits(s, 0, 4);
    const mo = digits(s, 5, 7);
    const d = digits(s, 8, 10);
    const h = digits(s, 11, 13);
    const mi = digits(s, 14, 16);
    const se = digits(s, 17, 19);
    const ms = digits(s, 20, 23);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 || ms < 0) return null;
    const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1])) return null; // Date.UTC would roll 02-30 over to March
    return Date.UTC(y, mo - 1, d, h, mi, se, ms);
  }
  // Anything else ISO-like: Date.parse (it also reads RFC 2822 text; a bare date-time without offset is local time
  // there, so require a date first and treat no offset as UTC).
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) return null;
  const hasTime = s.length > 10;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(s.slice(10));
  let text = s.replace(' ', 'T');
  if (hasTime && !hasZone) text += 'Z';
  // `+0100` → `+01:00` (Date.parse wants the colon)
  text = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}

let lastIso = '';
let lastMillis: number | null = null;

export function toTimestampMillis(v: unknown): number | null {
  if (typeof v === 'string') {
    // consecutive log lines mostly share their timestamp
    if (v === lastIso) return lastMillis;
    lastMillis = isoMillis(v);
    lastIso = v;
    return lastMillis;
  }
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= MAX_MS ? Math.trunc(v) : null;
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isNaN(t) ? null : t;
  }
  if (typeof v === 'bigint') return v >= -MAX_MS && v <= MAX_MS ? Number(v) : null;
  return null;
}

const CONVERT: Record<ColumnType, Convert> = {
  string: toStringValue,
  int: toInt32,
  bigint: toInt64,
  float: toFloat32Value,
  double: toFloatValue,
  boolean: toBooleanValue,
  timestamp: toTimestampMillis,
};

/** Converter of one column type (exported for tests and for the compactor). */
export function converterOf(type: ColumnType): Convert {
  return CONVERT[type];
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/** Dictionary of a column chunk stops growing past this many distinct values / value bytes (then: plain pages). */
const MAX_DICT_ENTRIES = 65_536;
const MAX_DICT_BYTES = 1 << 20;
/** Target uncompressed size of a data page. */
const PAGE_BYTES = 1 << 20;
/** Byte-array min/max statistics are truncated to this many bytes (rounded up for max). */
const STATS_TRUNCATE = 64;

const enum Kind {
  String,
  Int32,
  Int64,
  Float,
  Double,
  Boolean,
  Timestamp,
}

const KIND: Record<ColumnType, Kind> = {
  string: Kind.String,
  int: Kind.Int32,
  bigint: Kind.Int64,
  float: Kind.Float,
  double: Kind.Double,
  boolean: Kind.Boolean,
  timestamp: Kind.Timestamp,
};

/** ByteWriter with a UTF-8 string append that writes straight into the buffer. */
class PageBytes extends ByteWriter {
  private nodeView: Buffer = Buffer.alloc(0);

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

/** One column's values of the row group being filled. */
class ColumnBuffer {
  readonly kind: Kind;
  readonly convert: Convert;
  /** 1 = value present, 0 = null (the definition levels). */
  defs: Uint8Array;
  nulls = 0;
  // values, by kind
  strings: (string | null)[] = [];
  nums: Float64Array | Int32Array | Float32Array | Uint8Array;
  bigs: BigInt64Array;
  // dictionary (string, int32, int64)
  dict: Map<unknown, number> | null = null;
  dictValues: unknown[] = [];
  dictBytes = 0;
  /** dictionary index per row (-1 for null) */
  idx: Int32Array;
  valueBytes = 0;
  private lastValue: unknown = undefined;
  private lastIndex = 0;

  constructor(
    readonly column: Column,
    readonly element: SchemaElement,
    capacity: number,
  ) {
    this.kind = KIND[column.type];
    this.convert = CONVERT[column.type];
    this.defs = new Uint8Array(capacity);
    const k = this.kind;
    this.nums =
      k === Kind.Int32 ? new Int32Array(capacity) : k === Kind.Float ? new Float32Array(capacity) : k === Kind.Boolean ? new Uint8Array(capacity) : k === Kind.Double || k === Kind.Timestamp ? new Float64Array(capacity) : new Float64Array(0);
    this.bigs = k === Kind.Int64 ? new BigInt64Array(capacity) : new BigInt64Array(0);
    // INT64 columns (byte counts, durations, ids) are mostly high-cardinality, and BigInt keys hash slowly: plain.
    const dictionary = k === Kind.String || k === Kind.Int32;
    this.idx = dictionary ? new Int32Array(capacity) : new Int32Array(0);
    if (dictionary) this.dict = new Map();
  }

  reset(): void {
    this.nulls = 0;
    this.strings = [];
    this.dictValues = [];
    this.dictBytes = 0;
    this.valueBytes = 0;
    this.dict = this.idx.length > 0 ? new Map() : null;
    this.lastValue = undefined;
  }

  add(row: number, raw: unknown): void {
    const v = raw === null || raw === undefined ? null : this.convert(raw);
    if (v === null) {
      this.defs[row] = 0;
      this.nulls++;
      if (this.kind === Kind.String && this.dict === null) this.strings[row] = null;
      return;
    }
    this.defs[row] = 1;
    switch (this.kind) {
      case Kind.String: {
        const s = v as string;
        this.valueBytes += s.length + 4;
        // While the dictionary holds, a row's string is not kept (it dies young): the dictionary has it.
        if (this.dict !== null) {
          this.lookup(row, s, s.length + 4);
          if (this.dict !== null) return;
          this.materialize(row); // dictionary just given up: rows so far back as strings
        }
        this.strings[row] = s;
        return;
      }
      case Kind.Int32:
        (this.nums as Int32Array)[row] = v as number;
        this.lookup(row, v, 4);
        return;
      case Kind.Int64:
        this.bigs[row] = v as bigint;
        return;
      case Kind.Boolean:
        (this.nums as Uint8Array)[row] = v ? 1 : 0;
        return;
      default:
        (this.nums as Float64Array)[row] = v as number;
    }
  }

  private lookup(row: number, v: unknown, bytes: number): void {
    const dict = this.dict;
    if (dict === null) return;
    // runs of one value (same client, same status…) skip the hash lookup
    if (v === this.lastValue) {
      this.idx[row] = this.lastIndex;
      return;
    }
    let i = dict.get(v);
    if (i === undefined) {
      i = this.dictValues.length;
      this.dictBytes += bytes;
      if (i >= MAX_DICT_ENTRIES || this.dictBytes > MAX_DICT_BYTES) {
        this.dict = null; // too many distinct values: plain encoding for this row group
        return;
      }
      dict.set(v, i);
      this.dictValues.push(v);
    }
    this.idx[row] = i;
    this.lastValue = v;
    this.lastIndex = i;
  }

  /** Strings of rows [0, rows) from the dictionary (plain encoding after all). */
  materialize(rows: number): void {
    const strings: (string | null)[] = new Array(rows);
    const values = this.dictValues as string[];
    for (let i = 0; i < rows; i++) strings[i] = this.defs[i] === 1 ? values[this.idx[i]] : null;
    this.strings = strings;
  }

  /** Whether the finished chunk is written dictionary-encoded. */
  useDictionary(rows: number): boolean {
    if (this.dict === null || this.dictValues.length === 0) return false;
    const present = rows - this.nulls;
    const bitWidth = Math.max(1, Math.ceil(Math.log2(this.dictValues.length)));
    const plain = this.kind === Kind.String ? this.valueBytes : present * (this.kind === Kind.Int32 ? 4 : 8);
    return this.dictBytes + Math.ceil((present * bitWidth) / 8) < plain;
  }
}

/**
 * hyparquet-writer's ByteWriter whose bytes go to the sink after each row group (`flush`) and at the end (`finish`)
 * instead of growing one buffer for the whole file. `offset` stays the absolute file offset.
 */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: ParquetSink) {
    super(1 << 20);
  }

  flush(): void | Promise<void> {
    if (this.index === 0) return;
    // A copy: the sink may keep the chunk (multipart upload parts) while this buffer is reused.
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.sink.write(chunk);
  }

  finish(): void | Promise<void> {
    return this.flush();
  }
}

function physicalBytes(kind: Kind): number {
  return kind === Kind.Int32 || kind === Kind.Float ? 4 : kind === Kind.Boolean ? 1 : 8;
}

/** Encodes one column chunk (dictionary page + V1 data pages, Snappy) into `out`; returns its metadata. */
function writeChunk(out: ByteWriter, page: PageBytes, levels: PageBytes, col: ColumnBuffer, rows: number): ColumnChunk {
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

  if (!useDict && kind === Kind.String && col.dict !== null) col.materialize(rows);
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
    levels.reset();
    writeRleBitPackedHybrid(levels, defs.subarray(from, to), 1);
    page.appendUint32(levels.offset);
    page.appendBytes(levels.getBytes());
    if (useDict) {
      const present: number[] = [];
      const idx = col.idx;
      for (let i = from; i < to; i++) if (defs[i] === 1) present.push(idx[i]);
      page.appendUint8(bitWidth);
      writeRleBitPackedHybrid(page, present, bitWidth);
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
          const a = col.bigs;
          for (let i = from; i < to; i++) if (defs[i] === 1) (consider(a[i]), page.appendInt64(a[i]));
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
    statistics.min_value = min;
    statistics.max_value = max;
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

// ---------------------------------------------------------------------------------------------------------------

export function createParquetWriter(columns: readonly Column[], sink: ParquetSink, opts: ParquetWriterOptions = {}): RowWriter {
  const rowGroupRows = opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1) throw new Error(`rowGroupRows must be a positive integer, got ${rowGroupRows}`);
  if (columns.length === 0) throw new Error('a Parquet file needs at least one column');
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) throw new Error(`duplicate column name ${c.name}`);
    names.add(c.name);
  }

  const schema = parquetSchema(columns);
  const out = new SinkWriter(sink);
  const page = new PageBytes(1 << 16);
  const levels = new PageBytes(1 << 12);
  const buffers = columns.map((c, j) => new ColumnBuffer(c, schema[j + 1], rowGroupRows));
  const sources = columns.map((c) => c.source);
  const n = columns.length;
  const rowGroups: RowGroup[] = [];
  let pending = 0;
  let rows = 0;
  let closed = false;
  out.appendUint32(0x31524150); // PAR1

  const flushGroup = (): void | Promise<void> => {
    const start = out.offset;
    const chunks: ColumnChunk[] = [];
    let totalBytes = 0n;
    for (const b of buffers) {
      const chunk = writeChunk(out, page, levels, b, pending);
      totalBytes += chunk.meta_data!.total_uncompressed_size;
      chunks.push(chunk);
      b.reset();
    }
    rowGroups.push({
      columns: chunks,
      total_byte_size: totalBytes,
      num_rows: BigInt(pending),
      file_offset: BigInt(start),
      total_compressed_size: BigInt(out.offset - start),
    });
    pending = 0;
    return out.flush();
  };

  return {
    append(doc: Record<string, unknown>): void | Promise<void> {
      if (closed) throw new Error('append after close');
      const row = pending;
      for (let j = 0; j < n; j++) buffers[j].add(row, doc[sources[j]]);
      rows++;
      if (++pending >= rowGroupRows) return flushGroup();
    },
    get rows() {
      return rows;
    },
    async close() {
      if (closed) throw new Error('close called twice');
      closed = true;
      if (pending > 0) await flushGroup();
      const metadata: FileMetaData = {
        version: 1,
        schema,
        num_rows: BigInt(rows),
        row_groups: rowGroups,
        created_by: CREATED_BY,
        metadata_length: 0,
      };
      delete (metadata as Partial<FileMetaData>).metadata_length;
      writeMetadata(out, metadata, STATS_TRUNCATE);
      out.appendUint32(0x31524150); // PAR1
      await out.finish();
      return { rows, bytes: out.offset };
    },
  };
}
