/**
 * processObject end to end in memory: the direct-writer fast path (no filters) and the general path (parse →
 * filter → serializer) send the same NDJSON, and every line is accounted for with the same reasons.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { LogFormatSchema } from '../../../lambda/core/config/log-format';
import { objectIdPrefix } from '../../../lambda/core/bulk/batcher';
import type { BulkOutcome, BulkRequest } from '../../../lambda/core/bulk/sender';
import { compileFilters } from '../../../lambda/core/filters';
import { compileParser, type LineParser } from '../../../lambda/core/formats';
import { RedeliveryRequested, accountedFor, processObject, type FailedRecord, type ItemRef, type ObjectCounts } from '../../../lambda/core/process-object';
import { CORPORA } from '../../corpora';

const corpus = readFileSync(path.join(CORPORA, 'apache_combined_elastic_examples.log'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .slice(0, 3000);
const TIME = '17/May/2015:10:05:03 +0000';
const extra = [
  `10.0.0.1 - - [${TIME}] "GET /a\\"b HTTP/1.1" 200 5 "-" "esc"`,
  `10.0.0.1 - - [${TIME}] "GET / HTTP/1.1" 200 5 "-" "say "hi""`,
  `10.0.0.1 - - [${TIME}] "GET / HTTP/1.1" 200 5 "-" "ü中🙂"`,
  `10.0.0.1 - - [${TIME}] "GET / HTTP/1.1" abc 5 "-" "bad status"`,
  'not a log line',
];
const text = [...corpus, ...extra].join('\n') + '\n';

async function* chunks(buf: Buffer, size = 4096): AsyncGenerator<Buffer> {
  for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, off + size);
}

interface Run {
  counts: ObjectCounts;
  bodies: string[];
  ids: string[];
  failed: FailedRecord[];
}

async function run(parser: LineParser, opts: { filter?: ReturnType<typeof compileFilters>; reject?: (line: number) => boolean } = {}): Promise<Run> {
  const bodies: string[] = [];
  const ids: string[] = [];
  const failed: FailedRecord[] = [];
  const send = async (req: BulkRequest<ItemRef>): Promise<BulkOutcome<ItemRef>> => {
    const body = req.body.toString('utf8');
    bodies.push(body);
    const lines = body.split('\n');
    const out: BulkOutcome<ItemRef> = { indexed: 0, duplicates: 0, failed: [], requests: 1 };
    for (let i = 0; i < req.count; i++) {
      ids.push(JSON.parse(lines[2 * i]).create._id);
      const ref = req.ref(i);
      if (opts.reject?.(ref.line)) out.failed.push({ ref, reason: '400 mapper_parsing_exception: nope', transient: false });
      else out.indexed++;
    }
    return out;
  };
  const counts = await processObject({
    body: chunks(gzipSync(Buffer.from(text))),
    source: { bucket: 'b', key: 'k.log.gz', etag: '"e"' },
    parser,
    filter: opts.filter ?? compileFilters(undefined),
    index: 'logs',
    bulkMaxBytes: 64 * 1024,
    bulkMaxDocs: 500,
    maxLineBytes: 16 * 1024,
    send,
    backup: async (_part, records) => {
      failed.push(...records);
    },
  });
  return { counts, bodies, ids, failed };
}

describe('processObject', () => {
  const parser = compileParser(LogFormatSchema.parse({ type: 'nginx' }));
  const lines = text.split('\n').filter((l) => l.length > 0);

  it('fast path: the bulk bodies hold `create` + JSON.stringify(parse(line).doc) for every line that parses, in order', async () => {
    expect(parser.json).toBeDefined();
    const r = await run(parser);
    expect(accountedFor(r.counts)).toBe(true);
    const prefix = objectIdPrefix('b', 'k.log.gz', '"e"');
    const expected: string[] = [];
    const expectedIds: string[] = [];
    lines.forEach((l, i) => {
      const p = parser.parse(l);
      if (!p.ok) return;
      expectedIds.push(`${prefix}-${i + 1}`);
      expected.push(`{"create":{"_index":"logs","_id":"${prefix}-${i + 1}"}}`, JSON.stringify(p.doc));
    });
    expect(r.ids).toEqual(expectedIds);
    expect(r.bodies.join('').split('\n').slice(0, -1)).toEqual(expected);
    for (const b of r.bodies) expect(Buffer.byteLength(b)).toBeLessThanOrEqual(64 * 1024);
    expect(r.bodies.length).toBeGreaterThan(1);
    expect(r.counts.indexed).toBe(expectedIds.length);
    expect(r.counts.backedUp).toBe(lines.length - expectedIds.length);
  });

  it('sends the same bodies and reports the same failures with and without the direct writer', async () => {
    const general: LineParser = { fields: parser.fields, parse: parser.parse, stringify: parser.stringify };
    const naive: LineParser = { fields: parser.fields, parse: parser.parse };
    const [fast, viaDoc, viaJson] = [await run(parser), await run(general), await run(naive)];
    for (const other of [viaDoc, viaJson]) {
      expect(other.counts).toEqual(fast.counts);
      expect(other.bodies).toEqual(fast.bodies);
      expect(other.ids).toEqual(fast.ids);
      expect(other.failed).toEqual(fast.failed);
    }
    expect(fast.failed.map((f) => f.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^status "abc" is not an integer/), expect.stringMatching(/does not match the nginx format/)]),
    );
  });

  it('an item that fails to index is backed up with its raw line and its document (parsed again)', async () => {
    const r = await run(parser, { reject: (line) => line % 7 === 0 });
    expect(accountedFor(r.counts)).toBe(true);
    const indexingFailures = r.failed.filter((f) => f.reason.startsWith('indexing failed: 400 mapper_parsing_exception'));
    expect(indexingFailures.length).toBeGreaterThan(0);
    for (const f of indexingFailures) {
      expect(f.line % 7).toBe(0);
      expect(f.raw).toBe(lines[f.line - 1]);
      const p = parser.parse(f.raw);
      expect(p.ok && f.doc).toEqual(p.ok ? p.doc : undefined);
    }
  });

  it('with filters, documents go through parse() and the filter', async () => {
    const filter = compileFilters({ include: [], exclude: [{ field: 'request_method', regex: '^GET$' }] });
    const r = await run(parser, { filter });
    expect(accountedFor(r.counts)).toBe(true);
    expect(r.counts.filtered).toBeGreaterThan(0);
    for (const b of r.bodies) for (const l of b.split('\n').filter((x, i) => i % 2 === 1 && x)) expect(JSON.parse(l).request_method).not.toBe('GET');
  });

  it('the redelivery signal is an error of its own, carrying how many records wait for the next delivery', () => {
    const e = new RedeliveryRequested(12);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'RedeliveryRequested', deferred: 12 });
    expect(e.message).toBe('12 records hit transient indexing failures; leaving the message for redelivery');
  });
});

describe('processObject with multi-line-text', () => {
  it('indexes one document per event and backs up orphan continuation lines', async () => {
    const log = [
      '\tat orphan.Before(First.java:1)',
      '2026-11-26 10:00:00.123 ERROR [main] com.example.Orders : payment failed',
      'java.lang.IllegalStateException: card declined',
      '\tat com.example.Orders.pay(Orders.java:42)',
      '2026-11-26 10:00:01.000 INFO [main] com.example.Orders : retrying',
    ].join('\n');
    const parser = compileParser(LogFormatSchema.parse({ type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger : %msg%n' }));
    const docs: Array<Record<string, unknown>> = [];
    const failed: FailedRecord[] = [];
    const counts = await processObject({
      body: chunks(Buffer.from(log), 7),
      source: { bucket: 'b', key: 'app.log' },
      parser,
      filter: compileFilters(undefined),
      index: 'app',
      bulkMaxBytes: 1 << 20,
      bulkMaxDocs: 100,
      maxLineBytes: 1 << 20,
      send: async (req) => {
        req.body.toString().split('\n').filter((_l, i) => i % 2 === 1 && _l).forEach((l) => docs.push(JSON.parse(l)));
        return { indexed: req.count, duplicates: 0, failed: [], requests: 1 };
      },
      backup: async (_part, records) => void failed.push(...records),
    });
    expect(counts).toMatchObject({ recordsIn: 3, indexed: 2, backedUp: 1 });
    expect(accountedFor(counts)).toBe(true);
    expect(failed.map((f) => [f.line, f.raw])).toEqual([[1, '\tat orphan.Before(First.java:1)']]);
    expect(docs.map((d) => d.level)).toEqual(['ERROR', 'INFO']);
    expect(docs[0].message).toBe('payment failed\njava.lang.IllegalStateException: card declined\n\tat com.example.Orders.pay(Orders.java:42)');
  });
});
