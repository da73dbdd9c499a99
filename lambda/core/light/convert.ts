/**
 * One Light Engine batch → Parquet: every staged object is decoded (gzip by magic bytes), split, parsed and filtered
 * exactly as the OpenSearch processor does, and each record is appended to the Parquet file of its own event hour.
 * Pure orchestration: reading objects, writing files and backing up failed records are injected.
 *
 * As in the processor, an over-long line is streamed to a backup object of its own (`spill`), and a gzip object
 * that is corrupt or breaks off gives its lines before the break, then one failed record for the rest, with the
 * object copied whole (`backupObject`): it neither stops the batch nor keeps it failing on every run.
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
   * a later record of its hour starts the next file (`-<n+1>`). Bounds memory for old, scattered logs.
   * @default 16
   */
  readonly maxOpenFiles?: number;
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
  // Map order is the LRU order: a file is moved to the end when its hour comes back after another hour.
  const open = new Map<string, OpenFile>();
  const nextSeq = new Map<string, number>();
  let lastHour = '';
  let last: OpenFile | undefined;

  const finish = async (hour: string, f: OpenFile) => {
    open.delete(hour);
    if (last === f) last = undefined;
    await f.writer.close();
    await f.sink.close();
  };

  const fileFor = async (hour: string): Promise<OpenFile> => {
    let f = open.get(hour);
    if (f) {
      open.delete(hour);
      open.set(hour, f);
      return f;
    }
    if (open.size >= maxOpen) {
      const [oldest, file] = open.entries().next().value as [string, OpenFile];
      await finish(oldest, file);
    }
    const seq = nextSeq.get(hour) ?? 0;
    nextSeq.set(hour, seq + 1);
    const key = `${partitionPrefix(o.table, hour, o.region)}${o.batchId}-${seq}.parquet`;
    const sink = o.openFile(key);
    const writer = createParquetWriter(o.columns, sink, o.rowGroupRows ? { rowGroupRows: o.rowGroupRows } : undefined);
    f = { writer, sink, file: { key, eventHour: hour, rows: 0 } };
    counts.files.push(f.file);
    open.set(hour, f);
    return f;
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
          let f = last;
          if (hour !== lastHour || !f) {
            f = await fileFor(hour);
            last = f;
            lastHour = hour;
          }
          const flushed = f.writer.append(o.toRow ? o.toRow(r.doc) : r.doc);
          if (flushed) await flushed;
          f.file.rows++;
          counts.written++;
        }
      }
      if (failed.length > 0) await o.backup(input.objectId, part, failed);
    }
    for (const [hour, f] of [...open]) await finish(hour, f);
  } catch (e) {
    // Unfinished files must not appear: their multipart uploads are dropped; a retry writes the same keys again.
    await Promise.allSettled([...open.values()].map((f) => f.sink.abort()));
    throw e;
  }
  return counts;
}

/** Every record is written, filtered or failed (backed up). */
export function convertAccountedFor(c: ConvertCounts): boolean {
  return (
    c.recordsIn === c.written + c.filtered + c.failed && c.outOfProjection <= c.failed && c.written === c.files.reduce((n, f) => n + f.rows, 0)
  );
}
