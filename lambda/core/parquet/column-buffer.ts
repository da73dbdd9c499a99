/**
 * One column's values of the row group being filled: definition levels, the values in a typed array (strings in an
 * array), and the dictionary built while rows are appended.
 */
import type { Column, ColumnType } from './columns';
import type { SchemaElement } from './schema';
import { CONVERT, isoMillis, toInt64, toStringValue, toTimestampMillis, type Convert } from './values';

/** Dictionary of a column chunk stops growing past this many distinct values / value bytes (then: plain pages). */
const MAX_DICT_ENTRIES = 65_536;
const MAX_DICT_BYTES = 1 << 20;

export const enum Kind {
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

/** Rows of the first row group after which a string column decides whether a dictionary is worth building. */
export const DICT_SAMPLE_ROWS = 8192;
/** One column's values of the row group being filled. */
export class ColumnBuffer {
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
    const t = typeof raw === 'string' ? isoMillis(raw) : raw === null || raw === undefined ? null : toTimestampMillis(raw);
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
