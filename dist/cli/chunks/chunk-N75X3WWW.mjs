import {
  TIMESTAMP_FIELD,
  compileTimeParser,
  flattenObject
} from "./chunk-ESIZHS62.mjs";

// lambda/core/light/layout.ts
import { createHash } from "node:crypto";
function eventHourOf(isoUtc2) {
  return isoUtc2.slice(0, 4) + isoUtc2.slice(5, 7) + isoUtc2.slice(8, 10) + isoUtc2.slice(11, 13);
}
function partitionPrefix(table, eventHour, region) {
  return `${table}/event_hour=${eventHour}/region=${region}/`;
}
var MANIFEST_PREFIX = "_batches/";
function listLockKey(pipeline) {
  return `${MANIFEST_PREFIX}${pipeline}/list.lock`;
}
function batchIdOf(objects) {
  const h = createHash("sha256");
  for (const o of [...objects].sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) h.update(`${o.key}\0${o.etag}
`);
  return h.digest("hex").slice(0, 24);
}

// lambda/core/parquet/columns.ts
var TIME_COLUMN = "event_time";
var PARTITION_KEYS = ["event_hour", "region"];
var COLUMN_TYPE = {
  keyword: "string",
  text: "string",
  ip: "string",
  object: "string",
  integer: "int",
  long: "bigint",
  float: "float",
  double: "double",
  boolean: "boolean",
  date: "timestamp"
};
function columnName(field) {
  const name = field.toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return /^[a-z_]/.test(name) ? name : `f_${name}`;
}
function tableColumns(fields) {
  const taken = new Set(PARTITION_KEYS);
  taken.add(TIME_COLUMN);
  const columns = [{ name: TIME_COLUMN, source: TIMESTAMP_FIELD, type: "timestamp", fieldType: "date" }];
  for (const source of Object.keys(fields).filter((f) => f !== TIMESTAMP_FIELD).sort()) {
    const base = columnName(source);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    const fieldType = fields[source];
    columns.push({ name, source, type: COLUMN_TYPE[fieldType], fieldType });
  }
  return columns;
}

// lambda/core/light/table.ts
var EXTRA_COLUMN = "extra";
var EXTRA_SOURCE = "\0extra";
function lightTable(format, fields) {
  const columns = tableColumns(fields);
  if (format.type !== "json") return { columns };
  let name = EXTRA_COLUMN;
  for (let n = 2; columns.some((c) => c.name === name); n++) name = `${EXTRA_COLUMN}_${n}`;
  const declared = columns.map((c) => c.source);
  const all = [...columns, { name, source: EXTRA_SOURCE, type: "string", fieldType: "object" }];
  return {
    columns: all,
    toRow(doc) {
      const flat = flattenObject(doc);
      const row = {};
      for (const source of declared) {
        row[source] = flat[source];
        delete flat[source];
      }
      delete flat[TIMESTAMP_FIELD];
      row[EXTRA_SOURCE] = Object.keys(flat).length > 0 ? JSON.stringify(flat) : null;
      return row;
    }
  };
}

// lambda/core/parquet/writer.ts
import { ByteWriter as ByteWriter2 } from "hyparquet-writer";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";

// lambda/core/parquet/values.ts
var INT32_MIN = -2147483648;
var INT32_MAX = 2147483647;
var INT64_MIN = -(2n ** 63n);
var INT64_MAX = 2n ** 63n - 1n;
function numericString(s) {
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}
function toStringValue(v) {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      return Number.isFinite(v) ? String(v) : null;
    case "bigint":
    case "boolean":
      return String(v);
    case "object":
      if (v === null) return null;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
      try {
        return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? x.toString() : x) ?? null;
      } catch {
        return null;
      }
    default:
      return null;
  }
}
function toInt32(v) {
  let n;
  if (typeof v === "number") n = v;
  else if (typeof v === "string") n = numericString(v);
  else if (typeof v === "bigint") n = v >= INT32_MIN && v <= INT32_MAX ? Number(v) : null;
  else return null;
  return n !== null && Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX ? n : null;
}
function toInt64(v) {
  let b;
  if (typeof v === "number") {
    if (!Number.isInteger(v)) return null;
    b = BigInt(v);
  } else if (typeof v === "bigint") {
    b = v;
  } else if (typeof v === "string") {
    const s = v.trim();
    if (!/^[-+]?\d{1,20}$/.test(s)) {
      const n = numericString(s);
      if (n === null || !Number.isInteger(n)) return null;
      b = BigInt(n);
    } else {
      b = BigInt(s[0] === "+" ? s.slice(1) : s);
    }
  } else {
    return null;
  }
  return b >= INT64_MIN && b <= INT64_MAX ? b : null;
}
function toFloatValue(v) {
  if (typeof v === "number") return Number.isNaN(v) ? null : v;
  if (typeof v === "string") return numericString(v);
  if (typeof v === "bigint") return Number(v);
  return null;
}
function toFloat32Value(v) {
  const n = toFloatValue(v);
  if (n === null || !Number.isFinite(n)) return n;
  return Math.abs(Math.fround(n)) === Infinity ? null : n;
}
function toBooleanValue(v) {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1 ? true : v === 0 ? false : null;
  if (typeof v === "string") {
    const s = v.toLowerCase();
    return s === "true" ? true : s === "false" ? false : null;
  }
  return null;
}
var MAX_MS = 864e13;
var isoUtc = compileTimeParser("iso8601");
function isoMillis(s) {
  const t = isoUtc(s);
  return Number.isNaN(t) ? null : t;
}
function toTimestampMillis(v) {
  if (typeof v === "string") return isoMillis(v);
  if (typeof v === "number") return Number.isFinite(v) && Math.abs(v) <= MAX_MS ? Math.trunc(v) : null;
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isNaN(t) ? null : t;
  }
  if (typeof v === "bigint") return v >= -MAX_MS && v <= MAX_MS ? Number(v) : null;
  return null;
}
var CONVERT = {
  string: toStringValue,
  int: toInt32,
  bigint: toInt64,
  float: toFloat32Value,
  double: toFloatValue,
  boolean: toBooleanValue,
  timestamp: toTimestampMillis
};

// lambda/core/parquet/column-buffer.ts
var MAX_DICT_ENTRIES = 65536;
var MAX_DICT_BYTES = 1 << 20;
var KIND = {
  string: 0 /* String */,
  int: 1 /* Int32 */,
  bigint: 2 /* Int64 */,
  float: 3 /* Float */,
  double: 4 /* Double */,
  boolean: 5 /* Boolean */,
  timestamp: 6 /* Timestamp */
};
var DICT_SAMPLE_ROWS = 8192;
var ColumnBuffer = class {
  constructor(column, element, capacity) {
    this.column = column;
    this.element = element;
    this.kind = KIND[column.type];
    this.convert = CONVERT[column.type];
    this.defs = new Uint8Array(capacity);
    const k = this.kind;
    this.nums = k === 1 /* Int32 */ ? new Int32Array(capacity) : k === 3 /* Float */ ? new Float32Array(capacity) : k === 5 /* Boolean */ ? new Uint8Array(capacity) : new Float64Array(k === 0 /* String */ ? 0 : capacity);
    this.dictionary = k === 0 /* String */ || k === 1 /* Int32 */;
    this.idx = this.dictionary ? new Int32Array(capacity) : new Int32Array(0);
    this.startDictionary();
  }
  column;
  element;
  kind;
  convert;
  dictionary;
  /** 1 = value present, 0 = null (the definition levels). */
  defs;
  nulls = 0;
  // values, by kind
  strings = [];
  /** INT32, FLOAT, BOOLEAN, DOUBLE, TIMESTAMP, and INT64 while every value of the row group is a safe integer */
  nums;
  /** INT64 once a value beyond ±2^53 came (then `bigMode`) */
  bigs = new BigInt64Array(0);
  bigMode = false;
  /**
   * The dictionary of a string or int32 column, value → index. A Map: the engine hashes a string natively and keeps
   * the hash in it, where a hash computed in JS (charCodeAt per character) cost more than the whole lookup does
   * now; its hash is seeded per process, so crafted values cannot make it probe long.
   */
  dict = null;
  /** whether this row group still builds a dictionary */
  dictOn = false;
  dictValues = [];
  dictBytes = 0;
  /** dictionary index per row (-1 for null) */
  idx;
  valueBytes = 0;
  /** Set once a row group gave its dictionary up (or did not use it): plain for the rest of the file. */
  plainForFile = false;
  /** row groups finished */
  groups = 0;
  lastValue = void 0;
  lastIndex = 0;
  /** Row capacity grows with the row group (a file of a few rows keeps small buffers). */
  grow(capacity) {
    const copy = (a, make) => {
      if (a.length === 0) return a;
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.defs = copy(this.defs, (n) => new Uint8Array(n));
    this.idx = copy(this.idx, (n) => new Int32Array(n));
    const nums = this.nums;
    this.nums = copy(nums, (n) => new nums.constructor(n));
    if (this.bigMode) this.bigs = copy(this.bigs, (n) => new BigInt64Array(n));
  }
  startDictionary() {
    this.dictValues = [];
    this.dictBytes = 0;
    this.lastValue = void 0;
    this.dictOn = this.dictionary && !this.plainForFile;
    this.dict = this.dictOn ? /* @__PURE__ */ new Map() : null;
  }
  /** After a row group was written; `usedDictionary`: whether it was dictionary-encoded. */
  reset(usedDictionary) {
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
  get adder() {
    return this.kind === 0 /* String */ ? "addString" : this.kind === 2 /* Int64 */ ? "addInt64" : this.kind === 6 /* Timestamp */ ? "addTime" : "addOther";
  }
  add(row, raw) {
    this[this.adder](row, raw);
  }
  addTime(row, raw) {
    const t = typeof raw === "string" ? isoMillis(raw) : raw === null || raw === void 0 ? null : toTimestampMillis(raw);
    if (t === null) {
      this.defs[row] = 0;
      this.nulls++;
      return;
    }
    this.defs[row] = 1;
    this.nums[row] = t;
  }
  addString(row, raw) {
    const s = typeof raw === "string" ? raw : raw === null || raw === void 0 ? null : toStringValue(raw);
    if (s === null) {
      this.defs[row] = 0;
      this.nulls++;
      if (!this.dictOn) this.strings[row] = null;
      return;
    }
    this.defs[row] = 1;
    this.valueBytes += s.length + 4;
    if (this.dictOn) {
      this.lookupString(row, s);
      if (this.dictOn) {
        if (row === DICT_SAMPLE_ROWS - 1 && this.groups === 0) this.sample(row + 1);
        return;
      }
      this.materialize(row);
    }
    this.strings[row] = s;
  }
  addInt64(row, raw) {
    if (typeof raw === "number" && Number.isSafeInteger(raw) && !this.bigMode) {
      this.defs[row] = 1;
      this.nums[row] = raw;
      return;
    }
    const b = raw === null || raw === void 0 ? null : toInt64(raw);
    if (b === null) {
      this.defs[row] = 0;
      this.nulls++;
      return;
    }
    this.defs[row] = 1;
    if (!this.bigMode) {
      if (b >= -9007199254740991n && b <= 9007199254740991n) {
        this.nums[row] = Number(b);
        return;
      }
      this.toBigMode(row);
    }
    this.bigs[row] = b;
  }
  addOther(row, raw) {
    const v = raw === null || raw === void 0 ? null : this.convert(raw);
    if (v === null) {
      this.defs[row] = 0;
      this.nulls++;
      return;
    }
    this.defs[row] = 1;
    switch (this.kind) {
      case 1 /* Int32 */:
        this.nums[row] = v;
        this.lookupInt(row, v);
        return;
      case 5 /* Boolean */:
        this.nums[row] = v ? 1 : 0;
        return;
      default:
        this.nums[row] = v;
    }
  }
  /** INT64 values beyond ±2^53 from now on in this row group: rows so far move to a BigInt64Array. */
  toBigMode(rows) {
    const bigs = new BigInt64Array(this.defs.length);
    const nums = this.nums;
    for (let i = 0; i < rows; i++) if (this.defs[i] === 1) bigs[i] = BigInt(nums[i]);
    this.bigs = bigs;
    this.bigMode = true;
  }
  /** First DICT_SAMPLE_ROWS rows of the file: distinct values over half of the bytes → plain for the whole file. */
  sample(rows) {
    const present = rows - this.nulls;
    if (present > 0 && this.dictBytes * 2 > this.valueBytes) {
      this.giveUp();
      this.materialize(rows);
    }
  }
  giveUp() {
    this.dictOn = false;
    this.dict = null;
    this.plainForFile = true;
  }
  lookupInt(row, v) {
    const dict = this.dict;
    if (dict === null) return;
    if (v === this.lastValue) {
      this.idx[row] = this.lastIndex;
      return;
    }
    let i = dict.get(v);
    if (i === void 0) {
      i = this.dictValues.length;
      this.dictBytes += 4;
      if (i >= MAX_DICT_ENTRIES) {
        this.giveUp();
        return;
      }
      dict.set(v, i);
      this.dictValues.push(v);
    }
    this.idx[row] = i;
    this.lastValue = v;
    this.lastIndex = i;
  }
  lookupString(row, s) {
    if (s === this.lastValue) {
      this.idx[row] = this.lastIndex;
      return;
    }
    const dict = this.dict;
    let i = dict.get(s);
    if (i === void 0) {
      i = this.dictValues.length;
      this.dictBytes += s.length + 4;
      if (i >= MAX_DICT_ENTRIES || this.dictBytes > MAX_DICT_BYTES) {
        this.giveUp();
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
  materialize(rows) {
    const strings = new Array(rows);
    const values = this.dictValues;
    for (let i = 0; i < rows; i++) strings[i] = this.defs[i] === 1 ? values[this.idx[i]] : null;
    this.strings = strings;
    this.dictValues = [];
    this.dict = null;
  }
  /** Whether the finished chunk is written dictionary-encoded. */
  useDictionary(rows) {
    if (!this.dictOn || this.dictValues.length === 0) return false;
    const present = rows - this.nulls;
    const bitWidth = Math.max(1, Math.ceil(Math.log2(this.dictValues.length)));
    const plain = this.kind === 0 /* String */ ? this.valueBytes : present * 4;
    return this.dictBytes + Math.ceil(present * bitWidth / 8) < plain;
  }
};

// lambda/core/parquet/column-chunk.ts
import { writePageHeader } from "hyparquet-writer/src/datapage.js";
import { snappyCompress } from "hyparquet-writer/src/snappy.js";
var PAGE_BYTES = 1 << 20;
function compareUtf8(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  let x = a.charCodeAt(i);
  let y = b.charCodeAt(i);
  if (x < 55296 && y < 55296) return x - y;
  if (x >= 56320 && x <= 57343 && i > 0) x = a.codePointAt(i - 1) ?? x;
  else x = a.codePointAt(i) ?? x;
  if (y >= 56320 && y <= 57343 && i > 0) y = b.codePointAt(i - 1) ?? y;
  else y = b.codePointAt(i) ?? y;
  return x - y;
}
function physicalBytes(kind) {
  return kind === 1 /* Int32 */ || kind === 3 /* Float */ ? 4 : kind === 5 /* Boolean */ ? 1 : 8;
}
var scratch = new Int32Array(0);
function writeChunk(out, page, col, rows) {
  const { kind, element } = col;
  const type = element.type;
  const start = out.offset;
  let uncompressed = 0;
  const useDict = col.useDictionary(rows);
  let dictionary_page_offset;
  let min;
  let max;
  const stringOrder = kind === 0 /* String */;
  const consider = (v) => {
    if (min === void 0) {
      min = max = v;
    } else if (stringOrder) {
      if (compareUtf8(v, min) < 0) min = v;
      else if (compareUtf8(v, max) > 0) max = v;
    } else if (v < min) {
      min = v;
    } else if (v > max) {
      max = v;
    }
  };
  const emitPage = (pageType, numValues, encoding2) => {
    const raw = page.getBytes();
    const compressed = snappyCompress(raw);
    const headerStart = out.offset;
    if (pageType === "DICTIONARY_PAGE") {
      writePageHeader(out, {
        type: pageType,
        uncompressed_page_size: raw.length,
        compressed_page_size: compressed.length,
        dictionary_page_header: { num_values: numValues, encoding: "PLAIN" }
      });
    } else {
      writePageHeader(out, {
        type: pageType,
        uncompressed_page_size: raw.length,
        compressed_page_size: compressed.length,
        data_page_header: { num_values: numValues, encoding: encoding2, definition_level_encoding: "RLE", repetition_level_encoding: "RLE" }
      });
    }
    uncompressed += out.offset - headerStart + raw.length;
    out.appendBytes(compressed);
  };
  if (!useDict && kind === 0 /* String */ && col.dictOn) col.materialize(rows);
  if (useDict) {
    dictionary_page_offset = BigInt(out.offset);
    page.reset();
    const values = col.dictValues;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      consider(v);
      if (kind === 0 /* String */) page.appendUtf8(v);
      else if (kind === 1 /* Int32 */) page.appendInt32(v);
      else page.appendInt64(v);
    }
    emitPage("DICTIONARY_PAGE", values.length, "PLAIN");
  }
  const data_page_offset = BigInt(out.offset);
  const encoding = useDict ? "RLE_DICTIONARY" : "PLAIN";
  const bitWidth = useDict ? Math.max(1, Math.ceil(Math.log2(col.dictValues.length))) : 0;
  const defs = col.defs;
  const width = physicalBytes(kind);
  const strings = col.strings;
  let pages = 0;
  let from = 0;
  while (from < rows) {
    let to;
    if (useDict) {
      to = Math.min(rows, from + 65536);
    } else if (kind === 0 /* String */) {
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
    page.appendUint32(0);
    page.appendHybrid(defs, from, to, 1);
    page.view.setUint32(0, page.index - 4, true);
    if (useDict) {
      const present = scratch.length >= to - from ? scratch : scratch = new Int32Array(to - from);
      const idx = col.idx;
      let m = 0;
      for (let i = from; i < to; i++) if (defs[i] === 1) present[m++] = idx[i];
      page.appendUint8(bitWidth);
      page.appendHybrid(present, 0, m, bitWidth);
    } else {
      switch (kind) {
        case 0 /* String */:
          for (let i = from; i < to; i++) {
            const s = strings[i];
            if (s !== null) {
              consider(s);
              page.appendUtf8(s);
            }
          }
          break;
        case 1 /* Int32 */: {
          const a = col.nums;
          for (let i = from; i < to; i++) if (defs[i] === 1) consider(a[i]), page.appendInt32(a[i]);
          break;
        }
        case 2 /* Int64 */: {
          if (col.bigMode) {
            const a = col.bigs;
            for (let i = from; i < to; i++) if (defs[i] === 1) consider(a[i]), page.appendInt64(a[i]);
          } else {
            const a = col.nums;
            for (let i = from; i < to; i++) if (defs[i] === 1) consider(a[i]), page.appendInt64Number(a[i]);
          }
          break;
        }
        case 3 /* Float */: {
          const a = col.nums;
          for (let i = from; i < to; i++) if (defs[i] === 1) consider(a[i]), page.appendFloat32(a[i]);
          break;
        }
        case 4 /* Double */: {
          const a = col.nums;
          for (let i = from; i < to; i++) if (defs[i] === 1) consider(a[i]), page.appendFloat64(a[i]);
          break;
        }
        case 6 /* Timestamp */: {
          const a = col.nums;
          for (let i = from; i < to; i++) if (defs[i] === 1) consider(a[i]), page.appendInt64Number(a[i]);
          break;
        }
        case 5 /* Boolean */: {
          const a = col.nums;
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
    emitPage("DATA_PAGE", to - from, encoding);
    pages++;
    from = to;
  }
  const statistics = { null_count: BigInt(col.nulls) };
  if (min !== void 0) {
    statistics.min_value = kind === 2 /* Int64 */ && typeof min === "number" ? BigInt(min) : min;
    statistics.max_value = kind === 2 /* Int64 */ && typeof max === "number" ? BigInt(max) : max;
  }
  return {
    file_offset: BigInt(start),
    meta_data: {
      type,
      encodings: useDict ? ["PLAIN", "RLE", "RLE_DICTIONARY"] : ["PLAIN", "RLE"],
      path_in_schema: [element.name],
      codec: "SNAPPY",
      num_values: BigInt(rows),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(out.offset - start),
      data_page_offset,
      dictionary_page_offset,
      statistics,
      encoding_stats: [
        ...useDict ? [{ page_type: "DICTIONARY_PAGE", encoding: "PLAIN", count: 1 }] : [],
        { page_type: "DATA_PAGE", encoding, count: pages }
      ]
    }
  };
}

// lambda/core/parquet/page-bytes.ts
import { ByteWriter } from "hyparquet-writer";
var PageBytes = class extends ByteWriter {
  nodeView = Buffer.alloc(0);
  u8 = new Uint8Array(0);
  reset() {
    this.index = 0;
    this.offset = 0;
  }
  appendUtf8(s) {
    this.ensure(4 + s.length * 3);
    if (this.nodeView.buffer !== this.buffer) this.nodeView = Buffer.from(this.buffer);
    const n = this.nodeView.write(s, this.index + 4, "utf8");
    this.view.setUint32(this.index, n, true);
    this.index += 4 + n;
    this.offset += 4 + n;
  }
  /**
   * RLE/bit-packed hybrid of values[from, to) (`bitWidth` ≤ 24): runs of 8+ equal values as RLE runs, the rest in
   * bit-packed groups of 8 (the last one padded with zeros), written straight into the buffer.
   */
  appendHybrid(values, from, to, bitWidth) {
    this.ensure((to - from + 7 >>> 3) * (bitWidth + 6) + 16);
    if (this.u8.buffer !== this.buffer) this.u8 = new Uint8Array(this.buffer);
    const buf = this.u8;
    const start = this.index;
    let o = start;
    const width = bitWidth + 7 >>> 3;
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
        let h = run << 1;
        while (h > 127) {
          buf[o++] = h & 127 | 128;
          h >>>= 7;
        }
        buf[o++] = h;
        for (let b = 0; b < width; b++) buf[o++] = first >>> (b << 3) & 255;
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
  appendInt64Number(v) {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    this.view.setUint32(this.index, v - hi * 4294967296, true);
    this.view.setInt32(this.index + 4, hi, true);
    this.index += 8;
    this.offset += 8;
  }
};
function packGroups(buf, o, values, from, groups, to, bitWidth) {
  let h = groups << 1 | 1;
  while (h > 127) {
    buf[o++] = h & 127 | 128;
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
      buf[o++] = acc & 255;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) buf[o++] = acc & 255;
  return o;
}

// lambda/core/parquet/schema.ts
function schemaElement(column) {
  const name = column.name;
  const repetition_type = "OPTIONAL";
  switch (column.type) {
    case "string":
      return { name, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" }, repetition_type };
    case "int":
      return { name, type: "INT32", repetition_type };
    case "bigint":
      return { name, type: "INT64", repetition_type };
    case "float":
      return { name, type: "FLOAT", repetition_type };
    case "double":
      return { name, type: "DOUBLE", repetition_type };
    case "boolean":
      return { name, type: "BOOLEAN", repetition_type };
    case "timestamp":
      return {
        name,
        type: "INT64",
        converted_type: "TIMESTAMP_MILLIS",
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
        repetition_type
      };
  }
}
function parquetSchema(columns) {
  return [{ name: "root", num_children: columns.length }, ...columns.map(schemaElement)];
}

// lambda/core/parquet/writer.ts
var DEFAULT_ROW_GROUP_ROWS = 131072;
var CREATED_BY = "logtong version 0.1.0 (build hyparquet-writer 0.17)";
var STATS_TRUNCATE = 64;
var SinkWriter = class extends ByteWriter2 {
  constructor(sink) {
    super(1 << 20);
    this.sink = sink;
  }
  sink;
  flush() {
    if (this.index === 0) return;
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.sink.write(chunk);
  }
  finish() {
    return this.flush();
  }
};
function createParquetWriter(columns, sink, opts = {}) {
  const rowGroupRows = opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1) throw new Error(`rowGroupRows must be a positive integer, got ${rowGroupRows}`);
  if (columns.length === 0) throw new Error("a Parquet file needs at least one column");
  const names = /* @__PURE__ */ new Set();
  for (const c of columns) {
    if (names.has(c.name)) throw new Error(`duplicate column name ${c.name}`);
    names.add(c.name);
  }
  const schema = parquetSchema(columns);
  const out = new SinkWriter(sink);
  const page = new PageBytes(1 << 16);
  let capacity = Math.min(rowGroupRows, 1024);
  const buffers = columns.map((c, j) => new ColumnBuffer(c, schema[j + 1], capacity));
  const addRow = new Function(
    "B",
    `"use strict";
return function addRow(doc, row) {
${columns.map((c, j) => `  B[${j}].${buffers[j].adder}(row, doc[${JSON.stringify(c.source)}]);`).join("\n")}
};`
  )(buffers);
  const rowGroups = [];
  let pending = 0;
  let rows = 0;
  let closed = false;
  out.appendUint32(827474256);
  const flushGroup = () => {
    const start = out.offset;
    const chunks = [];
    let totalBytes = 0n;
    for (const b of buffers) {
      const chunk = writeChunk(out, page, b, pending);
      totalBytes += chunk.meta_data.total_uncompressed_size;
      chunks.push(chunk);
      b.reset(chunk.meta_data.dictionary_page_offset !== void 0);
    }
    rowGroups.push({
      columns: chunks,
      total_byte_size: totalBytes,
      num_rows: BigInt(pending),
      file_offset: BigInt(start),
      total_compressed_size: BigInt(out.offset - start)
    });
    pending = 0;
    return out.flush();
  };
  return {
    append(doc) {
      if (closed) throw new Error("append after close");
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
      if (closed) throw new Error("close called twice");
      closed = true;
      if (pending > 0) await flushGroup();
      const metadata = {
        version: 1,
        schema,
        num_rows: BigInt(rows),
        row_groups: rowGroups,
        created_by: CREATED_BY,
        metadata_length: 0
      };
      delete metadata.metadata_length;
      writeMetadata(out, metadata, STATS_TRUNCATE);
      out.appendUint32(827474256);
      await out.finish();
      return { rows, bytes: out.offset };
    }
  };
}

export {
  createParquetWriter,
  eventHourOf,
  partitionPrefix,
  listLockKey,
  batchIdOf,
  TIME_COLUMN,
  PARTITION_KEYS,
  lightTable
};
