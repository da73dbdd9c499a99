/**
 * One log object → OpenSearch: decode (gzip by magic bytes), split, parse, filter, bulk-index, and account for
 * every line. Pure orchestration: reading the object, sending bulks and writing backups are injected.
 */
import { BulkBatcher, objectIdPrefix, type BulkBatch } from './bulk/batcher';
import type { BulkOutcome, BulkRequest } from './bulk/sender';
import { isKeepAll } from './filters';
import type { LineParser } from './formats';
import { decodeBody, splitLines } from './lines';

export interface FailedRecord {
  readonly bucket: string;
  readonly key: string;
  readonly line: number;
  readonly raw: string;
  readonly reason: string;
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

export interface ProcessObjectOptions {
  readonly body: AsyncIterable<Uint8Array>;
  readonly source: { readonly bucket: string; readonly key: string; readonly etag?: string };
  readonly parser: LineParser;
  readonly filter: (doc: Record<string, unknown>) => boolean;
  /** Write alias. */
  readonly index: string;
  readonly bulkMaxBytes: number;
  readonly bulkMaxDocs: number;
  readonly maxLineBytes: number;
  readonly send: (request: BulkRequest<ItemRef>) => Promise<BulkOutcome<ItemRef>>;
  /** Persists failed records; `part` numbers are deterministic per object so a redelivery overwrites. */
  readonly backup: (part: number, records: FailedRecord[]) => Promise<void>;
  /** When false, transient indexing failures are counted as deferred (the caller lets SQS redeliver). @default true */
  readonly finalAttempt?: boolean;
  /** Bulk requests in flight. @default 2 */
  readonly concurrency?: number;
  /** Failed records per backup object. @default 10000 */
  readonly backupChunk?: number;
}

export async function processObject(o: ProcessObjectOptions): Promise<ObjectCounts> {
  const counts: ObjectCounts = { recordsIn: 0, indexed: 0, duplicates: 0, filtered: 0, backedUp: 0, deferred: 0 };
  const finalAttempt = o.finalAttempt ?? true;
  const concurrency = o.concurrency ?? 2;
  const backupChunk = o.backupChunk ?? 10_000;
  const { bucket, key } = o.source;
  const idPrefix = objectIdPrefix(bucket, key, o.source.etag ?? '');
  // The parser's generated serializer is valid for its docs as parse() returned them, which is all that reaches the batcher.
  const batcher = new BulkBatcher<ItemRef>({ index: o.index, maxBytes: o.bulkMaxBytes, maxDocs: o.bulkMaxDocs, stringify: o.parser.stringify });
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

  const inFlight: Array<Promise<void>> = [];
  const dispatch = async (batch: BulkRequest<ItemRef>) => {
    const outcome = await o.send(batch);
    counts.indexed += outcome.indexed.length;
    counts.duplicates += outcome.duplicates.length;
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
    if (inFlight.length >= concurrency) await inFlight.shift();
    inFlight.push(dispatch(batch));
  };

  for await (const lines of splitLines(decodeBody(o.body), { maxLineBytes: o.maxLineBytes })) {
    for (const l of lines) {
      counts.recordsIn++;
      if ('reason' in l) {
        failed.push({ bucket, key, line: l.lineNo, raw: l.raw, reason: l.reason });
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
  while (inFlight.length > 0) await inFlight.shift();
  await flushFailed(true);
  return counts;
}

/** `records_in = indexed + duplicates + filtered + backed_up + deferred`, or a bug. */
export function accountedFor(c: ObjectCounts): boolean {
  return c.recordsIn === c.indexed + c.duplicates + c.filtered + c.backedUp + c.deferred;
}
