import {
  FORMAT_FLAGS,
  compileFilters,
  formatFrom,
  pipelineFrom,
  startProgress
} from "./chunk-SHDRPLSC.mjs";
import {
  batchIdOf,
  createParquetWriter,
  eventHourOf,
  lightTable,
  partitionPrefix
} from "./chunk-N75X3WWW.mjs";
import {
  failedJson,
  fileLineSink,
  finish,
  makeOutputDir,
  openInput,
  openOutput,
  write
} from "./chunk-324LBI7C.mjs";
import {
  DEFAULT_PROJECTION,
  TIMESTAMP_FIELD,
  compileParser,
  decodeBody,
  failedLineFields,
  lightProjection,
  lightTableName,
  projectionMiss,
  projectionWindow,
  recordBatches,
  splitLines
} from "./chunk-ESIZHS62.mjs";
import {
  EXIT_FAILED,
  EXIT_OK,
  UsageError
} from "./chunk-GE7FCKWW.mjs";

// lib/cli/convert-command.ts
import * as path2 from "node:path";
import { parseArgs } from "node:util";

// lambda/core/light/convert.ts
function writableFileSink(out, finished, abort) {
  finished.catch(() => void 0);
  return {
    write(chunk) {
      if (out.write(chunk)) return;
      return new Promise((resolve2) => out.once("drain", () => resolve2()));
    },
    async close() {
      out.end();
      await finished;
    },
    abort
  };
}
async function convertBatch(o) {
  const counts = { recordsIn: 0, written: 0, filtered: 0, failed: 0, outOfProjection: 0, files: [] };
  const projected = o.projection && projectionWindow(o.projection, (o.now ?? Date.now)());
  const maxOpen = o.maxOpenFiles ?? 16;
  const backupChunk = o.backupChunk ?? 1e4;
  const stash = o.recurring;
  const sources = o.columns.map((c) => c.source);
  const open = /* @__PURE__ */ new Map();
  const nextSeq = /* @__PURE__ */ new Map();
  const stashed = /* @__PURE__ */ new Map();
  let lastHour = "";
  let last;
  const finish2 = async (hour, f) => {
    open.delete(hour);
    if (last === f) {
      last = void 0;
      lastHour = "";
    }
    await f.writer.close();
    await f.sink.close();
  };
  const newFile = (hour) => {
    const seq = nextSeq.get(hour) ?? 0;
    nextSeq.set(hour, seq + 1);
    const key = `${partitionPrefix(o.table, hour, o.region)}${o.batchId}-${seq}.parquet`;
    const sink = o.openFile(key);
    const writer = createParquetWriter(o.columns, sink, o.rowGroupRows ? { rowGroupRows: o.rowGroupRows } : void 0);
    const f = { writer, sink, file: { key, eventHour: hour, rows: 0 } };
    counts.files.push(f.file);
    open.set(hour, f);
    return f;
  };
  const fileFor = async (hour) => {
    const f = open.get(hour);
    if (f) {
      open.delete(hour);
      open.set(hour, f);
      return f;
    }
    if (stash && nextSeq.has(hour)) return void 0;
    if (open.size >= maxOpen) {
      const [oldest, file] = open.entries().next().value;
      await finish2(oldest, file);
    }
    return newFile(hour);
  };
  try {
    for await (const input of o.objects) {
      let failed = [];
      let part = 0;
      const fail = async (record) => {
        counts.failed++;
        failed.push({ bucket: input.bucket, key: input.key, ...record });
        if (failed.length >= backupChunk) {
          await o.backup(input.objectId, part++, failed);
          failed = [];
        }
      };
      const body = decodeBody(input.body, o.reopen ? { reopen: () => o.reopen(input) } : {});
      const lines = splitLines(body, { maxLineBytes: o.maxLineBytes, ...o.spill ? { spill: (n) => o.spill(input, n) } : {} });
      for await (const batch of recordBatches(o.parser, lines)) {
        for (const entry of batch) {
          counts.recordsIn++;
          if ("reason" in entry) {
            const copy = entry.broken && o.backupObject ? await o.backupObject(input, entry.reason) : void 0;
            await fail({ ...failedLineFields(entry), ...copy ? { rawObject: copy } : {} });
            continue;
          }
          const r = o.parser.parse(entry.text);
          if (!r.ok) {
            await fail({ line: entry.lineNo, raw: entry.text, reason: r.reason });
            continue;
          }
          if (!o.filter(r.doc)) {
            counts.filtered++;
            continue;
          }
          const time = r.doc[TIMESTAMP_FIELD];
          if (typeof time !== "string") {
            await fail({ line: entry.lineNo, raw: entry.text, reason: "no record time: set logFormat.timeKey (and timeFormat) for the Light Engine" });
            continue;
          }
          const hour = eventHourOf(time);
          const miss = projected && hour !== lastHour ? projectionMiss(hour, projected) : void 0;
          if (miss) {
            counts.outOfProjection++;
            await fail({ line: entry.lineNo, raw: entry.text, reason: miss });
            continue;
          }
          if (hour !== lastHour) {
            last = await fileFor(hour);
            lastHour = hour;
          }
          const row = o.toRow ? o.toRow(r.doc) : r.doc;
          if (last) {
            const flushed = last.writer.append(row);
            if (flushed) await flushed;
            last.file.rows++;
          } else {
            const held = stash.append(hour, sources.map((s) => row[s]));
            if (held) await held;
            stashed.set(hour, (stashed.get(hour) ?? 0) + 1);
          }
          counts.written++;
        }
        o.onProgress?.(counts);
      }
      if (failed.length > 0) await o.backup(input.objectId, part, failed);
    }
    for (const [hour, f] of [...open]) await finish2(hour, f);
    const rowOf = stashed.size > 0 ? rowBuilder(sources) : void 0;
    for (const [hour, n] of stashed) {
      const f = newFile(hour);
      for await (const rows of stash.rows(hour)) {
        for (const values of rows) {
          const flushed = f.writer.append(rowOf(values));
          if (flushed) await flushed;
          f.file.rows++;
        }
        o.onProgress?.(counts);
      }
      if (f.file.rows !== n) throw new Error(`the row stash gave back ${f.file.rows} rows of hour ${hour}, ${n} were stashed`);
      await finish2(hour, f);
    }
  } catch (e) {
    await Promise.allSettled([...open.values()].map((f) => f.sink.abort()));
    throw e;
  }
  return counts;
}
function rowBuilder(sources) {
  const props = sources.map((s, j) => `${s === "__proto__" ? '["__proto__"]' : JSON.stringify(s)}: v[${j}]`);
  return new Function("v", `"use strict";
return {${props.join(", ")}};`);
}

// lib/cli/row-stash.ts
import { createReadStream, rmSync } from "node:fs";
import { appendFile, mkdtemp, rm, unlink } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { deserialize, serialize } from "node:v8";
var MiB = 1024 * 1024;
var READ_CHUNK = 4 * MiB;
var JSON_FRAME = 74;
var V8_FRAME = 86;
function jsonBytes(v, depth) {
  switch (typeof v) {
    case "string":
      return 16 + v.length;
    case "boolean":
      return 8;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0) ? 8 : -1;
    case "object": {
      if (v === null) return 8;
      if (depth > 32) return -1;
      let n = 32;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const b = v[i] === void 0 ? -1 : jsonBytes(v[i], depth + 1);
          if (b < 0) return -1;
          n += b;
        }
        return n;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return -1;
      for (const k of Object.keys(v)) {
        const x = v[k];
        const b = x === void 0 ? -1 : jsonBytes(x, depth + 1);
        if (b < 0) return -1;
        n += 16 + k.length + b;
      }
      return n;
    }
    default:
      return -1;
  }
}
function approxBytes(v, depth = 0) {
  switch (typeof v) {
    case "string":
      return 16 + v.length;
    case "bigint":
      return 24;
    case "object": {
      if (v === null) return 8;
      if (depth > 8 || v instanceof Date) return 32;
      let n = 32;
      const items = Array.isArray(v) ? v : v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.entries(v).flat();
      for (const x of items) n += approxBytes(x, depth + 1);
      return n;
    }
    default:
      return 8;
  }
}
function decodeFrame(frame) {
  if (frame[0] === V8_FRAME) return deserialize(frame.subarray(1));
  if (frame[0] !== JSON_FRAME) throw new Error(`row stash frame of unknown kind ${frame[0]}`);
  const [undef, rows] = JSON.parse(frame.toString("utf8", 1));
  for (let i = 0; i < undef.length; i += 2) rows[undef[i]][undef[i + 1]] = void 0;
  return rows;
}
var FileRowStash = class _FileRowStash {
  constructor(dir, opts) {
    this.dir = dir;
    this.batchRows = opts.batchRows ?? 1024;
    this.batchBytes = opts.batchBytes ?? 4 * MiB;
    this.hourBytes = opts.hourBytes ?? MiB;
    this.totalBytes = opts.totalBytes ?? 16 * MiB;
    process.on("exit", this.removeOnExit);
  }
  dir;
  /** Makes the stash's directory (under `parent`); dispose() removes it. */
  static async create(opts = {}) {
    return new _FileRowStash(await mkdtemp(path.join(opts.parent ?? os.tmpdir(), "logtong-stash-")), opts);
  }
  hours = /* @__PURE__ */ new Map();
  /** Names the hours' files: not hours.size, which shrinks as hours are read back. */
  files = 0;
  /** Hours with rows in layer 1, in no particular order. */
  pending = [];
  pendingRows = 0;
  pendingBytes = 0;
  heldBytes = 0;
  batchRows;
  batchBytes;
  hourBytes;
  totalBytes;
  removeOnExit = () => rmSync(this.dir, { recursive: true, force: true });
  disposed = false;
  /** The last write queued; each waits for the one before. */
  writing = Promise.resolve();
  /** Serialized bytes written to disk so far (all hours, read back or not). */
  bytesWritten = 0;
  append(hour, row) {
    if (this.disposed) throw new Error("row stash used after dispose");
    let h = this.hours.get(hour);
    if (!h) {
      h = { file: path.join(this.dir, `${this.files++}.rows`), rows: [], undef: [], exotic: false, frames: [], frameBytes: 0, onDisk: false };
      this.hours.set(hour, h);
    }
    if (h.rows.length === 0) this.pending.push(h);
    let bytes = 0;
    for (let j = 0; j < row.length; j++) {
      const v = row[j];
      if (v === void 0) {
        h.undef.push(h.rows.length, j);
        bytes += 8;
        continue;
      }
      const b = h.exotic ? -1 : jsonBytes(v, 0);
      if (b >= 0) bytes += b;
      else {
        h.exotic = true;
        bytes += approxBytes(v);
      }
    }
    h.rows.push(row);
    this.pendingRows++;
    this.pendingBytes += bytes;
    if (this.pendingRows >= this.batchRows || this.pendingBytes >= this.batchBytes) return this.serializePending();
  }
  async *rows(hour) {
    const h = this.hours.get(hour);
    if (!h) return;
    this.hours.delete(hour);
    if (h.rows.length > 0) {
      this.serialize(h);
      this.pending = this.pending.filter((p) => p !== h);
    }
    if (h.onDisk) {
      await this.writing;
      let rest;
      for await (const chunk of createReadStream(h.file, { highWaterMark: READ_CHUNK })) {
        const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
        let pos = 0;
        while (buf.length - pos >= 4 && buf.length - pos - 4 >= buf.readUInt32LE(pos)) {
          const end = pos + 4 + buf.readUInt32LE(pos);
          yield decodeFrame(buf.subarray(pos + 4, end));
          pos = end;
        }
        rest = pos < buf.length ? buf.subarray(pos) : void 0;
      }
      if (rest) throw new Error(`row stash file ${h.file} is cut short: ${rest.length} bytes of a frame at its end`);
      await unlink(h.file);
    }
    const frames = h.frames;
    this.heldBytes -= h.frameBytes;
    h.frames = [];
    h.frameBytes = 0;
    for (let i = 1; i < frames.length; i += 2) yield decodeFrame(frames[i]);
  }
  /** Removes the directory and everything in it; the stash cannot be used after. */
  async dispose() {
    this.disposed = true;
    process.off("exit", this.removeOnExit);
    this.hours.clear();
    this.pending = [];
    await this.writing.catch(() => void 0);
    await rm(this.dir, { recursive: true, force: true });
  }
  serialize(h) {
    let body;
    if (h.exotic) {
      const v8 = serialize(h.rows);
      body = Buffer.allocUnsafe(1 + v8.length);
      body[0] = V8_FRAME;
      v8.copy(body, 1);
    } else {
      const text = JSON.stringify([h.undef, h.rows]);
      body = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
      body[0] = JSON_FRAME;
      body.write(text, 1);
    }
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    h.frames.push(head, body);
    h.frameBytes += 4 + body.length;
    this.heldBytes += 4 + body.length;
    this.pendingRows -= h.rows.length;
    h.rows.length = 0;
    h.undef.length = 0;
    h.exotic = false;
  }
  async serializePending() {
    const full = [];
    for (const h of this.pending) {
      this.serialize(h);
      if (h.frameBytes >= this.hourBytes) full.push(h);
    }
    this.pending.length = 0;
    this.pendingRows = 0;
    this.pendingBytes = 0;
    for (const h of this.heldBytes >= this.totalBytes ? [...this.hours.values()] : full) {
      if (h.frameBytes > 0) await this.write(h);
    }
  }
  /**
   * Hands the hour's frames to the write queue and waits for the write before it: the caller goes on serializing while
   * one write runs, and at most two writes' frames are held beyond `totalBytes`. Writes go one at a time, in order.
   */
  async write(h) {
    const bytes = h.frameBytes;
    const data = Buffer.concat(h.frames, bytes);
    h.onDisk = true;
    h.frames = [];
    h.frameBytes = 0;
    this.heldBytes -= bytes;
    const before = this.writing;
    this.writing = before.then(async () => {
      await appendFile(h.file, data);
      this.bytesWritten += bytes;
    });
    this.writing.catch(() => void 0);
    await before;
  }
};
async function withRowStash(fn, opts = {}) {
  const stash = await FileRowStash.create(opts);
  try {
    return await fn(stash);
  } finally {
    await stash.dispose();
  }
}

// lib/cli/convert-command.ts
var CONVERT_USAGE = `usage:
  logtong convert --config pipelines.yaml --pipeline NAME --input FILE|- [--input FILE...] --output DIR [--strict]
  logtong convert --type TYPE [--format STRING] [--regex RE] [--time-key K] [--time-format F] [--time-zone Z]
                  [--table NAME] [--region R] --input FILE|- [--input FILE...] --output DIR [--strict]

Writes the Parquet files the Light Engine would write for the inputs (gzipped or not; - is stdin):
DIR/<table>/event_hour=YYYYMMDDHH/region=R/*.parquet, failed records to DIR/failed.ndjson (a line longer than
maxLineBytes whole under DIR/failed-lines/), then one line per partition on stdout and a summary on stderr.
A partition gets <batch>-0.parquet, and <batch>-1.parquet only when its hour comes back after its file was closed
(16 are open at once): at most 2 files per partition, whatever the order of the input. Until the end of the run
those later rows wait in DIR/logtong-stash-*/ (about the size of their raw lines).
  --region  the region partition value (default: the pipeline's engine.region, else $AWS_REGION, else "local")
  --strict  exit 1 when any record failed (for CI)
Progress (bytes, lines/s, ETA) is drawn on stderr when it is a terminal.`;
function fileSink(file) {
  const out = openOutput("--output", file, true);
  const finished = new Promise((resolve2, reject) => {
    out.once("finish", resolve2);
    out.once("error", reject);
  });
  return writableFileSink(out, finished, async () => void out.destroy());
}
async function runConvert(argv, io) {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(["config", "pipeline", ...FORMAT_FLAGS, "table", "region", "output"].map((k) => [k, { type: "string" }])),
        input: { type: "string", multiple: true },
        strict: { type: "boolean" }
      },
      strict: true,
      allowPositionals: false
    }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
  const inputs = values.input ?? [];
  if (inputs.length === 0) throw new UsageError("--input FILE is required (repeat it for several files)");
  if (!values.output) throw new UsageError("--output DIR is required");
  const single = values;
  const pipeline = pipelineFrom(single);
  const format = formatFrom(single, pipeline);
  const table = single.table ?? (pipeline ? lightTableName(pipeline) : "logs");
  const engineRegion = pipeline?.engine.type === "light" ? pipeline.engine.region : void 0;
  const region = single.region ?? engineRegion ?? process.env.AWS_REGION ?? "local";
  const outDir = single.output;
  const parser = compileParser(format);
  const { columns, toRow } = lightTable(format, parser.fields);
  if (inputs.filter((f) => f === "-").length > 1) throw new UsageError("--input - (stdin) can be given once");
  const opened = inputs.map((file) => openInput("--input", file, io.stdin ?? process.stdin));
  makeOutputDir("--output", outDir);
  const failedOut = openOutput("--output", path2.join(outDir, "failed.ndjson"));
  const total = opened.every((o) => o.size !== void 0) ? opened.reduce((n, o) => n + o.size, 0) : void 0;
  const progress = startProgress(io.stderr, total);
  let counts;
  let lines = 0;
  try {
    counts = await withRowStash((recurring) => convertBatch({
      // Names the files after what was read: the same inputs give the same names.
      batchId: batchIdOf(opened.map((o, i) => ({ key: o.file ? path2.resolve(o.file) : `stdin-${i}`, etag: o.stamp, size: o.size ?? 0 }))),
      objects: opened.map((o, i) => ({ bucket: "local", key: o.file ?? "-", objectId: `${i}-${o.file ? path2.basename(o.file) : "stdin"}`, body: progress.count(o.body) })),
      parser,
      filter: compileFilters(format.filters),
      columns,
      toRow,
      table,
      region,
      maxLineBytes: format.maxLineBytes,
      // As the deployed table projects: a record it would never return goes to failed.ndjson with the reason.
      projection: pipeline?.engine.type === "light" ? lightProjection(pipeline.engine) : DEFAULT_PROJECTION,
      openFile: (key) => fileSink(path2.join(outDir, key)),
      // An over-long line whole in a file of its own; a broken gzip file read again up to its break (not stdin).
      spill: (input, lineNo) => fileLineSink(path2.join(outDir, "failed-lines", input.objectId, `line-${lineNo}`)),
      reopen: async (input) => {
        const o = opened[Number(input.objectId.split("-")[0])];
        if (!o.reopen) throw new Error("stdin cannot be read again");
        return o.reopen();
      },
      backup: async (_id, _part, records) => {
        for (const r of records) await write(failedOut, failedJson(r.key, r));
      },
      recurring,
      onProgress: (c) => {
        progress.lines(c.recordsIn - lines);
        lines = c.recordsIn;
      }
    }), { parent: outDir });
  } finally {
    progress.stop();
  }
  await finish(failedOut);
  const byPartition = /* @__PURE__ */ new Map();
  for (const f of counts.files) {
    const partition = path2.dirname(f.key);
    byPartition.set(partition, (byPartition.get(partition) ?? 0) + f.rows);
  }
  for (const [partition, rows] of [...byPartition].sort()) io.stdout.write(`${partition}	rows=${rows}
`);
  io.stderr.write(`written=${counts.written} failed=${counts.failed} filtered=${counts.filtered} files=${counts.files.length}
`);
  return { ...counts, strict: values.strict === true };
}
var convertCommand = {
  usage: CONVERT_USAGE,
  async run(argv, io) {
    const r = await runConvert(argv, io);
    return r.strict && r.failed > 0 ? EXIT_FAILED : EXIT_OK;
  }
};
export {
  CONVERT_USAGE,
  convertCommand,
  runConvert
};
