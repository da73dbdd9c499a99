/**
 * One Kinesis batch (records of one shard, in order) → OpenSearch, accounting for every line. Pure orchestration:
 * sending bulks and writing backups are injected.
 *
 * Checkpoint rule: Lambda retries a batch from the lowest sequence number the function reports, and considers the
 * records before it done. So when lines hit transient indexing failures, the first record holding one is reported
 * and nothing at or after it is backed up here — the retry will see those records again (indexed lines answer
 * 409, failed lines are backed up then). Backups are written last, keyed by their first line, so a batch retried
 * whole (or bisected) after a throw overwrites what it wrote before instead of adding to it.
 *
 * A line longer than maxLineBytes is backed up whole in its failed record (raw, and rawBase64 when not UTF-8): a
 * Kinesis record is at most 1 MiB and already in memory, so the splitter gets no spill sink here.
 */
import { SendPool } from './bulk/send-pool';
import { BulkBatcher, type BulkBatch } from './bulk/batcher';
import type { BulkOutcome, BulkRequest } from './bulk/sender';
import { isKeepAll } from './filters';
import { recordBatches } from './formats';
import { decodeRecord, documentId, recordText, shardIdPrefix, streamNameOf, type TextOptions } from './kinesis';
import { failedLineFields, splitLines, type LineEntry } from './lines';
import type { IndexingOptions, ObjectCounts } from './process-object';

export interface KinesisRecordIn {
  readonly sequenceNumber: string;
  readonly partitionKey?: string;
  readonly data: Buffer;
}

export interface KinesisFailedRecord {
  readonly streamArn: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  /** Line within the user record (1-based); 0 for a poison record. */
  readonly line: number;
  readonly reason: string;
  /** Raw text of the line; absent for a poison record. */
  readonly raw?: string;
  /** The record's bytes, base64, for a poison record. */
  readonly data?: string;
  /** The line's bytes, base64, when raw cannot hold them (invalid UTF-8). */
  readonly rawBase64?: string;
  readonly doc?: Record<string, unknown>;
}

interface Ref {
  readonly ordinal: number;
  readonly sub: number;
  readonly line: number;
  readonly raw: string;
}

export interface ProcessRecordsOptions extends IndexingOptions {
  readonly streamArn: string;
  readonly shardId: string;
  readonly records: readonly KinesisRecordIn[];
  readonly text?: TextOptions;
  readonly send: (request: BulkRequest<Ref>) => Promise<BulkOutcome<Ref>>;
  /** Persists failed records under `objectId` (deterministic: same first line → same object). */
  readonly backup: (objectId: string, records: KinesisFailedRecord[]) => Promise<void>;
  /** @default 2 */
  readonly concurrency?: number;
  /** Failed records per backup object. @default 10000 */
  readonly backupChunk?: number;
}

export interface RecordsResult {
  readonly counts: ObjectCounts;
  /** Sequence number to report in batchItemFailures; undefined when every line is accounted for for good. */
  readonly retryFrom?: string;
}

export async function processRecords(o: ProcessRecordsOptions): Promise<RecordsResult> {
  const counts: ObjectCounts = { recordsIn: 0, indexed: 0, duplicates: 0, filtered: 0, backedUp: 0, deferred: 0 };
  const prefix = shardIdPrefix(o.streamArn, o.shardId);
  const concurrency = o.concurrency ?? 2;
  const batcher = new BulkBatcher<Ref>({ index: o.index, maxBytes: o.bulkMaxBytes, maxDocs: o.bulkMaxDocs, stringify: o.parser.stringify });
  const writer = isKeepAll(o.filter) ? o.parser.json : undefined;
  const failed: Array<{ ordinal: number; rec: KinesisFailedRecord }> = [];
  // Lowest record ordinal with a line left to the retry (transient failure); Infinity: none.
  let firstDeferred = Infinity;
  const base = (ordinal: number, sub: number) => ({
    streamArn: o.streamArn,
    shardId: o.shardId,
    sequenceNumber: o.records[ordinal].sequenceNumber,
    subSequenceNumber: sub,
  });

  const pool = new SendPool(concurrency);
  const dispatch = async (batch: BulkBatch<Ref>) => {
    const outcome = await o.send(batch);
    counts.indexed += outcome.indexed;
    counts.duplicates += outcome.duplicates;
    for (const f of outcome.failed) {
      if (f.transient) {
        counts.deferred++;
        firstDeferred = Math.min(firstDeferred, f.ref.ordinal);
      } else {
        const r = o.parser.parse(f.ref.raw);
        failed.push({
          ordinal: f.ref.ordinal,
          rec: { ...base(f.ref.ordinal, f.ref.sub), line: f.ref.line, raw: f.ref.raw, reason: `indexing failed: ${f.reason}`, ...(r.ok ? { doc: r.doc } : {}) },
        });
      }
    }
  };
  const submit = async (batch: BulkBatch<Ref> | undefined) => {
    if (!batch) return;
    await pool.submit(() => dispatch(batch));
  };

  for (let ordinal = 0; ordinal < o.records.length; ordinal++) {
    const record = o.records[ordinal];
    const decoded = decodeRecord(record.data);
    if (!decoded.ok) {
      counts.recordsIn++;
      failed.push({ ordinal, rec: { ...base(ordinal, 0), line: 0, reason: decoded.reason, data: record.data.toString('base64') } });
      continue;
    }
    // Once a bulk came back with transient failures, later bulks only hold later records, which the retry will
    // deliver again: they are counted, not sent.
    for (const user of decoded.records) {
      for await (const lines of recordBatches(o.parser, splitLines(single(recordText(user.data, o.text)), { maxLineBytes: o.maxLineBytes }))) {
        for (const l of lines) {
          counts.recordsIn++;
          if (ordinal > firstDeferred) {
            counts.deferred++;
            continue;
          }
          await submit(line(ordinal, user.subSequence, l));
        }
      }
    }
  }
  await submit(batcher.flush());
  await pool.drain();

  // Failed lines of records the retry will see again are its business, not ours.
  const keep = failed.filter((f) => f.ordinal < firstDeferred).map((f) => f.rec);
  counts.deferred += failed.length - keep.length;
  const chunk = o.backupChunk ?? 10_000;
  const stream = streamNameOf(o.streamArn);
  for (let i = 0; i < keep.length; i += chunk) {
    const part = keep.slice(i, i + chunk);
    const first = part[0];
    await o.backup(`kinesis/${stream}/${o.shardId}/${first.sequenceNumber}-${first.subSequenceNumber}-${first.line}`, part);
    counts.backedUp += part.length;
  }
  return { counts, ...(firstDeferred < Infinity ? { retryFrom: o.records[firstDeferred].sequenceNumber } : {}) };

  /** One line through parse → filter → batcher; the batch it completed, if any. */
  function line(ordinal: number, sub: number, l: LineEntry): BulkBatch<Ref> | undefined {
    if ('reason' in l) {
      failed.push({ ordinal, rec: { ...base(ordinal, sub), ...failedLineFields(l) } });
      return undefined;
    }
    const id = documentId(prefix, o.records[ordinal].sequenceNumber, sub, l.lineNo);
    const ref: Ref = { ordinal, sub, line: l.lineNo, raw: l.text };
    const direct = writer ? batcher.addLine(id, l.text, writer, ref) : false;
    if (direct !== false) return direct;
    const r = o.parser.parse(l.text);
    if (!r.ok) {
      failed.push({ ordinal, rec: { ...base(ordinal, sub), line: l.lineNo, raw: l.text, reason: r.reason } });
      return undefined;
    }
    if (!o.filter(r.doc)) {
      counts.filtered++;
      return undefined;
    }
    return batcher.add(id, r.doc, ref);
  }
}

async function* single(b: Buffer): AsyncIterable<Buffer> {
  if (b.length > 0) yield b;
}
