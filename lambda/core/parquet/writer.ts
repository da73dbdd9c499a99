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

// Fast path of the time column: consecutive records mostly share their hour. The ms of the last fixed-shape
// `YYYY-MM-DDTHH:` prefix (validated by a full parse) is kept; a value with the same prefix only adds its own
// `MM:SS.mmm` (checked digits, minutes and seconds 00-59, as the full parse would).
// (the prefix as char codes: startsWith with a string cost ~100 ns a call, more than the rest of the fast path)
const tsPrefix = new Uint16Array(14);
let tsValid = false;
let tsBase = 0;

function samePrefix(s: string): boolean {
  const p = tsPrefix;
  for (let i = 13; i >= 0; i--) if (s.charCodeAt(i) !== p[i]) return false;
  return true;
}

/** Epoch millis of a string time value: the hour-prefix fast path, else isoMillis. */
export function isoMillisCached(s: string): number | null {
  if (tsValid && s.length === 24 && s.charCodeAt(23) === 90 && samePrefix(s)) {
    const i1 = s.charCodeAt(14) - 48;
    const i2 = s.charCodeAt(15) - 48;
    const s1 = s.charCodeAt(17) - 48;
    const s2 = s.charCodeAt(18) - 48;
    const m1 = s.charCodeAt(20) - 48;
    const m2 = s.charCodeAt(21) - 48;
    const m3 = s.charCodeAt(22) - 48;
    if (
      s.charCodeAt(16) === 58 &&
      s.charCodeAt(19) === 46 &&
      i1 >>> 0 <= 5 &&
      i2 >>> 0 <= 9 &&
      s1 >>> 0 <= 5 &&
      s2 >>> 0 <= 9 &&
      m1 >>> 0 <= 9 &&
      m2 >>> 0 <= 9 &&
      m3 >>> 0 <= 9
    ) {
      return tsBase + (i1 * 10 + i2) * 60_000 + (s1 * 10 + s2) * 1000 + m1 * 100 + m2 * 10 + m3;
    }
    return null; // a valid hour with impossible minutes/seconds/millis: the full parse says null too
  }
  const t = isoMillis(s);
  if (t !== null && s.length === 24 && s.charCodeAt(23) === 90) {
    // the fixed shape (isoMillis validated every part of it): remember its hour
    for (let i = 0; i < 14; i++) tsPrefix[i] = s.charCodeAt(i);
    tsValid = true;
    tsBase = t - digits(s, 14, 16) * 60_000 - digits(s, 17, 19) * 1000 - digits(s, 20, 23);
  }
  return t;
}

/** Forgets the time fast path's minute (tests). */
export function resetTimestampCache(): void {
  tsValid = false;
  tsBase = 0;
}

export function toTimestampMillis(v: unknown): number | null {
  if (typeof v === 'string') return isoMillisCached(v);
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

/** Rows of the first row group after which a string column decides whether a dictionary is worth building. */
export const DICT_SAMPLE_ROWS = 8192;
/** One column's values of the row group being filled. */
class ColumnBuffer {
  readonly kind: Kind;
  readonly convert: Convert;
  readonly dictionary: boolean;
  /** 1 = value present, 0 = null (the definition levels). */
  defs: Uint8Array;
  nulls = 0;
  // values, by kind
  strings: (string | null)[] = [];
  /** INT32, FLOAT, BOOLEAN, DOUBLE, TIMESTAMP, and INT64 while every value of the row group is a safe integer */
  nums: Float64Array | Int32Array | Float32Array | Uint8Array;
  /** INT64 once a value beyond ±2^53 came (then `bigMode`) */
  bigs: BigInt64Array = new BigInt64Array(0);
  bigMode = false;
  /**
   * The dictionary of a string or int32 column, value → index. A Map: the engine hashes a string natively and keeps
   * the hash in it, where a hash computed in JS (charCodeAt per character) cost more than the whole lookup does
   * now; its hash is seeded per process, so crafted values cannot make it probe long.
   */
  dict: Map<unknown, number> | null = null;
  /** whether this row group still builds a dictionary */
  dictOn = false;
  dictValues: unknown[] = [];
  dictBytes = 0;
  /** dictionary index per row (-1 for null) */
  idx: Int32Array;
  valueBytes = 0;
  /** Set once a row group gave its dictionary up (or did not use it): plain for the rest of the file. */
  plainForFile = false;
  /** row groups finished */
  groups = 0;
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
      k === Kind.Int32 ? new Int32Array(capacity) : k === Kind.Float ? new Float32Array(capacity) : k === Kind.Boolean ? new Uint8Array(capacity) : new Float64Array(k === Kind.String ? 0 : capacity);
    // INT64 columns (byte counts, durations, ids) are mostly high-cardinality: plain.
    this.dictionary = k === Kind.String || k === Kind.Int32;
    this.idx = this.dictionary ? new Int32Array(capacity) : new Int32Array(0);
    this.startDictionary();
  }

  /** Row capacity grows with the row group (a file of a few rows keeps small buffers). */
  grow(capacity: number): void {
    const copy = <T extends { length: number; set(a: ArrayLike<number> | ArrayLike<bigint>): void }>(a: T, make: (n: number) => T): T => {
      if (a.length === 0) return a;
      const b = make(capacity);
      b.set(a as never);
      return b;
    };
    this.defs = copy(this.defs, (n) => new Uint8Array(n));
    this.idx = copy(this.idx, (n) => new Int32Array(n));
    const nums = this.nums;
    this.nums = copy(nums, (n) => new (nums.constructor as new (n: number) => typeof nums)(n));
    if (this.bigMode) this.bigs = copy(this.bigs, (n) => new BigInt64Array(n));
  }

  private startDictionary(): void {
    this.dictValues = [];
    this.dictBytes = 0;
    this.lastValue = undefined;
    this.dictOn = this.dictionary && !this.plainForFile;
    this.dict = this.dictOn ? new Map() : null;
  }

  /** After a row group was written; `usedDictionary`: whether it was dictionary-encoded. */
  reset(usedDictionary: boolean): void {
    if (this.dictionary && !usedDictionary) this.plainForFile = true;
    this.groups++;
    this.nulls = 0;
    this.strings = [];
    this.valueBytes = 0;
    if (this.bigMode) {
      this.bigMode = false;
      this.bigs = new BigInt64Array(0);
    }
    this.startDictionary();
  }

  /** Name of the method that adds a value of this column (the generated row appender calls it directly). */
  get adder(): 'addString' | 'addInt64' | 'addTime' | 'addOther' {
    return this.kind === Kind.String ? 'addString' : this.kind === Kind.Int64 ? 'addInt64' : this.kind === Kind.Timestamp ? 'addTime' : 'addOther';
  }

  add(row: number, raw: unknown): void {
    this[this.adder](row, raw);
  }

  addTime(row: number, raw: unknown): void {
    const t = typeof raw === 'string' ? isoMillisCached(raw) : raw === null || raw === undefined ? null : toTimestampMillis(raw);
    if (t === null) {
      this.defs[row] = 0;
      this.nulls++;
      return;
    }
    this.defs[row] = 1;
    (this.nums as Float64Array)[row] = t;
  }

  addString(row: number, raw: unknown): void {
    const s = typeof raw === 'string' ? raw : raw === null || raw === undefined ? null : toStringValue(raw);
    if (s === null) {
      this.defs[row] = 0;
      this.nulls++;
      if (!this.dictOn) this.strings[row] = null;
      return;
    }
    this.defs[row] = 1;
    this.valueBytes += s.length + 4;
    // While the dictionary holds, a row's string is not kept (it dies young): the dictionary has it.
    if (this.dictOn) {
      this.lookupString(row, s);
      if (this.dictOn) {
        if (row === DICT_SAMPLE_ROWS - 1 && this.groups === 0) this.sample(row + 1);
        return;
      }
      this.materialize(row); // dictionary just given up: rows so far back as strings
    }
    this.strings[row] = s;
  }

  addInt64(row: number, raw: unknown): void {
    if (typeof raw === 'number' && Number.isSafeInteger(raw) && !this.bigMode) {
      this.defs[row] = 1;
      (this.nums as Float64Array)[row] = raw;
      return;
    }
    const b = raw === null || raw === undefined ? null : toInt64(raw);
    if (b === null) {
      this.defs[row] = 0;
      this.nulls++;
      return;
    }
    this.defs[row] = 1;
    if (!this.bigMode) {
      if (b >= -9007199254740991n && b <= 9007199254740991n) {
        (this.nums as Float64Array)[row] = Number(b);
        return;
      }
      this.toBigMode(row);
    }
    this.bigs[row] = b;
  }

  addOther(row: number, raw: unknown): void {
    const v = raw === null || raw === undefined ? null : this.convert(raw);
    if (v === null) {
      this.defs[row] = 0;
      this.nulls++;
      return;
    }
    this.defs[row] = 1;
    switch (this.kind) {
      case Kind.Int32:
        (this.nums as Int32Array)[row] = v as number;
        this.lookupInt(row, v as number);
        return;
      case Kind.Boolean:
        (this.nums as Uint8Array)[row] = v ? 1 : 0;
        return;
      default:
        (this.nums as Float64Array)[row] = v as number;
    }
  }

  /** INT64 values beyond ±2^53 from now on in this row group: rows so far move to a BigInt64Array. */
  private toBigMode(rows: number): void {
    const bigs = new BigInt64Array(this.defs.length);
    const nums = this.nums as Float64Array;
    for (let i = 0; i < rows; i++) if (this.defs[i] === 1) bigs[i] = BigInt(nums[i]);
    this.bigs = bigs;
    this.bigMode = true;
  }

  /** First DICT_SAMPLE_ROWS rows of the file: distinct values over half of the bytes → plain for the whole file. */
  private sample(rows: number): void {
    const present = rows - this.nulls;
    if (present > 0 && this.dictBytes * 2 > this.valueBytes) {
      this.giveUp();
      this.materialize(rows);
    }
  }

  private giveUp(): void {
    this.dictOn = false;
    this.dict = null;
    this.plainForFile = true;
  }

  private lookupInt(row: number, v: number): void {
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
      this.dictBytes += 4;
      if (i >= MAX_DICT_ENTRIES) {
        this.giveUp(); // too many distinct values: plain encoding for the rest of the file
        return;
      }
      dict.set(v, i);
      this.dictValues.push(v);
    }
    this.idx[row] = i;
    this.lastValue = v;
    this.lastIndex = i;
  }

  private lookupString(row: number, s: string): void {
    if (s === this.lastValue) {
      this.idx[row] = this.lastIndex;
      return;
    }
    const dict = this.dict!;
    let i = dict.get(s);
    if (i === undefined) {
      i = this.dictValues.length;
      this.dictBytes += s.length + 4;
      if (i >= MAX_DICT_ENTRIES || this.dictBytes > MAX_DICT_BYTES) {
        this.giveUp(); // too many distinct values / bytes: plain encoding for the rest of the file
        return;
      }
      dict.set(s, i);
      this.dictValues.push(s);
    }
    this.idx[row] = i;
    this.lastValue = s;
    this.lastIndex = i;
  }

  /** Strings of rows [0, rows) from the dictionary (plain encoding after all). */
  materialize(rows: number): void {
    const strings: (string | null)[] = new Array(rows);
    const values = this.dictValues as string[];
    for (let i = 0; i < rows; i++) strings[i] = this.defs[i] === 1 ? values[this.idx[i]] : null;
    this.strings = strings;
    this.dictValues = [];
    this.dict = null;
  }

  /** Whether the finished chunk is written dictionary-encoded. */
  useDictionary(rows: number): boolean {
    if (!this.dictOn || this.dictValues.length === 0) return false;
    const present = rows - this.nulls;
    const bitWidth = Math.max(1, Math.ceil(Math.log2(this.dictValues.length)));
    const plain = this.kind === Kind.String ? this.valueBytes : present * 4;
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

/** Scratch for the dictionary indexes of a page's present rows. */
let scratch = new Int32Array(0);

/** Encodes one column chunk (dictionary page + V1 data pages, Snappy) into `out`; returns its metadata. */
function writeChunk(out: ByteWriter, page: PageBytes, col: ColumnBuffer, rows: number): ColumnChunk {
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
  // buffers start small and double up to a row group: a file of a few rows (an hour with little traffic, one of
  // many files open at once) holds little memory
  let capacity = Math.min(rowGroupRows, 1024);
  const buffers = columns.map((c, j) => new ColumnBuffer(c, schema[j + 1], capacity));
  // One generated function per file: named property loads and direct calls per column, where a loop over
  // doc[sources[j]] would be a megamorphic keyed load per value.
  const addRow = new Function(
    'B',
    `"use strict";\nreturn function addRow(doc, row) {\n${columns.map((c, j) => `  B[${j}].${buffers[j].adder}(row, doc[${JSON.stringify(c.source)}]);`).join('\n')}\n};`,
  )(buffers) as (doc: Record<string, unknown>, row: number) => void;
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
      const chunk = writeChunk(out, page, b, pending);
      totalBytes += chunk.meta_data!.total_uncompressed_size;
      chunks.push(chunk);
      b.reset(chunk.meta_data!.dictionary_page_offset !== undefined);
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
      if (row === capacity) {
        capacity = Math.min(rowGroupRows, capacity * 2);
        for (const b of buffers) b.grow(capacity);
      }
      addRow(doc, row);
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
