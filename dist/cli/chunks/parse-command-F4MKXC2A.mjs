import {
  FORMAT_FLAGS,
  compileFilters,
  formatFrom,
  isKeepAll,
  startProgress
} from "./chunk-SHDRPLSC.mjs";
import {
  failedJson,
  fileLineSink,
  finish,
  openInput,
  openOutput,
  write
} from "./chunk-324LBI7C.mjs";
import {
  LOG_TYPES,
  compileParser,
  decodeBody,
  failedLineFields,
  lineAt,
  recordBatches,
  splitLines,
  splitRanges
} from "./chunk-ESIZHS62.mjs";
import {
  EXIT_FAILED,
  EXIT_OK,
  UsageError
} from "./chunk-GE7FCKWW.mjs";

// lib/cli/parse-command.ts
import * as path from "node:path";
import { parseArgs } from "node:util";

// lambda/core/clean-lines.ts
import { isAscii } from "node:buffer";
var DIRTY_BYTES = [...Array.from({ length: 32 }, (_, b) => b).filter((b) => b !== 10), 92];
var CleanLines = class {
  src = Buffer.alloc(0);
  ascii = true;
  dirty = -1;
  /** next[i]: DIRTY_BYTES[i]'s last hit in src (-1 not searched yet, -2 none left). */
  next = new Int32Array(DIRTY_BYTES.length);
  /** Starts a batch: lines are then asked about in order. */
  reset(src) {
    this.src = src;
    this.ascii = isAscii(src);
    this.next.fill(-1);
    this.dirty = -1;
  }
  /** Whether src[start..end) may go to writeRange (lines asked in increasing order). */
  test(start, end) {
    if (this.dirty < start) this.dirty = this.nextDirty(start);
    return this.dirty >= end && (this.ascii || isAscii(this.src.subarray(start, end)));
  }
  /** First position ≥ from of a DIRTY_BYTES byte in src (src.length if none). */
  nextDirty(from) {
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
};

// lib/cli/ndjson-out.ts
var CHUNK = 1 << 20;
var NdjsonOut = class {
  constructor(out) {
    this.out = out;
    this.buf = Buffer.allocUnsafe(2 * CHUNK);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }
  out;
  /** Output at buf[0..off); the staged source chunk at buf[limit..]. */
  buf;
  view;
  off = 0;
  limit = CHUNK;
  staged;
  /**
   * The document of src[start..end) through `writer.writeRange` (the caller checked the line with CleanLines);
   * false when the writer declines it (write its document with doc() instead). Call flushIfFull() after.
   */
  range(src, start, end, writer) {
    if (this.off + writer.maxBytes(end - start) + 1 > this.limit) this.room(writer.maxBytes(end - start) + 1, src.length);
    if (src !== this.staged) this.stage(src);
    const e = writer.writeRange(this.limit, start, end, this.buf, this.off, this.view);
    if (e < 0) return false;
    this.buf[e] = 10;
    this.off = e + 1;
    return true;
  }
  /** A document's JSON text and a newline. */
  doc(json) {
    const need = 3 * json.length + 1;
    if (this.off + need > this.limit) this.room(need, this.staged?.length ?? 0);
    this.off += this.buf.utf8Write(json, this.off, this.limit - this.off);
    this.buf[this.off++] = 10;
  }
  /** Writes the output so far once it is a chunk (waiting when the stream asks). */
  flushIfFull() {
    if (this.off >= this.limit - (this.limit >> 3)) return this.flush();
  }
  flush() {
    if (this.off === 0) return;
    const chunk = Buffer.from(this.buf.subarray(0, this.off));
    this.off = 0;
    return write(this.out, chunk);
  }
  stage(src) {
    if (this.limit + src.length > this.buf.length) this.resize(this.limit, src.length);
    src.copy(this.buf, this.limit);
    this.staged = src;
  }
  /**
   * Makes `need` bytes of output room: the output so far is moved out of the way by growing the output area (the
   * caller flushes at the next flushIfFull), keeping the staged chunk after it.
   */
  room(need, stagedLength) {
    this.resize(Math.max(2 * this.limit, this.off + need), stagedLength);
  }
  resize(limit, stagedLength) {
    const buf = Buffer.allocUnsafe(limit + Math.max(stagedLength, CHUNK));
    this.buf.copy(buf, 0, 0, this.off);
    if (this.staged) this.staged.copy(buf, limit);
    this.buf = buf;
    this.limit = limit;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
};

// lib/cli/parse-summary.ts
function reasonShape(reason) {
  return reason.replace(/"(?:[^"\\]|\\.)*"/g, '"\u2026"').replace(/\b\d+(?:\.\d+)?\b/g, "N");
}
function typeOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
var ParseSummary = class {
  constructor(declared) {
    this.declared = declared;
  }
  declared;
  fields = /* @__PURE__ */ new Map();
  reasons = /* @__PURE__ */ new Map();
  docs = 0;
  add(doc) {
    this.docs++;
    this.walk(doc, "");
  }
  fail(line, reason) {
    const shape = reasonShape(reason);
    const r = this.reasons.get(shape);
    if (r) r.count++;
    else this.reasons.set(shape, { count: 1, firstLine: line, example: reason });
  }
  /** Nested objects as dotted paths, as the index template and the Parquet columns name them. */
  walk(doc, prefix) {
    for (const [k, v] of Object.entries(doc)) {
      const name = prefix + k;
      if (v === void 0) continue;
      if (v !== null && typeof v === "object" && !Array.isArray(v) && !this.declared[name]) {
        this.walk(v, `${name}.`);
        continue;
      }
      let f = this.fields.get(name);
      if (!f) this.fields.set(name, f = { count: 0, seen: /* @__PURE__ */ new Set() });
      f.count++;
      f.seen.add(typeOf(v));
    }
  }
  /** The report: fields (declared type, else the JSON types seen), then reasons by count. */
  render(totals) {
    const rows = [["field", "type", "documents", "%"]];
    for (const [name, f] of [...this.fields].sort(([a], [b]) => a.localeCompare(b))) {
      rows.push([name, this.declared[name] ?? [...f.seen].sort().join("|"), String(f.count), this.docs ? (100 * f.count / this.docs).toFixed(1) : "0"]);
    }
    const out = [`records=${totals.parsed + totals.failed + totals.filtered} parsed=${totals.parsed} failed=${totals.failed} filtered=${totals.filtered}`, "", table(rows)];
    if (this.reasons.size > 0) {
      const byCount = [...this.reasons.values()].sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
      out.push("", table([["failed", "first line", "reason"], ...byCount.map((r) => [String(r.count), String(r.firstLine), r.example.slice(0, 200)])]));
    }
    return `${out.join("\n")}
`;
  }
};
function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ")).join("\n");
}

// lib/cli/parse-command.ts
var PARSE_USAGE = `usage:
  logtong parse --config pipelines.yaml --pipeline NAME [--input FILE|-] [--failed FILE] [--summary] [--strict]
  logtong parse --type ${LOG_TYPES.join("|")} [--format STRING] [--regex RE]
                [--time-key K] [--time-format F] [--time-zone Z] [--input FILE|-] [--failed FILE] [--summary] [--strict]

Parses log lines exactly as the processor does and prints each document it would index, one JSON object per line,
on stdout. Input (default stdin; may be gzipped, detected by its magic bytes) is --input FILE or -.
Failed records go to stderr (or --failed FILE; a line longer than maxLineBytes is then written whole under
FILE.lines/), then a summary line on stderr: parsed=N failed=M (and filtered=K when the format has filters).
  --summary  print the fields (type, how many documents have each) and the failure reasons grouped, not documents
  --strict   exit 1 when any record failed (for CI)
Progress (bytes, lines/s, ETA) is drawn on stderr when it is a terminal.`;
async function runParse(argv, io) {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(["config", "pipeline", ...FORMAT_FLAGS, "input", "failed"].map((k) => [k, { type: "string" }])),
        summary: { type: "boolean" },
        strict: { type: "boolean" }
      },
      strict: true,
      allowPositionals: false
    }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
  const flags = values;
  const format = formatFrom(flags);
  const parser = compileParser(format);
  const keep = compileFilters(format.filters);
  const input = openInput("--input", flags.input ?? "-", io.stdin);
  const failedOut = flags.failed ? openOutput("--failed", flags.failed) : io.stderr;
  const counts = { parsed: 0, failed: 0, filtered: 0 };
  const summary = values.summary ? new ParseSummary(parser.fields) : void 0;
  const fail = (record) => {
    counts.failed++;
    summary?.fail(record.line, record.reason);
    return write(failedOut, failedJson(void 0, record));
  };
  const progress = startProgress(io.stderr, input.size);
  const read = {
    // stdin cannot be read twice: a broken gzip stream ends where zlib's output stopped
    ...input.reopen ? { reopen: input.reopen } : {},
    ...flags.failed ? { spill: (lineNo) => fileLineSink(path.join(`${flags.failed}.lines`, `line-${lineNo}`)) } : {}
  };
  const body = decodeBody(progress.count(input.body), read.reopen ? { reopen: read.reopen } : {});
  const splitOptions = { maxLineBytes: format.maxLineBytes, ...read.spill ? { spill: read.spill } : {} };
  const out = new NdjsonOut(io.stdout);
  const stringify = parser.stringify ?? JSON.stringify;
  const accept = (doc) => {
    if (!keep(doc)) {
      counts.filtered++;
      return;
    }
    counts.parsed++;
    if (summary) summary.add(doc);
    else out.doc(stringify(doc));
  };
  const general = async (l) => {
    if ("reason" in l) return fail(failedLineFields(l));
    const r = parser.parse(l.text);
    if (r.ok) accept(r.doc);
    else await fail({ line: l.lineNo, raw: l.text, reason: r.reason });
  };
  try {
    const writer = !summary && isKeepAll(keep) ? parser.json : void 0;
    if (writer?.writeRange) await byRange(body, splitOptions, writer, out, counts, general, progress.lines);
    else {
      for await (const batch of recordBatches(parser, splitLines(body, splitOptions))) {
        for (const l of batch) await general(l);
        progress.lines(batch.length);
        await out.flushIfFull();
      }
    }
    await out.flush();
  } finally {
    progress.stop();
  }
  if (flags.failed) await finish(failedOut);
  if (summary) await write(io.stdout, summary.render(counts));
  const filters = format.filters.include.length + format.filters.exclude.length > 0;
  io.stderr.write(`parsed=${counts.parsed} failed=${counts.failed}${filters ? ` filtered=${counts.filtered}` : ""}
`);
  return { ...counts, strict: values.strict === true };
}
async function byRange(body, splitOptions, writer, out, counts, general, lines) {
  const clean = new CleanLines();
  for await (const r of splitRanges(body, splitOptions)) {
    const src = r.src;
    clean.reset(src);
    for (let k = 0; k < r.count; k++) {
      const s = r.starts[k];
      const e = r.ends[k];
      if (e >= 0 && clean.test(s, e) && out.range(src, s, e, writer)) counts.parsed++;
      else await general(lineAt(r, k));
    }
    lines(r.count);
    await out.flushIfFull();
  }
}
var parseCommand = {
  usage: PARSE_USAGE,
  async run(argv, io) {
    const r = await runParse(argv, io);
    return r.strict && r.failed > 0 ? EXIT_FAILED : EXIT_OK;
  }
};
export {
  PARSE_USAGE,
  UsageError,
  parseCommand,
  runParse
};
