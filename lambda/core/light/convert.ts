/**
 * One Light Engine batch → Parquet: every staged object is decoded (gzip by magic bytes), split, parsed and filtered
 * exactly as the OpenSearch processor does, and each record is appended to the Parquet file of its own event hour.
 * Pure orchestration: reading objects, writing files and backing up failed records are injected.
 *
 * As in the processor, an over-long line is streamed to a backup object of its own (`spill`), and a gzip object
 * that is corrupt or breaks off gives its lines before the break, then one failed record for the rest, with the
 * object copied whole (`backupObject`): it neither stops the batch nor keeps it failing on every run.
 *
 * Files per partition: at most `maxOpenFiles` files are open; an hour whose file was finished to make room and that
 * comes back starts the next file (`-<n+1>`), so an input whose hours recur (days of logs concatenated) gives many files
 * per partition. With a `recurring` stash (the CLI) such an hour's later rows are held there instead and written after
 * the last input as one more file: at most 2 files per partition per batch, whatever the input order.
 */
import type { Writable } from 'node:stream';
import { TIMESTAMP_FIELD } from '../fields';
import { recordBatches, type LineParser } from '../formats';
import { decodeBody, failedLineFields, splitLines, type LineSink } from '../lines';
import type { FailedRecord } from '../process-object';
import type { Column } from '../parquet/columns';
import { createParquetWriter, type ParquetSink, type RowWriter } from '../parquet/writer';
import { eventHourOf, partitionPrefix } from './layout';
import { projectionMiss, projectionWindow, type ProjectionRange } from './projection';

/** A file being written: chunks in order, then close() (or abort() when the batch fails). */
export interface FileSink extends ParquetSink {
  close(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * A FileSink over a Writable: writes wait for 'drain' (backpressure), close() ends the stream and waits for
 * `finished` (the upload or the file being complete), abort() runs `abort`.
 */
export function writableFileSink(out: Writable, finished: Promise<unknown>, abort: () => Promise<void>): FileSink {
  // Observed through close(); without this an aborted upload would surface as an unhandled rejection.
  finished.catch(() => undefined);
  return {
    write(chunk): void | Promise<void> {
      if (out.write(chunk)) return;
      return new Promise<void>((resolve) => out.once('drain', () => resolve()));
    },
    async close() {
      out.end();
      await finished;
    },
    abort,
  };
}

export interface ConvertInput {
  readonly bucket: string;
  readonly key: string;
  /** Names this object's failed-record backups (deterministic per object content). */
  readonly objectId: string;
  readonly body: AsyncIterable<Uint8Array>;
  /** Where the body is read from (a staged copy, or its archived twin), when it is not bucket/key. */
  readonly stored?: { readonly bucket: string; readonly key: string; readonly size: number };
}

export interface OutputFile {
  readonly key: string;
  readonly eventHour: string;
  rows: number;
}

export interface ConvertCounts {
  /** Records read (lines, or events for multi-line logs). */
  recordsIn: number;
  written: number;
  filtered: number;
  failed: number;
  /** Of `failed`: records whose hour the Athena projection does not cover (`projection`), backed up instead. */
  outOfProjection: number;
  files: OutputFile[];
}

export interface ConvertBatchOptions {
  /** Names the output files: `<table>/event_hour=H/region=R/<batchId>-<n>.parquet`. */
  readonly batchId: string;
  /** Opened one at a time, in order. */
  readonly objects: AsyncIterable<ConvertInput> | Iterable<ConvertInput>;
  readonly parser: LineParser;
  readonly filter: (doc: Record<string, unknown>) => boolean;
  readonly columns: readonly Column[];
  /** Turns a document into the writer's row (see LightTable). @default the document itself */
  readonly toRow?: (doc: Record<string, unknown>) => Record<string, unknown>;
  readonly table: string;
  readonly region: string;
  readonly maxLineBytes: number;
  readonly openFile: (key: string) => FileSink;
  /** Persists failed records of an object; parts are numbered from 0 per object so a retry overwrites. */
  readonly backup: (objectId: string, part: number, records: FailedRecord[]) => Promise<void>;
  /**
   * Opens the sink an over-long line of `input` is streamed to (deterministic per object and line, so a retry
   * overwrites). @default the line is held whole in memory
   */
  readonly spill?: (input: ConvertInput, lineNo: number) => LineSink;
  /** Reads `input` again (the same content, or throws): after a gzip error, to find every line before it. */
  readonly reopen?: (input: ConvertInput) => Promise<AsyncIterable<Uint8Array>>;
  /** Copies `input` whole into the backup (its gzip data is corrupt or breaks off: `reason`); returns where. */
  readonly backupObject?: (input: ConvertInput, reason: string) => Promise<string>;
  /**
   * Files open at once; when a batch spans more event hours than this, the least recently used file is finished and
   * a later record of its hour starts the next file (`-<n+1>`), or goes to `recurring` when there is one. Bounds memory
   * for old, scattered logs.
   * @default 16
   */
  readonly maxOpenFiles?: number;
  /**
   * Bounds the files per partition: at most 2 per partition per batch, on any input order. An hour whose file was
   * finished (to stay within `maxOpenFiles`) and that comes back does not start a new file: its rows go to this stash,
   * and after the last input each such hour gets exactly one more file from it. So every partition gets
   * `<batchId>-0.parquet` (the hour's rows up to its file's finish), and `<batchId>-1.parquet` (all its later rows)
   * only when its hour came back after that; rows in input order in each. Memory: the `maxOpenFiles` open files,
   * what the stash holds in memory, and at the end one file at a time written from it. Stashed rows count as
   * `written` when stashed (what onProgress sees), and are in `files` once their file is written.
   * @default none: a recurring hour starts the next file (`-<n+1>`) each time, as in the Convert Lambda
   */
  readonly recurring?: RowStash;
  /**
   * Called after each batch of records read, then after each batch of rows written from `recurring`; keep it cheap.
   * `written` minus the rows of `files` is what the stash still holds.
   */
  readonly onProgress?: (counts: Readonly<ConvertCounts>) => void;
  /** @default the writer's */
  readonly rowGroupRows?: number;
  /** Failed records per backup object. @default 10000 */
  readonly backupChunk?: number;
  /**
   * The Glue table's `event_hour` projection: a record of an hour outside it (as of the batch's start) is backed up
   * with the reason instead of written where no query would see it, and counted in `outOfProjection`.
   * @default no check (the `logtong convert` CLI without a pipeline)
   */
  readonly projection?: ProjectionRange;
  /** The clock the projection's NOW is read from, once per batch. @default Date.now */
  readonly now?: () => number;
}

/**
 * Rows of event hours whose file is already finished, held until the end of the batch (convertBatch's `recurring`).
 * A row is its values in column order (`Column.source` order of `columns`), handed back exactly: the same types and
 * values (bigint, Date, -0, NaN, undefined, nested arrays and objects), in append order per hour.
 */
export interface RowStash {
  /** Holds one row of `hour`; a promise only when it had to write (await it before the next call). */
  append(hour: string, row: unknown[]): void | Promise<void>;
  /** Every row appended for `hour`, in order, in batches of any size. Read once per hour, after the last append. */
  rows(hour: string): AsyncIterable<readonly unknown[][]>;
}

interface OpenFile {
  readonly writer: RowWriter;
  readonly sink: FileSink;
  readonly file: OutputFile;
}

export async function convertBatch(o: ConvertBatchOptions): Promise<ConvertCounts> {
  const counts: ConvertCounts = { recordsIn: 0, written: 0, filtered: 0, failed: 0, outOfProjection: 0, files: [] };
  // Read once: NOW only grows, so an hour inside the window at the start stays inside every later query's range.
  const projected = o.projection && projectionWindow(o.projection, (o.now ?? Date.now)());
  const maxOpen = o.maxOpenFiles ?? 16;
  const backupChunk = o.backupChunk ?? 10_000;
  const stash = o.recurring;
  const sources = o.columns.map((c) => c.source);
  // Map order is the LRU order: a file is moved to the end when its hour comes back after another hour.
  const open = new Map<string, OpenFile>();
  const nextSeq = new Map<string, number>();
  // Rows per stashed hour, in the order the hours were first stashed: what each hour's last file must get back.
  const stashed = new Map<string, number>();
  let lastHour = '';
  // undefined with lastHour set: that hour's rows go to the stash.
  let last: OpenFile | undefined;

  const finish = async (hour: string, f: OpenFile) => {
    open.delete(hour);
    if (last === f) {
      last = undefined;
      lastHour = '';
    }
    await f.writer.close();
    await f.sink.close();
  };

  const newFile = (hour: string): OpenFile => {
    const seq = nextSeq.get(hour) ?? 0;
    nextSeq.set(hour, seq + 1);
    const key = `${partitionPrefix(o.table, hour, o.region)}${o.batchId}-${seq}.parquet`;
    const sink = o.openFile(key);
    const writer = createParquetWriter(o.columns, sink, o.rowGroupRows ? { rowGroupRows: o.rowGroupRows } : undefined);
    const f = { writer, sink, file: { key, eventHour: hour, rows: 0 } };
    counts.files.push(f.file);
    open.set(hour, f);
    return f;
  };

  /** The open file of `hour`; undefined when its file is finished and its rows go to the stash. */
  const fileFor = async (hour: string): Promise<OpenFile | undefined> => {
    const f = open.get(hour);
    if (f) {
      open.delete(hour);
      open.set(hour, f);
      return f;
    }
    if (stash && nextSeq.has(hour)) return undefined;
    if (open.size >= maxOpen) {
      const [oldest, file] = open.entries().next().value as [string, OpenFile];
      await finish(oldest, file);
    }
    return newFile(hour);
  };

  try {
    for await (const input of o.objects) {
      let failed: FailedRecord[] = [];
      let part = 0;
      const fail = async (record: Omit<FailedRecord, 'bucket' | 'key'>) => {
        counts.failed++;
        failed.push({ bucket: input.bucket, key: input.key, ...record });
        if (failed.length >= backupChunk) {
          await o.backup(input.objectId, part++, failed);
          failed = [];
        }
      };
      const body = decodeBody(input.body, o.reopen ? { reopen: () => o.reopen!(input) } : {});
      const lines = splitLines(body, { maxLineBytes: o.maxLineBytes, ...(o.spill ? { spill: (n: number) => o.spill!(input, n) } : {}) });
      for await (const batch of recordBatches(o.parser, lines)) {
        for (const entry of batch) {
          counts.recordsIn++;
          if ('reason' in entry) {
            const copy = entry.broken && o.backupObject ? await o.backupObject(input, entry.reason) : undefined;
            await fail({ ...failedLineFields(entry), ...(copy ? { rawObject: copy } : {}) });
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
          if (typeof time !== 'string') {
            // Partitions are the record's own hour: without a time there is no right place for it.
            await fail({ line: entry.lineNo, raw: entry.text, reason: 'no record time: set logFormat.timeKey (and timeFormat) for the Light Engine' });
            continue;
          }
          const hour = eventHourOf(time);
          // lastHour is only ever an hour already inside the window.
          const miss = projected && hour !== lastHour ? projectionMiss(hour, projected) : undefined;
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
            // Only the columns: the writer reads nothing else, and the stash then holds no more than the file will.
            const held = stash!.append(hour, sources.map((s) => row[s]));
            if (held) await held;
            stashed.set(hour, (stashed.get(hour) ?? 0) + 1);
          }
          counts.written++;
        }
        o.onProgress?.(counts);
      }
      if (failed.length > 0) await o.backup(input.objectId, part, failed);
    }
    for (const [hour, f] of [...open]) await finish(hour, f);
    // One hour at a time, after every other file is finished: memory is one writer's, however many hours came back.
    const rowOf = stashed.size > 0 ? rowBuilder(sources) : undefined;
    for (const [hour, n] of stashed) {
      const f = newFile(hour);
      for await (const rows of stash!.rows(hour)) {
        for (const values of rows) {
          const flushed = f.writer.append(rowOf!(values));
          if (flushed) await flushed;
          f.file.rows++;
        }
        o.onProgress?.(counts);
      }
      // A stash that lost or invented rows would make the counts lie about what was written.
      if (f.file.rows !== n) throw new Error(`the row stash gave back ${f.file.rows} rows of hour ${hour}, ${n} were stashed`);
      await finish(hour, f);
    }
  } catch (e) {
    // Unfinished files must not appear: their multipart uploads are dropped; a retry writes the same keys again.
    await Promise.allSettled([...open.values()].map((f) => f.sink.abort()));
    throw e;
  }
  return counts;
}

/**
 * Row of values in `sources` order, as an object literal: one shape for every row read back from a stash, where keyed
 * stores in a loop would build each row slowly.
 */
function rowBuilder(sources: readonly string[]): (values: readonly unknown[]) => Record<string, unknown> {
  // `"__proto__": x` in a literal would set the prototype; the computed key makes it a property like any other.
  const props = sources.map((s, j) => `${s === '__proto__' ? '["__proto__"]' : JSON.stringify(s)}: v[${j}]`);
  return new Function('v', `"use strict";\nreturn {${props.join(', ')}};`) as (values: readonly unknown[]) => Record<string, unknown>;
}

/** Every record is written, filtered or failed (backed up). */
export function convertAccountedFor(c: ConvertCounts): boolean {
  return (
    c.recordsIn === c.written + c.filtered + c.failed && c.outOfProjection <= c.failed && c.written === c.files.reduce((n, f) => n + f.rows, 0)
  );
}
