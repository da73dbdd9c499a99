/**
 * The byte path (splitRanges → BulkBatcher.addRange → JsonWriter.writeRange) against the string path (splitLines →
 * addLine / parse): same lines, numbers and failures however the input is cut into chunks, and processObject sends
 * the same bodies and reports the same failures through either.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { LogFormatSchema, type LogFormat } from '../../../lambda/core/config/log-format';
import { BulkBatcher, objectIdPrefix, type BulkBatch } from '../../../lambda/core/bulk/batcher';
import type { BulkOutcome, BulkRequest } from '../../../lambda/core/bulk/sender';
import { compileFilters } from '../../../lambda/core/filters';
import { compileParser, type LineParser } from '../../../lambda/core/formats';
import { lineAt, splitLines, splitRanges, type LineEntry } from '../../../lambda/core/lines';
import { accountedFor, processObject, type FailedRecord, type ItemRef, type ObjectCounts } from '../../../lambda/core/process-object';
import { corpusPath } from '../../corpora';

const corpus = readFileSync(corpusPath('apache_combined_elastic_examples.log'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const TIME = '17/May/2015:10:05:03 +0000';
const line = (agent: string, req = 'GET / HTTP/1.1', user = '-') => `10.0.0.1 - ${user} [${TIME}] "${req}" 200 5 "-" "${agent}"`;
/** Lines the byte path must hand to the string path (or fail the same way). */
const odd = [
  line('esc \\" quote', 'GET /a\\"b HTTP/1.1'),
  line('say "hi"'),
  line('ends with"'),
  line('x', 'GET /a"b HTTP/1.1'),
  line('x', 'GET /a" b HTTP/1.1'),
  line('x', 'GET / HTTP/1.1', 'us"er'),
  line('tab\there'),
  line('nul\u0000char'),
  line('cr\rinside'),
  line('ü中🙂'),
  line('lone \ud800 surrogate'),
  line('del\u007fchar'),
  `10.0.0.1 - - [${TIME}] "GET / HTTP/1.1" abc 5 "-" "bad status"`,
  `2001:db8::1 - - [${TIME}] "GET / HTTP/1.1" 200 5 "-" "v6"`,
  `unix: - - [${TIME}] "GET / HTTP/1.1" 200 5 "-" "unix socket"`,
  `10.0.0.1 - - [17/May/2015:10:05:59 +0000] "GET / HTTP/1.1" 200 5 "-" "second 59"`,
  `10.0.0.1 - - [17/May/2015:10:05:60 +0000] "GET / HTTP/1.1" 200 5 "-" "second 60"`,
  `10.0.0.1 - - [17/May/2015:10:06:00 +0200] "GET / HTTP/1.1" 200 5 "-" "other zone"`,
  'not a log line',
  'x'.repeat(3000),
];

/** Deterministic pseudo-random numbers (tests must not flake). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function cut(buf: Buffer, seed: number, maxChunk: number): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; ) {
    const n = 1 + Math.floor(r() * maxChunk);
    out.push(buf.subarray(off, off + n));
    off += n;
  }
  return out;
}

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

/** The corpus (a slice of it) with odd lines, empty lines, CRLF endings and no final newline mixed in. */
function mixedText(n: number): Buffer {
  const parts: string[] = [];
  corpus.slice(0, n).forEach((l, i) => {
    parts.push(l + (i % 5 === 0 ? '\r\n' : '\n'));
    if (i % 97 === 0) parts.push('\n');
    if (i % 131 === 0) parts.push('\r\n');
    if (i % 53 === 0) parts.push(odd[(i / 53) % odd.length] + '\n');
  });
  parts.push(odd.join('\n'), '\n', corpus[0]);
  return Buffer.from(parts.join(''));
}

async function viaStrings(chunks: Buffer[], max: number): Promise<LineEntry[]> {
  const out: LineEntry[] = [];
  for await (const b of splitLines(from(chunks), { maxLineBytes: max })) out.push(...b);
  return out;
}

async function viaRanges(chunks: Buffer[], max: number): Promise<LineEntry[]> {
  const out: LineEntry[] = [];
  for await (const r of splitRanges(from(chunks), { maxLineBytes: max })) for (let k = 0; k < r.count; k++) out.push(lineAt(r, k));
  return out;
}

describe('splitRanges', () => {
  it.each([1, 7, 64, 1000, 4096, 70_000])('gives the lines of splitLines whatever the chunks (up to %i bytes)', async (maxChunk) => {
    const text = mixedText(maxChunk < 64 ? 200 : 1500);
    const expected = await viaStrings([text], 2048);
    expect(expected.some((e) => 'reason' in e)).toBe(true);
    for (const seed of [1, 2, 3]) {
      const chunks = cut(text, seed * maxChunk, maxChunk);
      expect(await viaRanges(chunks, 2048)).toEqual(expected);
      expect(await viaStrings(chunks, 2048)).toEqual(expected);
    }
  });

  it('over-long lines, CR-only and invalid UTF-8 lines fail as in splitLines', async () => {
    const bad = Buffer.concat([
      Buffer.from('ok\r\n\r\nx\r\r\n'),
      Buffer.from('y'.repeat(40) + '\n'),
      Buffer.from([0x61, 0xff, 0x62, 0x0a]),
      Buffer.from('é'.repeat(30) + '\n'),
      Buffer.from('tail'),
    ]);
    const expected = await viaStrings([bad], 32);
    for (let size = 1; size <= bad.length; size++) expect(await viaRanges(cut(bad, size, size), 32)).toEqual(expected);
  });
});

describe('JsonWriter.writeRange', () => {
  const formats: Array<Partial<LogFormat> & { type: 'nginx' | 'apache' }> = [
    { type: 'nginx' },
    { type: 'apache' },
    { type: 'apache', format: 'common' },
    { type: 'nginx', fields: { request: 'keyword', status: 'long', remote_addr: 'keyword' } },
    { type: 'apache', format: '%h %t %D %T "%{X-Flag}i"' },
  ];
  it.each(formats)('writes what write() writes, or declines (%j)', (f) => {
    const p = compileParser(LogFormatSchema.parse(f));
    const w = p.json!;
    expect(w.writeRange).toBeDefined();
    const lines = [
      ...corpus.slice(0, 3000),
      ...corpus.slice(0, 300).map((l) => l.slice(0, l.indexOf('"', l.indexOf('" ') + 2) - 1)),
      ...odd,
      `10.0.0.1 [${TIME}] 1234 0 "on"`,
      `10.0.0.1 [${TIME}] - x "-"`,
    ];
    let written = 0;
    for (const l of lines) {
      const bytes = Buffer.from(l, 'utf8');
      const buf = Buffer.alloc(4 * w.maxBytes(l.length) + bytes.length + 64, 0x2a);
      const X = buf.length - bytes.length - 8;
      bytes.copy(buf, X);
      const viaString = Buffer.alloc(w.maxBytes(l.length) + 16, 0x2a);
      const se = w.write(l, viaString, 3);
      // the caller only hands over lines without control, non-ASCII or backslash bytes
      if (/[\u0000-\u001f\\\u0080-\uffff]/.test(l)) continue;
      const re = w.writeRange!(X, 0, bytes.length, buf, 5, new DataView(buf.buffer, buf.byteOffset, buf.length));
      // declined: the line goes through parse(), which decides
      if (re < 0) continue;
      written++;
      const r = p.parse(l);
      expect(r.ok).toBe(true);
      expect(buf.toString('utf8', 5, re)).toBe(JSON.stringify((r as { doc: object }).doc));
      expect(se).toBeGreaterThan(0);
      expect(buf.toString('utf8', 5, re)).toBe(viaString.toString('utf8', 3, se));
    }
    expect(written).toBeGreaterThan(0);
  });
});

describe('BulkBatcher.addRange', () => {
  it('makes ids from the prefix and line number, refs only when asked for', () => {
    const p = compileParser(LogFormatSchema.parse({ type: 'nginx' }));
    const made: number[] = [];
    const b = new BulkBatcher<{ line: number; raw: string }>({
      index: 'logs',
      maxBytes: 1 << 20,
      maxDocs: 2,
      idPrefix: 'abc_DEF-1',
      rangeRef: (line, src, s, e) => {
        made.push(line);
        return { line, raw: src.toString('latin1', s, e) };
      },
    });
    const src = Buffer.from(`${corpus[0]}\n${corpus[1]}\n${corpus[2]}\n`);
    const nl1 = src.indexOf(10);
    const nl2 = src.indexOf(10, nl1 + 1);
    expect(b.addRange(7, src, 0, nl1, p.json!)).toBeUndefined();
    expect(b.add('plain-id', { a: 1 }, { line: 8, raw: 'r' })).toBeUndefined();
    const full = b.addRange(1234567, src, nl1 + 1, nl2, p.json!) as BulkBatch<{ line: number; raw: string }>;
    expect(full).toBeTruthy();
    expect(made).toEqual([]);
    expect([full.ref(0), full.ref(1)]).toEqual([
      { line: 7, raw: corpus[0] },
      { line: 8, raw: 'r' },
    ]);
    expect(made).toEqual([7]);
    expect(full.count).toBe(2);
    expect(full.body.toString()).toBe(
      `{"create":{"_index":"logs","_id":"abc_DEF-1-7"}}\n${JSON.stringify((p.parse(corpus[0]) as { doc: object }).doc)}\n` +
        `{"create":{"_index":"logs","_id":"plain-id"}}\n{"a":1}\n`,
    );
    const last = b.flush()!;
    expect(last.count).toBe(1);
    expect(last.ref(0)).toEqual({ line: 1234567, raw: corpus[1] });
    expect(last.body.toString().startsWith('{"create":{"_index":"logs","_id":"abc_DEF-1-1234567"}}\n')).toBe(true);
  });
});

describe('processObject byte path', () => {
  const text = mixedText(4000);

  async function run(parser: LineParser, chunks: Buffer[], reject?: (line: number) => boolean) {
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
        if (reject?.(ref.line)) out.failed.push({ ref, reason: '400 mapper_parsing_exception: nope', transient: false });
        else out.indexed++;
      }
      return out;
    };
    const counts: ObjectCounts = await processObject({
      body: from(chunks),
      source: { bucket: 'b', key: 'k.log', etag: '"e"' },
      parser,
      filter: compileFilters(undefined),
      index: 'logs',
      bulkMaxBytes: 64 * 1024,
      bulkMaxDocs: 300,
      maxLineBytes: 2048,
      send,
      backup: async (_part, records) => {
        failed.push(...records);
      },
    });
    return { counts, bodies, ids, failed };
  }

  it.each([{ type: 'nginx' as const }, { type: 'apache' as const }])('sends what the string path sends, whatever the chunks (%j)', async (f) => {
    const parser = compileParser(LogFormatSchema.parse(f));
    expect(parser.json?.writeRange).toBeDefined();
    const stringPath: LineParser = { fields: parser.fields, parse: parser.parse, stringify: parser.stringify, json: { write: parser.json!.write, maxBytes: parser.json!.maxBytes } };
    const reject = (l: number) => l % 11 === 0;
    const expected = await run(stringPath, [text], reject);
    expect(accountedFor(expected.counts)).toBe(true);
    expect(expected.failed.some((x) => x.reason.startsWith('indexing failed'))).toBe(true);
    expect(expected.failed.some((x) => !x.reason.startsWith('indexing failed'))).toBe(true);
    expect(expected.ids[0]).toBe(`${objectIdPrefix('b', 'k.log', '"e"')}-1`);
    for (const maxChunk of [3, 500, 9000, 300_000]) {
      const got = await run(parser, cut(text, maxChunk, maxChunk), reject);
      expect(got.counts).toEqual(expected.counts);
      expect(got.ids).toEqual(expected.ids);
      expect(got.bodies.join('')).toBe(expected.bodies.join(''));
      expect(got.bodies.map((b) => b.length)).toEqual(expected.bodies.map((b) => b.length));
      expect(got.failed).toEqual(expected.failed);
    }
    // and gzipped
    const gz = await run(parser, cut(gzipSync(text), 5, 4096), reject);
    expect(gz.bodies).toEqual(expected.bodies);
    expect(gz.failed).toEqual(expected.failed);
  });
});
