// lambda/core/body.ts
import { once } from "node:events";
import { createGunzip } from "node:zlib";
var GUNZIP_CHUNK = 256 * 1024;
var INPUT_SLICE = 64 * 1024;
var TAIL_CHECK = 64;
function isZlibError(e) {
  const code = e?.code;
  return typeof code === "string" && code.startsWith("Z_");
}
function decodeBody(body, opts = {}) {
  const state = {};
  return {
    get broken() {
      return state.broken;
    },
    [Symbol.asyncIterator]: () => withoutBom(decoded(body, opts, state))[Symbol.asyncIterator]()
  };
}
async function* withoutBom(chunks) {
  let head = EMPTY;
  for await (const chunk of chunks) {
    if (head === void 0) {
      yield chunk;
      continue;
    }
    const b = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (b.length < 3 && BOM.subarray(0, b.length).equals(b)) {
      head = b;
      continue;
    }
    head = void 0;
    const text = b.length >= 3 && b[0] === 239 && b[1] === 187 && b[2] === 191 ? b.subarray(3) : b;
    if (text.length > 0) yield text;
  }
  if (head !== void 0 && head.length > 0) yield head;
}
var EMPTY = Buffer.alloc(0);
var BOM = Buffer.from([239, 187, 191]);
function toBuffer(u) {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
async function* decoded(body, opts, state) {
  const it = body[Symbol.asyncIterator]();
  const head = [];
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
  const gzip = headLen >= 2 && first[0] === 31 && first[1] === 139;
  if (!gzip) {
    if (done) {
      if (headLen > 0) yield first;
      return;
    }
    try {
      yield first;
      for (; ; ) {
        const r = await it.next();
        if (r.done) return;
        if (r.value.length > 0) yield toBuffer(r.value);
      }
    } finally {
      await it.return?.();
    }
  }
  async function* rest() {
    yield* slices(first);
    if (done) return;
    try {
      for (; ; ) {
        const r = await it.next();
        if (r.done) return;
        yield* slices(toBuffer(r.value));
      }
    } finally {
      await it.return?.();
    }
  }
  const streamOptions = { chunkSize: GUNZIP_CHUNK, readableHighWaterMark: 4 * GUNZIP_CHUNK, writableHighWaterMark: GUNZIP_CHUNK };
  const gunzip = createGunzip(streamOptions);
  const stop = new AbortController();
  const pump = async () => {
    for await (const b of rest()) {
      if (!gunzip.write(b)) await once(gunzip, "drain", { signal: stop.signal });
    }
    await new Promise((resolve) => {
      gunzip.once("close", resolve);
      gunzip.write(EMPTY, () => resolve());
    });
    if (!gunzip.destroyed) gunzip.end();
  };
  void pump().catch((err) => gunzip.destroy(err));
  let delivered = 0;
  let tail = EMPTY;
  try {
    for await (const chunk of gunzip) {
      const b = chunk;
      delivered += b.length;
      tail = lastBytes(tail, b);
      yield b;
    }
    return;
  } catch (e) {
    if (!isZlibError(e)) throw e;
    const consumed = gunzip.bytesWritten;
    stop.abort();
    let recovered = 0;
    if (opts.reopen) {
      for await (const b of recover(opts.reopen, consumed, delivered, tail)) {
        recovered += b.length;
        yield b;
      }
    }
    state.broken = { message: e.message, code: e.code, decodedBytes: delivered + recovered };
  } finally {
    stop.abort();
    gunzip.destroy();
  }
}
async function* slices(b) {
  for (let off = 0; off < b.length; off += INPUT_SLICE) yield off === 0 && b.length <= INPUT_SLICE ? b : b.subarray(off, off + INPUT_SLICE);
}
function lastBytes(tail, b) {
  if (b.length >= TAIL_CHECK) return Buffer.from(b.subarray(b.length - TAIL_CHECK));
  return Buffer.concat([tail, b]).subarray(-TAIL_CHECK);
}
async function* recover(reopen, consumed, delivered, tail) {
  let body;
  try {
    body = await reopen();
  } catch {
    return;
  }
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const out = [];
  let failed = false;
  let wake;
  gunzip.on("data", (c) => out.push(c));
  gunzip.on("error", () => {
    failed = true;
    wake?.();
  });
  const write = (b) => new Promise((resolve) => {
    wake = resolve;
    gunzip.write(b, () => resolve());
  });
  const stepEnd = consumed + INPUT_SLICE;
  let fed = 0;
  let decoded2 = 0;
  const before = [];
  let checked = delivered === 0 || tail.length === 0;
  const it = body[Symbol.asyncIterator]();
  try {
    while (!failed && fed < stepEnd) {
      const r = await it.next();
      if (r.done) break;
      let b = toBuffer(r.value);
      while (b.length > 0 && !failed && fed < stepEnd) {
        const n = fed < consumed ? Math.min(b.length, consumed - fed, INPUT_SLICE) : 1;
        await write(b.subarray(0, n));
        fed += n;
        b = b.subarray(n);
        for (const c of out.splice(0)) {
          const start = decoded2;
          decoded2 += c.length;
          if (!checked && decoded2 > delivered - tail.length) before.push(c.subarray(Math.max(0, delivered - tail.length - start), Math.max(0, delivered - start)));
          if (decoded2 <= delivered) continue;
          if (!checked) {
            if (!Buffer.concat(before).equals(tail)) return;
            checked = true;
          }
          yield c.subarray(Math.max(0, delivered - start));
        }
      }
    }
  } finally {
    gunzip.destroy();
    await it.return?.();
  }
}

// lambda/core/lines.ts
import { isAscii, isUtf8 } from "node:buffer";
var RAW_CAP_BYTES = 64 * 1024;
function isFailed(entry) {
  return entry.reason !== void 0;
}
var EMPTY2 = Buffer.alloc(0);
var CR = Buffer.from([13]);
var LongLine = class {
  constructor(lineNo, max, spill) {
    this.lineNo = lineNo;
    this.max = max;
    this.sink = spill?.(lineNo);
  }
  lineNo;
  max;
  sink;
  kept = [];
  head = [];
  headLen = 0;
  bytes = 0;
  cr = false;
  async add(part) {
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
  async put(b) {
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
  async finish() {
    const reason = `line exceeds ${this.max} bytes`;
    if (!this.sink) {
      const bytes = Buffer.concat(this.kept, this.bytes);
      const raw = bytes.toString("utf8");
      return raw.includes("\uFFFD") && !isUtf8(bytes) ? { lineNo: this.lineNo, raw, reason, rawBase64: bytes.toString("base64") } : { lineNo: this.lineNo, raw, reason };
    }
    await this.sink.close();
    return { lineNo: this.lineNo, raw: Buffer.concat(this.head, this.headLen).toString("utf8"), reason, rawObject: this.sink.location, rawBytes: this.bytes };
  }
  async abort() {
    await this.sink?.abort();
  }
};
async function longEntry(lineNo, line, max, spill) {
  const long = new LongLine(lineNo, max, spill);
  await long.add(line);
  return long.finish();
}
var PartialLine = class {
  constructor(max, spill) {
    this.max = max;
    this.spill = spill;
  }
  max;
  spill;
  parts = [];
  len = 0;
  long;
  get pending() {
    return this.len > 0 || this.long !== void 0;
  }
  /** Bytes of line lineNo, no LF among them. */
  async add(lineNo, b) {
    if (this.long) return this.long.add(b);
    if (this.len + b.length > this.max + 1) {
      await this.toLong(lineNo);
      return this.long.add(b);
    }
    this.parts.push(Buffer.from(b));
    this.len += b.length;
  }
  /**
   * Line lineNo ends with `last` (the bytes before its LF, or none at the end of the input): the entry of an
   * over-long line, or the line's bytes (CR included) to be split like any other.
   */
  async end(lineNo, last) {
    if (!this.long && this.len + last.length > this.max + 1) await this.toLong(lineNo);
    const long = this.long;
    if (long) {
      this.long = void 0;
      await long.add(last);
      return long.finish();
    }
    const buf = this.len === 0 ? last : Buffer.concat([...this.parts, last], this.len + last.length);
    this.parts = [];
    this.len = 0;
    return buf;
  }
  /** The body broke off in this line: it is not a line. */
  async abort() {
    await this.long?.abort();
    this.long = void 0;
    this.parts = [];
    this.len = 0;
  }
  async toLong(lineNo) {
    this.long = new LongLine(lineNo, this.max, this.spill);
    for (const p of this.parts) await this.long.add(p);
    this.parts = [];
    this.len = 0;
  }
};
function brokenEntry(lineNo, b) {
  return {
    lineNo,
    raw: "",
    reason: `gzip data unreadable after line ${lineNo - 1} (decompressed byte ${b.decodedBytes}): ${b.message} (${b.code})`,
    broken: b
  };
}
function breakOf(chunks) {
  return chunks.broken;
}
async function* splitLines(chunks, opts) {
  const max = opts.maxLineBytes;
  if (!(max >= 1)) throw new Error(`maxLineBytes must be >= 1, got ${max}`);
  const spill = opts.spill;
  let lineNo = 0;
  const partial = new PartialLine(max, spill);
  const longs = [];
  try {
    for await (const chunk of chunks) {
      const out2 = [];
      let pos = 0;
      const n = chunk.length;
      if (partial.pending) {
        const nl = chunk.indexOf(10);
        if (nl === -1) {
          await partial.add(lineNo + 1, chunk);
          continue;
        }
        await pushEnded(out2, ++lineNo, await partial.end(lineNo, chunk.subarray(0, nl)));
        pos = nl + 1;
      }
      if (pos < n) {
        const last = chunk.lastIndexOf(10);
        if (last >= pos) {
          lineNo = splitRegion(out2, longs, chunk, pos, last + 1, lineNo, max);
          pos = last + 1;
        }
        for (const [i, no, s, e] of longs.splice(0)) out2[i] = await longEntry(no, chunk.subarray(s, e), max, spill);
        if (pos < n) await partial.add(lineNo + 1, chunk.subarray(pos));
      }
      if (out2.length > 0) yield out2;
    }
    const broken = breakOf(chunks);
    if (broken) {
      await partial.abort();
      yield [brokenEntry(lineNo + 1, broken)];
      return;
    }
    const out = [];
    if (partial.pending) await pushEnded(out, ++lineNo, await partial.end(lineNo, EMPTY2));
    if (out.length > 0) yield out;
  } finally {
    await partial.abort();
  }
  async function pushEnded(out, no, ended) {
    if (!Buffer.isBuffer(ended)) out.push(ended);
    else if (pushLine(out, longs, no, ended, 0, ended.length, max)) for (const [i, , s, e] of longs.splice(0)) out[i] = await longEntry(no, ended.subarray(s, e), max, spill);
  }
}
var PENDING = { lineNo: 0, raw: "", reason: "" };
function splitRegion(out, longs, buf, start, end, lineNo, max) {
  if (isAscii(buf.subarray(start, end))) {
    const str = buf.latin1Slice(start, end);
    let pos2 = 0;
    const len = str.length;
    while (pos2 < len) {
      const nl = str.indexOf("\n", pos2);
      lineNo++;
      let e = nl;
      if (e > pos2 && str.charCodeAt(e - 1) === 13) e--;
      if (e > pos2) {
        if (e - pos2 > max) {
          longs.push([out.length, lineNo, start + pos2, start + nl]);
          out.push(PENDING);
        } else out.push({ lineNo, text: str.slice(pos2, e) });
      }
      pos2 = nl + 1;
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
function pushLine(out, longs, lineNo, buf, start, end, max) {
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
async function* splitRanges(chunks, opts) {
  const max = opts.maxLineBytes;
  if (!(max >= 1)) throw new Error(`maxLineBytes must be >= 1, got ${max}`);
  const spill = opts.spill;
  let lineNo = 0;
  const partial = new PartialLine(max, spill);
  const r = { src: Buffer.alloc(0), count: 0, lineNos: new Int32Array(4096), starts: new Int32Array(4096), ends: new Int32Array(4096), failures: [] };
  const reset = (src) => {
    r.src = src;
    r.count = 0;
    r.failures = [];
  };
  const push = (no, start, end) => {
    const k = r.count;
    if (k === r.lineNos.length) {
      const grow = (a) => {
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
  const fail3 = (f) => {
    push(f.lineNo, r.failures.length, -1);
    r.failures.push(f);
  };
  const ended = async (no, e) => {
    if (!Buffer.isBuffer(e)) {
      reset(EMPTY2);
      fail3(e);
      return r;
    }
    let end = e.length;
    if (end > 0 && e[end - 1] === 13) end--;
    if (end === 0) return void 0;
    reset(e);
    if (end > max) fail3(await longEntry(no, e, max, spill));
    else push(no, 0, end);
    return r;
  };
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
              if (e - p > max) fail3(await longEntry(lineNo, src.subarray(p, nl), max, spill));
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
      reset(EMPTY2);
      fail3(brokenEntry(lineNo + 1, broken));
      yield r;
    } else if (partial.pending) {
      const one = await ended(++lineNo, await partial.end(lineNo, EMPTY2));
      if (one) yield one;
    }
  } finally {
    await partial.abort();
  }
}
function lineAt(r, k) {
  const end = r.ends[k];
  if (end < 0) return r.failures[r.starts[k]];
  return decodedLine(r.lineNos[k], r.src, r.starts[k], end);
}
function decodedLine(lineNo, buf, start, end) {
  const text = buf.toString("utf8", start, end);
  if (!text.includes("\uFFFD")) return { lineNo, text };
  const bytes = buf.subarray(start, end);
  if (isUtf8(bytes)) return { lineNo, text };
  const at = firstInvalidUtf8(bytes);
  return {
    lineNo,
    raw: text,
    reason: `invalid UTF-8 at byte ${at + 1} (0x${bytes[at].toString(16).padStart(2, "0")})`,
    rawBase64: bytes.toString("base64")
  };
}
function firstInvalidUtf8(b) {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n;
    let lo = 128;
    let hi = 191;
    if (c < 128) n = 0;
    else if (c >= 194 && c <= 223) n = 1;
    else if (c >= 224 && c <= 239) {
      n = 2;
      if (c === 224) lo = 160;
      if (c === 237) hi = 159;
    } else if (c >= 240 && c <= 244) {
      n = 3;
      if (c === 240) lo = 144;
      if (c === 244) hi = 143;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === void 0 || d < (k === 1 ? lo : 128) || d > (k === 1 ? hi : 191)) return i;
    }
    i += n + 1;
  }
  return -1;
}
function failedLineFields(l) {
  return {
    line: l.lineNo,
    raw: l.raw,
    reason: l.reason,
    ...l.rawBase64 !== void 0 ? { rawBase64: l.rawBase64 } : {},
    ...l.rawObject !== void 0 ? { rawObject: l.rawObject, rawBytes: l.rawBytes } : {}
  };
}

// lambda/core/config/log-format.ts
import { z } from "zod";
function isTimeZone(tz) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
function regExpError(source) {
  try {
    new RegExp(source);
    return void 0;
  } catch (e) {
    return e.message;
  }
}
function isRegExp(source) {
  return regExpError(source) === void 0;
}
var FIELD_TYPES = ["keyword", "text", "integer", "long", "float", "double", "boolean", "ip", "date", "object"];
var FieldTypeSchema = z.enum(FIELD_TYPES);
var LOG_TYPES = ["nginx", "apache", "json", "regex", "syslog", "single-line-text", "multi-line-text"];
var FilterCondition = z.strictObject({
  field: z.string().min(1).meta({ description: "Field name after parsing (dotted path for nested JSON)." }),
  regex: z.string().min(1).refine(isRegExp, { error: (i) => `is not a valid regular expression (${regExpError(String(i.input))})` }).meta({ description: "JavaScript regular expression tested against the field value." })
});
var LogFormatSchema = z.strictObject({
  type: z.enum(LOG_TYPES).meta({ description: "How each line (or event) is parsed." }),
  format: z.string().min(1).optional().meta({
    description: "nginx: a `log_format` string; apache: a `LogFormat` string; multi-line-text: a Logback/Spring Boot pattern layout. Default for nginx and apache: the `combined` format."
  }),
  regex: z.string().min(1).optional().meta({ description: "regex / single-line-text: regex with named groups; multi-line-text: first-line regex." }),
  timeKey: z.string().min(1).optional().meta({ description: "Field that holds the record time; default per type (nginx/apache `time_local`)." }),
  timeFormat: z.string().min(1).optional().meta({ description: "strptime-style format (`%d/%b/%Y:%H:%M:%S %z`), a Java/Joda pattern (`yyyy-MM-dd HH:mm:ss.SSS`), or `epoch_s`, `epoch_ms`, `epoch_us`, `iso8601`." }),
  timeZone: z.string().default("UTC").refine(isTimeZone, { error: "must be an IANA time zone such as UTC or Asia/Shanghai" }).meta({ description: "IANA time zone for timestamps without an offset." }),
  fields: z.record(z.string(), FieldTypeSchema).default({}).meta({ description: "Field type overrides (`status: integer`); they drive the index mapping and Parquet schema." }),
  filters: z.strictObject({
    include: z.array(FilterCondition).default([]).meta({ description: "Keep a record only if every condition matches." }),
    exclude: z.array(FilterCondition).default([]).meta({ description: "Drop a record if any condition matches (counted, not lost silently)." })
  }).prefault({}),
  maxLineBytes: z.number().int().min(1024).default(1048576).meta({ description: "Longer lines become failed records." }),
  maxEventLines: z.number().int().min(1).default(1e3).meta({ description: "multi-line-text: lines per event at most; the lines past it become failed records." }),
  maxEventBytes: z.number().int().min(1024).optional().meta({ description: "multi-line-text: bytes per event at most (default: maxLineBytes); the lines past it become failed records." }),
  flattenJson: z.boolean().default(false).meta({ description: "json: flatten nested objects into dotted keys." })
}).superRefine((f, ctx) => {
  if ((f.type === "regex" || f.type === "single-line-text") && !f.regex) {
    ctx.addIssue({ code: "custom", path: ["regex"], message: `is required for type ${f.type}` });
  }
  if (f.type === "multi-line-text" && !f.regex && !f.format) {
    ctx.addIssue({ code: "custom", path: ["format"], message: "multi-line-text needs a pattern layout (format) or a first-line regex" });
  }
  if (f.regex && !isRegExp(f.regex)) {
    ctx.addIssue({ code: "custom", path: ["regex"], message: `is not a valid regular expression (${regExpError(f.regex)})` });
  }
});

// lambda/core/fields.ts
import { isIP } from "node:net";

// lambda/core/time/calendar.ts
var MINUTE = 6e4;
var HOUR = 36e5;
var DAY = 864e5;
var MIN_MS = -621672192e5;
var MAX_MS = 253402300799999;
var MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
var MONTH_BY_NAME = /* @__PURE__ */ new Map();
MONTH_NAMES.forEach((name, i) => {
  MONTH_BY_NAME.set(name, i + 1);
  MONTH_BY_NAME.set(name.slice(0, 3), i + 1);
});
MONTH_BY_NAME.set("sept", 9);
var MONTH_BY_CODE = /* @__PURE__ */ new Map();
MONTH_NAMES.forEach((name, i) => MONTH_BY_CODE.set(name.charCodeAt(0) << 16 | name.charCodeAt(1) << 8 | name.charCodeAt(2), i + 1));
function isLeap(y) {
  return y % 4 === 0 && y % 100 !== 0 || y % 400 === 0;
}
function daysInMonth(y, m) {
  return m === 2 ? isLeap(y) ? 29 : 28 : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}
function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
function inRange(ms) {
  return ms >= MIN_MS && ms <= MAX_MS ? ms : NaN;
}
function wallMs(y, mo, d, h, mi, s, ms) {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return NaN;
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * 1e3 + ms;
}

// lambda/core/time/epoch.ts
function decimalScaled(s, scale) {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 0 && (s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43)) {
    neg = s.charCodeAt(0) === 45;
    i = 1;
  }
  let int = 0;
  let digits2 = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    int = int * 10 + c;
    digits2++;
  }
  if (digits2 === 0 || digits2 > 17) return NaN;
  let frac = 0;
  let fracDigits = 0;
  if (i < n) {
    if (s.charCodeAt(i) !== 46) return NaN;
    i++;
    if (i === n) return NaN;
    for (; i < n; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return NaN;
      if (fracDigits < scale) {
        frac = frac * 10 + c;
        fracDigits++;
      }
    }
  }
  while (fracDigits < scale) {
    frac *= 10;
    fracDigits++;
  }
  const v = int * 10 ** scale + frac;
  return neg ? -v : v;
}
function epochParser(unit) {
  return (value) => {
    const s = typeof value === "number" ? String(value) : value;
    if (unit === "s") return inRange(decimalScaled(s, 3));
    if (unit === "ms") return inRange(decimalScaled(s, 0));
    return inRange(Math.floor(decimalScaled(s, 0) / 1e3));
  };
}

// lambda/core/time/wall-clock.ts
function toEpoch(p, resolve) {
  if (!Number.isNaN(p.epochMs)) return inRange(p.epochMs);
  let { month, day, hour } = p;
  const { year, minute, second } = p;
  if (p.yday > 0) {
    if (p.yday > (isLeap(year) ? 366 : 365)) return NaN;
    const d = daysFromCivil(year, 1, 1) + p.yday - 1;
    const wall2 = d * DAY + hour * HOUR + minute * MINUTE + second * 1e3 + p.ms;
    return Number.isNaN(p.offsetMs) ? inRange(resolve(wall2)) : inRange(wall2 - p.offsetMs);
  }
  if (p.pm >= 0) {
    if (hour < 1 || hour > 12) return NaN;
    hour = hour % 12 + (p.pm ? 12 : 0);
  }
  const wall = wallMs(year, month, day, hour, minute, second, p.ms);
  if (Number.isNaN(wall)) return NaN;
  return Number.isNaN(p.offsetMs) ? inRange(resolve(wall)) : inRange(wall - p.offsetMs);
}
function parseOffset(s) {
  const c0 = s.charCodeAt(0);
  if (s.length === 1 && (c0 === 90 || c0 === 122)) return 0;
  if (c0 !== 43 && c0 !== 45) return NaN;
  const h = +s.slice(1, 3);
  const m = s.length > 3 ? +s.slice(s.length - 2) : 0;
  if (h > 23 || m > 59) return NaN;
  return (c0 === 45 ? -1 : 1) * (h * HOUR + m * MINUTE);
}
function fractionMs(digits2) {
  return digits2.length >= 3 ? +digits2.slice(0, 3) : +(digits2 + "00").slice(0, 3);
}

// lambda/core/time/iso8601.ts
var ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)? ?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
function parseGeneral(value, resolve) {
  const m = ISO_RE.exec(value);
  if (!m) return NaN;
  const second = m[6] ? +m[6] : 0;
  const offsetMs = m[8] ? parseOffset(m[8]) : NaN;
  if (m[8] && Number.isNaN(offsetMs)) return NaN;
  return toEpoch(
    {
      year: +m[1],
      month: +m[2],
      day: +m[3],
      yday: 0,
      hour: m[4] ? +m[4] : 0,
      minute: m[5] ? +m[5] : 0,
      second,
      ms: m[7] ? fractionMs(m[7]) : 0,
      pm: -1,
      offsetMs,
      epochMs: NaN
    },
    resolve
  );
}
function digits(s, from, to) {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
function canonicalMillis(s) {
  if (s.charCodeAt(4) !== 45 || // -
  s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || // T
  s.charCodeAt(13) !== 58 || // :
  s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46) {
    return NaN;
  }
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 7);
  const d = digits(s, 8, 10);
  const h = digits(s, 11, 13);
  const mi = digits(s, 14, 16);
  const se = digits(s, 17, 19);
  const ms = digits(s, 20, 23);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 || ms < 0) return NaN;
  if (d > daysInMonth(y, mo)) return NaN;
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + se * 1e3 + ms;
}
function isoParser(resolve) {
  const prefix = new Uint16Array(14);
  let cached = false;
  let hourMs = 0;
  const samePrefix = (s) => {
    for (let i = 13; i >= 0; i--) if (s.charCodeAt(i) !== prefix[i]) return false;
    return true;
  };
  return (value) => {
    if (typeof value !== "string") return NaN;
    if (value.length === 24 && value.charCodeAt(23) === 90) {
      if (cached && samePrefix(value)) {
        const i1 = value.charCodeAt(14) - 48;
        const i2 = value.charCodeAt(15) - 48;
        const s1 = value.charCodeAt(17) - 48;
        const s2 = value.charCodeAt(18) - 48;
        const m1 = value.charCodeAt(20) - 48;
        const m2 = value.charCodeAt(21) - 48;
        const m3 = value.charCodeAt(22) - 48;
        if (value.charCodeAt(16) === 58 && value.charCodeAt(19) === 46 && i1 >>> 0 <= 5 && i2 >>> 0 <= 9 && s1 >>> 0 <= 5 && s2 >>> 0 <= 9 && m1 >>> 0 <= 9 && m2 >>> 0 <= 9 && m3 >>> 0 <= 9) {
          return hourMs + (i1 * 10 + i2) * MINUTE + (s1 * 10 + s2) * 1e3 + m1 * 100 + m2 * 10 + m3;
        }
      }
      const t = canonicalMillis(value);
      if (!Number.isNaN(t)) {
        for (let i = 0; i < 14; i++) prefix[i] = value.charCodeAt(i);
        cached = true;
        hourMs = t - digits(value, 14, 16) * MINUTE - digits(value, 17, 19) * 1e3 - digits(value, 20, 23);
        return t;
      }
    }
    return parseGeneral(value, resolve);
  };
}

// lambda/core/time/strptime.ts
var num = (key) => (p, v) => {
  p[key] = +v;
  return true;
};
var DIRECTIVES = {
  Y: { re: "(\\d{4})", set: num("year") },
  y: {
    re: "(\\d{2})",
    set: (p, v) => {
      const n = +v;
      p.year = n < 69 ? 2e3 + n : 1900 + n;
      return true;
    }
  },
  m: { re: "(\\d{1,2})", set: num("month") },
  d: { re: "(\\d{1,2})", set: num("day") },
  e: { re: " ?(\\d{1,2})", set: num("day") },
  j: { re: "(\\d{1,3})", set: num("yday") },
  H: { re: "(\\d{1,2})", set: num("hour") },
  k: { re: " ?(\\d{1,2})", set: num("hour") },
  I: { re: "(\\d{1,2})", set: num("hour") },
  l: { re: " ?(\\d{1,2})", set: num("hour") },
  M: { re: "(\\d{1,2})", set: num("minute") },
  S: { re: "(\\d{1,2})", set: num("second") },
  L: {
    re: "(\\d{3})",
    set: (p, v) => {
      p.ms = +v;
      return true;
    }
  },
  f: {
    re: "(\\d{1,9})",
    set: (p, v) => {
      p.ms = fractionMs(v);
      return true;
    }
  },
  b: { re: "([A-Za-z]{3})", set: setMonth },
  h: { re: "([A-Za-z]{3})", set: setMonth },
  B: { re: "([A-Za-z]{3,9})", set: setMonth },
  a: { re: "[A-Za-z]{3}" },
  A: { re: "[A-Za-z]{3,9}" },
  p: {
    re: "([AaPp]\\.?[Mm]\\.?)",
    set: (p, v) => {
      p.pm = v[0] === "p" || v[0] === "P" ? 1 : 0;
      return true;
    }
  },
  z: {
    re: "(Z|z|[+-]\\d{2}(?::?\\d{2})?)",
    set: (p, v) => {
      p.offsetMs = parseOffset(v);
      return !Number.isNaN(p.offsetMs);
    }
  },
  Z: {
    re: "([A-Za-z]{1,5})",
    set: (p, v) => {
      if (!/^(utc|gmt|ut|z)$/i.test(v)) return false;
      p.offsetMs = 0;
      return true;
    }
  },
  s: {
    re: "(-?\\d{1,12}(?:\\.\\d+)?)",
    set: (p, v) => {
      p.epochMs = decimalScaled(v, 3);
      return !Number.isNaN(p.epochMs);
    }
  },
  n: { re: "\\s+" },
  t: { re: "\\s+" },
  "%": { re: "%" }
};
var STRPTIME_EXPANSIONS = { T: "%H:%M:%S", F: "%Y-%m-%d", D: "%m/%d/%y", R: "%H:%M", r: "%I:%M:%S %p" };
function setMonth(p, v) {
  const m = MONTH_BY_NAME.get(v.toLowerCase());
  if (m === void 0) return false;
  p.month = m;
  return true;
}
function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
function strptimeParser(format, resolve) {
  let expanded = format;
  for (let guard = 0; guard < 4 && /%[TFDRr]/.test(expanded); guard++) expanded = expanded.replace(/%([TFDRr])/g, (_, c) => STRPTIME_EXPANSIONS[c]);
  let re = "^";
  const setters = [];
  const seen = /* @__PURE__ */ new Set();
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i];
    if (ch === "%") {
      const d = expanded[i + 1];
      const dir = d === void 0 ? void 0 : DIRECTIVES[d];
      if (!dir) throw new Error(`time format ${JSON.stringify(format)}: unsupported directive %${d ?? ""}`);
      re += dir.re;
      if (dir.set) setters.push(dir.set);
      seen.add(d);
      i++;
    } else if (ch === " ") {
      re += " +";
    } else {
      re += escapeRe(ch);
    }
  }
  re += "$";
  if (!seen.has("s") && !seen.has("Y") && !seen.has("y")) {
    throw new Error(`time format ${JSON.stringify(format)} has no year (%Y or %y) nor %s`);
  }
  if ((seen.has("I") || seen.has("l")) !== seen.has("p")) {
    throw new Error(`time format ${JSON.stringify(format)}: %I/%l and %p go together`);
  }
  const regex = new RegExp(re);
  return (value) => {
    const m = regex.exec(typeof value === "number" ? String(value) : value);
    if (!m) return NaN;
    const p = { year: 1970, month: 1, day: 1, yday: 0, hour: 0, minute: 0, second: 0, ms: 0, pm: -1, offsetMs: NaN, epochMs: NaN };
    for (let g = 0; g < setters.length; g++) if (!setters[g](p, m[g + 1])) return NaN;
    return toEpoch(p, resolve);
  };
}

// lambda/core/time/time-local.ts
var TIME_LOCAL_FORMAT = "%d/%b/%Y:%H:%M:%S %z";
function timeLocalFast(s) {
  if (s.length !== 26 || s.charCodeAt(2) !== 47 || s.charCodeAt(6) !== 47 || s.charCodeAt(11) !== 58) return NaN;
  if (s.charCodeAt(14) !== 58 || s.charCodeAt(17) !== 58 || s.charCodeAt(20) !== 32) return NaN;
  const d0 = s.charCodeAt(0) - 48, d1 = s.charCodeAt(1) - 48;
  const y0 = s.charCodeAt(7) - 48, y1 = s.charCodeAt(8) - 48, y2 = s.charCodeAt(9) - 48, y3 = s.charCodeAt(10) - 48;
  const h0 = s.charCodeAt(12) - 48, h1 = s.charCodeAt(13) - 48;
  const m0 = s.charCodeAt(15) - 48, m1 = s.charCodeAt(16) - 48;
  const s0 = s.charCodeAt(18) - 48, s1 = s.charCodeAt(19) - 48;
  const z0 = s.charCodeAt(22) - 48, z1 = s.charCodeAt(23) - 48, z22 = s.charCodeAt(24) - 48, z32 = s.charCodeAt(25) - 48;
  if (d0 >>> 0 > 9 || d1 >>> 0 > 9 || y0 >>> 0 > 9 || y1 >>> 0 > 9 || y2 >>> 0 > 9 || y3 >>> 0 > 9) return NaN;
  if (h0 >>> 0 > 9 || h1 >>> 0 > 9 || m0 >>> 0 > 9 || m1 >>> 0 > 9 || s0 >>> 0 > 9 || s1 >>> 0 > 9) return NaN;
  if (z0 >>> 0 > 9 || z1 >>> 0 > 9 || z22 >>> 0 > 9 || z32 >>> 0 > 9) return NaN;
  const month = MONTH_BY_CODE.get((s.charCodeAt(3) | 32) << 16 | (s.charCodeAt(4) | 32) << 8 | (s.charCodeAt(5) | 32));
  if (month === void 0) return NaN;
  const sign = s.charCodeAt(21);
  if (sign !== 43 && sign !== 45) return NaN;
  const year = y0 * 1e3 + y1 * 100 + y2 * 10 + y3;
  const day = d0 * 10 + d1;
  const hour = h0 * 10 + h1;
  const minute = m0 * 10 + m1;
  const second = s0 * 10 + s1;
  const oh = z0 * 10 + z1;
  const om = z22 * 10 + z32;
  if (oh > 23 || om > 59) return NaN;
  const wall = wallMs(year, month, day, hour, minute, second, 0);
  return Number.isNaN(wall) ? NaN : inRange(wall - (sign === 45 ? -1 : 1) * (oh * HOUR + om * MINUTE));
}

// lambda/core/time/zones.ts
var UTC_ZONES = /* @__PURE__ */ new Set(["utc", "etc/utc", "etc/uct", "uct", "gmt", "etc/gmt", "etc/gmt0", "etc/gmt+0", "etc/gmt-0", "etc/universal", "universal", "etc/zulu", "zulu", "greenwich", "etc/greenwich", "gmt0", "gmt+0", "gmt-0"]);
var resolvers = /* @__PURE__ */ new Map();
function zoneResolver(timeZone) {
  let r = resolvers.get(timeZone);
  if (!r) {
    r = UTC_ZONES.has(timeZone.toLowerCase()) ? (wall) => wall : makeZoneResolver(timeZone);
    resolvers.set(timeZone, r);
  }
  return r;
}
function makeZoneResolver(timeZone) {
  const dtf = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
    era: "short"
  });
  const exactOffset = (utc) => {
    const secs = Math.floor(utc / 1e3) * 1e3;
    const v = {};
    for (const p of dtf.formatToParts(secs)) v[p.type] = p.value;
    let y = +v.year;
    if (/^b/i.test(v.era ?? "")) y = 1 - y;
    return daysFromCivil(y, +v.month, +v.day) * DAY + +v.hour * HOUR + +v.minute * MINUTE + +v.second * 1e3 - secs;
  };
  const hourCache = /* @__PURE__ */ new Map();
  const offsetAt = (utc) => {
    const hb = Math.floor(utc / HOUR);
    let off = hourCache.get(hb);
    if (off === void 0) {
      const a = exactOffset(hb * HOUR);
      const b = exactOffset(hb * HOUR + HOUR - 1);
      off = a === b ? a : NaN;
      if (hourCache.size > 1e5) hourCache.clear();
      hourCache.set(hb, off);
    }
    return Number.isNaN(off) ? exactOffset(utc) : off;
  };
  const resolveSlow = (wall) => {
    const before = offsetAt(wall - DAY);
    const after = offsetAt(wall + DAY);
    let best = NaN;
    for (const off of before === after ? [before] : [before, after]) {
      const t = wall - off;
      if (offsetAt(t) === off && !(t >= best)) best = t;
    }
    return Number.isNaN(best) ? wall - before : best;
  };
  const wallCache = /* @__PURE__ */ new Map();
  let lastHb = NaN;
  let lastOff = NaN;
  return (wall) => {
    const hb = Math.floor(wall / HOUR);
    if (hb === lastHb) return wall - lastOff;
    let off = wallCache.get(hb);
    if (off === void 0) {
      const a = offsetAt(hb * HOUR - DAY);
      const b = offsetAt(hb * HOUR + HOUR + DAY);
      off = a === b && offsetAt(hb * HOUR - a) === a ? a : NaN;
      if (wallCache.size > 1e5) wallCache.clear();
      wallCache.set(hb, off);
    }
    if (Number.isNaN(off)) return resolveSlow(wall);
    lastHb = hb;
    lastOff = off;
    return wall - off;
  };
}

// lambda/core/time/compile.ts
function compileTimeParser(format, timeZone = "UTC") {
  const resolve = zoneResolver(timeZone);
  switch (format) {
    case "iso8601":
      return isoParser(resolve);
    case "epoch_s":
      return epochParser("s");
    case "epoch_ms":
      return epochParser("ms");
    case "epoch_us":
      return epochParser("us");
  }
  const generic = strptimeParser(format, resolve);
  if (format === TIME_LOCAL_FORMAT) {
    return (value) => {
      if (typeof value !== "string") return NaN;
      const ms = timeLocalFast(value);
      return Number.isNaN(ms) ? generic(value) : ms;
    };
  }
  return generic;
}

// lambda/core/time/iso-timestamp.ts
var PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
var PAD3 = Array.from({ length: 1e3 }, (_, i) => String(i).padStart(3, "0"));
var isoDay = NaN;
var isoDayPrefix = "";
function toIsoTimestamp(ms) {
  const day = Math.floor(ms / DAY);
  if (day !== isoDay) {
    const iso = new Date(day * DAY).toISOString();
    if (iso.length !== 24) return new Date(ms).toISOString();
    isoDay = day;
    isoDayPrefix = iso.slice(0, 11);
  }
  let rem = ms - day * DAY;
  const h = Math.floor(rem / HOUR);
  rem -= h * HOUR;
  const m = Math.floor(rem / MINUTE);
  rem -= m * MINUTE;
  const s = Math.floor(rem / 1e3);
  return `${isoDayPrefix}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[rem - s * 1e3]}Z`;
}
var wDay = NaN;
var wDayPrefix = new Uint8Array(11);
function writeIsoTimestamp(ms, B, o) {
  const day = Math.floor(ms / DAY);
  if (day !== wDay) {
    const iso = new Date(day * DAY).toISOString();
    if (iso.length !== 24) {
      const s2 = new Date(ms).toISOString();
      for (let i = 0; i < s2.length; i++) B[o + i] = s2.charCodeAt(i);
      return o + s2.length;
    }
    wDay = day;
    for (let i = 0; i < 11; i++) wDayPrefix[i] = iso.charCodeAt(i);
  }
  for (let i = 0; i < 11; i++) B[o + i] = wDayPrefix[i];
  let rem = ms - day * DAY;
  const h = Math.floor(rem / HOUR);
  rem -= h * HOUR;
  const m = Math.floor(rem / MINUTE);
  rem -= m * MINUTE;
  const s = Math.floor(rem / 1e3);
  const f = rem - s * 1e3;
  B[o + 11] = 48 + (h / 10 | 0);
  B[o + 12] = 48 + h % 10;
  B[o + 13] = 58;
  B[o + 14] = 48 + (m / 10 | 0);
  B[o + 15] = 48 + m % 10;
  B[o + 16] = 58;
  B[o + 17] = 48 + (s / 10 | 0);
  B[o + 18] = 48 + s % 10;
  B[o + 19] = 46;
  B[o + 20] = 48 + (f / 100 | 0);
  B[o + 21] = 48 + (f / 10 | 0) % 10;
  B[o + 22] = 48 + f % 10;
  B[o + 23] = 90;
  return o + 24;
}

// lambda/core/time/timestamper.ts
function createTimestamper(format, timeZone = "UTC") {
  const parse = compileTimeParser(format, timeZone);
  const timeLocal = format === TIME_LOCAL_FORMAT;
  let lastIn;
  let lastOut;
  let lastMs = NaN;
  let minuteKey = "";
  let zoneKey = "";
  let minutePrefix = "";
  return (value) => {
    if (value === lastIn) return lastOut;
    if (timeLocal && minuteKey !== "" && typeof value === "string" && value.length === 26 && value.charCodeAt(17) === 58) {
      const s1 = value.charCodeAt(18) - 48;
      const s2 = value.charCodeAt(19) - 48;
      if (s1 >>> 0 <= 5 && s2 >>> 0 <= 9 && value.startsWith(minuteKey) && value.endsWith(zoneKey)) {
        lastIn = value;
        lastMs = NaN;
        lastOut = minutePrefix + SECONDS[s1 * 10 + s2];
        return lastOut;
      }
    }
    const ms = parse(value);
    lastIn = value;
    if (ms === lastMs) return lastOut;
    lastMs = ms;
    lastOut = Number.isNaN(ms) ? void 0 : toIsoTimestamp(ms);
    if (timeLocal && lastOut !== void 0 && typeof value === "string" && value.length === 26 && sameSeconds(value, lastOut)) {
      minuteKey = value.slice(0, 17);
      zoneKey = value.slice(20);
      minutePrefix = lastOut.slice(0, 17);
    }
    return lastOut;
  };
}
var SECONDS = Array.from({ length: 60 }, (_, s) => `${PAD2[s]}.000Z`);
function sameSeconds(value, iso) {
  return iso.length === 24 && value.charCodeAt(17) === 58 && value.charCodeAt(18) <= 53 && iso.charCodeAt(16) === 58 && iso.endsWith(value.slice(18, 20) + ".000Z");
}
function createTimestampWriter(format, timeZone = "UTC") {
  const parse = compileTimeParser(format, timeZone);
  let lastIn;
  let lastLen = -1;
  const last = new Uint8Array(64);
  return (value, B, o) => {
    if (value !== lastIn) {
      const ms = parse(value);
      lastIn = value;
      lastLen = Number.isNaN(ms) ? -1 : writeIsoTimestamp(ms, last, 0);
    }
    if (lastLen < 0) return -1;
    for (let i = 0; i < lastLen; i++) B[o + i] = last[i];
    return o + lastLen;
  };
}
function createTimestampRangeWriter(format, timeZone = "UTC") {
  const write = createTimestampWriter(format, timeZone);
  const timeLocal = format === TIME_LOCAL_FORMAT;
  let lastIn = new Uint8Array(64);
  let lastInLen = -1;
  let lastEnd = -1;
  const last = new Uint8Array(64);
  const lastView = new DataView(last.buffer);
  let minute = false;
  let k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, z0 = 0, z1 = 0;
  let p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0;
  return (B, DV, X, a, b, o) => {
    const n = b - a;
    const at = X + a;
    if (minute && n === 26) {
      const s1 = B[at + 18] - 48;
      const s2 = B[at + 19] - 48;
      if (s1 >>> 0 <= 5 && s2 >>> 0 <= 9 && DV.getInt32(at, true) === k0 && DV.getInt32(at + 4, true) === k1 && DV.getInt32(at + 8, true) === k2 && DV.getInt32(at + 12, true) === k3 && DV.getInt32(at + 14, true) === k4 && DV.getInt32(at + 20, true) === z0 && DV.getUint16(at + 24, true) === z1) {
        DV.setInt32(o, p0, true);
        DV.setInt32(o + 4, p1, true);
        DV.setInt32(o + 8, p2, true);
        DV.setInt32(o + 12, p3, true);
        DV.setInt32(o + 16, p4 | s1 + 48 << 8 | s2 + 48 << 16 | 46 << 24, true);
        DV.setInt32(o + 20, 1513107504, true);
        return o + 24;
      }
    }
    let hit = n === lastInLen;
    for (let i = 0; hit && i < n; i++) hit = B[at + i] === lastIn[i];
    if (!hit) {
      if (n > lastIn.length) lastIn = new Uint8Array(n);
      for (let i = 0; i < n; i++) lastIn[i] = B[at + i];
      lastInLen = n;
      lastEnd = write(B.toString("latin1", at, at + n), last, 0);
      const c1 = lastIn[18];
      const c2 = lastIn[19];
      minute = timeLocal && n === 26 && lastEnd === 24 && lastIn[17] === 58 && c1 >= 48 && c1 <= 53 && c2 >= 48 && c2 <= 57 && last[16] === 58 && last[17] === c1 && last[18] === c2 && last[19] === 46 && last[20] === 48 && last[21] === 48 && last[22] === 48;
      if (minute) {
        k0 = DV.getInt32(at, true);
        k1 = DV.getInt32(at + 4, true);
        k2 = DV.getInt32(at + 8, true);
        k3 = DV.getInt32(at + 12, true);
        k4 = DV.getInt32(at + 14, true);
        z0 = DV.getInt32(at + 20, true);
        z1 = DV.getUint16(at + 24, true);
        p0 = lastView.getInt32(0, true);
        p1 = lastView.getInt32(4, true);
        p2 = lastView.getInt32(8, true);
        p3 = lastView.getInt32(12, true);
        p4 = last[16];
      }
    }
    if (lastEnd < 0) return -1;
    for (let i = 0; i < lastEnd; i++) B[o + i] = last[i];
    return o + lastEnd;
  };
}

// lambda/core/fields.ts
var TIMESTAMP_FIELD = "@timestamp";
var NGINX_FIELD_TYPES = Object.freeze({
  remote_addr: "ip",
  realip_remote_addr: "ip",
  server_addr: "ip",
  remote_port: "integer",
  realip_remote_port: "integer",
  server_port: "integer",
  remote_user: "keyword",
  time_local: "keyword",
  time_iso8601: "keyword",
  msec: "double",
  request: "keyword",
  request_method: "keyword",
  request_uri: "keyword",
  request_protocol: "keyword",
  server_protocol: "keyword",
  uri: "keyword",
  document_uri: "keyword",
  args: "keyword",
  query_string: "keyword",
  scheme: "keyword",
  https: "keyword",
  host: "keyword",
  hostname: "keyword",
  server_name: "keyword",
  status: "integer",
  body_bytes_sent: "long",
  bytes_sent: "long",
  bytes_received: "long",
  request_length: "long",
  content_length: "long",
  request_time: "float",
  connection: "long",
  connection_requests: "integer",
  pid: "integer",
  pipe: "keyword",
  gzip_ratio: "float",
  http_referer: "keyword",
  http_user_agent: "text",
  http_x_forwarded_for: "keyword",
  sent_http_content_length: "long",
  upstream_addr: "keyword",
  upstream_status: "integer",
  upstream_response_time: "float",
  upstream_connect_time: "float",
  upstream_header_time: "float",
  upstream_queue_time: "float",
  upstream_response_length: "long",
  upstream_bytes_received: "long",
  upstream_bytes_sent: "long",
  upstream_cache_status: "keyword",
  ssl_protocol: "keyword",
  ssl_cipher: "keyword",
  request_id: "keyword"
});
var APACHE_FIELD_TYPES = Object.freeze({
  remote_addr: "ip",
  client_ip: "ip",
  peer_ip: "ip",
  server_ip: "ip",
  remote_ident: "keyword",
  remote_user: "keyword",
  time_local: "keyword",
  request: "keyword",
  request_method: "keyword",
  request_uri: "keyword",
  request_protocol: "keyword",
  request_path: "keyword",
  query_string: "keyword",
  status: "integer",
  original_status: "integer",
  response_size_bytes: "long",
  bytes_received: "long",
  bytes_sent: "long",
  bytes_transferred: "long",
  request_time_us: "long",
  request_time_ms: "long",
  request_time_s: "long",
  server_name: "keyword",
  host: "keyword",
  server_port: "integer",
  local_port: "integer",
  remote_port: "integer",
  process_id: "integer",
  thread_id: "long",
  filename: "keyword",
  connection_status: "keyword",
  keepalive_requests: "integer",
  log_id: "keyword",
  handler: "keyword",
  http_referer: "keyword",
  http_user_agent: "text",
  http_x_forwarded_for: "keyword",
  sent_http_content_length: "long"
});
function nginxFieldType(name) {
  return NGINX_FIELD_TYPES[name] ?? "keyword";
}
function apacheFieldType(name) {
  return APACHE_FIELD_TYPES[name] ?? "keyword";
}
function resolveFieldTypes(produced, defaultType, overrides = {}) {
  const types = { [TIMESTAMP_FIELD]: "date" };
  for (const name of produced) types[name] = defaultType(name);
  for (const [name, type] of Object.entries(overrides)) types[name] = type;
  types[TIMESTAMP_FIELD] = "date";
  return types;
}
var INVALID = /* @__PURE__ */ Symbol("invalid");
var INT32_MIN = -2147483648;
var INT32_MAX = 2147483647;
function parseInteger(s) {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 1 && (s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43)) {
    neg = s.charCodeAt(0) === 45;
    i = 1;
  }
  if (n - i === 0 || n - i > 19) return INVALID;
  let v = 0;
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return INVALID;
    v = v * 10 + c;
  }
  if (n - i > 15) v = Number(s.slice(i));
  return neg ? -v : v;
}
var FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
function parseFloatStrict(s) {
  return FLOAT_RE.test(s) ? +s : INVALID;
}
var toInteger = (s) => {
  if (s === "-" || s === "") return null;
  const v = parseInteger(s);
  return v !== INVALID && (v < INT32_MIN || v > INT32_MAX) ? INVALID : v;
};
var toLong = (s) => {
  if (s === "-" || s === "") return null;
  const v = parseInteger(s);
  return v !== INVALID && !Number.isSafeInteger(v) ? INVALID : v;
};
var toFloat = (s) => s === "-" || s === "" ? null : parseFloatStrict(s);
var toBoolean = (s) => {
  switch (s.toLowerCase()) {
    case "true":
    case "1":
    case "yes":
    case "on":
      return true;
    case "false":
    case "0":
    case "no":
    case "off":
      return false;
    case "-":
    case "":
      return null;
    default:
      return INVALID;
  }
};
var toIp = (s) => {
  if (s === "-" || s === "" || s === "unix:") return null;
  return isIPv4At(s, 0, s.length) || isIP(s) !== 0 ? s : INVALID;
};
var identity = (s) => s;
var toObject = (s) => s === "-" || s === "" ? null : INVALID;
function isIPv4At(s, a, b) {
  const n = b - a;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let octet = 0;
  let digits2 = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits2 === 0 || octet > 255 || digits2 > 1 && s.charCodeAt(i - digits2) === 48) return false;
      dots++;
      octet = 0;
      digits2 = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits2++;
    } else return false;
  }
  return dots === 3 && digits2 > 0 && octet <= 255 && !(digits2 > 1 && s.charCodeAt(b - digits2) === 48);
}
function isIPv4Bytes(B, a, b) {
  const n = b - a;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let octet = 0;
  let digits2 = 0;
  for (let i = a; i < b; i++) {
    const c = B[i];
    if (c === 46) {
      if (digits2 === 0 || octet > 255 || digits2 > 1 && B[i - digits2] === 48) return false;
      dots++;
      octet = 0;
      digits2 = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits2++;
    } else return false;
  }
  return dots === 3 && digits2 > 0 && octet <= 255 && !(digits2 > 1 && B[b - digits2] === 48);
}
function converterFor(type, timeZone = "UTC") {
  switch (type) {
    case "keyword":
    case "text":
      return identity;
    case "integer":
      return toInteger;
    case "long":
      return toLong;
    case "float":
    case "double":
      return toFloat;
    case "boolean":
      return toBoolean;
    case "ip":
      return toIp;
    case "object":
      return toObject;
    case "date": {
      const iso = compileTimeParser("iso8601", timeZone);
      return (s) => {
        if (s === "-" || s === "") return null;
        const ms = iso(s);
        return Number.isNaN(ms) ? INVALID : toIsoTimestamp(ms);
      };
    }
  }
}
var TYPE_NOUN = {
  keyword: "a string",
  text: "a string",
  integer: "an integer",
  long: "an integer",
  float: "a number",
  double: "a number",
  boolean: "a boolean",
  ip: "an IP address",
  date: "an ISO-8601 date",
  object: "an object"
};
function invalidReason(name, type, raw) {
  const shown = typeof raw === "string" ? raw : JSON.stringify(raw);
  const clipped = shown.length > 200 ? `${shown.slice(0, 200)}\u2026` : shown;
  const whole = typeof raw === "string" ? parseInteger(raw) !== INVALID : typeof raw === "number" && Number.isInteger(raw);
  const range = !whole ? "" : type === "integer" ? " in 32-bit range" : type === "long" ? " within \xB1(2^53 - 1), exact as a JSON number (type the field keyword to keep every digit)" : "";
  return `${name} ${JSON.stringify(clipped)} is not ${TYPE_NOUN[type]}${range}`;
}
function coerceJsonValue(type, value, convert) {
  if (value === null || value === void 0) return value;
  if (typeof value === "string") return convert(value);
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = coerceJsonValue(type, value[i], convert);
      if (v === INVALID) return INVALID;
      out[i] = v;
    }
    return out;
  }
  switch (type) {
    case "keyword":
    case "text":
      return typeof value === "object" ? INVALID : String(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? value : INVALID;
    case "long":
      return typeof value === "number" && Number.isSafeInteger(value) ? value : INVALID;
    case "float":
    case "double":
      return typeof value === "number" ? value : INVALID;
    case "boolean":
      return typeof value === "boolean" ? value : INVALID;
    case "object":
      return typeof value === "object" ? value : INVALID;
    case "ip":
      return INVALID;
    case "date":
      return typeof value === "number" ? convertEpochMillis(value) : INVALID;
  }
}
function convertEpochMillis(ms) {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? INVALID : d.toISOString();
}

// lambda/core/java-time.ts
var SPECIAL_TIME_FORMATS = /* @__PURE__ */ new Set(["iso8601", "epoch_s", "epoch_ms", "epoch_us"]);
var NAMED_JAVA_PATTERNS = {
  ISO8601: "yyyy-MM-dd HH:mm:ss,SSS",
  ABSOLUTE: "HH:mm:ss,SSS",
  DATE: "dd MMM yyyy HH:mm:ss,SSS",
  COMPACT: "yyyyMMddHHmmssSSS"
};
function compileJavaTime(pattern) {
  const java = NAMED_JAVA_PATTERNS[pattern] ?? pattern;
  let strptime = "";
  let regex = "";
  const literal = (s) => {
    strptime += s.replace(/%/g, "%%");
    regex += s === " " ? " +" : escapeRe(s);
  };
  for (let i = 0; i < java.length; ) {
    const ch = java[i];
    if (ch === "'") {
      const end = java.indexOf("'", i + 1);
      if (end === -1) throw new Error(`time pattern ${JSON.stringify(pattern)}: unterminated quote`);
      literal(end === i + 1 ? "'" : java.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(ch)) {
      literal(ch);
      i++;
      continue;
    }
    let n = 1;
    while (java[i + n] === ch) n++;
    i += n;
    switch (ch) {
      case "y":
      case "u":
        if (n === 2) strptime += "%y", regex += "\\d{2}";
        else strptime += "%Y", regex += "\\d{4}";
        break;
      case "M":
      case "L":
        if (n >= 4) strptime += "%B", regex += "[A-Za-z]{3,9}";
        else if (n === 3) strptime += "%b", regex += "[A-Za-z]{3}";
        else strptime += "%m", regex += n === 2 ? "\\d{2}" : "\\d{1,2}";
        break;
      case "d":
        strptime += "%d", regex += n === 2 ? "\\d{2}" : "\\d{1,2}";
        break;
      case "D":
        strptime += "%j", regex += "\\d{1,3}";
        break;
      case "H":
        strptime += "%H", regex += n === 2 ? "\\d{2}" : "\\d{1,2}";
        break;
      case "h":
        strptime += "%I", regex += n === 2 ? "\\d{2}" : "\\d{1,2}";
        break;
      case "m":
        strptime += "%M", regex += n === 2 ? "\\d{2}" : "\\d{1,2}";
        break;
      case "s":
        strptime += "%S", regex += n === 2 ? "\\d{2}" : "\\d{1,2}";
        break;
      case "S":
        if (n === 3) strptime += "%L", regex += "\\d{3}";
        else strptime += "%f", regex += `\\d{${n}}`;
        break;
      case "a":
        strptime += "%p", regex += "[AaPp][Mm]";
        break;
      case "E":
        if (n >= 4) strptime += "%A", regex += "[A-Za-z]{3,9}";
        else strptime += "%a", regex += "[A-Za-z]{3}";
        break;
      case "Z":
      case "X":
      case "x":
        strptime += "%z", regex += "(?:Z|[+-]\\d{2}(?::?\\d{2})?)";
        break;
      case "z":
        strptime += "%Z", regex += "[A-Za-z]{1,5}";
        break;
      default:
        throw new Error(`time pattern ${JSON.stringify(pattern)}: unsupported pattern letter ${ch}`);
    }
  }
  return { strptime, regex };
}
function javaTimeToStrptime(pattern) {
  return compileJavaTime(pattern).strptime;
}
function toStrptimeFormat(format) {
  if (SPECIAL_TIME_FORMATS.has(format) || format.includes("%")) return format;
  return javaTimeToStrptime(format);
}

// lambda/core/formats/template/runtime.ts
import { isUtf8 as isUtf82 } from "node:buffer";
var JSON_NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
var LINE_DIRTY = /[\\\u0000-\u001f\ud800-\udfff]/;
var views = /* @__PURE__ */ new WeakMap();
function plainQuotes(B, a, b) {
  let dv = views.get(B.buffer);
  if (dv === void 0) {
    dv = new DataView(B.buffer);
    views.set(B.buffer, dv);
  }
  const base = B.byteOffset;
  let quotes = 0;
  let i = a;
  for (; i + 4 <= b; i += 4) {
    const w = dv.getUint32(base + i, true);
    const bs = w ^ 1549556828;
    const qt = w ^ 572662306;
    if ((w - 538976288 & ~w | w | bs - 16843009 & ~bs | qt - 16843009 & ~qt) & 2155905152) {
      for (let k = i; k < i + 4; k++) {
        const c = B[k];
        if (c < 32 || c > 127 || c === 92) return -1;
        if (c === 34) quotes++;
      }
    }
  }
  for (; i < b; i++) {
    const c = B[i];
    if (c < 32 || c > 127 || c === 92) return -1;
    if (c === 34) quotes++;
  }
  return quotes;
}
function isIPv4Staged(B, X, a, b) {
  return isIPv4Bytes(B, X + a, X + b);
}
function isPlainDigitsBytes(B, X, a, b, int32) {
  const n = b - a;
  if (n < 1 || n > 15 || n > 1 && B[X + a] === 48) return false;
  let v = 0;
  for (let i = X + a; i < X + b; i++) {
    const c = B[i] - 48;
    if (c < 0 || c > 9) return false;
    v = v * 10 + c;
  }
  return !int32 || v <= 2147483647;
}
function isMethodBytes(B, X, a, end) {
  if (end - a > 32) return false;
  for (let i = X + a; i < X + end; i++) {
    const c = B[i];
    if (!(c >= 65 && c <= 90 || c === 45 || c === 95)) return false;
  }
  return true;
}
function copyDigits(B, X, a, b, o) {
  for (let i = X + a; i < X + b; i++) B[o++] = B[i];
  return o;
}
function findByte(B, DV, from, last, c, pattern) {
  let p = from;
  for (; p + 3 <= last; p += 4) {
    const w = DV.getInt32(p, true) ^ pattern;
    if ((w - 16843009 & ~w & 2155905152) !== 0) break;
  }
  for (; p <= last; p++) if (B[p] === c) return p;
  return -1;
}
function sliceLatin1(B, X, a, b) {
  return B.toString("latin1", X + a, X + b);
}
function copyRaw(line, a, b, B, o) {
  for (let i = a; i < b; i++) B[o++] = line.charCodeAt(i);
  return o;
}
function writeAscii(s, B, o) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return -1;
    B[o++] = c;
  }
  return o;
}
function isPlainDigitsAt(line, a, b, int32) {
  const n = b - a;
  if (n < 1 || n > 15 || n > 1 && line.charCodeAt(a) === 48) return false;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    v = v * 10 + c;
  }
  return !int32 || v <= 2147483647;
}
function isMethodAt(line, a, end) {
  if (end - a > 32) return false;
  for (let i = a; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!(c >= 65 && c <= 90 || c === 45 || c === 95)) return false;
  }
  return true;
}
function isListSeparator(line, idx) {
  const prev = line.charCodeAt(idx - 1);
  return prev === 44 || prev === 58 && line.charCodeAt(idx - 2) === 32 || line.charCodeAt(idx + 1) === 58 && line.charCodeAt(idx + 2) === 32;
}
function isEscaped(line, idx, from) {
  let k = idx - 1;
  while (k >= from && line.charCodeAt(k) === 92) k--;
  return (idx - 1 - k) % 2 === 1;
}
function isMethod(s, end) {
  if (end > 32) return false;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 65 && c <= 90 || c === 45 || c === 95)) return false;
  }
  return true;
}
var MULTI_SPLIT = /\s*[,:]\s*/;
function reduceMulti(raw, mode, convert) {
  if (raw.indexOf(",") === -1 && raw.indexOf(":") === -1) return convert(raw);
  let acc = null;
  for (const part of raw.split(MULTI_SPLIT)) {
    const v = convert(part);
    if (v === INVALID || typeof v === "string" || typeof v === "boolean") return INVALID;
    if (v === null) continue;
    acc = mode === "last" || acc === null ? v : acc + v;
  }
  return acc !== null && mode === "sum" && !Number.isInteger(acc) ? Math.round(acc * 1e6) / 1e6 : acc;
}
var CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
var C_ESCAPES = { n: "\n", r: "\r", t: "	", b: "\b", v: "\v", f: "\f", '"': '"', "\\": "\\" };
function unescapeLogValue(s) {
  let out = "";
  let i = 0;
  let from = 0;
  const n = s.length;
  while (i < n) {
    const bs = s.indexOf("\\", i);
    if (bs === -1 || bs === n - 1) break;
    const c = s[bs + 1];
    if (c === "x" && isHex(s, bs + 2) && isHex(s, bs + 3)) {
      let j = bs;
      const bytes = [];
      while (j + 3 < n && s.charCodeAt(j) === 92 && s[j + 1] === "x" && isHex(s, j + 2) && isHex(s, j + 3)) {
        bytes.push(parseInt(s.slice(j + 2, j + 4), 16));
        j += 4;
      }
      const buf = Buffer.from(bytes);
      const text = isUtf82(buf) ? buf.toString("utf8") : "";
      out += s.slice(from, bs) + (text && !CONTROL.test(text) ? text : s.slice(bs, j));
      i = from = j;
    } else if (C_ESCAPES[c] !== void 0) {
      out += s.slice(from, bs) + C_ESCAPES[c];
      i = from = bs + 2;
    } else {
      i = bs + 2;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}
function isHex(s, i) {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57 || c >= 65 && c <= 70 || c >= 97 && c <= 102;
}

// lambda/core/formats/template/scan.ts
function scanCode(tpl, types, forWriter, range = false) {
  const n = tpl.fields.length;
  const miss = (i, at) => forWriter ? "return -1" : `return MISMATCH(${i}, ${at})`;
  let c = range ? "const len = E;\nlet pos = S0 + K[0].length, end = 0;\n" : "const len = line.length;\nlet pos = K[0].length, end = 0;\n";
  if (tpl.prefix) c += range ? `if (!(S0 + ${tpl.prefix.length} <= len${bytesAt(tpl.prefix, "S0")})) return -1;
` : `if (!line.startsWith(K[0])) ${miss(-1, "0")};
`;
  tpl.fields.forEach((_, i) => {
    const lit = tpl.literals[i];
    const before = i === 0 ? tpl.prefix : tpl.literals[i - 1];
    if (i === n - 1) {
      c += `end = len - ${lit.length};
`;
      c += `if (end < pos${lit ? range ? ` || !(true${bytesAt(lit, "end")})` : ` || !line.endsWith(K[${i + 1}])` : ""}) ${miss(i, "pos")};
`;
    } else if (lit.startsWith(":")) {
      c += `{
  let from = pos;
  if (line.charCodeAt(pos) === 91) { const rb = line.indexOf(']', pos); if (rb !== -1) from = rb; }
`;
      c += `  end = line.indexOf(K[${i + 1}], from);
`;
      if (types[tpl.fields[i].name] === "ip") {
        const stop = i + 1 === n - 1 ? `len - ${tpl.literals[i + 1].length}` : `line.indexOf(K[${i + 2}], end + ${lit.length})`;
        c += `  if (from === pos && end !== -1) {
    const stop = ${stop};
`;
        c += `    for (let nx = line.indexOf(K[${i + 1}], end + 1); nx !== -1 && nx < stop; nx = line.indexOf(K[${i + 1}], nx + 1)) end = nx;
  }
`;
      }
      c += `}
if (end === -1) ${miss(i, "pos")};
`;
    } else {
      if (range) {
        const lb = Array.from(Buffer.from(lit, "latin1"));
        const rest = lb.slice(1).map((b, k) => ` && B[X + end + ${k + 1}] === ${b}`).join("");
        c += `end = pos;
for (const lim = len - ${lb.length}; ; end++) {
`;
        c += `  end = FIND(B, DV, X + end, X + lim, ${lb[0]}, ${lb[0] * 16843009});
  if (end < 0) break;
  end -= X;
`;
        c += `  if (true${rest}) break;
${lb[0] === 34 ? "  end = -1;\n  break;\n" : ""}}
`;
      } else c += `end = line.indexOf(K[${i + 1}], pos);
`;
      if (before.endsWith('"') && lit.startsWith('"')) {
        if (!forWriter) c += `while (end !== -1 && ESCAPED(line, end, pos)) end = line.indexOf(K[${i + 1}], end + 1);
`;
      } else if (tpl.fields[i].list && lit.startsWith(" ")) {
        c += `while (end !== -1 && LIST_SEPARATOR(line, end)) end = line.indexOf(K[${i + 1}], end + 1);
`;
      }
      if (range) c += `if (end + ${lit.length} > len) end = -1;
`;
      c += `if (end === -1) ${miss(i, "pos")};
`;
    }
    c += forWriter ? `const a${i} = pos, b${i} = end;
` : `const r${i} = line.slice(pos, end);
`;
    if (i < n - 1) c += `pos = end + ${lit.length};
`;
  });
  return c;
}
function bytesAt(text, at) {
  return Array.from(Buffer.from(text, "latin1"), (b, k) => ` && B[X + ${at}${k ? ` + ${k}` : ""}] === ${b}`).join("");
}

// lambda/core/formats/template/codegen.ts
function generateCode(tpl, plan) {
  const { types, keepRawRequest, zone, timeIndex } = plan;
  const n = tpl.fields.length;
  const K = [tpl.prefix, ...tpl.literals];
  const C = [];
  const M = [];
  const q = (v) => JSON.stringify(v);
  let code = scanCode(tpl, types, false);
  const whead = "if (line.indexOf('\\\\') !== -1) return -1;\n" + scanCode(tpl, types, true) + "const X = o + FIXED + len;\n";
  let wcode = "";
  const wcheck = "if (B.utf8Write(line, X, 3 * len) !== len || PLAIN_QUOTES(B, X, X + len) !== QUOTES) return -1;\n";
  let wConstBytes = 0;
  const wConst = (text) => {
    const bytes = Buffer.from(text, "utf8");
    wConstBytes += bytes.length;
    if (bytes.length === 0) return "";
    return `${Array.from(bytes, (b, k) => `B[o${k ? ` + ${k}` : ""}] = ${b};`).join(" ")}
o += ${bytes.length};
`;
  };
  code += "const HAS_BS = line.indexOf('\\\\') !== -1;\n";
  const entries = /* @__PURE__ */ new Map();
  const put = (name, expr, kind, emit) => {
    entries.delete(name);
    entries.set(name, { expr, kind, emit: emit(`,${q(name)}:`) });
  };
  const wStr = (key, a, b) => `${wConst(`${key}"`)}B.copyWithin(o, X + ${a}, X + ${b});
o += ${b} - ${a};
${wConst('"')}`;
  const wNullableStr = (key, a, b) => `${wConst(key)}if (${a} < 0) {
${wConst("null")}} else {
${wStr("", a, b)}}
`;
  const wScalar = (key, a, b, w) => `${wConst(key)}if (${w} === null) o = RC(line, ${a}, ${b}, B, o);
else {
  o = WS(${w}, B, o);
  if (o < 0) return -1;
}
`;
  const wGeneric = (i, convert) => `let w${i} = null;
{
  const r = line.slice(a${i}, b${i});
  const v = ${convert};
  if (v === INVALID) return -1;
  w${i} = JSON.stringify(v);
}
`;
  tpl.fields.forEach((f, i) => {
    const r = `r${i}`;
    const copied = f.role === "request" || types[f.name] === "keyword" || types[f.name] === "text";
    if (copied && !(i < n - 1 && tpl.literals[i].startsWith('"'))) wcode += `/*QUOTE(a${i}, b${i})*/
`;
    if (f.role === "request") {
      code += `const q${i} = HAS_BS && ${r}.indexOf('\\\\') !== -1 ? UNESCAPE(${r}) : ${r};
`;
      code += `let m${i} = null, u${i} = null, p${i} = null;
`;
      code += `{
  const a = q${i}.indexOf(' ');
`;
      code += `  if (a > 0 && IS_METHOD(q${i}, a)) {
    const b = q${i}.lastIndexOf(' ');
`;
      code += `    if (b > a + 1 && q${i}.startsWith('HTTP/', b + 1)) { m${i} = q${i}.slice(0, a); u${i} = q${i}.slice(a + 1, b); p${i} = q${i}.slice(b + 1); }
`;
      code += `    else if (a === b && a < q${i}.length - 1) { m${i} = q${i}.slice(0, a); u${i} = q${i}.slice(a + 1); }
  }
}
`;
      wcode += `let ma${i} = -1, mb${i} = -1, ua${i} = -1, ub${i} = -1, pa${i} = -1, pb${i} = -1;
`;
      wcode += `{
  /*SPACE${i}*/
`;
      wcode += `  if (a > a${i} && a < b${i} && IS_METHOD_AT(line, a${i}, a)) {
    /*LASTSPACE${i}*/
`;
      wcode += `    if (b > a + 1 && b + 6 <= b${i} && line.startsWith('HTTP/', b + 1)) { ma${i} = a${i}; mb${i} = a; ua${i} = a + 1; ub${i} = b; pa${i} = b + 1; pb${i} = b${i}; }
`;
      wcode += `    else if (a === b && a < b${i} - 1) { ma${i} = a${i}; mb${i} = a; ua${i} = a + 1; ub${i} = b${i}; }
  }
}
`;
      put("request_method", `m${i}`, "nullable-string", (k) => wNullableStr(k, `ma${i}`, `mb${i}`));
      put("request_uri", `u${i}`, "nullable-string", (k) => wNullableStr(k, `ua${i}`, `ub${i}`));
      put("request_protocol", `p${i}`, "nullable-string", (k) => wNullableStr(k, `pa${i}`, `pb${i}`));
      if (keepRawRequest) put("request", `q${i}`, "string", (k) => wStr(k, `a${i}`, `b${i}`));
      else put("request", `(m${i} === null ? q${i} : undefined)`, "optional-string", (k) => `if (ma${i} < 0) {
${wStr(k, `a${i}`, `b${i}`)}}
`);
      return;
    }
    const type = types[f.name];
    if (type === "keyword" || type === "text") {
      code += `const v${i} = HAS_BS && ${r}.indexOf('\\\\') !== -1 ? UNESCAPE(${r}) : ${r};
`;
      put(f.name, `v${i}`, "string", (k) => wStr(k, `a${i}`, `b${i}`));
      return;
    }
    if ((f.role === "sum" || f.role === "last") && (type === "integer" || type === "long" || type === "float" || type === "double")) {
      const convert = converterFor(type, zone);
      const mode = f.role;
      M[i] = (raw) => reduceMulti(raw, mode, convert);
      code += `const v${i} = M[${i}](${r});
`;
      wcode += wGeneric(i, `M[${i}](r)`);
    } else {
      C[i] = converterFor(type, zone);
      code += f.role === "clf-bytes" ? `const v${i} = ${r} === '-' ? 0 : C[${i}](${r});
` : `const v${i} = C[${i}](${r});
`;
      if (type === "ip" && f.role === "value") {
        wcode += `let ia${i} = a${i};
`;
        wcode += `if (b${i} === a${i} || (b${i} === a${i} + 1 && line.charCodeAt(a${i}) === 45)) ia${i} = -1;
`;
        wcode += `else if (!IPV4_AT(line, a${i}, b${i})) {
  const v = C[${i}](line.slice(a${i}, b${i}));
  if (v === INVALID) return -1;
  if (v === null) ia${i} = -1;
}
`;
      } else if ((type === "integer" || type === "long") && f.role !== "clf-bytes") {
        wcode += `let w${i} = null;
if (!DIGITS_AT(line, a${i}, b${i}, ${type === "integer"})) {
`;
        wcode += `  const v = C[${i}](line.slice(a${i}, b${i}));
  if (v === INVALID) return -1;
  w${i} = JSON.stringify(v);
}
`;
      } else {
        wcode += wGeneric(i, f.role === "clf-bytes" ? `r === '-' ? 0 : C[${i}](r)` : `C[${i}](r)`);
      }
    }
    code += `if (v${i} === INVALID) return BAD(${q(f.name)}, ${r});
`;
    const kind = type === "ip" || type === "date" ? "nullable-string" : "scalar";
    let emit;
    if (type === "ip" && f.role === "value") emit = (k) => wNullableStr(k, `ia${i}`, `b${i}`);
    else if ((type === "integer" || type === "long") && f.role !== "clf-bytes") emit = (k) => wScalar(k, `a${i}`, `b${i}`, `w${i}`);
    else emit = (k) => `${wConst(k)}o = WS(w${i}, B, o);
if (o < 0) return -1;
`;
    put(f.name, `v${i}`, kind, emit);
  });
  code += `const ts = TIMESTAMP(r${timeIndex});
if (ts === undefined) return BAD_TIME(r${timeIndex});
`;
  code += `const doc = { "@timestamp": ts, ${[...entries].map(([name, e]) => `${q(name)}: ${e.expr}`).join(", ")} };
`;
  code += "LAST_DOC = doc;\nLAST_LINE = line;\nreturn { ok: true, doc };\n";
  const wfields = wcode;
  const split = (code2, range) => code2.replace(/\/\*SPACE(\d+)\*\//g, (_, i) => range ? `let a = a${i};
  while (a < b${i} && B[X + a] !== 32) a++;` : `const a = line.indexOf(' ', a${i});`).replace(/\/\*LASTSPACE(\d+)\*\//g, (_, i) => range ? `let b = b${i} - 1;
    while (b > a && B[X + b] !== 32) b--;` : `const b = line.lastIndexOf(' ', b${i} - 1);`);
  wcode = whead + wcheck + split(wfields, false);
  wcode += `${wConst('{"@timestamp":"')}o = TS_WRITE(line.slice(a${timeIndex}, b${timeIndex}), B, o);
if (o < 0) return -1;
${wConst('"')}`;
  for (const [, e] of entries) wcode += e.emit;
  wcode += `${wConst("}")}return o;
`;
  const writerFixed = wConstBytes + 64 * (entries.size + 2);
  const writable = !entries.has("@timestamp");
  let rangeable = writable && !tpl.fields.some((f) => f.list) && !tpl.literals.some((l) => l.startsWith(":")) && /^[\x20-\x7e]*$/.test(K.join(""));
  const onBytes = (code2) => code2.replace(/IPV4_AT\(line, /g, "IPV4_B(B, X, ").replace(/DIGITS_AT\(line, /g, "DIGITS_B(B, X, ").replace(/IS_METHOD_AT\(line, /g, "METHOD_B(B, X, ").replace(/RC\(line, ([^,]*), ([^,]*), B, o\)/g, "RC_B(B, X, $1, $2, o)").replace(/line\.slice\(/g, "SLICE(B, X, ").replace(/line\.charCodeAt\(([^()]*)\)/g, "B[X + $1]").replace(/line\.startsWith\('HTTP\/', b \+ 1\)/g, `(true${bytesAt("HTTP/", "b + 1")})`).replace(/((?:B\[o(?: \+ \d+)?\] = \d+; ?)+)\no \+= (\d+);/g, (_, stores, n2) => wordStores(stores, Number(n2))).replace(/\/\*QUOTE\(([^,]*), ([^)]*)\)\*\//g, (_, a, b) => `if (FIND(B, DV, X + ${a}, X + ${b} - 1, 34, ${34 * 16843009}) >= 0) return -1;`).replace(
    /B\.copyWithin\(o, X \+ ([^,]*), X \+ ([^)]*)\);\no \+= [^;]*;/g,
    (_, a, b) => `if (${b} - ${a} <= 16) for (let i = X + ${a}; i < X + ${b}; i++) B[o++] = B[i];
else {
  B.copyWithin(o, X + ${a}, X + ${b});
  o += ${b} - ${a};
}`
  );
  let rcode = scanCode(tpl, types, true, true) + onBytes(split(wfields, true));
  if (/\bline\b/.test(rcode)) rangeable = false;
  rcode += `${wConst('{"@timestamp":"')}o = TS_RANGE(B, DV, X, a${timeIndex}, b${timeIndex}, o);
if (o < 0) return -1;
${wConst('"')}`;
  for (const [, e] of entries) rcode += onBytes(e.emit);
  rcode += `${wConst("}")}return o;
`;
  return { parse: code, write: wcode, writeRange: rcode, entries, K, C, M, writerFixed, writable, rangeable };
}
function wordStores(stores, n) {
  const bytes = Array.from(stores.matchAll(/= (\d+);/g), (m) => Number(m[1]));
  let c = "";
  let k = 0;
  for (; k + 4 <= n; k += 4) c += `DV.setUint32(o${k ? ` + ${k}` : ""}, ${(bytes[k] | bytes[k + 1] << 8 | bytes[k + 2] << 16 | bytes[k + 3] << 24) >>> 0}, true); `;
  for (; k < n; k++) c += `B[o${k ? ` + ${k}` : ""}] = ${bytes[k]}; `;
  return `${c}
o += ${n};`;
}

// lambda/core/formats/template/serializer.ts
function serializerCode(entries) {
  const q = (v) => JSON.stringify(v);
  const segs = [{ c: '{"@timestamp":"' }, { e: 'd["@timestamp"]' }, { c: '"' }];
  const strs = [];
  let ser = "";
  [...entries].forEach(([name, e], j) => {
    const key = `,${q(name)}:`;
    ser += `const s${j} = d[${q(name)}];
`;
    switch (e.kind) {
      case "string":
        strs.push(`s${j}`);
        segs.push({ c: `${key}"` }, { e: `s${j}` }, { c: '"' });
        break;
      case "nullable-string":
        strs.push(`(s${j} === null ? '' : s${j})`);
        segs.push({ c: key }, { e: `(s${j} === null ? 'null' : '"' + s${j} + '"')` });
        break;
      case "optional-string":
        strs.push(`(s${j} === undefined ? '' : s${j})`);
        segs.push({ e: `(s${j} === undefined ? '' : ${q(`${key}"`)} + s${j} + '"')` });
        break;
      case "scalar":
        segs.push({ c: key }, { e: `s${j}` });
        break;
    }
  });
  segs.push({ c: "}" });
  const merged = [];
  let pending = "";
  for (const sg of segs) {
    if ("c" in sg) pending += sg.c;
    else {
      if (pending) merged.push(q(pending));
      pending = "";
      merged.push(sg.e);
    }
  }
  if (pending) merged.push(q(pending));
  ser += `if (d !== LAST_DOC || !isClean(LAST_LINE)) {
`;
  ser += `  if (typeof d["@timestamp"] !== 'string'${strs.length ? ` || NEEDS_ESCAPE.test(${strs.join(" + ")})` : ""}) return JSON.stringify(d);
}
`;
  ser += `return ${merged.join(" + ")};
`;
  return ser;
}

// lambda/core/formats/template/validate.ts
var REQUEST_PARTS = ["request_method", "request_uri", "request_protocol"];
function planTemplate(tpl, format) {
  const n = tpl.fields.length;
  if (n === 0) throw new Error(`${tpl.kind} format has no fields`);
  for (let i = 0; i < n - 1; i++) {
    if (tpl.literals[i] === "") {
      throw new Error(`${tpl.kind} format: ${tpl.fields[i].label} and ${tpl.fields[i + 1].label} are adjacent; nothing tells where one ends`);
    }
  }
  const labels = /* @__PURE__ */ new Map();
  for (const f of tpl.fields) {
    const other = labels.get(f.name);
    if (other !== void 0) throw new Error(`${tpl.kind} format: ${other} and ${f.label} both give the field ${f.name}; keep one`);
    labels.set(f.name, f.label);
  }
  const produced = [];
  for (const f of tpl.fields) {
    if (f.role === "request") produced.push(...REQUEST_PARTS, "request");
    else produced.push(f.name);
  }
  const overrides = format.fields ?? {};
  const types = resolveFieldTypes(produced, tpl.defaultType, overrides);
  if (tpl.fields.some((f) => f.role === "request")) {
    for (const name of [...REQUEST_PARTS, "request"]) {
      if (types[name] !== "keyword" && types[name] !== "text") throw new Error(`${name} must be keyword or text, not ${types[name]}`);
    }
  }
  const keepRawRequest = "request" in overrides;
  const zone = format.timeZone ?? "UTC";
  const timeKey = format.timeKey ?? Object.keys(tpl.timeFormats).find((k) => produced.includes(k));
  if (!timeKey) {
    throw new Error(`${tpl.kind} format has no time field (${Object.keys(tpl.timeFormats).join(", ")}); set logFormat.timeKey`);
  }
  const timeIndex = tpl.fields.findIndex((f) => f.name === timeKey && f.role !== "request");
  if (timeIndex === -1) {
    throw new Error(`timeKey ${JSON.stringify(timeKey)} is not a field of the ${tpl.kind} format (fields: ${produced.join(", ")})`);
  }
  const timeFormat = format.timeFormat ?? tpl.timeFormats[timeKey] ?? "iso8601";
  return { types, produced, keepRawRequest, zone, timeKey, timeIndex, timeFormat };
}

// lambda/core/formats/template/index.ts
function compileTemplate(tpl, format) {
  const plan = planTemplate(tpl, format);
  const { types, timeKey, timeFormat, zone } = plan;
  const n = tpl.fields.length;
  const strptime = toStrptimeFormat(timeFormat);
  const timestamp = createTimestamper(strptime, zone);
  const timestampWriter = createTimestampWriter(strptime, zone);
  const timestampRangeWriter = createTimestampRangeWriter(strptime, zone);
  const { parse: code, write: wcode, writeRange: rcode, entries, K, C, M, writerFixed, writable, rangeable } = generateCode(tpl, plan);
  const ser = serializerCode(entries);
  const quotes = K.join("").split('"').length - 1;
  const fail3 = (reason) => ({ ok: false, reason });
  const mismatch = (i, pos) => {
    const what = i < 0 ? `expected ${JSON.stringify(tpl.prefix)}` : i === n - 1 ? `${tpl.fields[i].label} is not followed by ${JSON.stringify(tpl.literals[i])} at the end of the line` : `${tpl.fields[i].label} is not followed by ${JSON.stringify(tpl.literals[i])}`;
    return fail3(`does not match the ${tpl.kind} format at column ${pos + 1}: ${what}`);
  };
  const bad = (name, raw) => fail3(invalidReason(name, types[name], raw));
  const badTime = (raw) => fail3(`${timeKey} ${JSON.stringify(raw)} does not match ${timeFormat}`);
  const factory = new Function(
    "K",
    "C",
    "M",
    "INVALID",
    "TIMESTAMP",
    "UNESCAPE",
    "IS_METHOD",
    "ESCAPED",
    "LIST_SEPARATOR",
    "MISMATCH",
    "BAD",
    "BAD_TIME",
    "NEEDS_ESCAPE",
    "DIRTY",
    "QUOTES",
    "RC",
    "WS",
    "IPV4_AT",
    "DIGITS_AT",
    "IS_METHOD_AT",
    "PLAIN_QUOTES",
    "FIXED",
    "TS_WRITE",
    "TS_RANGE",
    "IPV4_B",
    "DIGITS_B",
    "METHOD_B",
    "RC_B",
    "SLICE",
    "FIND",
    `"use strict";
let LAST_DOC = null, LAST_LINE = '';
function isClean(line) {
  if (DIRTY.test(line)) return false;
  let n = 0;
  for (let p = line.indexOf('"'); p !== -1; p = line.indexOf('"', p + 1)) n++;
  return n === QUOTES;
}
function parse(line) {
${code}}
function stringify(d) {
${ser}}
function write(line, B, o) {
${wcode}}
function writeRange(X, S0, E, B, o, DV) {
${rcode}}
return { parse, stringify, write, writeRange };`
  );
  const { parse, stringify: stringify2, write, writeRange } = factory(
    K,
    C,
    M,
    INVALID,
    timestamp,
    unescapeLogValue,
    isMethod,
    isEscaped,
    isListSeparator,
    mismatch,
    bad,
    badTime,
    JSON_NEEDS_ESCAPE,
    LINE_DIRTY,
    quotes,
    copyRaw,
    writeAscii,
    isIPv4At,
    isPlainDigitsAt,
    isMethodAt,
    plainQuotes,
    writerFixed,
    timestampWriter,
    timestampRangeWriter,
    isIPv4Staged,
    isPlainDigitsBytes,
    isMethodBytes,
    copyDigits,
    sliceLatin1,
    findByte
  );
  const json = writable ? { write, maxBytes: (lineLength) => writerFixed + 4 * lineLength, ...rangeable ? { writeRange } : {} } : void 0;
  return { fields: types, parse, stringify: stringify2, json };
}

// lambda/core/formats/apache.ts
var APACHE_COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"';
var APACHE_COMMON = '%h %l %u %t "%r" %>s %b';
var NAMED_FORMATS = {
  combined: APACHE_COMBINED,
  common: APACHE_COMMON,
  vhost_combined: '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
  referer: "%{Referer}i -> %U",
  agent: "%{User-agent}i"
};
function snakeName(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "_");
}
var SIMPLE = {
  a: "client_ip",
  A: "server_ip",
  B: "response_size_bytes",
  b: "response_size_bytes",
  D: "request_time_us",
  f: "filename",
  h: "remote_addr",
  H: "request_protocol",
  k: "keepalive_requests",
  l: "remote_ident",
  L: "log_id",
  m: "request_method",
  p: "server_port",
  P: "process_id",
  q: "query_string",
  R: "handler",
  s: "status",
  T: "request_time_s",
  u: "remote_user",
  U: "request_path",
  v: "server_name",
  V: "host",
  X: "connection_status",
  I: "bytes_received",
  O: "bytes_sent",
  S: "bytes_transferred"
};
var ARG_PREFIX = { i: "http_", o: "sent_http_", e: "env_", n: "note_", C: "cookie_" };
function resolveDirective(letter, arg, label) {
  const bad = () => {
    throw new Error(`apache format: unsupported directive ${label}`);
  };
  if (ARG_PREFIX[letter]) {
    if (!arg) bad();
    return { name: ARG_PREFIX[letter] + snakeName(arg), role: "value" };
  }
  switch (letter) {
    case "r":
      return { name: "request", role: "request" };
    case "b":
      return { name: "response_size_bytes", role: "clf-bytes" };
    case "t": {
      if (arg === void 0) return { name: "time_local", role: "value", timeFormat: TIME_LOCAL_FORMAT };
      const fmt = arg.replace(/^(begin|end):/, "");
      const epoch = { sec: "epoch_s", msec: "epoch_ms", usec: "epoch_us" };
      if (epoch[fmt]) return { name: "time_local", role: "value", timeFormat: epoch[fmt] };
      if (fmt === "msec_frac") return { name: "time_local", role: "value", timeFormat: "%L", piece: true };
      if (fmt === "usec_frac") return { name: "time_local", role: "value", timeFormat: "%f", piece: true };
      if (fmt === "") return { name: "time_local", role: "value", timeFormat: TIME_LOCAL_FORMAT };
      return { name: "time_local", role: "value", timeFormat: fmt, piece: true };
    }
    case "T":
      if (arg === void 0 || arg === "s") return { name: "request_time_s", role: "value" };
      if (arg === "ms") return { name: "request_time_ms", role: "value" };
      if (arg === "us") return { name: "request_time_us", role: "value" };
      return bad();
    case "a":
      return { name: arg === "c" ? "peer_ip" : "client_ip", role: "value" };
    case "p":
      if (arg === void 0 || arg === "canonical") return { name: "server_port", role: "value" };
      if (arg === "local") return { name: "local_port", role: "value" };
      if (arg === "remote") return { name: "remote_port", role: "value" };
      return bad();
    case "P":
      if (arg === "tid" || arg === "hextid") return { name: "thread_id", role: "value" };
      if (arg === void 0 || arg === "pid") return { name: "process_id", role: "value" };
      return bad();
  }
  const name = SIMPLE[letter];
  if (!name) bad();
  return { name, role: "value" };
}
function normaliseApacheFormat(format) {
  let f = (format ?? "combined").trim();
  if (NAMED_FORMATS[f]) return NAMED_FORMATS[f];
  if (f.length >= 2 && f.startsWith('"') && f.endsWith('"') && !f.endsWith('\\"')) f = f.slice(1, -1);
  return f.replace(/\\"/g, '"');
}
function apacheTemplate(format) {
  const src = normaliseApacheFormat(format);
  const fields = [];
  const literals = [];
  let prefix = "";
  let lit = "";
  let timeFormat;
  let openPiece;
  const statusLabels = { final: [], original: [] };
  const re = /%([<>]?)(!?[0-9,]*)([<>]?)(?:\{([^}]*)\})?([<>]?)([A-Za-z%^])/g;
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const letter = m[6];
    if (letter === "%") {
      lit += src.slice(last, m.index) + "%";
      last = m.index + m[0].length;
      continue;
    }
    lit += src.slice(last, m.index);
    const r = resolveDirective(letter, m[4], m[0]);
    if (r.piece && openPiece) {
      timeFormat = `${timeFormat}${lit.replace(/%/g, "%%")}${r.timeFormat}`;
      openPiece.label += lit + m[0];
      lit = "";
      last = m.index + m[0].length;
      continue;
    }
    if (r.piece && /^%[Lf]$/.test(r.timeFormat)) {
      throw new Error(`apache format: ${m[0]} (a fraction of a second) must follow a %{\u2026}t time, as in %{%d/%b/%Y %T}t.${m[0]}`);
    }
    if (fields.length === 0) prefix = lit;
    else literals.push(lit);
    lit = "";
    if (letter === "t") {
      if (m[4] === void 0) {
        if (fields.length === 0) prefix += "[";
        else literals[literals.length - 1] += "[";
        lit = "]";
      }
      timeFormat ??= r.timeFormat;
    }
    const field = { name: r.name, label: m[0], role: r.role };
    if (letter === "s") statusLabels[m[0].includes(">") ? "final" : "original"].push(field);
    fields.push(field);
    openPiece = r.piece ? field : void 0;
    last = m.index + m[0].length;
  }
  if (statusLabels.final.length > 0) for (const f of statusLabels.original) f.name = "original_status";
  if (fields.length === 0) throw new Error(`apache format ${JSON.stringify(src)} has no % directives`);
  literals.push(lit + src.slice(last));
  const timeFormats = { time_local: timeFormat ?? TIME_LOCAL_FORMAT };
  return { template: { kind: "apache", prefix, fields, literals, timeFormats, defaultType: apacheFieldType }, timeFormat };
}
function compileApache(format) {
  return compileTemplate(apacheTemplate(format.format).template, format);
}

// lambda/core/formats/json.ts
function getPath(doc, path) {
  if (Object.prototype.hasOwnProperty.call(doc, path)) return doc[path];
  if (path.indexOf(".") === -1) return void 0;
  let node = doc;
  for (const seg of path.split(".")) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return void 0;
    if (!Object.prototype.hasOwnProperty.call(node, seg)) return void 0;
    node = node[seg];
  }
  return node;
}
function setPath(doc, path, value) {
  if (Object.prototype.hasOwnProperty.call(doc, path) || path.indexOf(".") === -1) {
    doc[path] = value;
    return;
  }
  const segs = path.split(".");
  let node = doc;
  for (let i = 0; i < segs.length - 1; i++) node = node[segs[i]];
  node[segs[segs.length - 1]] = value;
}
function flattenObject(obj, prefix = "", out = {}) {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const name = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flattenObject(v, name, out);
    else out[name] = v;
  }
  return out;
}
function compileJson(format) {
  const overrides = format.fields ?? {};
  const types = resolveFieldTypes([], () => "keyword", overrides);
  const zone = format.timeZone ?? "UTC";
  const coerce = Object.entries(overrides).filter(([path]) => path !== TIMESTAMP_FIELD).map(([path, type]) => ({ path, type, convert: converterFor(type, zone) }));
  const flatten = format.flattenJson ?? false;
  const timeKey = format.timeKey;
  const timeFormat = format.timeFormat;
  const stringTime = timeKey ? createTimestamper(toStrptimeFormat(timeFormat ?? "iso8601"), zone) : void 0;
  const numberTime = timeKey ? timeFormat ? stringTime : createTimestamper("epoch_ms", zone) : void 0;
  function parse(text) {
    let value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { ok: false, reason: `invalid JSON: ${e.message}` };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { ok: false, reason: `not a JSON object (${value === null ? "null" : Array.isArray(value) ? "array" : typeof value})` };
    }
    const doc = flatten ? flattenObject(value) : value;
    for (let i = 0; i < coerce.length; i++) {
      const c = coerce[i];
      const v = getPath(doc, c.path);
      if (v === void 0) continue;
      const out = coerceJsonValue(c.type, v, c.convert);
      if (out === INVALID) return { ok: false, reason: invalidReason(c.path, c.type, v) };
      if (out !== v) setPath(doc, c.path, out);
    }
    if (timeKey) {
      const raw = getPath(doc, timeKey);
      if (raw === void 0 || raw === null) return { ok: false, reason: `time key ${timeKey} is missing` };
      if (typeof raw !== "string" && typeof raw !== "number") {
        return { ok: false, reason: `${timeKey} ${JSON.stringify(raw).slice(0, 200)} is not a time (string or number)` };
      }
      const ts = typeof raw === "string" ? stringTime(raw) : numberTime(raw);
      if (ts === void 0) {
        const fmt = timeFormat ?? (typeof raw === "string" ? "iso8601" : "epoch_ms");
        return { ok: false, reason: `${timeKey} ${JSON.stringify(raw)} does not match ${fmt}` };
      }
      doc[TIMESTAMP_FIELD] = ts;
    }
    return { ok: true, doc };
  }
  return { fields: types, parse };
}

// lambda/core/formats/nginx.ts
var NGINX_COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
var NGINX_MAIN = `${NGINX_COMBINED} "$http_x_forwarded_for"`;
var NAMED_FORMATS2 = { combined: NGINX_COMBINED, main: NGINX_MAIN };
var NGINX_TIME_FORMATS = { time_local: TIME_LOCAL_FORMAT, time_iso8601: "iso8601", msec: "epoch_s" };
var MULTI_VALUE = {
  upstream_response_time: "sum",
  upstream_connect_time: "sum",
  upstream_header_time: "sum",
  upstream_queue_time: "sum",
  upstream_response_length: "sum",
  upstream_bytes_received: "sum",
  upstream_bytes_sent: "sum",
  upstream_status: "last"
};
function unescapeConf(s) {
  return s.replace(/\\(["'\\tnr])/g, (_m, c) => c === "t" ? "	" : c === "n" ? "\n" : c === "r" ? "\r" : c);
}
var CONF_CHUNK = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
function normaliseNginxFormat(format) {
  const f = (format ?? "combined").trim();
  if (NAMED_FORMATS2[f]) return NAMED_FORMATS2[f];
  if (/^(?:(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*)+$/.test(f)) {
    return [...f.matchAll(CONF_CHUNK)].map((m) => unescapeConf(m[1] ?? m[2])).join("");
  }
  return unescapeConf(f);
}
function nginxTemplate(format) {
  const src = normaliseNginxFormat(format);
  const fields = [];
  const literals = [];
  let prefix = "";
  let lit = "";
  const re = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    lit += src.slice(last, m.index);
    if (fields.length === 0) prefix = lit;
    else literals.push(lit);
    lit = "";
    const name = m[1] ?? m[2];
    fields.push({ name, label: `$${name}`, role: name === "request" ? "request" : MULTI_VALUE[name] ?? "value", list: name in MULTI_VALUE || name === "upstream_addr" });
    last = m.index + m[0].length;
  }
  if (fields.length === 0) throw new Error(`nginx format ${JSON.stringify(src)} has no $variables`);
  literals.push(lit + src.slice(last));
  return { kind: "nginx", prefix, fields, literals, timeFormats: NGINX_TIME_FORMATS, defaultType: nginxFieldType };
}
function compileNginx(format) {
  return compileTemplate(nginxTemplate(format.format), format);
}

// lambda/core/formats/regex.ts
function groupNames(source) {
  const names2 = [];
  const re = /\\.|\[(?:\\.|[^\]\\])*\]|\(\?<([A-Za-z_$][\w$]*)>/g;
  for (let m = re.exec(source); m; m = re.exec(source)) if (m[1]) names2.push(m[1]);
  return names2;
}
function groupFields(names2, types, zone) {
  return names2.map((name) => ({
    name,
    type: types[name],
    convert: converterFor(types[name], zone),
    isString: types[name] === "keyword" || types[name] === "text"
  }));
}
function assignGroups(fields, g, doc, nullValue) {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const raw = g[f.name];
    if (raw === void 0) {
      doc[f.name] = null;
      continue;
    }
    if (f.isString) {
      doc[f.name] = raw;
      continue;
    }
    const v = raw === nullValue ? null : f.convert(raw);
    if (v === INVALID) return invalidReason(f.name, f.type, raw);
    doc[f.name] = v;
  }
  return void 0;
}
function compileRegex(format) {
  if (!format.regex) throw new Error("logFormat.regex is required for type regex");
  const regex = new RegExp(format.regex);
  const names2 = groupNames(format.regex);
  if (names2.length === 0) throw new Error("logFormat.regex has no named groups ((?<name>\u2026))");
  const zone = format.timeZone ?? "UTC";
  const types = resolveFieldTypes(names2, () => "keyword", format.fields ?? {});
  const groups = groupFields(names2, types, zone);
  const timeKey = format.timeKey;
  if (timeKey && !names2.includes(timeKey)) {
    throw new Error(`timeKey ${JSON.stringify(timeKey)} is not a named group of logFormat.regex (groups: ${names2.join(", ")})`);
  }
  const timeFormat = format.timeFormat ?? "iso8601";
  const timestamp = timeKey ? createTimestamper(toStrptimeFormat(timeFormat), zone) : void 0;
  function parse(text) {
    const m = regex.exec(text);
    if (!m) return { ok: false, reason: "does not match the regex" };
    const g = m.groups;
    const doc = timestamp ? { "@timestamp": null } : {};
    const bad = assignGroups(groups, g, doc);
    if (bad) return { ok: false, reason: bad };
    if (timestamp) {
      const raw = g[timeKey];
      const ts = raw === void 0 ? void 0 : timestamp(raw);
      if (ts === void 0) return { ok: false, reason: raw === void 0 ? `${timeKey} is empty` : `${timeKey} ${JSON.stringify(raw)} does not match ${timeFormat}` };
      doc["@timestamp"] = ts;
    }
    return { ok: true, doc };
  }
  return { fields: types, parse };
}

// lambda/core/formats/syslog/message.ts
var SYSLOG_FACILITY_NAMES = Object.freeze([
  "kern",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "authpriv",
  "ftp",
  "ntp",
  "security",
  "console",
  "solaris-cron",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7"
]);
var SYSLOG_SEVERITY_NAMES = Object.freeze(["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]);
function clip(s, n = 40) {
  return JSON.stringify(s.length > n ? `${s.slice(0, n)}\u2026` : s);
}
function isDigit(c) {
  return c >= 48 && c <= 57;
}
function emptyDoc() {
  return {
    "@timestamp": null,
    facility: null,
    facility_name: null,
    severity: null,
    severity_name: null,
    version: null,
    timestamp: null,
    hostname: null,
    app_name: null,
    procid: null,
    msgid: null,
    structured_data: null,
    message: null
  };
}
var fail = (reason) => ({ ok: false, reason });
function setPri(doc, pri) {
  if (pri < 0) return;
  const fac = pri >> 3;
  const sev = pri & 7;
  doc.facility = fac;
  doc.facility_name = SYSLOG_FACILITY_NAMES[fac];
  doc.severity = sev;
  doc.severity_name = SYSLOG_SEVERITY_NAMES[sev];
}
function setTime(doc, ms) {
  const iso = toIsoTimestamp(ms);
  doc["@timestamp"] = iso;
  doc.timestamp = iso;
}

// lambda/core/formats/syslog/framing.ts
var OCTET_COUNTED = /^([1-9]\d{0,9}) </;
var MAX_OCTET_COUNT = 64 * 1024 * 1024;
function utf8Length(s, a, b) {
  let len = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) len += 1;
    else if (c < 2048) len += 2;
    else if (c >= 55296 && c <= 56319 && i + 1 < b && (s.charCodeAt(i + 1) & 64512) === 56320) {
      len += 4;
      i++;
    } else len += 3;
  }
  return len;
}

// lambda/core/formats/syslog/timestamp.ts
var RFC3339_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?$/;

// lambda/core/formats/syslog/rfc3164.ts
var FUTURE_SLACK_MS = 2 * DAY;
var MONTHS = new Map(
  ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map((m, i) => [m, i + 1])
);
var BSD_TS_RE = /^([A-Za-z]{3}) (?: ?(\d{1,2})) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?= |$)/;
function rfc3164Parser(resolve, now) {
  const iso = isoParser(resolve);
  const rfc3339 = (v) => RFC3339_SHAPE.test(v) ? iso(v) : NaN;
  let lastBsd = "";
  let lastBsdMs = NaN;
  let lastBsdHour = NaN;
  function inferYear(mo, d, h, mi, s, ms) {
    const ref = now();
    const limit = ref + FUTURE_SLACK_MS;
    const y0 = new Date(ref).getUTCFullYear() + 1;
    for (let y = y0; y > y0 - 9; y--) {
      const wall = wallMs(y, mo, d, h, mi, s, ms);
      if (Number.isNaN(wall)) {
        if (mo === 2 && d === 29) continue;
        return NaN;
      }
      const t = resolve(wall);
      if (t <= limit) return t;
    }
    return NaN;
  }
  function parse3164(s, i, pri) {
    const doc = emptyDoc();
    setPri(doc, pri);
    const rest = i === 0 ? s : s.slice(i);
    let p;
    const m = BSD_TS_RE.exec(rest);
    if (m) {
      const mo = MONTHS.get(m[1].toLowerCase());
      if (mo === void 0) return fail(`not a syslog line: bad month ${clip(m[1])}`);
      const d = +m[2];
      const h = +m[4];
      const mi = +m[5];
      const sec = +m[6];
      const ms = m[7] ? +(m[7] + "00").slice(0, 3) : 0;
      const yearText = m[3];
      let t;
      if (yearText) {
        const wall = wallMs(+yearText, mo, d, h, mi, sec, ms);
        t = Number.isNaN(wall) ? NaN : resolve(wall);
      } else {
        const hour = Math.floor(now() / HOUR);
        if (m[0] === lastBsd && hour === lastBsdHour) t = lastBsdMs;
        else {
          t = inferYear(mo, d, h, mi, sec, ms);
          lastBsd = m[0];
          lastBsdMs = t;
          lastBsdHour = hour;
        }
      }
      if (Number.isNaN(t)) return fail(`bad RFC 3164 timestamp ${clip(m[0])}`);
      setTime(doc, t);
      p = m[0].length;
    } else {
      const sp2 = rest.indexOf(" ");
      const first2 = sp2 < 0 ? rest : rest.slice(0, sp2);
      const c0 = first2.charCodeAt(0);
      if (isDigit(c0) && first2.length >= 19 && first2.charCodeAt(4) === 45) {
        const t = rfc3339(first2);
        if (Number.isNaN(t)) return fail(`bad RFC 3339 timestamp ${clip(first2)}`);
        setTime(doc, t);
        p = first2.length;
      } else if (pri >= 0) {
        doc.message = rest;
        return { ok: true, doc };
      } else {
        return fail(`not a syslog line: no <PRI> and no timestamp at the start: ${clip(s)}`);
      }
    }
    const n = rest.length;
    while (p < n && rest.charCodeAt(p) === 32) p++;
    let sp = rest.indexOf(" ", p);
    if (sp < 0) sp = n;
    const first = rest.slice(p, sp);
    if (first.length > 0 && !first.endsWith(":") && !first.includes("[")) {
      doc.hostname = first;
      p = sp;
      while (p < n && rest.charCodeAt(p) === 32) p++;
    }
    let q = p;
    while (q < n) {
      const c = rest.charCodeAt(q);
      if (c === 91 || c === 58 || c === 32) break;
      q++;
    }
    if (q === p) {
      doc.message = rest.slice(p);
      return { ok: true, doc };
    }
    const tag = rest.slice(p, q);
    let msgAt = q;
    let ok = true;
    if (rest.charCodeAt(q) === 91) {
      const close = rest.indexOf("]", q + 1);
      const pid = close < 0 ? "" : rest.slice(q + 1, close);
      if (close < 0 || pid.length === 0 || pid.includes(" ")) ok = false;
      else {
        doc.procid = pid;
        msgAt = close + 1;
      }
    }
    if (!ok) {
      doc.message = rest.slice(p);
      return { ok: true, doc };
    }
    doc.app_name = tag;
    if (rest.charCodeAt(msgAt) === 58) msgAt++;
    if (rest.charCodeAt(msgAt) === 32) msgAt++;
    doc.message = rest.slice(msgAt);
    return { ok: true, doc };
  }
  return parse3164;
}

// lambda/core/formats/syslog/rfc5424.ts
var BOM2 = 65279;
function setOwn(obj, key, value) {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
function parseStructuredData(s, i) {
  const sd = {};
  const n = s.length;
  while (i < n && s.charCodeAt(i) === 91) {
    i++;
    const idStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 93 || c === 61 || c === 34) break;
      if (c < 33 || c > 126) return `bad SD-ID at column ${i + 1}: character ${JSON.stringify(s[i])}`;
      i++;
    }
    if (i === idStart) return `empty SD-ID at column ${i + 1}`;
    if (i >= n) return "unterminated STRUCTURED-DATA element";
    const id = s.slice(idStart, i);
    let params = Object.hasOwn(sd, id) ? sd[id] : void 0;
    if (!params) {
      params = {};
      setOwn(sd, id, params);
    }
    for (; ; ) {
      const c = s.charCodeAt(i);
      if (c === 93) {
        i++;
        break;
      }
      if (c !== 32) return `expected SP or "]" in STRUCTURED-DATA element ${JSON.stringify(id)} at column ${i + 1}`;
      i++;
      const nameStart = i;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 61 || d === 32 || d === 93 || d === 34) break;
        if (d < 33 || d > 126) return `bad PARAM-NAME in ${JSON.stringify(id)} at column ${i + 1}`;
        i++;
      }
      if (i === nameStart) return `empty PARAM-NAME in ${JSON.stringify(id)} at column ${i + 1}`;
      const name = s.slice(nameStart, i);
      if (s.charCodeAt(i) !== 61 || s.charCodeAt(i + 1) !== 34) return `expected ="\u2026" after PARAM-NAME ${JSON.stringify(name)} in ${JSON.stringify(id)}`;
      i += 2;
      let value = "";
      let from = i;
      for (; ; ) {
        if (i >= n) return `unterminated PARAM-VALUE of ${JSON.stringify(name)} in ${JSON.stringify(id)}`;
        const d = s.charCodeAt(i);
        if (d === 34) break;
        if (d === 92 && i + 1 < n) {
          const e = s.charCodeAt(i + 1);
          if (e === 34 || e === 92 || e === 93) {
            value += s.slice(from, i);
            from = i + 1;
            i += 2;
            continue;
          }
        }
        i++;
      }
      value += s.slice(from, i);
      i++;
      const prev = Object.hasOwn(params, name) ? params[name] : void 0;
      setOwn(params, name, prev === void 0 ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]);
      if (i >= n) return `unterminated STRUCTURED-DATA element ${JSON.stringify(id)}`;
    }
  }
  return { sd, end: i };
}
function token(s, i) {
  const sp = s.indexOf(" ", i);
  return sp < 0 ? s.length : sp;
}
var names = ["TIMESTAMP", "HOSTNAME", "APP-NAME", "PROCID", "MSGID"];
var keys = ["timestamp", "hostname", "app_name", "procid", "msgid"];
function rfc5424Parser(resolve) {
  const iso = isoParser(resolve);
  const rfc3339 = (v) => RFC3339_SHAPE.test(v) ? iso(v) : NaN;
  let last5424 = "";
  let last5424Iso = "";
  function parse5424(s, i, pri) {
    const doc = emptyDoc();
    setPri(doc, pri);
    let j = token(s, i);
    const version = +s.slice(i, j);
    if (version !== 1) return fail(`unsupported syslog protocol version ${s.slice(i, j)} (RFC 5424 is version 1)`);
    doc.version = 1;
    for (let k = 0; k < names.length; k++) {
      if (j >= s.length) return fail(`RFC 5424 header ends before ${names[k]}`);
      i = j + 1;
      j = token(s, i);
      if (j === i) return fail(`RFC 5424 header: empty ${names[k]} (two spaces at column ${i + 1})`);
      const v = s.slice(i, j);
      if (v === "-") continue;
      if (k === 0) {
        if (v !== last5424) {
          const ms = rfc3339(v);
          if (Number.isNaN(ms)) return fail(`bad RFC 5424 timestamp ${clip(v)}`);
          last5424 = v;
          last5424Iso = toIsoTimestamp(ms);
        }
        doc["@timestamp"] = last5424Iso;
        doc.timestamp = last5424Iso;
      } else doc[keys[k]] = v;
    }
    if (j >= s.length) return fail("RFC 5424 header ends before STRUCTURED-DATA");
    i = j + 1;
    const c = s.charCodeAt(i);
    if (c === 45 && (i + 1 === s.length || s.charCodeAt(i + 1) === 32)) {
      i++;
    } else if (c === 91) {
      const r = parseStructuredData(s, i);
      if (typeof r === "string") return fail(`bad RFC 5424 STRUCTURED-DATA: ${r}`);
      doc.structured_data = r.sd;
      i = r.end;
    } else {
      return fail(`bad RFC 5424 STRUCTURED-DATA: expected "-" or "[" at column ${i + 1}, got ${clip(s.slice(i, i + 20))}`);
    }
    if (i < s.length) {
      if (s.charCodeAt(i) !== 32) return fail(`bad RFC 5424 STRUCTURED-DATA: expected SP before MSG at column ${i + 1}`);
      i++;
      if (s.charCodeAt(i) === BOM2) i++;
      doc.message = s.slice(i);
    }
    return { ok: true, doc };
  }
  return parse5424;
}

// lambda/core/formats/syslog/index.ts
var SYSLOG_FIELD_TYPES = Object.freeze({
  facility: "integer",
  facility_name: "keyword",
  severity: "integer",
  severity_name: "keyword",
  version: "integer",
  timestamp: "date",
  hostname: "keyword",
  app_name: "keyword",
  procid: "keyword",
  msgid: "keyword",
  structured_data: "object",
  message: "text"
});
function planOverrides(types, zone) {
  const plans = [];
  for (const [name, def] of Object.entries(SYSLOG_FIELD_TYPES)) {
    const type = types[name];
    if (type === def) continue;
    const kind = name === "structured_data" ? "sd" : def === "integer" ? "number" : "string";
    const bad = () => {
      throw new Error(`logFormat.fields.${name}: a syslog ${name} cannot be ${type}`);
    };
    if (name === "timestamp") {
      if (type !== "keyword" && type !== "text") bad();
      continue;
    }
    if (kind === "number") {
      if (type === "keyword" || type === "text") plans.push({ name, type, kind, convert: (v) => v === null ? null : String(v) });
      else if (type === "long" || type === "float" || type === "double") continue;
      else bad();
    } else if (kind === "sd") {
      if (type === "keyword" || type === "text") plans.push({ name, type, kind, convert: (v) => v === null ? null : JSON.stringify(v) });
      else bad();
    } else {
      if (type === "keyword" || type === "text") continue;
      if (type === "object") bad();
      const conv = converterFor(type, zone);
      plans.push({ name, type, kind, convert: (v) => v === null ? null : conv(v) });
    }
  }
  return plans;
}
function compileSyslog(format, options = {}) {
  const zone = format.timeZone ?? "UTC";
  const resolve = zoneResolver(zone);
  const fields = resolveFieldTypes(Object.keys(SYSLOG_FIELD_TYPES), (n) => SYSLOG_FIELD_TYPES[n], format.fields ?? {});
  const overrides = planOverrides(fields, zone);
  const nowOpt = options.now;
  const now = typeof nowOpt === "number" ? () => nowOpt : nowOpt ?? Date.now;
  const parse5424 = rfc5424Parser(resolve);
  const parse3164 = rfc3164Parser(resolve, now);
  function parsePri(s) {
    if (s.charCodeAt(0) !== 60) return { pos: 0, pri: -1 };
    let i = 1;
    let v = 0;
    while (i < s.length && i <= 4 && isDigit(s.charCodeAt(i))) v = v * 10 + s.charCodeAt(i++) - 48;
    if (i === 1 || i > 4 || s.charCodeAt(i) !== 62) return fail(`not a syslog line: bad PRI ${clip(s.slice(0, 6), 6)}`);
    if (v > 191) return fail(`PRI ${v} out of range (0-191)`);
    return { pos: i + 1, pri: v };
  }
  function parseLine(text) {
    let s = text;
    let n = s.length;
    if (n > 0 && s.charCodeAt(n - 1) === 10) {
      n--;
      if (n > 0 && s.charCodeAt(n - 1) === 13) n--;
      s = s.slice(0, n);
    } else if (n > 0 && s.charCodeAt(n - 1) === 13) {
      s = s.slice(0, --n);
    }
    if (n === 0) return fail("not a syslog line: empty");
    const c0 = s.charCodeAt(0);
    if (c0 >= 49 && c0 <= 57) {
      const m = OCTET_COUNTED.exec(s);
      if (m) {
        const count = Number(m[1]);
        const bytes = utf8Length(s, m[1].length + 1, n);
        if (bytes !== count && bytes !== count - 1) return fail(`octet-counted frame: count ${count}, but ${bytes} bytes follow`);
        s = s.slice(m[1].length + 1);
        n = s.length;
      }
    }
    const h = parsePri(s);
    if ("ok" in h) return h;
    const i = h.pos;
    if (h.pri >= 0 && isDigit(s.charCodeAt(i))) {
      const c1 = s.charCodeAt(i + 1);
      if (c1 === 32 || isDigit(c1) && s.charCodeAt(i + 2) === 32) return parse5424(s, i, h.pri);
    }
    return parse3164(s, i, h.pri);
  }
  function parse(text) {
    let r;
    try {
      r = parseLine(text);
    } catch (e) {
      return fail(`syslog parser error: ${e.message}`);
    }
    if (!r.ok || overrides.length === 0) return r;
    const doc = r.doc;
    for (const o of overrides) {
      const v = o.convert(doc[o.name]);
      if (v === INVALID) return fail(invalidReason(o.name, o.type, doc[o.name]));
      doc[o.name] = v;
    }
    return r;
  }
  return { fields, parse };
}

// lambda/core/formats/text.ts
function escapeClass(c) {
  return c.replace(/[\\\]^-]/g, "\\$&");
}
var LAYOUT_FIELD_TYPES = { message: "text", line: "integer", pid: "integer", relative: "long" };
var LAZY_ANY = ".{0,512}?";
var WORDS = {};
var word = (names2, field, re) => names2.forEach((n) => WORDS[n] = { field, re });
word(["p", "le", "level"], "level", "[A-Za-z]{1,32}");
word(["t", "thread"], "thread", LAZY_ANY);
word(["c", "lo", "logger"], "logger", "\\S{1,1024}");
word(["m", "msg", "message"], "message", ".*");
word(["C", "class"], "class", "[^\\s:@()]{1,1024}");
word(["M", "method"], "method", "[^\\s:@().]{1,512}");
word(["L", "line"], "line", "(?:\\d{1,10}|\\?)");
word(["F", "file"], "file", "[^\\s:@()]{1,512}");
word(["l", "caller"], "location", "\\S{1,2048}");
word(["r", "relative"], "relative", "\\d{1,19}");
word(["x"], "ndc", LAZY_ANY);
word(["marker"], "marker", LAZY_ANY);
word(["cn", "contextName"], "context", "\\S{0,256}");
word(["pid"], "pid", "\\d{1,10}");
word(["X", "mdc"], "mdc", LAZY_ANY);
var SILENT = /* @__PURE__ */ new Set(["n", "ex", "exception", "throwable", "xEx", "xException", "xThrowable", "rEx", "rootException", "wEx", "wex", "nopex", "nopexception"]);
var COMPOSITE = /* @__PURE__ */ new Set([
  "",
  "clr",
  "highlight",
  "black",
  "red",
  "green",
  "yellow",
  "blue",
  "magenta",
  "cyan",
  "white",
  "gray",
  "faint",
  "boldRed",
  "boldGreen",
  "boldYellow",
  "boldBlue",
  "boldMagenta",
  "boldCyan",
  "boldWhite"
]);
function readOptions(s, i, st) {
  const options = [];
  while (s[i] === "{") {
    let depth = 0;
    let close = -1;
    for (let k = i; k < s.length; k++) {
      if (s[k] === "{") depth++;
      else if (s[k] === "}" && --depth === 0) {
        close = k;
        break;
      }
    }
    if (close === -1) throw new Error(`layout ${JSON.stringify(st.layout)}: unterminated { at position ${i}`);
    options.push(s.slice(i + 1, close).replace(/\$\{[^}:]*:-([^}]*)\}/g, "$1"));
    i = close + 1;
  }
  return { options, end: i };
}
function closingParen(s, open, st) {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  throw new Error(`layout ${JSON.stringify(st.layout)}: unbalanced ( at position ${open}`);
}
function addField(st, base) {
  let name = base;
  for (let k = 2; st.fields.includes(name); k++) name = `${base}_${k}`;
  st.fields.push(name);
  return name;
}
function timePiece(st, option) {
  let pattern = option === void 0 || option.trim() === "" ? "ISO8601" : option.trim();
  let zone;
  const quoted = /^"([^"]*)"\s*(?:,\s*(.+))?$/.exec(pattern);
  if (quoted) {
    pattern = quoted[1];
    zone = quoted[2]?.trim();
  } else {
    const comma = pattern.lastIndexOf(",");
    if (comma !== -1) {
      const tail = pattern.slice(comma + 1).trim();
      if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tail) && !/^([A-Za-z])\1*$/.test(tail) && isTimeZone(tail)) {
        zone = tail;
        pattern = pattern.slice(0, comma).trim();
      }
    }
  }
  if (zone !== void 0 && !isTimeZone(zone)) throw new Error(`layout ${JSON.stringify(st.layout)}: unknown time zone ${JSON.stringify(zone)}`);
  const java = compileJavaTime(pattern);
  const field = addField(st, "time");
  if (st.timeFormat === void 0) {
    st.timeFormat = NAMED_JAVA_PATTERNS[pattern] ?? pattern;
    st.timeZone = zone;
  }
  return { re: java.regex, field };
}
function parseLayout(s, st, out) {
  let lit = "";
  const flushLit = () => {
    if (lit) out.push({ re: escapeRe(lit), lit });
    lit = "";
  };
  for (let i = 0; i < s.length; ) {
    const ch = s[i];
    if (ch === "\\" && i + 1 < s.length) {
      lit += s[i + 1];
      i += 2;
      continue;
    }
    if (ch === "$" && s[i + 1] === "{") {
      const close = s.indexOf("}", i + 2);
      if (close === -1) throw new Error(`layout ${JSON.stringify(st.layout)}: unterminated \${ at position ${i}`);
      const body = s.slice(i + 2, close);
      const dflt = body.indexOf(":-");
      const name2 = dflt === -1 ? body : body.slice(0, dflt);
      i = close + 1;
      flushLit();
      if (name2 === "PID") {
        out.push({ re: "\\d{1,10}", field: addField(st, "pid") });
      } else if (dflt !== -1) {
        parseLayout(body.slice(dflt + 2), st, out);
      } else {
        throw new Error(`layout ${JSON.stringify(st.layout)}: unknown property \${${name2}} (only \${PID} or \${NAME:-default})`);
      }
      continue;
    }
    if (ch !== "%") {
      lit += ch;
      i++;
      continue;
    }
    if (s[i + 1] === "%") {
      lit += "%";
      i += 2;
      continue;
    }
    const start = i;
    const m = /^%(-?)(\d*)(?:\.(-?\d+))?([A-Za-z]*)/.exec(s.slice(i, i + 64));
    if (!m) throw new Error(`layout ${JSON.stringify(st.layout)}: bad conversion at position ${i}`);
    const leftAlign = m[1] === "-";
    const padded = m[2] !== "" && +m[2] > 0;
    const name = m[4];
    i += m[0].length;
    flushLit();
    const plain = WORDS[name] !== void 0 || SILENT.has(name) || name === "d" || name === "date";
    if (s[i] === "(" && !plain) {
      if (!COMPOSITE.has(name)) throw new Error(`layout ${JSON.stringify(st.layout)}: composite conversion %${name}(\u2026) is not supported (position ${start})`);
      const close = closingParen(s, i, st);
      const inner = [];
      parseLayout(s.slice(i + 1, close), st, inner);
      i = readOptions(s, close + 1, st).end;
      if (padded && !leftAlign) out.push({ re: " *" });
      out.push(...inner);
      if (padded && leftAlign) out.push({ re: " *" });
      continue;
    }
    if (name === "") throw new Error(`layout ${JSON.stringify(st.layout)}: % without a conversion word at position ${start}`);
    const opts = readOptions(s, i, st);
    i = opts.end;
    if (SILENT.has(name)) continue;
    let piece;
    if (name === "d" || name === "date") {
      piece = timePiece(st, opts.options[0]);
    } else {
      const w = WORDS[name];
      if (!w) throw new Error(`layout ${JSON.stringify(st.layout)}: unknown conversion word %${name} at position ${start}`);
      let base = w.field;
      if (base === "message" && st.fields.includes("message")) throw new Error(`layout ${JSON.stringify(st.layout)}: %${name} appears more than once (position ${start})`);
      if (base === "mdc" && opts.options[0]) base = `mdc_${opts.options[0].split(":-")[0].trim().replace(/[^\w$]/g, "_")}`;
      piece = { re: w.re, field: addField(st, base), greedyIfLast: base === "message" };
    }
    if (padded && !leftAlign || piece.field?.startsWith("thread")) out.push({ re: " *" });
    out.push(piece);
    if (padded && leftAlign) out.push({ re: " *" });
  }
  flushLit();
}
function layoutToRegex(layout) {
  const st = { layout, fields: [] };
  const pieces = [];
  parseLayout(layout, st, pieces);
  let lastField = -1;
  for (let k = pieces.length - 1; k >= 0; k--) {
    if (pieces[k].field) {
      lastField = k;
      break;
    }
  }
  if (lastField === -1) throw new Error(`layout ${JSON.stringify(layout)} has no conversion that produces a field`);
  let re = "^";
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k];
    if (!p.field) {
      re += p.re;
      continue;
    }
    let body = p.greedyIfLast && k !== lastField ? ".*?" : p.re;
    const next = pieces[k + 1];
    if (body === LAZY_ANY && !p.field.startsWith("thread") && next?.lit) body = `[^${escapeClass(next.lit[0])}]*`;
    re += `(?<${p.field}>${body})`;
  }
  re += "$";
  new RegExp(re);
  const out = { regex: re, fields: st.fields };
  if (st.timeFormat !== void 0) {
    out.timeKey = st.fields.find((f) => f === "time");
    out.timeFormat = st.timeFormat;
    if (st.timeZone) out.timeZone = st.timeZone;
  }
  return out;
}
function compileFirstLine(format, extraFields = []) {
  let source;
  let names2;
  let timeKey = format.timeKey;
  let timeFormat = format.timeFormat;
  let zone = format.timeZone ?? "UTC";
  let defaultType = () => "keyword";
  if (format.regex) {
    source = format.regex;
    names2 = groupNames(source);
    if (names2.length === 0) throw new Error("logFormat.regex has no named groups ((?<name>\u2026))");
  } else if (format.format) {
    const layout = layoutToRegex(format.format);
    source = layout.regex;
    names2 = layout.fields;
    timeKey ??= layout.timeKey;
    timeFormat ??= layout.timeFormat;
    if (layout.timeZone) zone = layout.timeZone;
    defaultType = (name) => LAYOUT_FIELD_TYPES[name] ?? "keyword";
  } else {
    throw new Error(`logFormat.regex or logFormat.format is required for type ${format.type}`);
  }
  const regex = new RegExp(source);
  if (timeKey && !names2.includes(timeKey)) {
    throw new Error(`timeKey ${JSON.stringify(timeKey)} is not a field of the ${format.regex ? "regex" : "layout"} (fields: ${names2.join(", ")})`);
  }
  const produced = [...names2, ...extraFields.filter((f) => !names2.includes(f))];
  const types = resolveFieldTypes(produced, defaultType, format.fields ?? {});
  const groups = groupFields(names2, types, zone);
  const shownFormat = timeFormat ?? "iso8601";
  const timestamp = timeKey ? createTimestamper(toStrptimeFormat(shownFormat), zone) : void 0;
  function parse(line, doc) {
    const m = regex.exec(line);
    if (!m) return `does not match the ${format.regex ? "regex" : "layout"}`;
    const g = m.groups;
    if (timestamp) {
      const raw = g[timeKey];
      const ts = raw === void 0 || raw === "" ? void 0 : timestamp(raw);
      if (ts === void 0) return raw === void 0 || raw === "" ? `${timeKey} is empty` : `${timeKey} ${JSON.stringify(raw)} does not match ${shownFormat}`;
      doc["@timestamp"] = ts;
    }
    return assignGroups(groups, g, doc, "?");
  }
  return { regex, parse, fields: types, names: names2, timeKey };
}
function compileSingleLineText(format) {
  const first = compileFirstLine(format);
  const hasTime = first.timeKey !== void 0;
  return {
    fields: first.fields,
    parse(text) {
      const doc = hasTime ? { "@timestamp": null } : {};
      const reason = first.parse(text, doc);
      return reason === void 0 ? { ok: true, doc } : { ok: false, reason };
    }
  };
}
var DEFAULT_MAX_EVENT_LINES = 1e3;
var DEFAULT_MAX_EVENT_BYTES = 1048576;
var MultilineAssembler = class {
  constructor(isStart, opts = {}) {
    this.isStart = isStart;
    this.maxLines = opts.maxLines ?? DEFAULT_MAX_EVENT_LINES;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!(this.maxLines >= 1)) throw new Error(`maxLines must be >= 1, got ${this.maxLines}`);
    if (!(this.maxBytes >= 1)) throw new Error(`maxBytes must be >= 1, got ${this.maxBytes}`);
  }
  isStart;
  maxLines;
  maxBytes;
  lines = [];
  bytes = 0;
  lineNo = 0;
  endLineNo = 0;
  cut;
  push(entry) {
    if (isFailed(entry)) return [entry];
    const out = [];
    const text = entry.text;
    let start = false;
    try {
      start = this.isStart(text);
    } catch {
      start = false;
    }
    if (start) {
      this.emit(out);
      const bytes = Buffer.byteLength(text, "utf8");
      if (bytes > this.maxBytes) {
        out.push({ lineNo: entry.lineNo, raw: text, reason: `event first line is ${bytes} bytes, longer than maxEventBytes (${this.maxBytes})` });
        return out;
      }
      this.lines = [text];
      this.bytes = bytes;
      this.lineNo = this.endLineNo = entry.lineNo;
      this.cut = void 0;
      return out;
    }
    if (this.lines.length === 0) {
      out.push({ lineNo: entry.lineNo, raw: text, reason: "continuation line without an event start before it (does not match the first-line pattern)" });
      return out;
    }
    if (this.cut === void 0) {
      if (this.lines.length >= this.maxLines) {
        this.cut = `the event at line ${this.lineNo} exceeds maxEventLines (${this.maxLines}): continuation line cut from it`;
      } else {
        const bytes = this.bytes + 1 + Buffer.byteLength(text, "utf8");
        if (bytes > this.maxBytes) {
          this.cut = `the event at line ${this.lineNo} exceeds maxEventBytes (${this.maxBytes}): continuation line cut from it`;
        } else {
          this.lines.push(text);
          this.bytes = bytes;
          this.endLineNo = entry.lineNo;
          return out;
        }
      }
    }
    out.push({ lineNo: entry.lineNo, raw: text, reason: this.cut });
    return out;
  }
  /** Emits the open event (end of the stream). */
  flush() {
    const out = [];
    this.emit(out);
    return out;
  }
  emit(out) {
    if (this.lines.length === 0) return;
    out.push({ lineNo: this.lineNo, text: this.lines.length === 1 ? this.lines[0] : this.lines.join("\n"), lines: this.lines.length, endLineNo: this.endLineNo });
    this.lines = [];
    this.bytes = 0;
    this.cut = void 0;
  }
};
async function* assembleBatches(batches, assembler) {
  for await (const batch of batches) {
    const out = [];
    for (const entry of batch) for (const e of assembler.push(entry)) out.push(e);
    if (out.length > 0) yield out;
  }
  const last = assembler.flush();
  if (last.length > 0) yield last;
}
function compileMultiLineText(format, opts = {}) {
  const first = compileFirstLine(format, ["message"]);
  if (!format.fields?.message) first.fields.message = "text";
  const hasMessageGroup = first.names.includes("message");
  const hasTime = first.timeKey !== void 0;
  const regex = first.regex;
  const firstLine = new RegExp(regex.source, regex.flags.replace(/[gy]/g, ""));
  const maxLines = opts.maxLines ?? format.maxEventLines ?? DEFAULT_MAX_EVENT_LINES;
  const maxBytes = opts.maxBytes ?? format.maxEventBytes ?? format.maxLineBytes ?? DEFAULT_MAX_EVENT_BYTES;
  function parse(text) {
    const nl = text.indexOf("\n");
    const head = nl === -1 ? text : text.slice(0, nl);
    const doc = hasTime ? { "@timestamp": null } : {};
    const reason = first.parse(head.endsWith("\r") ? head.slice(0, -1) : head, doc);
    if (reason !== void 0) return { ok: false, reason: nl === -1 ? reason : `first line ${reason}` };
    if (nl !== -1) {
      const rest = text.slice(nl + 1);
      if (hasMessageGroup) {
        const msg = doc.message;
        doc.message = typeof msg === "string" ? `${msg}
${rest}` : rest;
      } else doc.message = rest;
    } else if (!hasMessageGroup) doc.message = null;
    return { ok: true, doc };
  }
  return {
    fields: first.fields,
    parse,
    multiline: {
      firstLine,
      maxLines,
      maxBytes,
      createAssembler: () => new MultilineAssembler((line) => firstLine.test(line), { maxLines, maxBytes })
    }
  };
}

// lambda/core/formats/index.ts
function compileParser(format) {
  switch (format.type) {
    case "nginx":
      return compileNginx(format);
    case "apache":
      return compileApache(format);
    case "json":
      return compileJson(format);
    case "regex":
      return compileRegex(format);
    case "syslog":
      return compileSyslog(format);
    case "single-line-text":
      return compileSingleLineText(format);
    case "multi-line-text":
      return compileMultiLineText(format);
  }
}
function recordBatches(parser, lines) {
  const multiline = parser.multiline;
  return multiline ? assembleBatches(lines, multiline.createAssembler()) : lines;
}

// lambda/core/light/projection.ts
var EVENT_HOUR_FORMAT = "yyyyMMddHH";
var DEFAULT_PROJECTION = { fromHour: "2000010100", futureHours: 24 };
var MAX_PARTITIONS_PER_QUERY = 1e6;
var MAX_FUTURE_HOURS = 8760;
var PROJECTION_HEADROOM_YEARS = 10;
var HOUR_MS = 36e5;
var EVENT_HOUR = /^(\d{4})(\d{2})(\d{2})(\d{2})$/;
function athenaRange(r) {
  return `${r.fromHour},${r.futureHours === 0 ? "NOW" : `NOW+${r.futureHours}HOURS`}`;
}
function isEventHour(value) {
  const m = EVENT_HOUR.exec(value);
  if (!m) return false;
  const [y, mo, d, h] = m.slice(1).map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCHours() === h;
}
function hourOf(ms) {
  return new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, "");
}
function hourStartMs(hour) {
  const [y, mo, d, h] = EVENT_HOUR.exec(hour).slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h);
}
function projectionWindow(r, nowMs) {
  return { first: r.fromHour, last: hourOf(nowMs + r.futureHours * HOUR_MS), range: athenaRange(r) };
}
function projectionMiss(hour, w) {
  const setting = `(engine.projection; the table projects ${w.range})`;
  if (!EVENT_HOUR.test(hour)) return `record time has no projectable hour "${hour}": Athena would never return it ${setting}`;
  if (hour < w.first) return `event hour ${hour} is before the first projected hour ${w.first}: Athena would never return it ${setting}`;
  if (hour > w.last) return `event hour ${hour} is after the last projected hour ${w.last} at conversion: Athena would not return it ${setting}`;
  return void 0;
}
function projectedPartitions(r, atMs, regions = 1) {
  const w = projectionWindow(r, atMs);
  const hours = (hourStartMs(w.last) - hourStartMs(w.first)) / HOUR_MS + 1;
  return Math.max(0, hours) * regions;
}
function partitionLimitProblem(r, nowMs, regions = 1) {
  const at = nowMs + PROJECTION_HEADROOM_YEARS * 365.25 * 24 * HOUR_MS;
  const n = projectedPartitions(r, at, regions);
  if (n <= MAX_PARTITIONS_PER_QUERY) return void 0;
  const per = regions === 1 ? "hourly partitions" : `hourly partitions \xD7 ${regions} regions`;
  const lastMs = hourStartMs(projectionWindow(r, at).last);
  const earliest = new Date(lastMs - (Math.floor(MAX_PARTITIONS_PER_QUERY / regions) - 1) * HOUR_MS + 24 * HOUR_MS - 1).toISOString().slice(0, 10);
  return `projects ${n} ${per} by ${hourOf(at).slice(0, 4)}, and a query without an event_hour filter reads every one: Athena reads at most ${MAX_PARTITIONS_PER_QUERY} partitions per query; start on ${earliest} or later`;
}

// lib/config/schema.ts
import { z as z4 } from "zod";

// lib/config/alarms.ts
import { z as z2 } from "zod";
var ALARMS = {
  backedUp: {
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: "records per period",
    appliesTo: "every pipeline with a processor or a Light Engine",
    meaning: "Records were written to the backup bucket instead of being indexed or written to Parquet, each with its raw text and the reason.",
    action: "Read them under `<pipeline>/failed-records/` (and `failed-lines/`, `broken-objects/`) in the backup bucket: a format that does not match, a mapping conflict, a record outside the projection. Fix the cause and replay them."
  },
  deadLetters: {
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: "messages per period",
    appliesTo: "every pipeline with a work queue",
    meaning: "Messages exhausted their deliveries and the dead-letter backup wrote them to the backup bucket, beside whole copies of the objects they name.",
    action: "Read them under `<pipeline>/dead-letters/` in the backup bucket and the consumer function's errors at that time; replay the copied objects once fixed."
  },
  oldestMessage: {
    threshold: 60,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: "minutes",
    appliesTo: "every work queue and dead-letter queue",
    meaning: "A message has waited longer than the threshold: the consumer is not keeping up or not running (for a dead-letter queue: its backup keeps failing).",
    action: "Look at the consumer function's errors, throttles and concurrency. SQS drops a message 14 days after it was sent; a one-time load's backlog may pass the threshold by design."
  },
  errorRate: {
    threshold: 5,
    periodMinutes: 5,
    evaluationPeriods: 3,
    unit: "percent of invocations",
    appliesTo: "every function of the data path",
    meaning: "The share of the function's invocations that failed passed the threshold.",
    action: "Its log group has the errors. Failed work is retried, then kept by the dead-letter queue and the backup bucket: nothing is lost, but it waits."
  },
  unbalanced: {
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: "units per period",
    appliesTo: "the processors and the Light Engine convert",
    meaning: "A unit of work's counts did not add up (records in \u2260 indexed or written + duplicates + filtered + backed up + deferred); it was failed instead of counted as done, and is retried.",
    action: `It is a bug: report it with the function's "counts do not balance" log line.`
  },
  iteratorAge: {
    threshold: 10,
    periodMinutes: 5,
    evaluationPeriods: 2,
    unit: "minutes",
    appliesTo: "buffer kinesis",
    meaning: "The Kinesis processor lags behind the newest record of the stream by more than the threshold.",
    action: "Records older than `kinesis.maxRecordAgeSeconds` go to the backup bucket instead of OpenSearch: add shards or raise `parallelizationFactor`, and check the domain."
  },
  throttles: {
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 3,
    unit: "throttles per period",
    appliesTo: "the processors and the convert; buffer kinesis: the stream",
    meaning: "Invocations were throttled (the account's or function's concurrency), or the stream refused agent writes for capacity.",
    action: "Throttled work waits in its queue or stream and the agents retry refused writes; raise the concurrency limit, or add shards (unset `kinesis.shards` for on-demand)."
  },
  lightEngineFailed: {
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: "runs per period",
    appliesTo: "Light Engine",
    meaning: "A batch or compaction run failed, timed out or was aborted (the failure topic also receives its error).",
    action: "Its execution history names the step; staged objects stay staged until a run converts them, so the next run retries."
  },
  scannerFailed: {
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: "failed scans per period",
    appliesTo: "source mode one-time",
    meaning: "The one-time scanner task ended in an error. A task that ECS stops from outside (out of memory) reports nothing: the scanner row of the dashboard then shows no more objects sent.",
    action: "Its log group has the reason. Run it again with the `ScannerRunTaskCommand` output: it resumes from its checkpoint and sends no object twice."
  },
  agentRetriesFailed: {
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: "new failed retries per period (growth of the fleet maximum)",
    appliesTo: "fluent-bit and syslog sources",
    meaning: "An agent's or receiver's main output ran out of retries for a chunk: its records were dropped.",
    action: "Read the agents' logs for the output's errors (credentials, network, the buffer's throttling). Fluent Bit counts since it started: the alarm watches the growth of the fleet's maximum, so a second agent's first failures below another's total show only on the dashboard."
  },
  agentDropped: {
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: "new dropped records per period (growth of the fleet maximum)",
    appliesTo: "fluent-bit and syslog sources",
    meaning: "An agent's or receiver's main output dropped records.",
    action: "Read the agents' logs; dropped records never reached the buffer and cannot be replayed from it. The same counting caveat as agentRetriesFailed."
  },
  receiversUnhealthy: {
    threshold: 1,
    periodMinutes: 1,
    evaluationPeriods: 3,
    unit: "unhealthy tasks",
    appliesTo: "syslog sources",
    meaning: "Receiver tasks fail the load balancer's health check (Fluent Bit's health endpoint, which also fails while its outputs keep failing).",
    action: "Check the tasks' logs and stopped-task reasons in the ECS console; clients lose UDP frames sent to an unhealthy task, and TCP clients reconnect."
  }
};
var MAX_EVALUATION_MINUTES = 24 * 60;
function alarmSetting(spec) {
  return z2.strictObject({
    enabled: z2.boolean().default(true),
    threshold: z2.number().min(0).default(spec.threshold).meta({ description: `Fires at or above this: ${spec.unit}.` }),
    periodMinutes: z2.number().int().min(1).max(MAX_EVALUATION_MINUTES).default(spec.periodMinutes),
    evaluationPeriods: z2.number().int().min(1).max(MAX_EVALUATION_MINUTES).default(spec.evaluationPeriods).meta({ description: "Consecutive periods at or above the threshold before it fires." })
  }).superRefine((a, ctx) => {
    if (a.periodMinutes * a.evaluationPeriods > MAX_EVALUATION_MINUTES) {
      ctx.addIssue({ code: "custom", path: ["evaluationPeriods"], message: `periodMinutes \xD7 evaluationPeriods must be at most ${MAX_EVALUATION_MINUTES} (CloudWatch evaluates one day at most)` });
    }
  }).prefault({}).meta({ description: `${spec.appliesTo}: ${spec.meaning}` });
}
var settings = Object.fromEntries(Object.entries(ALARMS).map(([name, spec]) => [name, alarmSetting(spec)]));
var AlarmsSchema = z2.strictObject(settings).prefault({}).meta({ description: "CloudWatch alarms of the pipeline, all notifying its failure topic; each applies where the pipeline has what it watches (README: Operations)." });

// lambda/core/config/runtime.ts
import { z as z3 } from "zod";
var mustMatch = (re) => ({ error: `must match ${re.source}` });
var DURATION = /^\d+[smhd]$/;
var SIZE = /^\d+(b|kb|mb|gb|tb)$/;
var INDEX_PREFIX = /^[a-z][a-z0-9-]*$/;
var IndexSettingsSchema = z3.strictObject({
  shards: z3.number().int().min(1).default(1),
  replicas: z3.number().int().min(0).default(1),
  rolloverAge: z3.string().regex(DURATION, mustMatch(DURATION)).default("1d").meta({ description: "Roll the write index over after this age." }),
  rolloverPrimaryShardSize: z3.string().regex(SIZE, mustMatch(SIZE)).default("30gb"),
  warmAfterDays: z3.number().int().min(0).optional().meta({ description: "Move to warm (UltraWarm) after N days; unset: no warm phase." }),
  coldAfterDays: z3.number().int().min(0).optional().meta({ description: "Move to cold storage after N days; unset: no cold phase." }),
  deleteAfterDays: z3.number().int().min(1).default(30)
}).superRefine((s, ctx) => {
  const order = [
    ["warmAfterDays", s.warmAfterDays],
    ["coldAfterDays", s.coldAfterDays],
    ["deleteAfterDays", s.deleteAfterDays]
  ];
  let last = -1;
  for (const [key, v] of order) {
    if (v === void 0) continue;
    if (v <= last) ctx.addIssue({ code: "custom", path: [key], message: "must be later than the previous phase" });
    last = v;
  }
});
var INDEXING_FIELDS = {
  indexPrefix: z3.string().regex(INDEX_PREFIX, mustMatch(INDEX_PREFIX)).meta({ description: "Write alias; indices are `<indexPrefix>-<yyyy.MM.dd>-000001`." }),
  bulkMaxBytes: z3.number().int().min(65536).max(104857600).default(5242880).meta({ description: "Bulk request body cap; Amazon OpenSearch rejects > 10 MiB on small instances." }),
  bulkMaxDocs: z3.number().int().min(1).default(1e4)
};
var IndexingSchema = z3.strictObject({
  ...INDEXING_FIELDS,
  flavor: z3.enum(["aws", "self-managed"]),
  index: IndexSettingsSchema
});
var EVENT_HOUR2 = /^\d{10}$/;
var LightRuntimeSchema = z3.strictObject({
  projection: z3.strictObject({
    /** First projected hour, UTC `YYYYMMDDHH`. */
    fromHour: z3.string().regex(EVENT_HOUR2, mustMatch(EVENT_HOUR2)),
    /** Hours after NOW that are projected too. */
    futureHours: z3.number().int().min(0)
  })
});
var RuntimeConfigSchema = z3.strictObject({
  name: z3.string().min(1),
  logFormat: LogFormatSchema,
  /** Set for the OpenSearch engine. */
  indexing: IndexingSchema.optional(),
  /** Set for the Light Engine. */
  light: LightRuntimeSchema.optional()
});

// lib/config/schema.ts
var PIPELINE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
var BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
var VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
var SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
var SG_ID = /^sg-[0-9a-f]{8,17}$/;
var DOMAIN_ARN = /^arn:aws[a-z-]*:es:[a-z0-9-]+:\d{12}:domain\/[a-z][a-z0-9-]{2,27}$/;
var KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;
var SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
var OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/;
var CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
var ACCOUNT_ID = /^\d{12}$/;
var ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
var EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
var otherAccount = (description) => z4.string().regex(ACCOUNT_ID, mustMatch(ACCOUNT_ID)).optional().meta({ description });
var externalIdOf = (role) => z4.string().regex(EXTERNAL_ID, mustMatch(EXTERNAL_ID)).optional().meta({ description: `With account: the sts:ExternalId ${role} requires (default \`logtong-<pipeline>\`). It guards against a confused deputy, it is not a secret.` });
var VpcSchema = z4.strictObject({
  vpcId: z4.string().regex(VPC_ID, mustMatch(VPC_ID)),
  subnetIds: z4.array(z4.string().regex(SUBNET_ID, mustMatch(SUBNET_ID))).min(1).meta({ description: "Private subnets the functions (or tasks) are placed in." }),
  securityGroupIds: z4.array(z4.string().regex(SG_ID, mustMatch(SG_ID))).min(1).meta({ description: "Security groups of their network interfaces (allowed to reach the domain, or S3 and SQS)." })
});
var Scanner = z4.strictObject({
  vpc: VpcSchema.meta({
    description: "Where the scanner task runs: private subnets with a route to S3 and SQS (gateway/interface endpoints or NAT), and its security groups (egress to those)."
  }),
  cpu: z4.number().int().refine((v) => [256, 512, 1024].includes(v), { error: "must be 256, 512 or 1024" }).default(256).meta({ description: "Fargate CPU units of the task: 256, 512 or 1024 (it lists and enqueues; it copies nothing)." }),
  memoryMb: z4.number().int().min(512).max(8192).default(512),
  startOnDeploy: z4.boolean().default(true).meta({ description: "Start the task once when the stack is created; either way the RunTaskCommand output runs it by hand." })
}).meta({ title: "source.scanner (mode one-time)" });
var S3Source = z4.strictObject({
  type: z4.literal("s3"),
  mode: z4.enum(["ongoing", "one-time"]).default("ongoing").meta({ description: "ongoing: S3 event notifications; one-time: an ECS task lists the bucket." }),
  scanner: Scanner.optional().meta({ description: "Required for mode one-time: the ECS Fargate task that lists the bucket." }),
  bucketName: z4.string().regex(BUCKET_NAME, mustMatch(BUCKET_NAME)).meta({ description: "Existing bucket that holds the logs." }),
  prefix: z4.string().default("").meta({ description: "Only objects under this key prefix." }),
  suffix: z4.string().default("").meta({ description: "Only objects whose key ends with this." }),
  kmsKeyArn: z4.string().regex(KMS_KEY_ARN, mustMatch(KMS_KEY_ARN)).optional().meta({ description: "KMS key of the source bucket, if SSE-KMS." }),
  account: otherAccount(
    "Account that owns the bucket, when it is not the pipeline's: the copy function and the scanner read it through a role in that account, and the stack `LogtongSource-<pipeline>` (deployed there) holds that role and the bucket's notification."
  ),
  roleArn: z4.string().regex(ROLE_ARN, mustMatch(ROLE_ARN)).optional().meta({
    description: "With account: an existing role in the source account to assume instead of the one `LogtongSource-<pipeline>` creates; it must trust the pipeline's copy and scanner roles with the external ID."
  }),
  externalId: externalIdOf("the source role")
}).superRefine((s, ctx) => {
  if (s.mode === "one-time" && !s.scanner) ctx.addIssue({ code: "custom", path: ["scanner"], message: "is required for mode one-time" });
  if (s.mode === "ongoing" && s.scanner) ctx.addIssue({ code: "custom", path: ["scanner"], message: "is only used with mode one-time" });
  for (const k of ["roleArn", "externalId"]) {
    if (s[k] !== void 0 && !s.account) ctx.addIssue({ code: "custom", path: [k], message: "is only used with account (a source bucket in another account)" });
  }
  if (s.roleArn && s.account && s.roleArn.split(":")[4] !== s.account) {
    ctx.addIssue({ code: "custom", path: ["roleArn"], message: `must be a role of the source account ${s.account}` });
  }
}).meta({ title: "source (type s3)" });
var FluentBitSource = z4.strictObject({
  type: z4.literal("fluent-bit"),
  platform: z4.enum(["ec2", "eks"]),
  logPaths: z4.array(z4.string().min(1)).min(1).meta({ description: "Files the agent tails (globs allowed)." }),
  eks: z4.strictObject({
    clusterName: z4.string().min(1),
    oidcProviderArn: z4.string().regex(OIDC_PROVIDER_ARN, mustMatch(OIDC_PROVIDER_ARN)),
    namespace: z4.string().default("logging")
  }).optional().meta({ description: "Required for platform eks." }),
  account: otherAccount(
    "Account the agents run in, when it is not the pipeline's: their outputs assume the role `Logtong-<pipeline>-agent` of the pipeline's account (output AgentRoleArn), which trusts that account with the external ID; give the agents' own instance or IRSA role sts:AssumeRole on it there."
  ),
  externalId: externalIdOf("the agent role"),
  traceErrors: z4.boolean().default(false).meta({
    description: "buffer none: print OpenSearch's answer to a rejected bulk request in the agent's log (Fluent Bit's trace_error). Off by default: the answer quotes field values of the rejected documents."
  })
}).superRefine((s, ctx) => {
  if (s.platform === "eks" && !s.eks) ctx.addIssue({ code: "custom", path: ["eks"], message: "is required for platform eks" });
  if (s.externalId !== void 0 && !s.account) ctx.addIssue({ code: "custom", path: ["externalId"], message: "is only used with account (agents in another account)" });
}).meta({ title: "source (type fluent-bit)" });
var SyslogSource = z4.strictObject({
  type: z4.literal("syslog"),
  protocol: z4.enum(["tcp", "udp", "tcp_udp"]).meta({ description: "tcp_udp: one listener taking both on the same port (the common case for port 514)." }),
  port: z4.number().int().min(1).max(65535),
  clientCidrs: z4.array(z4.string().regex(CIDR, mustMatch(CIDR))).min(1).meta({ description: "Only these networks reach the port." }),
  framing: z4.enum(["newline", "octet-counting"]).default("newline").meta({ description: 'TCP: how clients delimit frames (RFC 6587): newline (rsyslog\'s default "traditional") or octet-counting (`LEN SP MSG`).' }),
  minTasks: z4.number().int().min(1).max(100).default(2).meta({ description: "Fluent Bit tasks behind the listener at least (two zones for availability)." }),
  maxTasks: z4.number().int().min(1).max(100).default(6).meta({ description: "Upper bound of CPU-based scaling." }),
  cpu: z4.number().int().refine((v) => [256, 512, 1024, 2048].includes(v), { error: "must be 256, 512, 1024 or 2048" }).default(512).meta({ description: "Fargate CPU units per task: 256, 512, 1024 or 2048." }),
  memoryMb: z4.number().int().min(512).max(16384).default(1024)
}).superRefine((s, ctx) => {
  if (s.maxTasks < s.minTasks) ctx.addIssue({ code: "custom", path: ["maxTasks"], message: "must be at least minTasks" });
  if (s.protocol === "udp" && s.framing !== "newline") ctx.addIssue({ code: "custom", path: ["framing"], message: "applies to tcp only (a UDP datagram is one frame)" });
  if (s.port === SYSLOG_HEALTH_PORT) ctx.addIssue({ code: "custom", path: ["port"], message: `${SYSLOG_HEALTH_PORT} is the receivers' health-check port` });
}).meta({ title: "source (type syslog)" });
var SYSLOG_HEALTH_PORT = 2020;
var SyslogNetwork = z4.strictObject({
  vpcId: z4.string().regex(VPC_ID, mustMatch(VPC_ID)),
  subnetIds: z4.array(z4.string().regex(SUBNET_ID, mustMatch(SUBNET_ID))).min(1).meta({ description: "Private subnets of the internal load balancer and the receiver tasks (with a route to S3/Kinesis/OpenSearch and ECR: endpoints or NAT)." })
}).meta({ title: "syslog (shared by every syslog pipeline)" });
var SourceSchema = z4.discriminatedUnion("type", [S3Source, FluentBitSource, SyslogSource], {
  error: (iss) => iss.code === "invalid_union" ? 'must be one of "s3", "fluent-bit", "syslog"' : void 0
});
var AwsDomain = z4.strictObject({
  type: z4.literal("aws"),
  endpoint: z4.url({ protocol: /^https$/, error: "must be an https:// URL" }).meta({ description: "Domain endpoint (`https://vpc-\u2026.es.amazonaws.com`)." }),
  arn: z4.string().regex(DOMAIN_ARN, mustMatch(DOMAIN_ARN)),
  vpc: VpcSchema.optional().meta({ description: "Set when the domain is in a VPC: the processor Lambda is attached to it." })
}).meta({ title: "engine.domain (type aws): Amazon OpenSearch Service, SigV4" });
var SelfManagedDomain = z4.strictObject({
  type: z4.literal("self-managed"),
  url: z4.url({ protocol: /^https?$/, error: "must be an http(s):// URL" }),
  auth: z4.enum(["none", "basic"]).default("none"),
  basicAuthSecretArn: z4.string().regex(SECRET_ARN, mustMatch(SECRET_ARN)).optional().meta({ description: "Secrets Manager secret with `username` and `password`; required for auth basic." }),
  vpc: VpcSchema.optional(),
  dashboardsUrl: z4.url({ protocol: /^https?$/, error: "must be an http(s):// URL" }).optional().meta({
    description: "OpenSearch Dashboards base URL (`https://dashboards.example.internal:5601`), reached with the cluster's auth: the index bootstrap imports the pipeline's index pattern, dashboards and saved searches there (a failed import is logged, never fails the deploy). Unset: none are imported. Amazon OpenSearch Service domains always get them, at `<endpoint>/_dashboards`."
  })
}).superRefine((d, ctx) => {
  if (d.auth === "basic" && !d.basicAuthSecretArn) {
    ctx.addIssue({ code: "custom", path: ["basicAuthSecretArn"], message: "is required for auth basic" });
  }
}).meta({ title: "engine.domain (type self-managed): your own OpenSearch cluster" });
var KinesisBuffer = z4.strictObject({
  shards: z4.number().int().min(1).max(500).optional().meta({ description: "Provisioned shards; unset: on-demand capacity." }),
  retentionHours: z4.number().int().min(24).max(8760).default(24).meta({ description: "How long records stay readable (also for replaying failed batches into the backup bucket)." }),
  batchSize: z4.number().int().min(1).max(1e4).default(500).meta({ description: "Records per processor invocation." }),
  parallelizationFactor: z4.number().int().min(1).max(10).default(1).meta({ description: "Concurrent batches per shard." }),
  retryAttempts: z4.number().int().min(0).max(1e4).default(5).meta({ description: "Retries of a failing batch (halved each time) before it goes to the backup bucket." }),
  maxRecordAgeSeconds: z4.number().int().min(60).max(604800).default(21600).meta({ description: "Records older than this go to the backup bucket instead of being retried." })
}).superRefine((k, ctx) => {
  if (k.maxRecordAgeSeconds >= k.retentionHours * 3600) {
    ctx.addIssue({ code: "custom", path: ["maxRecordAgeSeconds"], message: `must be shorter than retentionHours (${k.retentionHours * 3600} s)` });
  }
});
var KINESIS_DEFAULTS = KinesisBuffer.parse({});
var NOTIFICATION_EMAIL = z4.email().optional().meta({ description: "Subscribed to the pipeline's failure topic (alarms, failed batch runs); unset: subscribe yourself." });
var OpenSearchEngine = z4.strictObject({
  type: z4.literal("opensearch"),
  domain: z4.discriminatedUnion("type", [AwsDomain, SelfManagedDomain], {
    error: (iss) => iss.code === "invalid_union" ? 'must be one of "aws", "self-managed"' : void 0
  }),
  indexPrefix: INDEXING_FIELDS.indexPrefix,
  buffer: z4.enum(["none", "kinesis", "s3"]).default("s3").meta({ description: "fluent-bit/syslog: where the agent sends logs. Sources in S3 always use the staging bucket (s3)." }),
  kinesis: KinesisBuffer.optional().meta({ description: "buffer kinesis: the stream and how the processor reads it (defaults below when unset)." }),
  bulkMaxBytes: INDEXING_FIELDS.bulkMaxBytes,
  bulkMaxDocs: INDEXING_FIELDS.bulkMaxDocs,
  index: IndexSettingsSchema.prefault({}),
  notificationEmail: NOTIFICATION_EMAIL
}).meta({ title: "engine (type opensearch)" });
var GLUE_NAME = /^[a-z][a-z0-9_]{0,254}$/;
var Compaction = z4.strictObject({
  schedule: z4.string().default("cron(30 1 * * ? *)").meta({ description: "EventBridge Scheduler expression (UTC) of the compaction run; it catches up every partition not yet compacted." }),
  minAgeHours: z4.number().int().min(1).default(24).meta({ description: "Only partitions (event hours) at least this old are compacted." }),
  targetFileMb: z4.number().int().min(16).max(1024).default(128).meta({ description: "Size of the merged files (the whole partition when smaller)." })
});
var PROJECTION_DAY = /^\d{4}-\d{2}-\d{2}$/;
var Projection = z4.strictObject({
  from: z4.string().regex(PROJECTION_DAY, { ...mustMatch(PROJECTION_DAY), abort: true }).refine((d) => isEventHour(`${d.replace(/-/g, "")}00`), { error: "must be a calendar day YYYY-MM-DD" }).default(projectionDay(DEFAULT_PROJECTION.fromHour)).meta({
    description: "First UTC day Athena projects. Records of earlier hours go to the backup bucket (with their raw text and the reason) instead of Parquet no query would return; an earlier day only makes queries without an `event_hour` filter read more partitions (refused when that would pass the 1,000,000 Athena reads per query within 10 years)."
  }),
  futureHours: z4.number().int().min(0).max(MAX_FUTURE_HOURS).default(DEFAULT_PROJECTION.futureHours).meta({
    description: "Hours after the query time Athena projects too (`NOW+<n>HOURS`), for clocks that run ahead and local times read as UTC. Records later than this at conversion go to the backup bucket."
  })
}).superRefine((p, ctx) => {
  const range = lightProjection({ projection: p });
  if (!isEventHour(range.fromHour)) return;
  const problem = partitionLimitProblem(range, Date.now());
  if (problem) ctx.addIssue({ code: "custom", path: ["from"], message: problem });
});
function projectionDay(hour) {
  return `${hour.slice(0, 4)}-${hour.slice(4, 6)}-${hour.slice(6, 8)}`;
}
var LightEngine = z4.strictObject({
  type: z4.literal("light"),
  schedule: z4.string().default("rate(5 minutes)").meta({ description: "EventBridge Scheduler expression for the batch." }),
  retentionDays: z4.number().int().min(1).default(365).meta({ description: "Lifetime of Parquet files in the centralized bucket." }),
  region: z4.string().optional().meta({ description: "Value of the `region` partition; default the stack region." }),
  database: z4.string().regex(GLUE_NAME, mustMatch(GLUE_NAME)).optional().meta({ description: "Glue database the stack creates for the table (one per pipeline); default `logtong_<table>`." }),
  table: z4.string().regex(GLUE_NAME, mustMatch(GLUE_NAME)).optional().meta({ description: "Glue table, also the key prefix in the centralized bucket; default the pipeline name with `_` for `-`." }),
  batchMaxMb: z4.number().int().min(1).max(10240).default(512).meta({ description: "Raw bytes of staged objects one Convert invocation takes." }),
  batchMaxObjects: z4.number().int().min(1).max(1e4).default(1e3),
  maxConcurrency: z4.number().int().min(1).max(40).default(4).meta({ description: "Convert invocations in parallel (the Map state)." }),
  convertMemoryMb: z4.number().int().min(512).max(10240).default(2048),
  convertTimeoutSeconds: z4.number().int().min(60).max(900).default(900),
  notificationEmail: NOTIFICATION_EMAIL,
  compaction: Compaction.prefault({}),
  projection: Projection.prefault({}).meta({
    description: "The `event_hour` partitions Athena projects; the converter backs up (and counts) records outside them, so no written row is invisible to queries."
  })
}).meta({ title: "engine (type light): Parquet on S3 + Athena" });
var EngineSchema = z4.discriminatedUnion("type", [OpenSearchEngine, LightEngine], {
  error: (iss) => iss.code === "invalid_union" ? 'must be one of "opensearch", "light"' : void 0
});
function lightDatabaseName(pipeline) {
  return pipeline.engine.type === "light" && pipeline.engine.database || `logtong_${lightTableName(pipeline)}`;
}
function lightProjection(engine) {
  return { fromHour: `${engine.projection.from.replace(/-/g, "")}00`, futureHours: engine.projection.futureHours };
}
function lightTableName(pipeline) {
  return pipeline.engine.type === "light" && pipeline.engine.table || pipeline.name.replace(/-/g, "_");
}
var PipelineSchema = z4.strictObject({
  name: z4.string().regex(PIPELINE_NAME, mustMatch(PIPELINE_NAME)).meta({ description: "Stack `Logtong-<name>`; also the staging key prefix." }),
  description: z4.string().optional(),
  source: SourceSchema,
  logFormat: LogFormatSchema,
  engine: EngineSchema,
  backupRetentionDays: z4.number().int().min(1).default(90).meta({ description: "Lifetime of failed records in the backup bucket." }),
  processorMemoryMb: z4.number().int().min(128).max(10240).default(1024),
  processorTimeoutSeconds: z4.number().int().min(30).max(900).default(300),
  alarms: AlarmsSchema
}).superRefine((p, ctx) => {
  if (p.source.type === "s3" && p.engine.type === "opensearch" && p.engine.buffer !== "s3") {
    ctx.addIssue({ code: "custom", path: ["engine", "buffer"], message: "must be s3 (the staging bucket) for a source of type s3" });
  }
  if (p.source.type === "syslog" && p.engine.type === "opensearch" && p.engine.buffer === "none") {
    ctx.addIssue({ code: "custom", path: ["engine", "buffer"], message: "must be kinesis or s3 for a syslog source (the receivers forward raw frames to the processor)" });
  }
});
var ConfigSchema = z4.strictObject({
  version: z4.literal(1).default(1),
  account: z4.string().regex(/^\d{12}$/, mustMatch(/^\d{12}$/)).optional().meta({ description: "Target account; default: the CLI environment." }),
  region: z4.string().optional().meta({ description: "Target region; default: the CLI environment." }),
  syslog: SyslogNetwork.optional().meta({ description: "Required when a pipeline has a syslog source: where the shared internal NLB (stack LogtongSyslog) and the receivers run." }),
  pipelines: z4.array(PipelineSchema).min(1)
}).superRefine((c, ctx) => configIssues(c, (path, message) => ctx.addIssue({ code: "custom", path, message })));
function configIssues(c, addIssue) {
  const pipelines = c.pipelines.map((p, i) => [p, i]).filter((x) => x[0] !== void 0);
  const seen = /* @__PURE__ */ new Map();
  pipelines.forEach(([p, i]) => {
    const first = seen.get(p.name);
    if (first !== void 0) addIssue(["pipelines", i, "name"], `duplicates pipelines[${first}]`);
    else seen.set(p.name, i);
  });
  const databases = /* @__PURE__ */ new Map();
  pipelines.forEach(([p, i]) => {
    if (p.engine.type !== "light") return;
    const db = lightDatabaseName(p);
    const first = databases.get(db);
    if (first !== void 0) {
      addIssue(["pipelines", i, "engine", "database"], `${db} is already created by pipelines[${first}]; each Light Engine stack creates its own database`);
    } else databases.set(db, i);
  });
  const firstSyslog = pipelines.find(([p]) => p.source.type === "syslog")?.[1] ?? -1;
  if (firstSyslog >= 0 && !c.syslog) {
    addIssue(["syslog"], `is required: pipelines[${firstSyslog}] has a syslog source`);
  }
  pipelines.forEach(([p, i]) => {
    if (p.source.type !== "s3" || p.source.mode !== "ongoing") return;
    const a = p.source;
    const j = pipelines.find(([q, k]) => {
      if (k >= i || q.source.type !== "s3" || q.source.mode !== "ongoing" || q.source.bucketName !== a.bucketName) return false;
      const b = q.source;
      return (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix)) && (a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix));
    })?.[1] ?? -1;
    if (j >= 0) {
      addIssue(["pipelines", i, "source", "prefix"], `overlaps pipelines[${j}] (${c.pipelines[j].name}) on bucket ${a.bucketName}: S3 takes no two notification rules for the same objects; give them prefixes (or suffixes) that do not cover each other`);
    }
  });
  pipelines.forEach(([p, i]) => {
    if (p.engine.type !== "opensearch") return;
    const a = p.engine;
    const j = pipelines.find(([q, k]) => k < i && q.engine.type === "opensearch" && domainOf(q.engine) === domainOf(a) && prefixesOverlap(a.indexPrefix, q.engine.indexPrefix))?.[1] ?? -1;
    if (j >= 0) {
      const other = c.pipelines[j].engine.indexPrefix;
      const why = other === a.indexPrefix ? "is also the prefix of" : `and ${other} overlap (one's \`<prefix>-*\` matches the other's indices) with`;
      addIssue(["pipelines", i, "engine", "indexPrefix"], `${a.indexPrefix} ${why} pipelines[${j}] (${c.pipelines[j].name}) on the same cluster; give them prefixes neither of which is the other's followed by "-"`);
    }
  });
  const ports = /* @__PURE__ */ new Map();
  pipelines.forEach(([p, i]) => {
    if (p.source.type !== "syslog") return;
    const key = String(p.source.port);
    const first = ports.get(key);
    if (first !== void 0) {
      addIssue(["pipelines", i, "source", "port"], `${key} is already the port of pipelines[${first}] (${c.pipelines[first].name}) on the shared load balancer, which has one listener per port (tcp_udp takes both protocols on one)`);
    } else ports.set(key, i);
  });
}
var prefixesOverlap = (x, y) => x === y || x.startsWith(`${y}-`) || y.startsWith(`${x}-`);
function domainOf(engine) {
  return engine.domain.type === "aws" ? engine.domain.endpoint : engine.domain.url;
}

// lib/agent/errors.ts
var AgentConfigError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "AgentConfigError";
  }
};

// lib/agent/agent-time.ts
var SPECIAL_TIMES = /* @__PURE__ */ new Set(["iso8601", "epoch_s", "epoch_ms", "epoch_us"]);
function zoneOffsetMinutes(zone, at) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(at);
  const get = (t) => Number(parts.find((p) => p.type === t).value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  return Math.round((wall - Math.floor(at.getTime() / 6e4) * 6e4) / 6e4);
}
var YEAR_SHAPE = "(?:197[1-9]|19[89][0-9]|20[0-2][0-9]|203[0-7])";
var EPOCH_SHAPE = "(?:[3-9][0-9]{7}|[1-9][0-9]{8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-4][0-9]{6}|2145[0-8][0-9]{5}|21459[01][0-9]{4})";
var anyCase = (word2) => [...word2].map((c) => /[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c).join("");
var MONTHS2 = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
var DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
var abbreviated = (names2) => `(?:${names2.map((n) => anyCase(n.slice(0, 3))).join("|")})`;
var fullOrAbbreviated = (names2) => `(?:${names2.map((n) => `${anyCase(n.slice(0, 3))}(?:${anyCase(n.slice(3))})?`).join("|")})`;
var TIME_SHAPES = {
  Y: YEAR_SHAPE,
  y: "(?:7[1-9]|[89][0-9]|[0-2][0-9]|3[0-7])",
  m: "(?:0?[1-9]|1[0-2])",
  d: "(?:0?[1-9]|[12][0-9]|3[01])",
  e: " ?(?:0?[1-9]|[12][0-9]|3[01])",
  j: "(?:00[1-9]|0?[1-9][0-9]|[1-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-6])",
  H: "(?:[01]?[0-9]|2[0-3])",
  k: " ?(?:[01]?[0-9]|2[0-3])",
  I: "(?:0?[1-9]|1[0-2])",
  l: " ?(?:0?[1-9]|1[0-2])",
  M: "[0-5]?[0-9]",
  S: "(?:[0-5]?[0-9]|60)",
  L: "[0-9]{3}",
  f: "[0-9]{1,9}",
  // the processor reads three letters for %b, any month name for %B (lambda/core/time/strptime.ts DIRECTIVES)
  b: abbreviated(MONTHS2),
  h: abbreviated(MONTHS2),
  B: fullOrAbbreviated(MONTHS2),
  // weekday names: the processor ignores them, Fluent Bit's strptime fails on a name that is not one
  a: abbreviated(DAYS),
  A: fullOrAbbreviated(DAYS),
  p: "[AaPp]\\.?[Mm]\\.?",
  // Fluent Bit's %z takes Z but not z (flb_strptime.c), nor checks the ranges the processor checks
  z: "(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)",
  Z: "(?:[Uu][Tt][Cc]|[Gg][Mm][Tt]|[Uu][Tt]|Z)",
  s: EPOCH_SHAPE,
  n: "[\\s]+",
  t: "[\\s]+",
  "%": "%"
};
function expandTime(strptime) {
  let expanded = strptime;
  for (let guard = 0; guard < 4 && /%[TFDRr]/.test(expanded); guard++) expanded = expanded.replace(/%([TFDRr])/g, (_, c) => STRPTIME_EXPANSIONS[c]);
  return expanded;
}
function renderTime(strptime, shapes = {}) {
  const expanded = expandTime(strptime);
  let re = "";
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i];
    if (ch === "%") {
      const shape = shapes[expanded[i + 1]] ?? TIME_SHAPES[expanded[i + 1]];
      if (shape === void 0) throw new AgentConfigError(`time format ${JSON.stringify(strptime)}: %${expanded[i + 1] ?? ""} has no agent equivalent`);
      re += shape;
      i++;
    } else re += ch === " " ? " +" : escapeRe(ch);
  }
  return re;
}
function agentTimeShape(strptime) {
  return renderTime(strptime);
}
function nonLeapYears(digits2) {
  const alts = [];
  const years = digits2 === 4 ? Array.from({ length: 67 }, (_, k) => 1971 + k) : [...Array.from({ length: 29 }, (_, k) => 71 + k), ...Array.from({ length: 38 }, (_, k) => k)];
  const byDecade = /* @__PURE__ */ new Map();
  for (const y of years.filter((y2) => y2 % 4 !== 0)) {
    const s = String(y).padStart(digits2, "0");
    byDecade.set(s.slice(0, -1), (byDecade.get(s.slice(0, -1)) ?? "") + s.slice(-1));
  }
  for (const [decade, units] of byDecade) alts.push(`${decade}[${units}]`);
  return `(?:${alts.join("|")})`;
}
var monthsShape = (c, months) => {
  if (c === "m") return `(?:${months.map((m) => m < 10 ? `0?${m}` : String(m)).join("|")})`;
  const names2 = months.map((m) => MONTHS2[m - 1]);
  return c === "B" ? fullOrAbbreviated(names2) : abbreviated(names2);
};
function agentInvalidDates(strptime) {
  const expanded = expandTime(strptime);
  const day = ["d", "e"].find((c) => expanded.includes(`%${c}`));
  const month = ["b", "h", "B", "m"].find((c) => expanded.includes(`%${c}`));
  if (!day || !month) return void 0;
  const days = (v) => ({ [day]: day === "e" ? ` ?${v}` : v });
  const year = expanded.includes("%Y") ? { Y: nonLeapYears(4) } : expanded.includes("%y") ? { y: nonLeapYears(2) } : void 0;
  const invalid = [
    renderTime(strptime, { ...days("3[01]"), [month]: monthsShape(month, [2]) }),
    renderTime(strptime, { ...days("31"), [month]: monthsShape(month, [4, 6, 9, 11]) }),
    ...year ? [renderTime(strptime, { ...days("29"), [month]: monthsShape(month, [2]), ...year })] : []
  ];
  return invalid.join("|");
}
function agentTime(timeKey, timeFormat, zone, millis = false) {
  let fmt;
  let shape;
  let invalid;
  if (timeFormat === "epoch_s") {
    fmt = millis ? "%s.%L" : "%s";
    shape = millis ? `${EPOCH_SHAPE}\\.[0-9]{3}` : EPOCH_SHAPE;
  } else if (SPECIAL_TIMES.has(timeFormat)) {
    throw new AgentConfigError(
      `timeFormat ${timeFormat} has no strptime equivalent in Fluent Bit (${timeFormat === "iso8601" ? "fraction and offset are optional in ISO 8601" : "sub-second epochs"}); set logFormat.timeFormat to the exact strptime format, or use buffer s3 or kinesis`
    );
  } else {
    const strptime = toStrptimeFormat(timeFormat);
    fmt = strptime.replace(/%f/g, "%L");
    shape = agentTimeShape(strptime);
    invalid = agentInvalidDates(strptime);
  }
  const parser = { time_key: timeKey, time_format: fmt, time_keep: "on" };
  if (!/%z|%Z|%s/.test(fmt) && zone !== "UTC") {
    const year = (/* @__PURE__ */ new Date()).getUTCFullYear();
    const jan = zoneOffsetMinutes(zone, new Date(Date.UTC(year, 0, 15)));
    const jul = zoneOffsetMinutes(zone, new Date(Date.UTC(year, 6, 15)));
    if (jan !== jul) throw new AgentConfigError(`timeZone ${zone} has daylight saving time; Fluent Bit only takes a fixed time_offset. Log the offset (%z), or use buffer s3 or kinesis`);
    const sign = jan < 0 ? "-" : "+";
    const abs = Math.abs(jan);
    parser.time_offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
  }
  return { parser, shape, ...invalid ? { invalid } : {} };
}

// lib/agent/onigmo.ts
var ConversionError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "ConversionError";
  }
};
var SPACE_CHARS = "\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
var DIGIT_CHARS = "0-9";
var WORD_CHARS = "A-Za-z0-9_";
var DOT = "[^\\n\\r\\u2028\\u2029]";
var START = "(?<![\\s\\S])";
var END = "(?![\\s\\S])";
var SINGLE = { "}": "\\}", "/": "\\/", ".": DOT, "^": START, "$": END };
var WORD_BOUNDARY = `(?:(?<=[${WORD_CHARS}])(?![${WORD_CHARS}])|(?<![${WORD_CHARS}])(?=[${WORD_CHARS}]))`;
var NOT_WORD_BOUNDARY = `(?:(?<=[${WORD_CHARS}])(?=[${WORD_CHARS}])|(?<![${WORD_CHARS}])(?![${WORD_CHARS}]))`;
var SHORTHAND = {
  d: `[${DIGIT_CHARS}]`,
  D: `[^${DIGIT_CHARS}]`,
  w: `[${WORD_CHARS}]`,
  W: `[^${WORD_CHARS}]`,
  s: `[${SPACE_CHARS}]`,
  S: `[^${SPACE_CHARS}]`
};
var CLASS_SHORTHAND = { d: DIGIT_CHARS, w: WORD_CHARS, s: SPACE_CHARS };
var SAME_ESCAPES = /* @__PURE__ */ new Set(["n", "r", "t", "f", "v"]);
var HEX = /^[0-9A-Fa-f]$/;
function hex4(code) {
  return `\\u${code.toString(16).padStart(4, "0")}`;
}
function toOnigmo(source) {
  try {
    new RegExp(source);
  } catch (e) {
    throw new ConversionError(`not a valid JavaScript regular expression: ${e.message}`);
  }
  let out = "";
  const groups = [];
  const n = source.length;
  const bodyChecks = [];
  const escape = (i2, inClass) => {
    const c = source[i2 + 1];
    if (c === void 0) throw new ConversionError("trailing backslash");
    if (inClass) {
      if (CLASS_SHORTHAND[c]) return [CLASS_SHORTHAND[c], i2 + 2];
      if (c === "D" || c === "W" || c === "S") throw new ConversionError(`\\${c} inside a character class cannot be written for Onigmo without a nested class; write the class out`);
      if (c === "b") return ["\\u0008", i2 + 2];
    } else {
      if (SHORTHAND[c]) return [SHORTHAND[c], i2 + 2];
      if (c === "b") return [WORD_BOUNDARY, i2 + 2];
      if (c === "B") return [NOT_WORD_BOUNDARY, i2 + 2];
      if (/[1-9]/.test(c)) throw new ConversionError(`numbered back-reference \\${c}: Onigmo refuses them next to named groups; use \\k<name>`);
      if (c === "k" && source[i2 + 2] === "<") {
        const close = source.indexOf(">", i2 + 3);
        return [source.slice(i2, close + 1), close + 1];
      }
    }
    if (SAME_ESCAPES.has(c)) return [`\\${c}`, i2 + 2];
    if (c === "0" && !/[0-9]/.test(source[i2 + 2] ?? "")) return ["\\u0000", i2 + 2];
    if (/[0-9]/.test(c)) throw new ConversionError(`octal escape \\${c}\u2026: write \\uHHHH`);
    if (c === "x" && HEX.test(source[i2 + 2] ?? "") && HEX.test(source[i2 + 3] ?? "")) {
      return [hex4(parseInt(source.slice(i2 + 2, i2 + 4), 16)), i2 + 4];
    }
    if (c === "u" && /^[0-9A-Fa-f]{4}$/.test(source.slice(i2 + 2, i2 + 6))) return [`\\u${source.slice(i2 + 2, i2 + 6).toLowerCase()}`, i2 + 6];
    if (c === "c") throw new ConversionError("control escape \\c: write \\uHHHH");
    if (/[A-Za-z0-9]/.test(c)) return [c, i2 + 2];
    if (c === "/") return ["\\/", i2 + 2];
    return [`\\${c}`, i2 + 2];
  };
  let i = 0;
  while (i < n) {
    const ch = source[i];
    if (ch === "\\") {
      const [s, next] = escape(i, false);
      out += s;
      i = next;
      continue;
    }
    if (ch === "[") {
      let j = i + 1;
      let negated = false;
      if (source[j] === "^") {
        negated = true;
        j++;
      }
      if (source[j] === "]") {
        out += negated ? "[\\s\\S]" : "(?!)";
        i = j + 1;
        continue;
      }
      const whole = /^(?:\\s\\S|\\S\\s|\\d\\D|\\D\\d|\\w\\W|\\W\\w)\]/.exec(source.slice(j));
      if (whole) {
        out += negated ? "(?!)" : "[\\s\\S]";
        i = j + whole[0].length;
        continue;
      }
      let body = "";
      while (j < n && source[j] !== "]") {
        const c = source[j];
        if (c === "\\") {
          const [s, next] = escape(j, true);
          if (CLASS_SHORTHAND[source[j + 1]]) {
            if (body.endsWith("-") && !body.endsWith("\\-") && body.length > 1) body = `${body.slice(0, -1)}\\-`;
            body += s;
            if (source[next] === "-" && source[next + 1] !== "]") {
              body += "\\-";
              j = next + 1;
              continue;
            }
          } else body += s;
          j = next;
        } else if (c === "[" || c === "&" || c === "{" || c === "}") {
          body += `\\${c}`;
          j++;
        } else {
          body += c;
          j++;
        }
      }
      out += `[${negated ? "^" : ""}${body}]`;
      i = j + 1;
      continue;
    }
    if (ch === "(") {
      if (source[i + 1] !== "?") {
        groups.push({ lookbehind: false, start: out.length + 1 });
        out += "(";
        i++;
        continue;
      }
      const head = /^\(\?(?::|=|!|<=|<!|<([^>]*)>)/.exec(source.slice(i));
      if (!head) throw new ConversionError(`group construct ${source.slice(i, i + 4)}\u2026 is not supported`);
      if (head[1] !== void 0 && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(head[1])) {
        throw new ConversionError(`group name ${head[1]}: Onigmo names are letters, digits and _`);
      }
      groups.push({ lookbehind: head[0] === "(?<=" || head[0] === "(?<!", start: out.length + head[0].length });
      out += head[0];
      i += head[0].length;
      continue;
    }
    if (ch === ")") {
      const g = groups.pop();
      if (g?.lookbehind) bodyChecks.push({ from: g.start, to: out.length });
      out += ")";
      i++;
      continue;
    }
    if (ch === "{") {
      const q = /^\{\d+(?:,\d*)?\}/.exec(source.slice(i));
      if (q) {
        out += q[0];
        i += q[0].length;
      } else {
        out += "\\{";
        i++;
      }
      continue;
    }
    out += SINGLE[ch] ?? ch;
    i++;
  }
  for (const b of bodyChecks) {
    const body = out.slice(b.from, b.to);
    if (hasVariableLength(body)) throw new ConversionError(`lookbehind ${JSON.stringify(body)} has a variable length; Onigmo needs a fixed one`);
  }
  return out;
}
function hasVariableLength(body) {
  const stripped = body.replace(/\\u[0-9a-f]{4}|\\./g, "x").replace(/\[(?:\\.|[^\]\\])*\]/g, "x").replace(/\(\?(?::|<?[=!]|<[A-Za-z_][A-Za-z0-9_]*>)/g, "(");
  return /[*+?]|\{\d+,\d*\}/.test(stripped);
}

// lib/agent/parser-regex.ts
var FLB_TYPES = { integer: "integer", long: "integer", float: "float", double: "float", boolean: "bool" };
function onigmo(source, what) {
  try {
    return toOnigmo(source);
  } catch (e) {
    if (e instanceof ConversionError) throw new AgentConfigError(`${what}: ${e.message}`);
    throw e;
  }
}
function firstLineRegex(format) {
  if (format.regex) return { source: format.regex, names: groupNames(format.regex), timeKey: format.timeKey, timeFormat: format.timeFormat ?? (format.timeKey ? "iso8601" : void 0), timeZone: format.timeZone ?? "UTC" };
  if (!format.format) throw new AgentConfigError(`logFormat.regex or logFormat.format is required for type ${format.type}`);
  const layout = layoutToRegex(format.format);
  const timeKey = format.timeKey ?? layout.timeKey;
  return {
    source: layout.regex,
    names: layout.fields,
    timeKey,
    timeFormat: format.timeFormat ?? layout.timeFormat ?? (timeKey ? "iso8601" : void 0),
    timeZone: layout.timeZone ?? format.timeZone ?? "UTC"
  };
}
function timeFieldParser(name, key, t) {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new AgentConfigError(`timeKey ${key}: the agent reads the time from a top-level field with a plain name`);
  const timeSource = `^${t.invalid ? `(?!(?:${t.invalid})$)` : ""}(?<${key}>${t.shape})$`;
  return { time: { name: `${name}-time`, format: "regex", regex: onigmo(timeSource, "time shape"), ...t.parser }, timeSource };
}
function typesOf(fields, names2) {
  const flb = (n) => FLB_TYPES[fields[n]];
  const t = [...new Set(names2)].filter((n) => flb(n)).map((n) => `${n}:${flb(n)}`);
  return t.length ? t.join(" ") : void 0;
}
function templateRegex(tpl, fields, time) {
  let re = `^${escapeRe(tpl.prefix)}`;
  const n = tpl.fields.length;
  tpl.fields.forEach((f, i) => {
    const lit = tpl.literals[i];
    const L = escapeRe(lit);
    const before = i === 0 ? tpl.prefix : tpl.literals[i - 1];
    const last = i === n - 1;
    const type = f.role === "request" ? "keyword" : fields[f.name];
    const isString = type === "keyword" || type === "text";
    if ((f.role === "sum" || f.role === "last") && !isString) {
      throw new AgentConfigError(`${f.label} holds one value per upstream tried, which the processor reduces to one ${type}; the agent cannot. Use buffer s3 or kinesis, or type the field keyword`);
    }
    let value;
    if (last) value = "[\\s\\S]*";
    else if (lit.startsWith(":")) {
      if (type === "ip") throw new AgentConfigError(`${f.label} (ip) before ":": the processor finds an unbracketed IPv6 address by the last ":"; the agent cannot. Use buffer s3 or kinesis`);
      value = `\\[[^\\]]*\\](?:(?!${L})[\\s\\S])*|(?:(?!${L})[\\s\\S])*`;
    } else if (before.endsWith('"') && lit.startsWith('"')) value = `(?:\\\\[\\s\\S]|(?!${L})[^\\\\])*`;
    else if (f.list && lit.startsWith(" ")) value = `(?:(?!${L})[\\s\\S]|(?<=,) |(?<= :) | (?=: ))*`;
    else value = `(?:(?!${L})[\\s\\S])*`;
    const name = tpl.fields.slice(i + 1).some((g) => g.name === f.name) ? void 0 : f.name;
    const after = last ? `${L}$` : L;
    if (type === "boolean") throw new AgentConfigError(`${f.label} (boolean): Fluent Bit's bool cast reads only "true", the processor also 1/yes/on; use buffer s3 or kinesis`);
    if (type === "date" || type === "object") throw new AgentConfigError(`${f.label} (${type}): the processor converts or checks the value, the agent cannot; use buffer s3 or kinesis, or type the field keyword`);
    const clf = f.role === "clf-bytes";
    const check = time && f.name === time.key ? `(?=(?:${time.shape})${after})${time.invalid ? `(?!(?:${time.invalid})${after})` : ""}` : NUMBER_SHAPES[type] ? `(?=(?:${clf ? "-|" : ""}${NUMBER_SHAPES[type]})?${after})` : "";
    const group = name ? `${check}(?<${name}>${value})` : `(?:${value})`;
    const nulls = type === "ip" ? "(?:-|unix:)" : "-";
    re += isString || f.role === "request" || clf || !name ? group : `(?:${nulls}(?=${after})|${group})`;
    re += after;
  });
  return re;
}
function decimalUpTo(max) {
  const alts = ["[0-9]"];
  if (max.length > 2) alts.push(`[1-9][0-9]{1,${max.length - 2}}`);
  else if (max.length === 2) alts.push("");
  for (let i = 0; i < max.length; i++) {
    const d = Number(max[i]);
    const low = i === 0 ? 1 : 0;
    if (d > low) alts.push(`${max.slice(0, i)}[${low}-${d - 1}]${max.length - i - 1 ? `[0-9]{${max.length - i - 1}}` : ""}`);
  }
  alts.push(max);
  return `(?:${alts.filter(Boolean).join("|")})`;
}
var signedRange = (max, min) => `(?=[+-]?[0-9]{1,19}(?![0-9]))(?:\\+?0*${decimalUpTo(max)}|-0*${decimalUpTo(min)})`;
var NUMBER_SHAPES = {
  integer: signedRange("2147483647", "2147483648"),
  long: signedRange("9007199254740991", "9007199254740991"),
  float: "[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?",
  double: "[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?",
  ip: `(?:(?:${decimalUpTo("255")}\\.){3}${decimalUpTo("255")}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z_.-]+)?)`
};
var REQUEST_REGEXES = [
  "^(?<request_method>[A-Z_-]{1,32}) (?<request_uri>[\\s\\S]+) (?<request_protocol>HTTP/[^ ]*)$",
  "^(?<request_method>[A-Z_-]{1,32}) (?<request_uri>[^ ]+)$"
];
function eventRegex(first) {
  const tail = "(?<message>.*)$";
  if (!first.endsWith(tail) || groupNames(first).indexOf("message") !== groupNames(first).length - 1) {
    throw new AgentConfigError(
      "multi-line-text at the agent (buffer none) needs the message to be the last field, running to the end of the first line (`(?<message>.*)$`, a layout ending in %msg); the processor joins the continuation lines to it. Use buffer s3 or kinesis"
    );
  }
  const body = first.slice(0, -tail.length);
  return `${first.startsWith("^") ? "" : "^[^\\n]*?"}${body}(?<message>[\\s\\S]*)$`;
}
function mandatoryGroups(source) {
  const root = { optional: false, alternatives: false };
  const all = [];
  let cur = root;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") {
      for (i++; i < source.length && source[i] !== "]"; i++) if (source[i] === "\\") i++;
    } else if (c === "|") cur.alternatives = true;
    else if (c === "(") {
      const named = /^\?<([A-Za-z_$][\w$]*)>/.exec(source.slice(i + 1));
      const look = /^\?(?:=|!|<=|<!)/.test(source.slice(i + 1));
      const node = { name: named?.[1], parent: cur, optional: look, alternatives: false };
      all.push(node);
      cur = node;
    } else if (c === ")" && cur.parent) {
      if (/^(?:[?*]|\{0|\{,)/.test(source.slice(i + 1))) cur.optional = true;
      cur = cur.parent;
    }
  }
  const mandatory = (n) => !n.optional && (!n.parent || !n.parent.alternatives && mandatory(n.parent));
  return new Set(all.filter((n) => n.name && mandatory(n)).map((n) => n.name));
}
var NULL_VALUES = { integer: "-|", long: "-|", float: "-|", double: "-|", boolean: "-|", ip: "-|unix:|" };
var BOOLEAN_SHAPE = `${anyCase("true")}|${anyCase("false")}`;
function typedCheck(parserName, key, type, text) {
  if (type === "keyword" || type === "text") return [];
  if (type === "date" || type === "object") throw new AgentConfigError(`logFormat.fields ${key} (${type}): the processor converts or checks the value, the agent cannot; use buffer s3 or kinesis, or type the field keyword`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new AgentConfigError(`${key}: the agent checks a typed field by a record key with a plain name`);
  const shape = type === "boolean" ? BOOLEAN_SHAPE : NUMBER_SHAPES[type];
  const nulls = `${NULL_VALUES[type]}${text ? "|\\?" : ""}`;
  const source = `^(?:(?<${key}>${shape})|(?<${CHECK_NULL_PREFIX}${key}>${nulls}))$`;
  const flb = FLB_TYPES[type];
  return [{ key, required: false, parser: { name: `${parserName}-check-${key}`, format: "regex", regex: onigmo(source, `${key} check`), ...flb ? { types: `${key}:${flb}` } : {} } }];
}
var CHECK_NULL_PREFIX = "logtong_null_";
function agentParsing(pipelineName, format) {
  const fields = { ...compileParser(format).fields };
  const name = `logtong-${pipelineName}`;
  const zone = format.timeZone ?? "UTC";
  switch (format.type) {
    case "json": {
      if (format.flattenJson) throw new AgentConfigError("flattenJson: Fluent Bit's json parser keeps nested objects; use buffer s3 or kinesis");
      const overrides = Object.keys(format.fields ?? {});
      const nested = overrides.find((k) => k.includes(".") && FLB_TYPES[fields[k]]);
      if (nested) throw new AgentConfigError(`logFormat.fields ${nested} (${fields[nested]}): the processor converts nested values, the agent none; use buffer s3 or kinesis`);
      const time = format.timeKey ? timeFieldParser(name, format.timeKey, agentTime(format.timeKey, format.timeFormat ?? "iso8601", zone)) : void 0;
      return {
        main: { name, format: "json" },
        ...time ? { ...time, checks: [{ key: time.time.time_key, parser: time.time, required: true }] } : {},
        fields
      };
    }
    case "syslog":
      throw new AgentConfigError("syslog lines are parsed by hand-written code (PRI \u2192 facility/severity names, structured data, the year of RFC 3164 times) that no Fluent Bit parser reproduces; use buffer s3 or kinesis");
    case "nginx":
    case "apache": {
      const tpl = format.type === "nginx" ? nginxTemplate(format.format) : apacheTemplate(format.format).template;
      const timeKey = format.timeKey ?? Object.keys(tpl.timeFormats).find((k) => tpl.fields.some((f) => f.name === k));
      const timeFormat = format.timeFormat ?? (timeKey ? tpl.timeFormats[timeKey] ?? "iso8601" : void 0);
      const time = timeKey ? agentTime(timeKey, timeFormat ?? TIME_LOCAL_FORMAT, zone, format.type === "nginx" && timeKey === "msec" && timeFormat === "epoch_s") : void 0;
      const source = templateRegex(tpl, fields, time && timeKey ? { key: timeKey, shape: time.shape, invalid: time.invalid } : void 0);
      const names2 = tpl.fields.filter((f) => f.role !== "request").map((f) => f.name);
      const main = { name, format: "regex", regex: onigmo(source, `${format.type} format`), ...time?.parser ?? {}, types: typesOf(fields, names2) };
      const hasRequest = tpl.fields.some((f) => f.role === "request");
      const empty = [...new Set(tpl.fields.filter((f) => f.role === "request" || (fields[f.name] === "keyword" || fields[f.name] === "text") && f.name !== timeKey).map((f) => f.name))];
      return {
        main,
        mainSource: source,
        ...empty.length ? { empty } : {},
        fields,
        ...hasRequest ? { request: { parsers: REQUEST_REGEXES.map((r, k) => ({ name: `${name}-request-${k + 1}`, format: "regex", regex: onigmo(r, "request line") })), keepRaw: "request" in (format.fields ?? {}) } } : {}
      };
    }
    case "regex":
    case "single-line-text":
    case "multi-line-text": {
      const first = firstLineRegex(format);
      const source = format.type === "multi-line-text" ? eventRegex(first.source) : first.source;
      const time = first.timeKey && first.timeFormat ? timeFieldParser(name, first.timeKey, agentTime(first.timeKey, first.timeFormat, first.timeZone)) : void 0;
      const names2 = [...new Set(groupNames(source))];
      const typed = names2.filter((n) => n !== first.timeKey).flatMap((n) => typedCheck(name, n, fields[n], format.type !== "regex"));
      const always = mandatoryGroups(source);
      const empty = names2.filter((n) => always.has(n) && n !== first.timeKey && (fields[n] === "keyword" || fields[n] === "text"));
      const checks = [...time ? [{ key: time.time.time_key, parser: time.time, required: true }] : [], ...typed];
      return {
        // typed groups are converted by their checks, which also check them
        main: { name, format: "regex", regex: onigmo(source, "logFormat.regex") },
        mainSource: source,
        ...time ?? {},
        ...checks.length ? { checks } : {},
        ...empty.length ? { empty } : {},
        ...format.type === "multi-line-text" ? { event: true } : {},
        fields
      };
    }
  }
}
function parseSteps(parsing, k) {
  const line = `${k.prefix}line`;
  const checkKey = (key) => `${k.prefix}check_${key}`;
  const checks = parsing.checks ?? [];
  const parsers = /* @__PURE__ */ new Map([[parsing.main.name, parsing.main]]);
  const parse = [];
  const parser = (key, p, preserve = false) => {
    parsers.set(p.name, p);
    return { name: "parser", match: k.match, key_name: key, parser: p.name, reserve_data: true, preserve_key: preserve };
  };
  if (parsing.event) {
    parse.push(parser(k.raw, { name: `${parsing.main.name}-event`, format: "regex", regex: `^(?<${k.raw}>(?:.|\\s)*?)\\n?(?!.|\\s)` }));
  }
  if (checks.length) parse.push({ name: "modify", match: k.match, copy: `${k.raw} ${line}` });
  parse.push(parser(k.raw, parsing.main));
  if (checks.length) {
    parse.push({ name: "modify", match: k.match, rename: checks.map((c) => `${c.key} ${checkKey(c.key)}`) });
    for (const c of checks) parse.push(parser(checkKey(c.key), c.parser));
    for (const c of checks) {
      const condition = c.required ? `Key_does_not_exist ${c.key}` : `Key_exists ${checkKey(c.key)}`;
      parse.push({ name: "modify", match: k.match, condition, copy: `${line} ${k.raw}` });
    }
  }
  const failed = checks.length ? { rename: `${line} raw`, remove_regex: `^(?!(?:raw|${k.provenance.join("|")})$)` } : { rename: `${k.raw} raw` };
  const settle = [];
  if (parsing.empty?.length) settle.push({ name: "modify", match: k.match, add: parsing.empty.map((f) => `${f} ""`) });
  if (checks.length) settle.push({ name: "modify", match: k.match, remove: line, remove_wildcard: CHECK_NULL_PREFIX });
  if (parsing.request) {
    for (const p of parsing.request.parsers) settle.push(parser("request", p, parsing.request.keepRaw));
  }
  return { parsers: [...parsers.values()], parse, failed, settle };
}
function multilineParser(pipelineName, format) {
  if (format.type !== "multi-line-text") return void 0;
  const first = onigmo(firstLineRegex(format).source, "first-line regex");
  return {
    name: `logtong-${pipelineName}-multiline`,
    type: "regex",
    // a last event is held this long waiting for continuation lines (ms)
    flush_timeout: 2e3,
    // Container logs interleave the stdout and stderr lines of one container in its file: each stream has its own
    // events, as the application wrote them. A record without the key (a plain file) is one group.
    key_group: "stream",
    rules: [
      { state: "start_state", regex: `/${first}/`, next_state: "cont" },
      { state: "cont", regex: `/^(?![\\s\\S]*?(?:${first}))/`, next_state: "cont" }
    ]
  };
}

// lambda/core/metric-catalog.ts
var METRICS_NAMESPACE = "Logtong";
var SERVICE_DIMENSION = "service";
var PIPELINE_DIMENSION = "pipeline";
var METRIC = {
  /** Lines (records) a unit of work read: processors and the Light Engine convert. */
  RecordsIn: "RecordsIn",
  /** Documents OpenSearch accepted (processors). */
  Indexed: "Indexed",
  /** Documents OpenSearch already held under the same id: a redelivery (processors). */
  Duplicates: "Duplicates",
  /** Records dropped by a filter rule. */
  Filtered: "Filtered",
  /** Records written to the backup bucket with their raw text and a reason. */
  BackedUp: "BackedUp",
  /** Records left for the next delivery (the OpenSearch processor's transient refusals). */
  Deferred: "Deferred",
  /** 1 when a unit's counts did not balance (it failed instead of counting as done), else 0. */
  Unbalanced: "Unbalanced",
  /** Rows written to Parquet (convert). */
  Written: "Written",
  /** Of BackedUp: rows outside the Glue table's partition projection (convert). */
  OutOfProjection: "OutOfProjection",
  /** Parquet files written by a convert. */
  FilesWritten: "FilesWritten",
  /** Parquet files merged by compaction, and the files it wrote. */
  FilesCompacted: "FilesCompacted",
  CompactedFilesWritten: "CompactedFilesWritten",
  /** Dead letters the dead-letter backup wrote to the backup bucket. */
  DeadLetters: "DeadLetters",
  /** One-time scanner: objects and bytes sent to the copy queue since the last report. */
  ObjectsSent: "ObjectsSent",
  BytesSent: "BytesSent",
  /** One-time scanner: 1 when the scan ended in an error, 0 when it completed or stopped cleanly. */
  ScanFailed: "ScanFailed"
};
function serviceName(handlerName) {
  return `logtong-${handlerName}`;
}
var SCANNER_SERVICE = "logtong-scanner";
function metricDimensions(service, pipeline) {
  return { [SERVICE_DIMENSION]: service, [PIPELINE_DIMENSION]: pipeline };
}

// lib/agent/agent-metrics.ts
var AGENT_METRICS_NAMESPACE = METRICS_NAMESPACE;
var AGENT_METRICS_SCRAPE_SECONDS = 60;
var AGENT_COUNTER = {
  /** Records an input instance read (lines tailed, syslog frames received). */
  inputRecords: "fluentbit_input_records_total",
  /** Records an output instance delivered. */
  outputProcRecords: "fluentbit_output_proc_records_total",
  /** Flushes of an output that failed and were scheduled again. */
  outputRetries: "fluentbit_output_retries_total",
  /** Chunks an output gave up on after its retry limit. */
  outputRetriesFailed: "fluentbit_output_retries_failed_total",
  /** Records an output gave up on (kept on the host under storage.path/rejected, see fluent-bit-config.ts). */
  outputDroppedRecords: "fluentbit_output_dropped_records_total",
  /** Flushes an output refused for good without retrying. */
  outputErrors: "fluentbit_output_errors_total"
};
var AGENT_METRIC_NAMES = {
  inputRecords: "AgentInputRecords",
  outputProcRecords: "AgentOutputRecords",
  outputRetries: "AgentRetries",
  outputRetriesFailed: "AgentRetriesFailed",
  outputDroppedRecords: "AgentDroppedRecords",
  outputErrors: "AgentErrors"
};
var AGENT_INSTANCE = {
  /** The input that reads the pipeline's logs (tail, or the syslog listener). */
  input: "logtong_in",
  /** The output into the pipeline's buffer or domain. */
  output: "logtong_out",
  /** buffer none: the output that keeps lines the agent cannot parse in the backup bucket. */
  failed: "logtong_failed",
  /** The metrics path itself (its input and its output). */
  metrics: "logtong_metrics"
};
function agentInputAlias(protocol) {
  return protocol ? `${AGENT_INSTANCE.input}_${protocol}` : AGENT_INSTANCE.input;
}
function agentMetricsLogGroupName(pipelineName) {
  return `/logtong/${pipelineName}/agent-metrics`;
}
function agentMetricDimensions(pipelineName) {
  return { pipeline: pipelineName };
}
function agentMetricFilters(pipelineName) {
  const inputs = [agentInputAlias(), agentInputAlias("tcp"), agentInputAlias("udp")];
  return Object.keys(AGENT_METRIC_NAMES).map((key) => {
    const counter = AGENT_COUNTER[key];
    const names2 = key === "inputRecords" ? inputs : [AGENT_INSTANCE.output];
    const name = names2.map((n) => `$.name = "${n}"`).join(" || ");
    return {
      id: AGENT_METRIC_NAMES[key],
      metricName: AGENT_METRIC_NAMES[key],
      filterPattern: `{ ($.pipeline = "${pipelineName}") && (${name}) && ($.${counter} = *) }`,
      metricValue: `$.${counter}`,
      dimensions: { pipeline: "$.pipeline" },
      unit: "Count"
    };
  });
}
function agentMetricsTag(pipelineName) {
  return `metrics.${pipelineName}`;
}
function agentMetricsPlugins(pipelineName, region) {
  const tag = agentMetricsTag(pipelineName);
  const names2 = Object.values(AGENT_COUNTER);
  return {
    input: {
      name: "fluentbit_metrics",
      alias: AGENT_INSTANCE.metrics,
      tag,
      scrape_interval: AGENT_METRICS_SCRAPE_SECONDS,
      "storage.type": "memory",
      mem_buf_limit: "1MB",
      processors: {
        metrics: [
          // Only the counters the filters read: Fluent Bit has a hundred more (per filter, storage, uptime with a
          // hostname label), each an event per scrape to ingest and, should CloudWatch extract the EMF directive
          // anyway, a metric of its own.
          { name: "metrics_selector", metric_name: `/^(${names2.join("|")})$/`, action: "include" },
          { name: "labels", insert: `pipeline ${pipelineName}` }
        ]
      }
    },
    output: {
      name: "cloudwatch_logs",
      alias: AGENT_INSTANCE.metrics,
      match: tag,
      region,
      log_group_name: agentMetricsLogGroupName(pipelineName),
      // Fluent Bit fills ${HOSTNAME} itself (gethostname) when the variable is not set.
      log_stream_name: "${HOSTNAME}",
      retry_limit: 2,
      "net.io_timeout": "30s"
    }
  };
}

// lib/agent/fluent-bit-config.ts
import { stringify } from "yaml";
var AGENT_PLACEHOLDERS = {
  region: "${LOGTONG_REGION}",
  bucketName: "${LOGTONG_BUFFER_BUCKET}",
  streamName: "${LOGTONG_BUFFER_STREAM}",
  backupBucketName: "${LOGTONG_BACKUP_BUCKET}",
  roleArn: "${LOGTONG_AGENT_ROLE_ARN}",
  /** Agents in another account: the role of the pipeline's account their outputs assume (output AgentRoleArn). */
  assumeRoleArn: "${LOGTONG_ASSUME_ROLE_ARN}"
};
function placeholderTargets(pipeline, region = AGENT_PLACEHOLDERS.region) {
  const buffer = pipeline.engine.type === "light" ? "s3" : pipeline.engine.buffer;
  return {
    region,
    ...buffer === "s3" ? { bucketName: AGENT_PLACEHOLDERS.bucketName } : {},
    ...buffer === "kinesis" ? { streamName: AGENT_PLACEHOLDERS.streamName } : {},
    ...buffer === "none" ? { backupBucketName: AGENT_PLACEHOLDERS.backupBucketName } : {}
  };
}
var AGENT_STATE_DIR = "/var/fluent-bit/state";
var AGENT_HTTP_PORT = 2020;
var STORAGE_LIMIT = "5G";
var RETRY_LIMIT = 15;
var FAILED_REASON = "does not match the log format at the agent";
var PROVENANCE_PREFIX = "logtong_";
var RAW_KEY = `${PROVENANCE_PREFIX}raw`;
function fail2(pipeline, message) {
  throw new AgentConfigError(`pipeline ${pipeline.name}: ${message}`);
}
function recordKey(field) {
  const parts = field.split(".");
  return parts.length === 1 ? `$${field}` : `$${parts[0]}${parts.slice(1).map((p) => `['${p}']`).join("")}`;
}
function grepFilters(pipeline, fields, match) {
  const format = pipeline.logFormat;
  const out = [];
  const render = (kind, c) => {
    const type = fields[c.field] ?? (format.type === "json" ? void 0 : "keyword");
    if (type !== "keyword" && type !== "text" && type !== "ip" && type !== "date") {
      fail2(
        pipeline,
        `filter on ${c.field}: ${type ? `a ${type} value` : "a JSON value of unknown type"} is tested by the processor as text, but Fluent Bit's grep only tests string values${type ? "" : " (declare the field keyword or text in logFormat.fields)"}; use buffer s3 or kinesis`
      );
    }
    let regex;
    try {
      regex = toOnigmo(c.regex);
    } catch (e) {
      if (e instanceof ConversionError) fail2(pipeline, `filter on ${c.field}: ${e.message}`);
      throw e;
    }
    out.push({ name: "grep", match, [kind]: `${recordKey(c.field)} ${regex}` });
  };
  for (const c of format.filters.include) render("regex", c);
  for (const c of format.filters.exclude) render("exclude", c);
  return out;
}
function isContainerLogs(source) {
  return source.platform === "eks" && source.logPaths.some((p) => /^\/var\/log\/(containers|pods)\//.test(p));
}
function tagPerFile(pipeline, multiline) {
  return multiline !== void 0 && (pipeline.engine.type === "light" || pipeline.engine.buffer === "s3");
}
function tailInput(pipeline, tag, multiline, provenance) {
  const source = pipeline.source;
  if (source.type !== "fluent-bit") fail2(pipeline, `source type ${source.type} has no Fluent Bit agent config`);
  const containerLogs = isContainerLogs(source);
  const multilineParsers = [...containerLogs ? ["cri"] : [], ...multiline && !containerLogs ? [multiline.name] : []];
  return {
    name: "tail",
    alias: AGENT_INSTANCE.input,
    // in_tail replaces a `*` with the file's path, `/` as `.` (plugins/in_tail/tail_file.c, tag_compose)
    tag,
    path: source.logPaths.join(","),
    db: `${AGENT_STATE_DIR}/logtong-${pipeline.name}.db`,
    "db.locking": true,
    // A new agent also ships what the files held before it started (the DB resumes from the offset afterwards):
    // those are lines of the log too. On a host with large old files, the first start backfills them.
    read_from_head: true,
    "storage.type": "filesystem",
    // With filesystem storage this bounds memory only: beyond it chunks wait on disk, the input is not paused.
    mem_buf_limit: "64MB",
    buffer_chunk_size: "64KB",
    // Room for any line the processor could parse or back up (maxLineBytes), twice over, and never less than
    // buffer_chunk_size: in_tail refuses to start below it ("buffer_max_size must be >= buffer_chunk",
    // plugins/in_tail/tail_config.c), which any maxLineBytes under 32 KiB gave. With skip_long_lines off a longer
    // line would make Fluent Bit stop reading the whole file, losing every line after it.
    buffer_max_size: `${Math.max(64, Math.ceil(2 * pipeline.logFormat.maxLineBytes / 1024))}KB`,
    skip_long_lines: "on",
    // Raw lines (buffer kinesis / s3): a longer line is cut at buffer_max_size and forwarded, the rest of it skipped,
    // so that the processor backs it up as over-long with its first bytes and the reason; skip_long_lines alone
    // drops it with nothing but a warning in the agent's log (plugins/in_tail/tail_file.c, flb_tail_file_chunk).
    ...provenance ? {} : { truncate_long_lines: "on" },
    refresh_interval: 10,
    rotate_wait: 30,
    // As the processor: an empty line carries no record.
    skip_empty_lines: "on",
    ...multilineParsers.length ? { "multiline.parser": multilineParsers.join(",") } : {},
    // buffer none: where each line was read, for its document id (see PROVENANCE).
    ...provenance ? { path_key: `${PROVENANCE_PREFIX}file`, offset_key: `${PROVENANCE_PREFIX}offset` } : {}
  };
}
var RAW_FRAME_PARSER = { name: "logtong-raw-frame", format: "regex", regex: "^(?<log>(?:.|\\s)*?)\\n?(?!.|\\s)" };
function syslogInputs(pipeline, tag) {
  const source = pipeline.source;
  if (source.type !== "syslog") fail2(pipeline, "not a syslog source");
  const modes = source.protocol === "tcp_udp" ? ["tcp", "udp"] : [source.protocol];
  return modes.map((mode) => ({
    name: "syslog",
    alias: agentInputAlias(modes.length > 1 ? mode : void 0),
    tag,
    mode,
    listen: "0.0.0.0",
    port: source.port,
    // RFC 6587 octet counting: Fluent Bit 4.2+ (the pinned AWS for Fluent Bit 3.2.1 has 4.2.2).
    ...mode === "tcp" && source.framing === "octet-counting" ? { format: "octet_counting" } : {},
    parser: RAW_FRAME_PARSER.name,
    "storage.type": "filesystem",
    mem_buf_limit: "64MB",
    buffer_chunk_size: "64KB",
    // Room for any frame the processor could index or back up as too long (maxLineBytes), twice over: in_syslog
    // closes a connection whose pending frame outgrows this buffer and that frame is lost, logged at debug level only
    // (plugins/in_syslog/syslog_conn.c). With exactly maxLineBytes the longest frames the processor accepts did not
    // fit either: the buffer also holds the octet count, the LF and a NUL.
    buffer_max_size: `${Math.ceil(2 * pipeline.logFormat.maxLineBytes / 1024)}KB`,
    ...mode === "udp" ? { receive_buffer_size: "4MB" } : {}
  }));
}
function multilineFilter(pipeline, tag, multiline) {
  const source = pipeline.source;
  if (!multiline || source.type !== "fluent-bit" || source.platform !== "eks") return [];
  if (!isContainerLogs(source)) return [];
  return [{ name: "multiline", match: tag, "multiline.key_content": "log", "multiline.parser": multiline.name, buffer: false }];
}
function opensearchTarget(pipeline, targets) {
  if (targets.opensearch) return targets.opensearch;
  if (pipeline.engine.type !== "opensearch") fail2(pipeline, "no OpenSearch engine");
  const domain = pipeline.engine.domain;
  const url = new URL(domain.type === "aws" ? domain.endpoint : domain.url);
  const tls = url.protocol === "https:";
  return { host: url.hostname, port: url.port || (tls ? "443" : "80"), tls };
}
var common = (match) => ({ match, retry_limit: RETRY_LIMIT, "storage.total_limit_size": STORAGE_LIMIT });
function s3Output(alias, match, region, bucket, keyFormat, storeDir, logKey) {
  return {
    name: "s3",
    alias,
    ...common(match),
    bucket,
    region,
    // One PUT per finished file: an object exists only when complete (the processor reacts to its creation) and no
    // multipart upload state has to survive an agent restart.
    use_put_object: "on",
    compression: "gzip",
    total_file_size: "50M",
    upload_timeout: "60s",
    // Keys never collide: date partitions plus a random UUID per object.
    s3_key_format: keyFormat,
    store_dir: storeDir,
    store_dir_limit_size: STORAGE_LIMIT,
    ...logKey ? { log_key: logKey } : {},
    auto_retry_requests: true
  };
}
function fluentBitConfigDocument(pipeline, targets) {
  if (pipeline.source.type === "s3") fail2(pipeline, "source type s3 has no Fluent Bit agent config");
  if (!targets.region) fail2(pipeline, "targets.region is required");
  const syslog = pipeline.source.type === "syslog";
  const tag = `logtong.${pipeline.name}`;
  const buffer = pipeline.engine.type === "light" ? "s3" : pipeline.engine.buffer;
  const format = pipeline.logFormat;
  if (syslog && buffer === "none") fail2(pipeline, "syslog receivers forward raw frames to the processor: buffer none is not available");
  let multiline;
  try {
    multiline = syslog ? void 0 : multilineParser(pipeline.name, format);
  } catch (e) {
    if (e instanceof AgentConfigError) fail2(pipeline, e.message);
    throw e;
  }
  const service = {
    flush: 5,
    log_level: "info",
    http_server: "on",
    http_listen: "0.0.0.0",
    http_port: AGENT_HTTP_PORT,
    health_check: "on",
    "storage.path": `${AGENT_STATE_DIR}/storage`,
    "storage.sync": "normal",
    // Off on purpose: chunkio finalizes a chunk's CRC only when it syncs it, so after a crash (SIGKILL, OOM kill,
    // power loss of the process) the chunk being written fails the check and is deleted at restart with every record
    // in it. Without the check the chunk is read up to its recorded length, which a write updates after the data.
    "storage.checksum": "off",
    "storage.backlog.mem_limit": "64MB",
    "storage.max_chunks_up": 128,
    // A chunk an output gives up on (retry_limit reached, or refused for good) is kept on disk under
    // storage.path/rejected instead of being deleted: the last copy of those records.
    "storage.keep.rejected": "on",
    "scheduler.base": 5,
    "scheduler.cap": 600
  };
  const recordTag = tagPerFile(pipeline, multiline) ? `${tag}.*` : tag;
  const inputs = syslog ? syslogInputs(pipeline, tag) : [tailInput(pipeline, recordTag, multiline, buffer === "none")];
  const filters = [...multilineFilter(pipeline, recordTag, multiline)];
  const outputs = [];
  let parsers = syslog ? [RAW_FRAME_PARSER] : void 0;
  if (buffer === "kinesis") {
    if (!targets.streamName) fail2(pipeline, "buffer kinesis needs targets.streamName");
    outputs.push({ name: "kinesis_streams", alias: AGENT_INSTANCE.output, ...common(tag), region: targets.region, stream: targets.streamName, log_key: "log", auto_retry_requests: true });
  } else if (buffer === "s3") {
    if (!targets.bucketName) fail2(pipeline, "buffer s3 needs targets.bucketName");
    const prefix = targets.keyPrefix ?? `${pipeline.name}/`;
    outputs.push(s3Output(AGENT_INSTANCE.output, recordTag, targets.region, targets.bucketName, `/${prefix}%Y/%m/%d/%H/%M%S-$UUID.log.gz`, `${AGENT_STATE_DIR}/s3`, "log"));
  } else {
    if (pipeline.engine.type !== "opensearch") fail2(pipeline, "buffer none needs an OpenSearch engine");
    if (!targets.backupBucketName) fail2(pipeline, "buffer none needs targets.backupBucketName (lines the agent cannot parse are kept there)");
    let parsing;
    try {
      parsing = agentParsing(pipeline.name, format);
    } catch (e) {
      if (e instanceof AgentConfigError) fail2(pipeline, `buffer none: ${e.message}`);
      throw e;
    }
    const steps = parseSteps(parsing, { match: tag, raw: RAW_KEY, prefix: PROVENANCE_PREFIX, provenance: ["host", "file", "offset"].map((k) => `${PROVENANCE_PREFIX}${k}`) });
    parsers = steps.parsers;
    const failedTag = `failed.${pipeline.name}`;
    const source = pipeline.source;
    const containerLogs = source.type === "fluent-bit" && isContainerLogs(source);
    filters.push({
      name: "modify",
      match: tag,
      rename: `log ${RAW_KEY}`,
      add: `${PROVENANCE_PREFIX}host \${HOSTNAME}`,
      // The container runtime's framing (cri parser) is not part of the line the processor would see.
      ...containerLogs ? { remove: ["time", "stream", "_p"] } : {}
    });
    filters.push(...steps.parse);
    filters.push({ name: "rewrite_tag", match: tag, rule: `$${RAW_KEY} ^[\\s\\S]*$ ${failedTag} false`, emitter_name: `logtong_${pipeline.name.replace(/-/g, "_")}_failed`, "emitter_storage.type": "filesystem", emitter_mem_buf_limit: "64MB" });
    filters.push({ name: "modify", match: failedTag, ...steps.failed, add: `reason "${FAILED_REASON}"` });
    filters.push(...steps.settle);
    filters.push(...grepFilters(pipeline, parsing.fields, tag));
    for (const match of [tag, failedTag]) {
      filters.push({ name: "nest", match, operation: "nest", wildcard: `${PROVENANCE_PREFIX}*`, nest_under: "logtong", remove_prefix: PROVENANCE_PREFIX });
    }
    const os = opensearchTarget(pipeline, targets);
    const domain = pipeline.engine.domain;
    if (domain.type === "self-managed" && domain.auth === "basic" && !(os.httpUser && os.httpPasswd)) {
      fail2(pipeline, "a self-managed domain with basic auth needs targets.opensearch.httpUser and httpPasswd");
    }
    outputs.push({
      name: "opensearch",
      alias: AGENT_INSTANCE.output,
      ...common(tag),
      host: os.host,
      port: os.port,
      tls: os.tls ? "on" : "off",
      ...os.tls ? { "tls.verify": "on" } : {},
      ...domain.type === "aws" ? { aws_auth: "on", aws_region: targets.region, aws_service_name: "es" } : {},
      ...os.httpUser ? { http_user: os.httpUser, http_passwd: os.httpPasswd } : {},
      index: pipeline.engine.indexPrefix,
      suppress_type_name: "on",
      // Names as the processor writes them (the index template maps those); no `_type` on OpenSearch 2.
      replace_dots: "off",
      // One id per record (see PROVENANCE_PREFIX), written with `create`: a chunk sent again is not indexed twice.
      generate_id: "on",
      write_operation: "create",
      // Off unless asked for: OpenSearch's answer to a rejected request quotes the rejected documents' values.
      trace_error: source.type === "fluent-bit" && source.traceErrors ? "on" : "off",
      // `@timestamp` from the parsed time, as the processor writes it (ISO 8601 UTC, milliseconds).
      time_key: "@timestamp",
      // The answer to a bulk request lists every item (with generate_id, ~150 bytes each): a bounded buffer cannot
      // hold the answer for a large chunk, and Fluent Bit then retries the chunk until it gives up on it.
      buffer_size: "false",
      compress: "gzip"
    });
    outputs.push(s3Output(AGENT_INSTANCE.failed, failedTag, targets.region, targets.backupBucketName, `/agent-failed/${pipeline.name}/%Y/%m/%d/%H/%M%S-$UUID.json.gz`, `${AGENT_STATE_DIR}/s3-failed`));
  }
  const metrics = agentMetricsPlugins(pipeline.name, targets.region);
  inputs.push(metrics.input);
  outputs.push(metrics.output);
  const assumed = targets.assumeRole ? outputs.map((o) => assumingRole(o, targets.assumeRole)) : outputs;
  const doc = { service, pipeline: { inputs, ...filters.length ? { filters } : {}, outputs: assumed } };
  if (parsers) doc.parsers = parsers;
  if (multiline) doc.multiline_parsers = [multiline];
  return doc;
}
function assumingRole(output, role) {
  switch (output.name) {
    case "s3":
    case "kinesis_streams":
    case "cloudwatch_logs":
      return { ...output, role_arn: role.roleArn, external_id: role.externalId };
    case "opensearch":
      return output.aws_auth === "on" ? { ...output, aws_role_arn: role.roleArn, aws_external_id: role.externalId } : output;
    default:
      return output;
  }
}
function fluentBitConfig(pipeline, targets) {
  const doc = fluentBitConfigDocument(pipeline, targets);
  return `# Fluent Bit configuration of Logtong pipeline ${pipeline.name} (generated: logtong agent-config)
${stringify(doc, { lineWidth: 0 })}`;
}

// lib/config/load.ts
import { readFileSync } from "node:fs";
import leven from "leven";
import { isCollection, isMap, isScalar, LineCounter, parseDocument } from "yaml";
var ConfigError = class extends Error {
  constructor(source, problems, positions = []) {
    const where = (i) => positions[i] ? `${source}:${positions[i].line}:${positions[i].column}: ` : "";
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`${source}: invalid configuration (${count})
${problems.map((p, i) => `  - ${where(i)}${p}`).join("\n")}`);
    this.source = source;
    this.problems = problems;
    this.positions = positions;
    this.name = "ConfigError";
  }
  source;
  problems;
  positions;
};
function formatPath(path, raw) {
  let out = "";
  let node = raw;
  path.forEach((seg, i) => {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += `${out ? "." : ""}${String(seg)}`;
    node = node && typeof node === "object" ? node[seg] : void 0;
    if (i === 1 && path[0] === "pipelines" && node && typeof node === "object") {
      const name = node.name;
      if (typeof name === "string") out += ` (${name})`;
    }
  });
  return out || "(root)";
}
function valueAt(raw, path) {
  let node = raw;
  for (const seg of path) node = node && typeof node === "object" ? node[seg] : void 0;
  return node;
}
function unwrap(schema) {
  let s = schema;
  for (; ; ) {
    const def = s._zod.def;
    if (def.innerType) s = def.innerType;
    else if (def.type === "pipe" && def.in) s = def.in;
    else return s;
  }
}
function knownKeys(schema, path, raw) {
  let s = unwrap(schema);
  let node = raw;
  const variant = () => {
    const def = s._zod.def;
    if (def.type !== "union" || !def.options) return;
    const tag = def.discriminator && node && typeof node === "object" ? node[def.discriminator] : void 0;
    const match = def.options.find((o) => {
      const shape = unwrap(o)._zod.def.shape;
      const lit = shape && def.discriminator ? unwrap(shape[def.discriminator])._zod.def.values : void 0;
      return lit?.includes(tag);
    });
    if (match) s = unwrap(match);
  };
  for (const seg of path) {
    variant();
    const def = s._zod.def;
    const next = def.type === "array" ? def.element : def.shape?.[seg];
    if (!next) return [];
    s = unwrap(next);
    node = node && typeof node === "object" ? node[seg] : void 0;
  }
  variant();
  return Object.keys(s._zod.def.shape ?? {});
}
function closest(value, candidates) {
  if (typeof value !== "string") return void 0;
  let best;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (typeof c !== "string") continue;
    const d = leven(value.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best === void 0) return void 0;
  const allowed = best.length <= 3 ? 1 : Math.max(2, Math.floor(best.length / 3));
  return bestDistance <= allowed ? best : void 0;
}
function didYouMean(value, candidates) {
  const best = closest(value, candidates);
  return best === void 0 ? "" : `; did you mean ${JSON.stringify(best)}?`;
}
var unionTypes = (issue) => [...issue.message.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
function describe(issue, raw) {
  switch (issue.code) {
    case "invalid_type":
      return valueAt(raw, issue.path) === void 0 ? "is required" : `expected ${issue.expected}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${didYouMean(valueAt(raw, issue.path), issue.values)}`;
    case "invalid_union":
      return `${issue.message}${didYouMean(valueAt(raw, issue.path), unionTypes(issue))}`;
    default:
      return issue.message;
  }
}
var isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
function guessedTypes(issues, raw) {
  return issues.flatMap((issue) => {
    if (issue.code !== "invalid_union") return [];
    const guess = closest(valueAt(raw, issue.path), unionTypes(issue));
    return guess ? [{ path: issue.path.slice(0, -1), type: guess }] : [];
  });
}
function withTypes(raw, guesses) {
  const copy = structuredClone(raw);
  for (const g of guesses) {
    const node = valueAt(copy, g.path);
    if (isObject(node)) node.type = g.type;
  }
  return copy;
}
function problemsOf(raw) {
  const result = ConfigSchema.safeParse(raw);
  const problems = [];
  const issueProblems = (issues, of) => issues.flatMap(
    (issue) => issue.code === "unrecognized_keys" ? issue.keys.map((k) => ({ path: issue.path, key: k, message: `unknown key ${k}${didYouMean(k, knownKeys(ConfigSchema, issue.path, of))}` })) : [{ path: issue.path, message: describe(issue, of) }]
  );
  if (!result.success) {
    problems.push(...issueProblems(result.error.issues, raw));
    const guesses = guessedTypes(result.error.issues, raw);
    if (guesses.length > 0) {
      const again = ConfigSchema.safeParse(withTypes(raw, guesses));
      const under = (p) => guesses.some((g) => g.path.every((seg, i) => p[i] === seg) && p.length > g.path.length && p[g.path.length] !== "type");
      if (!again.success) problems.push(...issueProblems(again.error.issues.filter((i) => under(i.path)), raw).map((p) => ({ ...p, message: `${p.message} (as type ${guesses.find((g) => g.path.every((seg, i) => p.path[i] === seg)).type})` })));
    }
  }
  const rawPipelines = isObject(raw) && Array.isArray(raw.pipelines) ? raw.pipelines : [];
  rawPipelines.forEach((p, i) => {
    const format = LogFormatSchema.safeParse(isObject(p) ? p.logFormat : void 0);
    if (!format.success) return;
    try {
      compileParser(format.data);
    } catch (e) {
      const at = ["pipelines", i, "logFormat", ...format.data.format !== void 0 ? ["format"] : format.data.regex !== void 0 ? ["regex"] : []];
      problems.push({ path: at, message: e.message });
    }
  });
  const pipelines = result.success ? result.data.pipelines : rawPipelines.map((p) => {
    const r = PipelineSchema.safeParse(p);
    return r.success ? r.data : void 0;
  });
  pipelines.forEach((p, i) => {
    if (!p || p.source.type !== "fluent-bit" && p.source.type !== "syslog") return;
    const basic = p.engine.type === "opensearch" && p.engine.domain.type === "self-managed" && p.engine.domain.auth === "basic";
    const credentials = basic ? { opensearch: { host: "opensearch", port: "443", tls: true, httpUser: "user", httpPasswd: "password" } } : {};
    try {
      fluentBitConfig(p, { ...placeholderTargets(p), ...credentials });
    } catch (e) {
      if (!(e instanceof AgentConfigError)) throw e;
      problems.push({ path: ["pipelines", i, "logFormat"], message: `the agent cannot run it: ${e.message.replace(`pipeline ${p.name}: `, "")}` });
    }
  });
  if (result.success) return { config: result.data, problems };
  if (pipelines.filter(Boolean).length > 1 || isObject(raw) && "syslog" in raw) {
    configIssues({ syslog: isObject(raw) ? raw.syslog : void 0, pipelines }, (path, message) => problems.push({ path, message }));
  }
  return { problems };
}
function parseConfig(raw, source = "pipelines.yaml", locate) {
  const { config, problems } = problemsOf(raw);
  if (config && problems.length === 0) return config;
  const seen = /* @__PURE__ */ new Set();
  const located = problems.map((p) => ({ text: `${formatPath(p.path, raw)}: ${p.message}`, at: locate?.(p.path, p.key) })).filter((p) => !seen.has(p.text) && seen.add(p.text)).sort((a, b) => a.at && b.at ? a.at.line - b.at.line || a.at.column - b.at.column : 0);
  throw new ConfigError(
    source,
    located.map((p) => p.text),
    located.map((p) => p.at)
  );
}
function locator(doc, lines) {
  return (path, key) => {
    let node = doc.contents;
    let at = node;
    for (const seg of path) {
      if (!isCollection(node)) break;
      const next = node.get(seg, true);
      if (next === void 0) break;
      node = next;
      at = next;
    }
    if (key !== void 0 && isMap(at)) {
      const pair = at.items.find((it) => isScalar(it.key) && it.key.value === key);
      if (pair && isScalar(pair.key)) at = pair.key;
    }
    const range = at?.range;
    if (!range) return void 0;
    const { line, col } = lines.linePos(range[0]);
    return { line, column: col };
  };
}
function parseConfigText(text, source = "pipelines.yaml") {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message}`));
  }
  return parseConfig(doc.toJS(), source, locator(doc, lines));
}
function loadConfig(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(path, [`cannot read the file (${e.code ?? e.message})`]);
  }
  return parseConfigText(text, path);
}

export {
  compileTimeParser,
  TIMESTAMP_FIELD,
  getPath,
  flattenObject,
  decodeBody,
  splitLines,
  splitRanges,
  lineAt,
  failedLineFields,
  LOG_TYPES,
  layoutToRegex,
  compileParser,
  recordBatches,
  ALARMS,
  EVENT_HOUR_FORMAT,
  DEFAULT_PROJECTION,
  MAX_FUTURE_HOURS,
  athenaRange,
  isEventHour,
  projectionWindow,
  projectionMiss,
  partitionLimitProblem,
  SYSLOG_HEALTH_PORT,
  KINESIS_DEFAULTS,
  lightDatabaseName,
  lightProjection,
  lightTableName,
  AgentConfigError,
  METRICS_NAMESPACE,
  METRIC,
  serviceName,
  SCANNER_SERVICE,
  metricDimensions,
  AGENT_METRICS_NAMESPACE,
  AGENT_METRIC_NAMES,
  agentMetricsLogGroupName,
  agentMetricDimensions,
  agentMetricFilters,
  AGENT_PLACEHOLDERS,
  placeholderTargets,
  AGENT_STATE_DIR,
  AGENT_HTTP_PORT,
  fluentBitConfigDocument,
  fluentBitConfig,
  ConfigError,
  parseConfig,
  loadConfig
};
