import { createHash } from 'node:crypto';
import {
  aggregateRecords,
  compareSequence,
  decodeRecord,
  documentId,
  failedBatchBackup,
  parseFailureNotice,
  readBatch,
  recordText,
  shardIdOf,
  shardIdPrefix,
  streamArnOf,
  type ShardReader,
  type StreamRecord,
} from '../../../lambda/core/kinesis';
import { compileParser } from '../../../lambda/core/formats';
import { processRecords, type KinesisFailedRecord } from '../../../lambda/core/process-records';
import type { BulkOutcome } from '../../../lambda/core/bulk/sender';

const text = (b: Buffer) => recordText(b).toString('utf8');

describe('recordText: what each producer puts in a record', () => {
  const line = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a?b=\\"c\\" HTTP/1.1" 200 5 "-" "curl"';

  it('takes a plain line with or without the newline Fluent Bit appends (and CRLF)', () => {
    expect(text(Buffer.from(line))).toBe(line);
    expect(text(Buffer.from(`${line}\n`))).toBe(line);
    expect(text(Buffer.from(`${line}\r\n`))).toBe(line);
  });

  it('unescapes a Fluent Bit log_key value (JSON-escaped, quotes stripped), but never a line with bare quotes', () => {
    const escaped = JSON.stringify(line).slice(1, -1);
    expect(escaped).toContain('\\"');
    expect(text(Buffer.from(`${escaped}\n`))).toBe(line);
    // The raw line has backslash escapes of its own and bare quotes: left alone.
    expect(text(Buffer.from(`${line}\n`))).toBe(line);
    const withUnicode = 'caf\u00e9 \u{1F600} tab\there';
    expect(text(Buffer.from(`${JSON.stringify(withUnicode).slice(1, -1).replace('\u00e9', '\\u00e9')}\n`))).toBe(withUnicode);
    expect(recordText(Buffer.from('C:\\temp\\new\n'), { unescape: 'never' }).toString()).toBe('C:\\temp\\new');
  });

  it('takes the log key of a JSON-wrapped record (Fluent Bit without log_key) and leaves other JSON whole', () => {
    expect(text(Buffer.from(`${JSON.stringify({ log: line, stream: 'stdout', kubernetes: { pod: 'p' } })}\n`))).toBe(line);
    expect(recordText(Buffer.from(JSON.stringify({ message: 'm' })), { jsonKey: 'message' }).toString()).toBe('m');
    const appJson = '{"level":"info","msg":"hi"}';
    expect(text(Buffer.from(`${appJson}\n`))).toBe(appJson);
    expect(text(Buffer.from('{not json}'))).toBe('{not json}');
  });

  it('unescapes a JSON log line that Fluent Bit log_key escaped (found by the real agent: it was backed up whole)', () => {
    const appJson = JSON.stringify({ time: '2015-05-17T10:05:03.000+0000', level: 'INFO', msg: 'GET /a "b" HTTP/1.1' });
    const escaped = JSON.stringify(appJson).slice(1, -1);
    expect(escaped.startsWith('{\\"')).toBe(true);
    expect(text(Buffer.from(`${escaped}\n`))).toBe(appJson);
  });

  it('returns bytes that are not UTF-8 unchanged, for the line splitter to flag', () => {
    const bad = Buffer.from([0x61, 0xff, 0x62, 0x0a]);
    expect(recordText(bad)).toEqual(bad.subarray(0, 3));
  });
});

describe('decodeRecord: KPL aggregation', () => {
  // Written by the reference implementation (aws-kinesis-agg 4.2.8, awslabs) from three user records:
  // web-1 "first line\n", web-2 "second line", web-1 '{"log":"third line"}\n'.
  const REFERENCE = '84mawgoFd2ViLTEKBXdlYi0yGg8IABoLZmlyc3QgbGluZQoaDwgBGgtzZWNvbmQgbGluZRoZCAAaFXsibG9nIjoidGhpcmQgbGluZSJ9CqYTZUk3seBETS5ZMEKuFnw=';

  it('deaggregates a record the reference aggregator wrote: sub-records, partition keys, data', () => {
    const d = decodeRecord(Buffer.from(REFERENCE, 'base64'));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.aggregated).toBe(true);
    expect(d.records.map((r) => [r.subSequence, r.partitionKey, r.data.toString()])).toEqual([
      [0, 'web-1', 'first line\n'],
      [1, 'web-2', 'second line'],
      [2, 'web-1', '{"log":"third line"}\n'],
    ]);
    expect(d.records.map((r) => text(r.data))).toEqual(['first line', 'second line', 'third line']);
  });

  it('round-trips its own encoder (the reference deaggregator reads it too: checked when the fixture was made)', () => {
    const recs = Array.from({ length: 300 }, (_, i) => ({ partitionKey: `k${i % 7}`, data: Buffer.from(`line ${i} ${'x'.repeat(i)}`) }));
    const d = decodeRecord(aggregateRecords(recs));
    expect(d.ok && d.records.map((r) => [r.partitionKey, r.data.toString()])).toEqual(recs.map((r) => [r.partitionKey, r.data.toString()]));
  });

  it('a bad MD5 or a broken protobuf is poison, with a reason', () => {
    const good = Buffer.from(REFERENCE, 'base64');
    const badMd5 = Buffer.from(good);
    badMd5[badMd5.length - 1] ^= 1;
    expect(decodeRecord(badMd5)).toEqual({ ok: false, reason: 'KPL aggregated record: MD5 mismatch' });

    const body = Buffer.from([0x1a, 0x7f, 0x08]); // field 3, length 127, 1 byte present
    const truncated = Buffer.concat([good.subarray(0, 4), body, createHash('md5').update(body).digest()]);
    const d = decodeRecord(truncated);
    expect(d.ok).toBe(false);
    expect(!d.ok && d.reason).toMatch(/KPL aggregated record: truncated/);
  });

  it('a record that merely starts like the magic but is too short is plain data', () => {
    const d = decodeRecord(Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 0x41]));
    expect(d.ok && d.aggregated).toBe(false);
  });
});

describe('ids and sequence numbers', () => {
  const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/logs';

  it('document ids are deterministic and differ by stream, shard, sequence, sub-record and line', () => {
    const p = shardIdPrefix(arn, 'shardId-000000000000');
    expect(p).toBe(shardIdPrefix(arn, 'shardId-000000000000'));
    expect(p).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(shardIdPrefix(arn, 'shardId-000000000001')).not.toBe(p);
    expect(shardIdPrefix(arn.replace('logs', 'other'), 'shardId-000000000000')).not.toBe(p);
    const ids = new Set([documentId(p, '1', 0, 1), documentId(p, '1', 0, 2), documentId(p, '1', 1, 1), documentId(p, '2', 0, 1)]);
    expect(ids.size).toBe(4);
    expect(documentId(p, '49590338271490256608559692538361571095921575989136588898', 3, 2)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('shard id from eventID; sequence numbers compared as 128-bit numbers, not strings', () => {
    expect(shardIdOf('shardId-000000000006:49590338271490256608559692538361571095921575989136588898')).toBe('shardId-000000000006');
    expect(streamArnOf('arn:aws:kinesis:eu-west-1:123456789012:stream/logs/consumer/efo:1700000000')).toBe('arn:aws:kinesis:eu-west-1:123456789012:stream/logs');
    expect(streamArnOf('arn:aws:kinesis:eu-west-1:123456789012:stream/logs')).toBe('arn:aws:kinesis:eu-west-1:123456789012:stream/logs');
    expect(compareSequence('9', '10')).toBe(-1);
    expect(compareSequence('49590338271490256608559692538361571095921575989136588899', '49590338271490256608559692538361571095921575989136588898')).toBe(1);
  });
});

describe('on-failure records and reading a batch back', () => {
  const notice = {
    requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-12-02T06:00:00.000Z',
    KinesisBatchInfo: {
      shardId: 'shardId-000000000000',
      startSequenceNumber: '100',
      endSequenceNumber: '105',
      approximateArrivalOfFirstRecord: '2026-12-02T05:59:00.000Z',
      approximateArrivalOfLastRecord: '2026-12-02T05:59:01.000Z',
      batchSize: 6,
      streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/logs',
    },
  };

  it('parses the mapping\'s on-failure record and refuses anything else', () => {
    const n = parseFailureNotice(JSON.stringify(notice));
    expect(n.batch.startSequenceNumber).toBe('100');
    expect(n.condition).toBe('RetryAttemptsExhausted');
    expect(n.functionError).toBe('Unhandled');
    expect(() => parseFailureNotice(JSON.stringify({ Records: [] }))).toThrow(/KinesisBatchInfo/);
  });

  /** A shard as GetShardIterator/GetRecords see it: pages of `page` records, optionally empty pages first. */
  function fakeShard(seqs: number[], page: number, emptyFirst = 0): ShardReader & { calls: string[] } {
    const calls: string[] = [];
    const recs: StreamRecord[] = seqs.map((s) => ({ sequenceNumber: String(s), partitionKey: 'p', data: Buffer.from(`r${s}`) }));
    let empties = emptyFirst;
    return {
      calls,
      async iteratorAt(_arn, shard, seq) {
        calls.push(`iterator ${shard} ${seq}`);
        const i = recs.findIndex((r) => BigInt(r.sequenceNumber) >= BigInt(seq));
        return `it:${i < 0 ? recs.length : i}`;
      },
      async records(it, limit) {
        const i = Number(it.slice(3));
        calls.push(`get ${i}`);
        if (empties-- > 0) return { records: [], next: it, millisBehindLatest: 1000 };
        const out = recs.slice(i, i + Math.min(limit, page));
        const next = i + out.length;
        return { records: out, next: `it:${next}`, millisBehindLatest: next >= recs.length ? 0 : 1000 };
      },
    };
  }

  it('reads from the start sequence number to the end one, inclusive, over pages and empty pages', async () => {
    const shard = fakeShard([90, 100, 101, 102, 103, 104, 105, 106, 107], 2, 2);
    const r = await readBatch(shard, notice.KinesisBatchInfo);
    expect(r.complete).toBe(true);
    expect(r.records.map((x) => x.sequenceNumber)).toEqual(['100', '101', '102', '103', '104', '105']);
    expect(shard.calls[0]).toBe('iterator shardId-000000000000 100');
  });

  it('stops at the tip of the shard and says the batch is incomplete when its end was trimmed or never seen', async () => {
    const r = await readBatch(fakeShard([100, 101], 10), notice.KinesisBatchInfo);
    expect(r).toMatchObject({ complete: false });
    expect(r.records).toHaveLength(2);
    // Endless empty pages (never at the tip): bounded.
    const stuck = fakeShard([], 10, 1000);
    const s = await readBatch(stuck, notice.KinesisBatchInfo, { maxEmptyPages: 3 });
    expect(s).toEqual({ records: [], complete: false });
    expect(stuck.calls.filter((c) => c.startsWith('get'))).toHaveLength(3);
  });

  it('backs up a given-up batch as the notice and each record raw, and says when records were already gone', async () => {
    const at = new Date('2026-12-05T10:00:00.000Z');
    const whole = await failedBatchBackup(JSON.stringify(notice), fakeShard([90, 100, 101, 102, 103, 104, 105, 106], 3), 'web', at);
    expect(whole).toMatchObject({ records: 6, complete: true, batch: notice.KinesisBatchInfo });
    const [header, ...rows] = whole.lines.map((l) => JSON.parse(l));
    expect(header).toEqual({ pipeline: 'web', failedAt: at.toISOString(), reason: 'Kinesis batch discarded by the event source mapping (RetryAttemptsExhausted, function error Unhandled)', notice, recordsRead: 6 });
    expect(rows.map((r) => [r.sequenceNumber, Buffer.from(r.data, 'base64').toString()])).toEqual(['100', '101', '102', '103', '104', '105'].map((q) => [q, `r${q}`]));
    // the stream's retention passed over the first records
    const trimmed = await failedBatchBackup(JSON.stringify(notice), fakeShard([103, 104, 105], 3), 'web', at);
    expect(trimmed.complete).toBe(false);
    expect(JSON.parse(trimmed.lines[0]).reason).toMatch(/records from the start of the batch were no longer in the stream$/);
  });
});

describe('processRecords: checkpointing and accounting', () => {
  const parser = compileParser({ type: 'regex', regex: '^(?<word>[a-z]+) (?<n>\\d+)$', timeZone: 'UTC', fields: {}, filters: { include: [], exclude: [] }, maxLineBytes: 1024, flattenJson: false } as never);
  const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/logs';
  const records = [
    { sequenceNumber: '10', data: Buffer.from('alpha 1\n') },
    { sequenceNumber: '11', data: Buffer.from('BROKEN\n') },
    { sequenceNumber: '12', data: aggregateRecords([{ partitionKey: 'a', data: Buffer.from('beta 2\n') }, { partitionKey: 'a', data: Buffer.from('gamma 3\ndelta 4') }]) },
    { sequenceNumber: '13', data: Buffer.from('epsilon 5\n') },
  ];

  async function run(transientFrom: (id: string) => boolean) {
    const sentIds: string[] = [];
    const backups: Array<{ id: string; records: KinesisFailedRecord[] }> = [];
    const result = await processRecords({
      streamArn: arn,
      shardId: 'shardId-000000000000',
      records,
      parser,
      filter: () => true,
      index: 'logs',
      bulkMaxBytes: 1 << 20,
      bulkMaxDocs: 1,
      maxLineBytes: 1024,
      send: async (req) => {
        const id = JSON.parse(req.body.toString().split('\n')[0]).create._id as string;
        sentIds.push(id);
        const out: BulkOutcome<ReturnType<typeof req.ref>> = { indexed: 0, duplicates: 0, failed: [], requests: 1 };
        if (transientFrom(id)) out.failed.push({ ref: req.ref(0), reason: 'bulk request answered HTTP 503 (gave up after 3 attempts)', transient: true });
        else out.indexed++;
        return out;
      },
      backup: async (id, recs) => {
        backups.push({ id, records: recs });
      },
      concurrency: 1,
    });
    return { result, sentIds, backups };
  }

  it('indexes every line with deterministic ids, backs up the one that does not parse, and balances', async () => {
    const { result, sentIds, backups } = await run(() => false);
    const p = shardIdPrefix(arn, 'shardId-000000000000');
    expect(sentIds).toEqual([`${p}-10-0-1`, `${p}-12-0-1`, `${p}-12-1-1`, `${p}-12-1-2`, `${p}-13-0-1`]);
    expect(result.retryFrom).toBeUndefined();
    expect(result.counts).toEqual({ recordsIn: 6, indexed: 5, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0 });
    expect(backups).toEqual([{ id: 'kinesis/logs/shardId-000000000000/11-0-1', records: [expect.objectContaining({ sequenceNumber: '11', line: 1, raw: 'BROKEN' })] }]);
  });

  it('reports the first record with a transiently failed line; nothing from there on is backed up or sent', async () => {
    // The second sub-record of record 12 fails: 12 is where the retry must start, and the broken record 11
    // (before it) is done, so it is backed up now.
    const { result, sentIds, backups } = await run((id) => id.endsWith('-12-1-1'));
    expect(result.retryFrom).toBe('12');
    expect(sentIds.some((id) => id.includes('-13-'))).toBe(false);
    expect(backups.map((b) => b.records.map((r) => r.sequenceNumber))).toEqual([['11']]);
    const c = result.counts;
    expect(c.recordsIn).toBe(c.indexed + c.duplicates + c.filtered + c.backedUp + c.deferred);
    expect(c).toMatchObject({ recordsIn: 6, backedUp: 1 });
  });

  it('a failure in the first record defers the broken record after it too', async () => {
    const { result, backups } = await run((id) => id.endsWith('-10-0-1'));
    expect(result.retryFrom).toBe('10');
    expect(backups).toEqual([]);
    // Lines already on their way may still be indexed (409 on the retry); the broken one waits for the retry.
    const c = result.counts;
    expect(c).toMatchObject({ recordsIn: 6, backedUp: 0 });
    expect(c.recordsIn).toBe(c.indexed + c.deferred);
    expect(c.deferred).toBeGreaterThanOrEqual(2);
  });

  it('a poison record is backed up with its base64 data and reason, once', async () => {
    const poison = Buffer.from(records[2].data);
    poison[poison.length - 1] ^= 0xff;
    const backups: KinesisFailedRecord[][] = [];
    const result = await processRecords({
      streamArn: arn,
      shardId: 'shardId-000000000000',
      records: [{ sequenceNumber: '20', data: poison }],
      parser,
      filter: () => true,
      index: 'logs',
      bulkMaxBytes: 1 << 20,
      bulkMaxDocs: 10,
      maxLineBytes: 1024,
      send: async () => ({ indexed: 0, duplicates: 0, failed: [], requests: 0 }),
      backup: async (_id, recs) => {
        backups.push(recs);
      },
    });
    expect(result.counts).toEqual({ recordsIn: 1, indexed: 0, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0 });
    expect(backups).toEqual([[expect.objectContaining({ sequenceNumber: '20', line: 0, reason: 'KPL aggregated record: MD5 mismatch', data: poison.toString('base64') })]]);
  });

  it('a line longer than maxLineBytes is backed up whole, its bytes too when it is not UTF-8', async () => {
    // A record of almost 1 MiB (Kinesis' limit): the line is in memory anyway, so it is kept in its record.
    const long = Buffer.alloc(1000 * 1024, 'k');
    long[500_000] = 0xff;
    const backups: KinesisFailedRecord[][] = [];
    const result = await processRecords({
      streamArn: arn,
      shardId: 'shardId-000000000000',
      records: [{ sequenceNumber: '30', data: Buffer.concat([Buffer.from('alpha 1\n'), long, Buffer.from('\nbeta 2\n')]) }],
      parser,
      filter: () => true,
      index: 'logs',
      bulkMaxBytes: 1 << 20,
      bulkMaxDocs: 10,
      maxLineBytes: 1024,
      send: async (req) => ({ indexed: req.count, duplicates: 0, failed: [], requests: 1 }),
      backup: async (_id, recs) => {
        backups.push(recs);
      },
    });
    expect(result.counts).toEqual({ recordsIn: 3, indexed: 2, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0 });
    expect(backups).toHaveLength(1);
    const [{ raw, rawBase64, ...rec }] = backups[0];
    expect(rec).toEqual({ streamArn: arn, shardId: 'shardId-000000000000', sequenceNumber: '30', subSequenceNumber: 0, line: 2, reason: 'line exceeds 1024 bytes' });
    expect(Buffer.from(rawBase64!, 'base64').equals(long)).toBe(true);
    expect(raw === long.toString('utf8')).toBe(true);
  });
});
