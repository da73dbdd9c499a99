/**
 * A gzip object that breaks off or is corrupt: every complete line before the break is delivered, then one failed
 * entry stands for the rest of the object (the caller copies the object whole), and nothing throws. The corrupt
 * streams are built so that the break is at a known place: deflate data up to a sync-flush point, then a block of
 * the reserved type 3 (`invalid block type`).
 */
import { constants, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { LogFormatSchema } from '../../../lambda/core/config/log-format';
import type { BulkOutcome, BulkRequest } from '../../../lambda/core/bulk/sender';
import { compileFilters } from '../../../lambda/core/filters';
import { compileParser } from '../../../lambda/core/formats';
import { decodeBody, lineAt, splitLines, splitRanges, type FailedLine, type LineEntry, type LineSink } from '../../../lambda/core/lines';
import { accountedFor, processObject, type FailedRecord, type ItemRef } from '../../../lambda/core/process-object';
import { convertAccountedFor, convertBatch, type ConvertInput, type FileSink } from '../../../lambda/core/light/convert';
import { lightTable } from '../../../lambda/core/light/table';

const TIME = '17/May/2015:10:05:03 +0000';
const line = (i: number) => `10.0.${(i >> 8) & 255}.${i & 255} - - [${TIME}] "GET /item/${i}?q=${(i * 7919) % 10007} HTTP/1.1" 200 ${i % 5000} "-" "agent ${i % 13}"`;
const text = (from: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `${line(from + i)}\n`).join(''));

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
/** A gzip member whose deflate data decodes to exactly `plain`, then holds a block of the reserved type. */
function corruptAfter(plain: Buffer): Buffer {
  return Buffer.concat([GZIP_HEADER, deflateRawSync(plain, { finishFlush: constants.Z_SYNC_FLUSH }), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
}
/** What zlib can decode of a gzip stream that breaks off. */
const decodable = (gz: Buffer) => gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH });
/** The complete lines of `buf` (up to its last LF). */
const completeLines = (buf: Buffer) => buf.subarray(0, buf.lastIndexOf(10) + 1).toString('utf8').split('\n').filter(Boolean);

async function* chunked(buf: Buffer, size = 16 * 1024): AsyncGenerator<Buffer> {
  for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, off + size);
}

/** Every entry of splitLines over decodeBody, and the same through splitRanges (which must agree). */
async function entriesOf(gz: Buffer, opts: { reopen?: boolean; spill?: (n: number) => LineSink; maxLineBytes?: number } = {}): Promise<LineEntry[]> {
  const split = { maxLineBytes: opts.maxLineBytes ?? 1 << 20, ...(opts.spill ? { spill: opts.spill } : {}) };
  const decode = () => decodeBody(chunked(gz), opts.reopen ? { reopen: async () => chunked(gz) } : {});
  const viaLines: LineEntry[] = [];
  for await (const b of splitLines(decode(), split)) viaLines.push(...b);
  const viaRanges: LineEntry[] = [];
  for await (const r of splitRanges(decode(), split)) for (let k = 0; k < r.count; k++) viaRanges.push(lineAt(r, k));
  expect(viaRanges).toEqual(viaLines);
  return viaLines;
}

function expectBrokenAfter(entries: LineEntry[], lines: string[], decodedBytes: number, message: string, code: string) {
  expect(entries.slice(0, -1)).toEqual(lines.map((t, i) => ({ lineNo: i + 1, text: t })));
  const last = entries[entries.length - 1] as FailedLine;
  expect(last).toEqual({
    lineNo: lines.length + 1,
    raw: '',
    reason: `gzip data unreadable after line ${lines.length} (decompressed byte ${decodedBytes}): ${message} (${code})`,
    broken: { message, code, decodedBytes },
  });
}

describe('broken gzip', () => {
  it('truncated: every complete line before the cut, then one entry for the rest, naming where decoding stopped', async () => {
    const gz = gzipSync(text(0, 20_000));
    for (const cut of [gz.length - 1, Math.floor(gz.length / 2), 5000, 11]) {
      const prefix = gz.subarray(0, cut);
      const got = decodable(prefix);
      for (const reopen of [false, true]) {
        expectBrokenAfter(await entriesOf(prefix, { reopen }), completeLines(got), got.length, 'unexpected end of file', 'Z_BUF_ERROR');
      }
    }
  });

  it('corrupt in the middle: every line before the corruption, with the second read (what zlib holds back is found)', async () => {
    // 3 MB before the corruption: the failing zlib call and Node's stream buffer hold back ~1.25 MiB of it
    const before = text(0, 25_000);
    const gz = Buffer.concat([corruptAfter(before), gzipSync(text(25_000, 1000))]);
    expectBrokenAfter(await entriesOf(gz, { reopen: true }), completeLines(before), before.length, 'invalid block type', 'Z_DATA_ERROR');
    // A small object is decoded in one zlib call: without the second read, not one of its lines would come out.
    const small = text(0, 30);
    expectBrokenAfter(await entriesOf(corruptAfter(small), { reopen: true }), completeLines(small), small.length, 'invalid block type', 'Z_DATA_ERROR');
    expectBrokenAfter(await entriesOf(corruptAfter(small)), [], 0, 'invalid block type', 'Z_DATA_ERROR');
    // The break inside a line: that partial line is not a line.
    const cutLine = Buffer.concat([small, Buffer.from(line(30).slice(0, 40))]);
    expectBrokenAfter(await entriesOf(corruptAfter(cutLine), { reopen: true }), completeLines(small), cutLine.length, 'invalid block type', 'Z_DATA_ERROR');
  });

  it('concatenated members, the second one broken: the first member whole, the second up to its break', async () => {
    const first = text(0, 3000);
    const second = text(3000, 3000);
    const truncated = gzipSync(second).subarray(0, 9000);
    expectBrokenAfter(await entriesOf(Buffer.concat([gzipSync(first), truncated]), { reopen: true }), completeLines(Buffer.concat([first, decodable(truncated)])), first.length + decodable(truncated).length, 'unexpected end of file', 'Z_BUF_ERROR');
    const corrupt = Buffer.concat([gzipSync(first), corruptAfter(second.subarray(0, 100_000))]);
    expectBrokenAfter(await entriesOf(corrupt, { reopen: true }), completeLines(Buffer.concat([first, second.subarray(0, 100_000)])), first.length + 100_000, 'invalid block type', 'Z_DATA_ERROR');
    // bytes after the last member that are not gzip
    const trailing = Buffer.concat([gzipSync(first), Buffer.from('not gzip at all\n')]);
    expectBrokenAfter(await entriesOf(trailing, { reopen: true }), completeLines(first), first.length, 'incorrect header check', 'Z_DATA_ERROR');
  });

  it('a corruption only the checksum shows: the lines as decoded, then the break at the end of the member', async () => {
    const plain = text(0, 5000);
    const gz = gzipSync(plain);
    const crc = Buffer.from(gz);
    crc[gz.length - 8] ^= 0xff; // the CRC-32 of the trailer
    expectBrokenAfter(await entriesOf(crc, { reopen: true }), completeLines(plain), plain.length, 'incorrect data check', 'Z_DATA_ERROR');
  });

  it('an over-long line the break cuts off is not kept as a line: its sink is aborted', async () => {
    const long = Buffer.alloc(3 << 20, 'L');
    const plain = Buffer.concat([text(0, 10), long]);
    const states: string[] = [];
    const spill = (lineNo: number): LineSink => ({
      location: `line-${lineNo}`,
      write: () => {},
      close: async () => void states.push(`closed ${lineNo}`),
      abort: async () => void states.push(`aborted ${lineNo}`),
    });
    const entries = await entriesOf(corruptAfter(plain), { reopen: true, spill, maxLineBytes: 4096 });
    expectBrokenAfter(entries, completeLines(plain), plain.length, 'invalid block type', 'Z_DATA_ERROR');
    expect(states).toEqual(['aborted 11', 'aborted 11']); // once per split function
  });

  it('a second read that decodes to other bytes is not used', async () => {
    const before = text(0, 25_000);
    const gz = corruptAfter(before);
    const other = corruptAfter(text(1, 25_000));
    const body = decodeBody(chunked(gz), { reopen: async () => chunked(other) });
    let n = 0;
    for await (const c of body) n += c.length;
    expect(n).toBeLessThan(before.length);
    expect(body.broken).toEqual({ message: 'invalid block type', code: 'Z_DATA_ERROR', decodedBytes: n });
  });

  describe('processObject', () => {
    const parser = compileParser(LogFormatSchema.parse({ type: 'nginx' }));
    const before = text(0, 20_000);
    const gz = Buffer.concat([corruptAfter(before), gzipSync(text(20_000, 500))]);

    it.each([
      ['fast path (no filters)', compileFilters(undefined)],
      ['general path (a filter)', compileFilters({ include: [], exclude: [{ field: 'status', regex: '^500$' }] })],
    ])('indexes every line before the break, copies the object once, and the counts balance (%s)', async (_name, filter) => {
      const ids: string[] = [];
      const failed: FailedRecord[] = [];
      const copies: string[] = [];
      const counts = await processObject({
        body: chunked(gz),
        reopen: async () => chunked(gz),
        source: { bucket: 'b', key: 'k.log.gz', etag: '"e"' },
        parser,
        filter,
        index: 'logs',
        bulkMaxBytes: 256 * 1024,
        bulkMaxDocs: 500,
        maxLineBytes: 1 << 20,
        send: async (req: BulkRequest<ItemRef>): Promise<BulkOutcome<ItemRef>> => {
          for (let i = 0; i < req.count; i++) ids.push(String(req.ref(i).line));
          return { indexed: req.count, duplicates: 0, failed: [], requests: 1 };
        },
        backup: async (_part, records) => void failed.push(...records),
        backupObject: async (reason) => {
          copies.push(reason);
          return 'broken-objects/k.log.gz';
        },
      });
      // 20,000 lines indexed, and one record for the rest of the object
      expect(counts).toEqual({ recordsIn: 20_001, indexed: 20_000, duplicates: 0, filtered: 0, backedUp: 1, deferred: 0 });
      expect(accountedFor(counts)).toBe(true);
      expect(ids).toEqual(Array.from({ length: 20_000 }, (_, i) => String(i + 1)));
      const reason = `gzip data unreadable after line 20000 (decompressed byte ${before.length}): invalid block type (Z_DATA_ERROR)`;
      expect(copies).toEqual([reason]);
      expect(failed).toEqual([{ bucket: 'b', key: 'k.log.gz', line: 20_001, raw: '', reason, rawObject: 'broken-objects/k.log.gz' }]);
    });
  });

  it('Light Engine convert: a broken object among others gives its lines before the break; the batch goes on and balances', async () => {
    const logFormat = LogFormatSchema.parse({ type: 'nginx' });
    const parser = compileParser(logFormat);
    const table = lightTable(logFormat, parser.fields);
    const good1 = text(0, 300);
    const brokenPart = text(300, 400);
    const good2 = text(700, 300);
    const bodies: Record<string, Buffer> = { 'a.log': good1, 'b.log.gz': corruptAfter(brokenPart), 'c.log.gz': gzipSync(good2) };
    const objects: ConvertInput[] = Object.entries(bodies).map(([key, b]) => ({ bucket: 'src', key, objectId: key, body: chunked(b) }));
    const failed: FailedRecord[] = [];
    const copied: string[] = [];
    let rows = 0;
    const counts = await convertBatch({
      batchId: 'b1',
      objects,
      parser,
      filter: compileFilters(undefined),
      columns: table.columns,
      toRow: (doc) => {
        rows++;
        return table.toRow ? table.toRow(doc) : doc;
      },
      table: 't',
      region: 'r',
      maxLineBytes: logFormat.maxLineBytes,
      openFile: (): FileSink => ({ write: () => {}, close: async () => {}, abort: async () => {} }),
      backup: async (_id, _part, records) => void failed.push(...records),
      reopen: async (input) => chunked(bodies[input.key]),
      backupObject: async (input, reason) => {
        copied.push(`${input.key}: ${reason}`);
        return `broken-objects/${input.key}`;
      },
    });
    expect({ ...counts, files: counts.files.length }).toEqual({ recordsIn: 1001, written: 1000, filtered: 0, failed: 1, outOfProjection: 0, files: 1 });
    expect(convertAccountedFor(counts)).toBe(true);
    expect(rows).toBe(1000);
    const reason = `gzip data unreadable after line 400 (decompressed byte ${brokenPart.length}): invalid block type (Z_DATA_ERROR)`;
    expect(copied).toEqual([`b.log.gz: ${reason}`]);
    expect(failed).toEqual([{ bucket: 'src', key: 'b.log.gz', line: 401, raw: '', reason, rawObject: 'broken-objects/b.log.gz' }]);
  });
});
