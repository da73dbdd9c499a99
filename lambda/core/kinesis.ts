/**
 * Kinesis Data Streams records → the log text they carry. Pure: no AWS SDK.
 *
 * Producers differ: Fluent Bit's `kinesis_streams` writes one event per record and always appends "\n"; with
 * `log_key` it sends the value as flb_msgpack_to_json wrote it minus the surrounding quotes, i.e. still
 * JSON-escaped (`\"`), without it a JSON object (`{"log":"…",…}`). The KPL packs many user records into one
 * aggregated record (magic, protobuf AggregatedRecord, MD5 of the protobuf), which Lambda delivers as it is.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';

export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const MD5_BYTES = 16;

/** One user record inside a Kinesis record: the whole record (subSequence 0) or a KPL sub-record. */
export interface UserRecord {
  readonly subSequence: number;
  readonly data: Buffer;
  readonly partitionKey?: string;
}

export type DecodedRecord = { ok: true; aggregated: boolean; records: UserRecord[] } | { ok: false; reason: string };

/** A record's user records; a KPL record whose MD5 or protobuf is wrong is poison (never worth a retry). */
export function decodeRecord(data: Buffer): DecodedRecord {
  if (data.length < KPL_MAGIC.length + MD5_BYTES || !data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC)) {
    return { ok: true, aggregated: false, records: [{ subSequence: 0, data }] };
  }
  const body = data.subarray(KPL_MAGIC.length, data.length - MD5_BYTES);
  const digest = createHash('md5').update(body).digest();
  if (!digest.equals(data.subarray(data.length - MD5_BYTES))) return { ok: false, reason: 'KPL aggregated record: MD5 mismatch' };
  try {
    return { ok: true, aggregated: true, records: parseAggregated(body) };
  } catch (e) {
    return { ok: false, reason: `KPL aggregated record: ${(e as Error).message}` };
  }
}

/** Protobuf reader for the few wire types AggregatedRecord uses; anything malformed throws. */
class Reader {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) throw new Error('varint out of range');
        return result;
      }
      mul *= 128;
    }
    throw new Error('varint too long');
  }
  bytes(): Buffer {
    const n = this.varint();
    if (this.pos + n > this.end) throw new Error('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1 || wire === 5) {
      this.pos += wire === 1 ? 8 : 4;
      if (this.pos > this.end) throw new Error('truncated field');
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

function parseAggregated(body: Buffer): UserRecord[] {
  const keys: string[] = [];
  const raw: Array<{ pk: number; data: Buffer }> = [];
  const r = new Reader(body);
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 2) keys.push(r.bytes().toString('utf8'));
    else if (field === 3 && wire === 2) {
      const m = r.bytes();
      const sub = new Reader(m);
      let pk = -1;
      let data: Buffer | undefined;
      while (sub.pos < sub.end) {
        const t = sub.varint();
        if (t >>> 3 === 1 && (t & 7) === 0) pk = sub.varint();
        else if (t >>> 3 === 3 && (t & 7) === 2) data = sub.bytes();
        else sub.skip(t & 7);
      }
      if (pk < 0 || data === undefined) throw new Error('sub-record lacks partition_key_index or data');
      raw.push({ pk, data });
    } else r.skip(wire);
  }
  return raw.map((x, i) => {
    if (x.pk >= keys.length) throw new Error(`partition_key_index ${x.pk} out of range`);
    return { subSequence: i, data: x.data, partitionKey: keys[x.pk] };
  });
}

/** The KPL encoding (for tests and replays): magic + AggregatedRecord + MD5. */
export function aggregateRecords(records: Array<{ partitionKey: string; data: Buffer }>): Buffer {
  const keys = [...new Set(records.map((r) => r.partitionKey))];
  const parts: Buffer[] = [];
  for (const k of keys) parts.push(field(1, Buffer.from(k, 'utf8')));
  for (const r of records) parts.push(field(3, Buffer.concat([Buffer.from([0x08]), varint(keys.indexOf(r.partitionKey)), field(3, r.data)])));
  const body = Buffer.concat(parts);
  return Buffer.concat([KPL_MAGIC, body, createHash('md5').update(body).digest()]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function field(no: number, b: Buffer): Buffer {
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
}

export interface TextOptions {
  /** Key of the log text when a record is a JSON object (Fluent Bit without log_key). @default 'log' */
  readonly jsonKey?: string;
  /**
   * `auto`: a record with escapes but no bare `"` or control character is taken as Fluent Bit's escaped log_key
   * value and unescaped — an apache/nginx line always has bare quotes, so it is never mistaken; `never`: raw text.
   * @default 'auto'
   */
  readonly unescape?: 'auto' | 'never';
}

/**
 * The log text of a user record, as bytes for the line splitter (which checks UTF-8 and length per line). Bytes
 * that are not UTF-8 are returned unchanged so that the splitter pins the failure to its line.
 */
export function recordText(data: Buffer, opts: TextOptions = {}): Buffer {
  let end = data.length;
  // The one newline Fluent Bit appends; further ones are part of the text (empty lines are skipped anyway).
  if (end > 0 && data[end - 1] === 10) end--;
  if (end > 0 && data[end - 1] === 13) end--;
  const body = data.subarray(0, end);
  if (body.length === 0 || !isUtf8(body)) return body;
  if (body[0] === 0x7b && body[body.length - 1] === 0x7d) {
    try {
      const v = JSON.parse(body.toString('utf8')) as unknown;
      const text = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[opts.jsonKey ?? 'log'] : undefined;
      return typeof text === 'string' ? Buffer.from(text, 'utf8') : body;
    } catch {
      // not JSON as it stands: a log line that happens to start with a brace, or a JSON log line as Fluent Bit's
      // log_key escaped it ({\"time\":…}), which the check below unescapes
    }
  }
  if ((opts.unescape ?? 'auto') === 'auto' && body.includes(92) && looksEscaped(body)) {
    try {
      return Buffer.from(JSON.parse(`"${body.toString('utf8')}"`) as string, 'utf8');
    } catch {
      return body;
    }
  }
  return body;
}

/** No bare quote and no raw control character: what a JSON string's inside looks like. */
function looksEscaped(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c < 0x20) return false;
    if (c === 92) i++;
    else if (c === 34) return false;
  }
  return true;
}

/** `shardId-000000000000:4959…` → `shardId-000000000000`. */
export function shardIdOf(eventID: string): string {
  const i = eventID.indexOf(':');
  return i > 0 ? eventID.slice(0, i) : eventID;
}

/**
 * The stream's ARN from a record's eventSourceARN, which names the consumer under enhanced fan-out
 * (`…:stream/name/consumer/c:123`): ids must not change when a mapping moves to or from a consumer.
 */
export function streamArnOf(eventSourceArn: string): string {
  const i = eventSourceArn.indexOf('/consumer/');
  return i >= 0 ? eventSourceArn.slice(0, i) : eventSourceArn;
}

/** `arn:aws:kinesis:region:acct:stream/name` → `name`. */
export function streamNameOf(streamArn: string): string {
  const i = streamArn.lastIndexOf('/');
  return i >= 0 ? streamArn.slice(i + 1) : streamArn;
}

/**
 * Deterministic document ids of one shard: `${prefix}-${sequenceNumber}-${subSequence}-${lineNo}`, prefix = 96
 * bits of SHA-256(stream ARN, shard id), base64url. A redelivered record gets the same ids, so `create` answers 409.
 */
export function shardIdPrefix(streamArn: string, shardId: string): string {
  return createHash('sha256').update(JSON.stringify(['kinesis', streamArn, shardId])).digest('base64url').slice(0, 16);
}

export function documentId(prefix: string, sequenceNumber: string, subSequence: number, lineNo: number): string {
  return `${prefix}-${sequenceNumber}-${subSequence}-${lineNo}`;
}

/** Sequence numbers are decimal strings up to 128 bits: compared as BigInt. */
export function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---- on-failure destination ------------------------------------------------------------------------------------

/** What the event source mapping sends to its on-failure destination: where the batch was, never its data. */
export interface KinesisBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly streamArn: string;
  readonly batchSize?: number;
  readonly approximateArrivalOfFirstRecord?: string;
  readonly approximateArrivalOfLastRecord?: string;
}

export interface FailureNotice {
  readonly batch: KinesisBatchInfo;
  /** RetryAttemptsExhausted, RecordAgeExceeded, …; undefined when absent. */
  readonly condition?: string;
  readonly functionError?: string;
  readonly timestamp?: string;
}

/** Parses an on-failure record (the SQS message body); throws when it does not describe a Kinesis batch. */
export function parseFailureNotice(body: string): FailureNotice {
  const m = JSON.parse(body) as {
    KinesisBatchInfo?: Partial<KinesisBatchInfo>;
    requestContext?: { condition?: string };
    responseContext?: { functionError?: string };
    timestamp?: string;
  };
  const b = m.KinesisBatchInfo;
  if (!b || !b.shardId || !b.startSequenceNumber || !b.endSequenceNumber || !b.streamArn) {
    throw new Error('message is not a Kinesis on-failure record (no complete KinesisBatchInfo)');
  }
  return {
    batch: b as KinesisBatchInfo,
    condition: m.requestContext?.condition,
    functionError: m.responseContext?.functionError,
    timestamp: m.timestamp,
  };
}

export interface StreamRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly approximateArrivalTimestamp?: Date;
}

/** GetShardIterator (AT_SEQUENCE_NUMBER) + GetRecords, injected: the SDK in Lambda, a scripted fake or emulator in tests. */
export interface ShardReader {
  iteratorAt(streamArn: string, shardId: string, sequenceNumber: string): Promise<string | undefined>;
  records(iterator: string, limit: number): Promise<{ records: StreamRecord[]; next?: string; millisBehindLatest?: number }>;
}

export interface ReadBatchResult {
  readonly records: StreamRecord[];
  /** False when the shard ran out (or was trimmed) before the end sequence number was seen. */
  readonly complete: boolean;
}

/**
 * The records of a failed batch, start..end inclusive. Bounded: an empty page at the tip of the shard, or
 * `maxEmptyPages` empty pages in a row (GetRecords may answer empty mid-shard), ends the read.
 */
export async function readBatch(reader: ShardReader, b: KinesisBatchInfo, opts: { pageLimit?: number; maxEmptyPages?: number } = {}): Promise<ReadBatchResult> {
  const out: StreamRecord[] = [];
  let it = await reader.iteratorAt(b.streamArn, b.shardId, b.startSequenceNumber);
  let empty = 0;
  while (it) {
    const page = await reader.records(it, opts.pageLimit ?? 1000);
    for (const r of page.records) {
      if (compareSequence(r.sequenceNumber, b.endSequenceNumber) > 0) return { records: out, complete: true };
      out.push(r);
    }
    if (out.length > 0 && out[out.length - 1].sequenceNumber === b.endSequenceNumber) return { records: out, complete: true };
    if (page.records.length === 0) {
      empty++;
      if (page.millisBehindLatest === 0 || empty >= (opts.maxEmptyPages ?? 5)) break;
    } else empty = 0;
    it = page.next;
  }
  return { records: out, complete: false };
}

/** What the backup bucket keeps of a batch the mapping gave up: a header line (the notice), then each record raw. */
export interface FailedBatchBackup {
  readonly batch: KinesisBatchInfo;
  /** JSON lines: the header, then one per record read back. */
  readonly lines: string[];
  readonly records: number;
  /** False when records of the batch were no longer in the stream or its end was not reached. */
  readonly complete: boolean;
}

/** Reads back the batch an on-failure notice (the SQS message body) describes, as the lines to back up. */
export async function failedBatchBackup(body: string, reader: ShardReader, pipeline: string, failedAt = new Date()): Promise<FailedBatchBackup> {
  const notice = parseFailureNotice(body);
  const b = notice.batch;
  const read = await readBatch(reader, b);
  const first = read.records[0]?.sequenceNumber;
  const notes: string[] = [];
  // Records older than the stream's retention are gone; say so rather than pretend the dump is whole.
  if (first === undefined || compareSequence(first, b.startSequenceNumber) > 0) notes.push('records from the start of the batch were no longer in the stream');
  if (!read.complete) notes.push('the end of the batch was not reached');
  const reason = `Kinesis batch discarded by the event source mapping (${notice.condition ?? 'unknown condition'}${notice.functionError ? `, function error ${notice.functionError}` : ''})${notes.length ? `; ${notes.join('; ')}` : ''}`;
  const at = failedAt.toISOString();
  const lines = read.records.map((r) =>
    JSON.stringify({
      pipeline,
      failedAt: at,
      streamArn: b.streamArn,
      shardId: b.shardId,
      sequenceNumber: r.sequenceNumber,
      partitionKey: r.partitionKey,
      approximateArrivalTimestamp: r.approximateArrivalTimestamp?.toISOString(),
      reason,
      data: Buffer.from(r.data).toString('base64'),
    }),
  );
  // The notice itself too: with the records gone, it is the only trace of the batch.
  const header = JSON.stringify({ pipeline, failedAt: at, reason, notice: JSON.parse(body), recordsRead: read.records.length });
  return { batch: b, lines: [header, ...lines], records: read.records.length, complete: read.complete && notes.length === 0 };
}
