/**
 * One log object → OpenSearch: decode (gzip by magic bytes), split, parse, filter, bulk-index, and account for
 * every line. Pure orchestration: reading the object, sending bulks and writing backups are injected.
 *
 * Two records stand for more than a line of text: an over-long line, whose bytes are streamed to a backup object of
 * their own (`spill`) that its failed record names (`rawObject`); and the break of a gzip object that is corrupt or
 * breaks off, one failed record after the lines decoded before it, for the object itself, copied whole
 * (`backupObject`). Each counts once in recordsIn and once in backedUp.
 */
import { SendPool } from './bulk/send-pool';
import { CleanLines } from './clean-lines';
import { BulkBatcher, objectIdPrefix, type BulkBatch } from './bulk/batcher';
import type { BulkOutcome, BulkRequest } from './bulk/sender';
import { isKeepAll } from './filters';
import { recordBatches, type LineParser } from './formats';
import { decodeBody, failedLineFields, lineAt, splitLines, splitRanges, type FailedLine, type Line, type LineSink } from './lines';

export interface FailedRecord {
  readonly bucket: string;
  readonly key: string;
  readonly line: number;
  readonly raw: string;
  readonly reason: string;
  /** The line's bytes, base64, when raw cannot hold them (invalid UTF-8). */
  readonly rawBase64?: string;
  /**
   * Where the record's complete bytes are when raw holds only their start: an over-long line's own backup object
   * (`rawBytes` long), or, for the break of a broken gzip object, the object's whole copy.
   */
  readonly rawObject?: string;
  readonly rawBytes?: number;
  /** The parsed document, when parsing worked and indexing did not. */
  readonly doc?: Record<string, unknown>;
}

/** What a bulk item points back to: the line (its document is parsed again if the item fails). */
export interface ItemRef {
  readonly line: number;
  readonly raw: string;
}

export interface ObjectCounts {
  /** Non-empty lines read. */
  recordsIn: number;
  indexed: number;
  /** Already indexed by an earlier delivery of the same object (deterministic _id). */
  duplicates: number;
  /** Dropped on purpose by the pipeline's include/exclude filters. */
  filtered: number;
  backedUp: number;
  /** Transient indexing failures left for SQS to redeliver (not on the final attempt). */
  deferred: number;
}

/** How lines become bulk items, whatever brought them (an S3 object, Kinesis records). */
export interface IndexingOptions {
  readonly parser: LineParser;
  readonly filter: (doc: Record<string, unknown>) => boolean;
  /** Write alias. */
  readonly index: string;
  readonly bulkMaxBytes: number;
  readonly bulkMaxDocs: number;
  readonly maxLineBytes: number;
}

export interface ProcessObjectOptions extends IndexingOptions {
  readonly body: AsyncIterable<Uint8Array>;
  readonly source: { readonly bucket: string; readonly key: string; readonly etag?: string };
  /** Indexes one bulk request. Its body's memory is reused once the promise resolves: copy it to keep it. */
  readonly send: (request: BulkRequest<ItemRef>) => Promise<BulkOutcome<ItemRef>>;
  /** Persists failed records; `part` numbers are deterministic per object so a redelivery overwrites. */
  readonly backup: (part: number, records: FailedRecord[]) => Promise<void>;
  /** When false, transient indexing failures are counted as deferred (the caller lets SQS redeliver). @default true */
  readonly finalAttempt?: boolean;
  /** Bulk requests in flight. @default 2 */
  readonly concurrency?: number;
  /** Failed records per backup object. @default 10000 */
  readonly backupChunk?: number;
  /**
   * Opens the backup object an over-long line's bytes are streamed to, as they are read; its key must be
   * deterministic per object and line, so a redelivery overwrites. @default the line is held whole in memory
   */
  readonly spill?: (lineNo: number) => LineSink;
  /** Reads the object again (the same content, or throws): after a gzip error, to find every line before it. */
  readonly reopen?: () => Promise<AsyncIterable<Uint8Array>>;
  /**
   * Copies the whole object into the backup (its gzip data is corrupt or breaks off: `reason`); returns where, for
   * the break's failed record. @default the record has no copy to name
   */
  readonly backupObject?: (reason: string) => Promise<string>;
}

export async function processObject(o: ProcessObjectOptions): Promise<ObjectCounts> {
  const counts: ObjectCounts = { recordsIn: 0, indexed: 0, duplicates: 0, filtered: 0, backedUp: 0, deferred: 0 };
  const finalAttempt = o.finalAttempt ?? true;
  const concurrency = o.concurrency ?? 2;
  const backupChunk = o.backupChunk ?? 10_000;
  const { bucket, key } = o.source;
  const idPrefix = objectIdPrefix(bucket, key, o.source.etag ?? '');
  // The parser's generated serializer is valid for its docs as parse() returned them, which is all that reaches the batcher.
  const batcher = new BulkBatcher<ItemRef>({
    index: o.index,
    maxBytes: o.bulkMaxBytes,
    maxDocs: o.bulkMaxDocs,
    stringify: o.parser.stringify,
    idPrefix,
    rangeRef: (line, src, start, end) => new RangeRef(line, src, start, end),
  });
  // Fast path: with nothing to look at the document (no filters), a template parser writes its JSON straight into
  // the bulk body; lines it declines (escapes, unusual characters, lines that do not parse) take the general path.
  const writer = isKeepAll(o.filter) ? o.parser.json : undefined;

  let failed: FailedRecord[] = [];
  let part = 0;
  const flushFailed = async (force: boolean) => {
    while (failed.length >= backupChunk || (force && failed.length > 0)) {
      const chunk = failed.slice(0, backupChunk);
      failed = failed.slice(chunk.length);
      await o.backup(++part, chunk);
      counts.backedUp += chunk.length;
    }
  };

  const pool = new SendPool(concurrency);
  const dispatch = async (batch: BulkRequest<ItemRef>) => {
    const outcome = await o.send(batch);
    batcher.release(batch);
    counts.indexed += outcome.indexed;
    counts.duplicates += outcome.duplicates;
    for (const f of outcome.failed) {
      if (f.transient && !finalAttempt) counts.deferred++;
      else {
        // Only lines that parsed reach the batcher, so this gives back the document that was sent.
        const r = o.parser.parse(f.ref.raw);
        const doc = r.ok ? r.doc : undefined;
        failed.push({ bucket, key, line: f.ref.line, raw: f.ref.raw, reason: `indexing failed: ${f.reason}`, ...(doc ? { doc } : {}) });
      }
    }
  };
  const submit = async (batch: BulkBatch<ItemRef>) => {
    await pool.submit(() => dispatch(batch));
  };

  /** A failed entry of the splitter as its record; for the break of a broken object, the object is copied first. */
  const failedRecord = async (l: FailedLine): Promise<FailedRecord> => {
    const record: FailedRecord = { bucket, key, ...failedLineFields(l) };
    return l.broken && o.backupObject ? { ...record, rawObject: await o.backupObject(l.reason) } : record;
  };
  const lineOptions = { maxLineBytes: o.maxLineBytes, ...(o.spill ? { spill: o.spill } : {}) };
  const body = decodeBody(o.body, o.reopen ? { reopen: o.reopen } : {});

  /** One line through parse → filter → add; the batch it completed, if any. */
  const general = (l: Line, id: string, ref: ItemRef): BulkBatch<ItemRef> | undefined => {
    const r = o.parser.parse(l.text);
    if (!r.ok) {
      failed.push({ bucket, key, line: l.lineNo, raw: l.text, reason: r.reason });
      return undefined;
    }
    if (!o.filter(r.doc)) {
      counts.filtered++;
      return undefined;
    }
    return batcher.add(id, r.doc, ref);
  };

  if (writer?.writeRange) {
    // Byte path: no string or object per line.
    const clean = new CleanLines();
    for await (const r of splitRanges(body, lineOptions)) {
      const src = r.src;
      clean.reset(src);
      for (let k = 0; k < r.count; k++) {
        counts.recordsIn++;
        const s = r.starts[k];
        const e = r.ends[k];
        let full: BulkBatch<ItemRef> | undefined | false = false;
        if (e >= 0 && clean.test(s, e)) full = batcher.addRange(r.lineNos[k], src, s, e, writer);
        if (full === false) {
          const l = lineAt(r, k);
          if ('reason' in l) {
            failed.push(await failedRecord(l));
            continue;
          }
          full = general(l, `${idPrefix}-${l.lineNo}`, { line: l.lineNo, raw: l.text });
        }
        if (full) await submit(full);
      }
      await flushFailed(false);
    }
  } else for await (const lines of recordBatches(o.parser, splitLines(body, lineOptions))) {
    for (const l of lines) {
      counts.recordsIn++;
      if ('reason' in l) {
        failed.push(await failedRecord(l));
        continue;
      }
      const id = `${idPrefix}-${l.lineNo}`;
      const ref: ItemRef = { line: l.lineNo, raw: l.text };
      let full = writer ? batcher.addLine(id, l.text, writer, ref) : false;
      if (full === false) {
        const r = o.parser.parse(l.text);
        if (!r.ok) {
          failed.push({ bucket, key, line: l.lineNo, raw: l.text, reason: r.reason });
          continue;
        }
        if (!o.filter(r.doc)) {
          counts.filtered++;
          continue;
        }
        full = batcher.add(id, r.doc, ref);
      }
      if (full) await submit(full);
    }
    await flushFailed(false);
  }
  const last = batcher.flush();
  if (last) await submit(last);
  await pool.drain();
  await flushFailed(true);
  return counts;
}

/** A fast-path item's ref: the raw line is decoded from the chunk only if someone asks (a failed item). */
class RangeRef implements ItemRef {
  constructor(
    readonly line: number,
    private readonly src: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}
  get raw(): string {
    return this.src.toString('latin1', this.start, this.end);
  }
}

/** `records_in = indexed + duplicates + filtered + backed_up + deferred`, or a bug. */
export function accountedFor(c: ObjectCounts): boolean {
  return c.recordsIn === c.indexed + c.duplicates + c.filtered + c.backedUp + c.deferred;
}

/**
 * Thrown for an SQS message whose objects left records deferred (transient indexing failures before the last
 * delivery): the message must come back. Not a fault: redelivery is safe, since documents are created with
 * deterministic ids and backups land at deterministic keys.
 */
export class RedeliveryRequested extends Error {
  constructor(readonly deferred: number) {
    super(`${deferred} records hit transient indexing failures; leaving the message for redelivery`);
    this.name = 'RedeliveryRequested';
  }
}
