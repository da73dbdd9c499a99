import { createReadStream, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import { RAW_CAP_BYTES, decodeBody, firstInvalidUtf8, isFailed, splitLines, type FailedLine, type LineBatch, type LineEntry, type LineSink } from '../../../lambda/core/lines';
import { CORPORA } from '../../corpora';

const APACHE = path.join(CORPORA, 'apache_combined_elastic_examples.log');

async function* from(chunks: Array<Buffer | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function concatBody(it: AsyncIterable<Buffer>): Promise<Buffer> {
  return Buffer.concat(await collect(it));
}

async function batchesOf(chunks: Buffer[], maxLineBytes = 1024): Promise<LineBatch[]> {
  return collect(splitLines(from(chunks) as AsyncIterable<Buffer>, { maxLineBytes }));
}

async function linesOf(chunks: Buffer[], maxLineBytes = 1024): Promise<LineEntry[]> {
  return (await batchesOf(chunks, maxLineBytes)).flat();
}

/** Every way of cutting buf into two chunks, plus one byte at a time. */
function cuts(buf: Buffer): Buffer[][] {
  const out: Buffer[][] = [[buf]];
  for (let i = 1; i < buf.length; i++) out.push([buf.subarray(0, i), buf.subarray(i)]);
  out.push([...buf].map((b) => Buffer.from([b])));
  return out;
}

describe('splitLines', () => {
  it('numbers lines from 1, handles CRLF and a last line without a newline', async () => {
    const lines = await linesOf([Buffer.from('first\r\nsecond\nthird')]);
    expect(lines).toEqual([
      { lineNo: 1, text: 'first' },
      { lineNo: 2, text: 'second' },
      { lineNo: 3, text: 'third' },
    ]);
  });

  it('skips empty lines (LF, CRLF) but keeps counting them', async () => {
    const lines = await linesOf([Buffer.from('a\n\n\r\nb\n\n')]);
    expect(lines).toEqual([
      { lineNo: 1, text: 'a' },
      { lineNo: 4, text: 'b' },
    ]);
  });

  it('keeps a lone CR inside a line and strips only the one before LF', async () => {
    expect(await linesOf([Buffer.from('a\rb\r\r\n')])).toEqual([{ lineNo: 1, text: 'a\rb\r' }]);
  });

  it('gives the same lines however the input is cut into chunks (ASCII and multi-byte UTF-8)', async () => {
    const text = 'GET /a\r\n\nGET /中文/ü?q=é\n€uro\r\nlast';
    const expected = [
      { lineNo: 1, text: 'GET /a' },
      { lineNo: 3, text: 'GET /中文/ü?q=é' },
      { lineNo: 4, text: '€uro' },
      { lineNo: 5, text: 'last' },
    ];
    for (const chunks of cuts(Buffer.from(text))) {
      expect(await linesOf(chunks)).toEqual(expected);
    }
  });

  it('yields arrays of lines, one per chunk that completes lines, not one per line', async () => {
    const chunk = Buffer.from('a\nb\nc\nd\n');
    const batches = await batchesOf([chunk, chunk]);
    expect(batches).toHaveLength(2);
    expect(batches[0].map((l) => l.lineNo)).toEqual([1, 2, 3, 4]);
    expect(batches[1].map((l) => l.lineNo)).toEqual([5, 6, 7, 8]);
  });

  it('reports invalid UTF-8 as a failed line: replacement characters in raw, the first bad byte, the bytes as base64', async () => {
    const bad = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    const buf = Buffer.concat([Buffer.from('ok\n'), bad, Buffer.from('after\n')]);
    for (const chunks of cuts(buf)) {
      expect(await linesOf(chunks)).toEqual([
        { lineNo: 1, text: 'ok' },
        { lineNo: 2, raw: 'caf\uFFFD', reason: 'invalid UTF-8 at byte 4 (0xe9)', rawBase64: bad.subarray(0, 4).toString('base64') },
        { lineNo: 3, text: 'after' },
      ]);
    }
    expect(Buffer.from(((await linesOf([buf]))[1] as { rawBase64: string }).rawBase64, 'base64')).toEqual(bad.subarray(0, 4));
  });

  it('drops a UTF-8 byte order mark at the start of the text (plain or gzipped, however it is chunked), nowhere else', async () => {
    const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n\ufeffsecond\n')]);
    const want = [
      { lineNo: 1, text: '{"a":1}' },
      { lineNo: 2, text: '\ufeffsecond' },
    ];
    const decodedLines = async (chunks: Buffer[]) => (await collect(splitLines(decodeBody(from(chunks)), { maxLineBytes: 1024 }))).flat();
    for (const chunks of cuts(text)) expect(await decodedLines(chunks)).toEqual(want);
    const gz = gzipSync(text);
    for (const size of [1, 2, 7, gz.length]) {
      const chunks: Buffer[] = [];
      for (let o = 0; o < gz.length; o += size) chunks.push(gz.subarray(o, o + size));
      expect(await decodedLines(chunks)).toEqual(want);
    }
    // two bytes of a BOM and nothing else are kept: a line that is not UTF-8
    expect(await decodedLines([Buffer.from([0xef, 0xbb])])).toMatchObject([{ lineNo: 1, reason: 'invalid UTF-8 at byte 1 (0xef)' }]);
  });

  it('firstInvalidUtf8 agrees with the platform validator on well-formed and broken sequences', () => {
    const cases: Array<[number[], number]> = [
      [[0x61, 0xe4, 0xb8, 0xad], -1], // a中
      [[0xf0, 0x9f, 0x98, 0x80], -1], // 😀
      [[0x61, 0xe4, 0xb8], 1], // cut short
      [[0xc0, 0xaf], 0], // overlong
      [[0xe0, 0x80, 0x80], 0], // overlong
      [[0xed, 0xa0, 0x80], 0], // surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      [[0x61, 0x62, 0xff], 2],
      [[0xc3, 0x28], 0],
    ];
    for (const [bytes, at] of cases) {
      expect([bytes, firstInvalidUtf8(Uint8Array.from(bytes))]).toEqual([bytes, at]);
      expect(isUtf8(Uint8Array.from(bytes))).toBe(at === -1);
    }
  });

  it('flags truncated multi-byte sequences and overlong encodings, but accepts a real U+FFFD', async () => {
    const lines = await linesOf([
      Buffer.concat([
        Buffer.from([0xe4, 0xb8, 0x0a]), // 中 cut short
        Buffer.from([0xc0, 0xaf, 0x0a]), // overlong '/'
        Buffer.from('real \uFFFD replacement char\n'),
      ]),
    ]);
    expect(lines[0]).toMatchObject({ lineNo: 1, reason: 'invalid UTF-8 at byte 1 (0xe4)' });
    expect(lines[1]).toMatchObject({ lineNo: 2, reason: 'invalid UTF-8 at byte 1 (0xc0)' });
    expect(lines[2]).toEqual({ lineNo: 3, text: 'real \uFFFD replacement char' });
  });

  it('accepts a line of exactly maxLineBytes (also before CRLF) and fails one byte more', async () => {
    const max = 1024;
    const exact = 'x'.repeat(max);
    const lines = await linesOf([Buffer.from(`${exact}\n${exact}\r\n${exact}y\nnext\n`)], max);
    expect(lines[0]).toEqual({ lineNo: 1, text: exact });
    expect(lines[1]).toEqual({ lineNo: 2, text: exact });
    expect(lines[2]).toEqual({ lineNo: 3, raw: `${exact}y`, reason: 'line exceeds 1024 bytes' });
    expect(lines[3]).toEqual({ lineNo: 4, text: 'next' });
  });

  it('counts bytes, not characters, for the limit', async () => {
    const max = 1024;
    const line = '中'.repeat(342); // 1,026 bytes, 342 chars
    const lines = await linesOf([Buffer.from(`${line}\nok\n`)], max);
    expect(lines[0]).toMatchObject({ lineNo: 1, reason: 'line exceeds 1024 bytes' });
    expect(lines[1]).toEqual({ lineNo: 2, text: 'ok' });
  });

  it('keeps an over-long line whole when no sink is given, in one chunk or many', async () => {
    const huge = Buffer.alloc(300 * 1024, 'z');
    const input = Buffer.concat([Buffer.from('before\n'), huge, Buffer.from('\nafter')]);
    const chunkings = [[input], Array.from({ length: Math.ceil(input.length / 4096) }, (_, i) => input.subarray(i * 4096, (i + 1) * 4096))];
    for (const chunks of chunkings) {
      const lines = await linesOf(chunks, 1024);
      expect(lines).toHaveLength(3);
      expect(lines[0]).toEqual({ lineNo: 1, text: 'before' });
      expect(isFailed(lines[1])).toBe(true);
      const failed = lines[1] as FailedLine;
      expect({ ...failed, raw: failed.raw.length }).toEqual({ lineNo: 2, raw: huge.length, reason: 'line exceeds 1024 bytes' });
      expect(failed.raw === huge.toString('latin1')).toBe(true);
      expect(lines[2]).toEqual({ lineNo: 3, text: 'after' });
    }
  });

  it('reports an over-long last line without a newline', async () => {
    const lines = await linesOf([Buffer.from('a\n'), Buffer.alloc(5000, 'q')], 1024);
    expect(lines[1]).toMatchObject({ lineNo: 2, reason: 'line exceeds 1024 bytes' });
  });

  it('streams a 64 MiB line through 64 KiB chunks to its sink, keeping only its head', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'w');
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 1024; i++) yield chunk;
      yield Buffer.from('\nend\n');
    }
    let spilled = 0;
    const spill = (lineNo: number): LineSink => ({ location: `line-${lineNo}`, write: (c) => void (spilled += c.length), close: async () => {}, abort: async () => {} });
    const before = process.memoryUsage().arrayBuffers;
    const lines = (await collect(splitLines(body(), { maxLineBytes: 1_048_576, spill }))).flat();
    expect(lines).toHaveLength(2);
    const { raw, ...failed } = lines[0] as FailedLine;
    expect(failed).toEqual({ lineNo: 1, reason: 'line exceeds 1048576 bytes', rawObject: 'line-1', rawBytes: 64 * 1024 * 1024 });
    expect(raw === 'w'.repeat(RAW_CAP_BYTES)).toBe(true);
    expect(spilled).toBe(64 * 1024 * 1024);
    expect(lines[1]).toEqual({ lineNo: 2, text: 'end' });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('splits the Apache corpus into its 10,000 lines', async () => {
    const text = readFileSync(APACHE, 'utf8');
    const expected = text.split('\n').filter((l) => l.length > 0);
    const lines = (await collect(splitLines(createReadStream(APACHE), { maxLineBytes: 1_048_576 }))).flat();
    expect(lines).toHaveLength(10_000);
    expect(lines.every((l) => !isFailed(l))).toBe(true);
    expect(lines.map((l) => (l as { text: string }).text)).toEqual(expected);
    expect(lines[9999].lineNo).toBe(10_000);
  });
});

describe('decodeBody', () => {
  const text = readFileSync(APACHE);

  it('gunzips data that starts with the gzip magic bytes, whatever the object is called', async () => {
    const gz = gzipSync(text);
    expect(gz[0]).toBe(0x1f);
    expect(gz[1]).toBe(0x8b);
    expect((await concatBody(decodeBody(from([gz])))).equals(text)).toBe(true);
  });

  it('passes plain data through unchanged (no gzip magic), including data starting with 0x1f alone', async () => {
    expect((await concatBody(decodeBody(from([text.subarray(0, 1000), text.subarray(1000)])))).equals(text)).toBe(true);
    const odd = Buffer.from([0x1f, 0x41, 0x42, 0x0a]);
    expect((await concatBody(decodeBody(from([odd])))).equals(odd)).toBe(true);
  });

  it('decodes every member of a multi-member gzip (concatenated .gz files)', async () => {
    const a = Buffer.from('first member line 1\nfirst member line 2\n');
    const b = Buffer.from('second member line 3\n');
    const c = text.subarray(0, 50_000);
    const multi = Buffer.concat([gzipSync(a), gzipSync(b), gzipSync(c)]);
    expect((await concatBody(decodeBody(from([multi])))).equals(Buffer.concat([a, b, c]))).toBe(true);
  });

  it('detects gzip when the magic bytes arrive in separate one-byte chunks', async () => {
    const gz = gzipSync(Buffer.from('x\ny\n'));
    const chunks = [gz.subarray(0, 1), gz.subarray(1, 2), gz.subarray(2, 3), gz.subarray(3)];
    expect((await concatBody(decodeBody(from(chunks)))).toString()).toBe('x\ny\n');
    expect((await concatBody(decodeBody(from([Buffer.from('z')])))).toString()).toBe('z');
  });

  it('accepts plain Uint8Array chunks (what S3 SDK streams yield)', async () => {
    const gz = gzipSync(Buffer.from('abc\n'));
    const u8 = new Uint8Array(gz.buffer.slice(gz.byteOffset, gz.byteOffset + gz.length));
    expect((await concatBody(decodeBody(from([u8])))).toString()).toBe('abc\n');
  });

  it('yields nothing for an empty body and skips empty chunks', async () => {
    expect(await collect(decodeBody(from([])))).toEqual([]);
    expect((await concatBody(decodeBody(from([Buffer.alloc(0), Buffer.from('hi'), Buffer.alloc(0)])))).toString()).toBe('hi');
  });

  it('ends a corrupt gzip stream where decoding stopped and says why, instead of throwing', async () => {
    const gz = gzipSync(text);
    const corrupt = Buffer.concat([gz.subarray(0, 20), Buffer.alloc(200, 0xaa), gz.subarray(220)]);
    const body = decodeBody(from([corrupt]));
    expect(body.broken).toBeUndefined();
    const out = await concatBody(body);
    expect(text.subarray(0, out.length).equals(out)).toBe(true);
    expect(body.broken).toEqual({ message: expect.any(String), code: 'Z_DATA_ERROR', decodedBytes: out.length });
  });

  it('streams: output starts before the whole gzip input has been read, after at most ~1 MiB of it', async () => {
    const big = Buffer.concat(Array.from({ length: 16 }, () => text));
    const gz = gzipSync(big);
    const size = 16 * 1024;
    const total = Math.ceil(gz.length / size);
    let consumed = 0;
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < total; i++) {
        consumed++;
        yield gz.subarray(i * size, (i + 1) * size);
      }
    }
    let consumedAtFirstOutput = -1;
    let out = 0;
    for await (const chunk of decodeBody(body())) {
      if (consumedAtFirstOutput < 0) consumedAtFirstOutput = consumed;
      out += chunk.length;
    }
    expect(out).toBe(big.length);
    expect(total).toBeGreaterThan(100);
    expect(consumedAtFirstOutput).toBeLessThan(total / 2);
    // zlib's read-ahead is bounded by the stream buffers (256 KiB in, 256 KiB queued for zlib)
    expect(consumedAtFirstOutput * size).toBeLessThanOrEqual(1024 * 1024);
  });

  it('feeds splitLines with the same lines for the gzipped and the plain corpus', async () => {
    const plain = (await collect(splitLines(decodeBody(from([text])), { maxLineBytes: 1_048_576 }))).flat();
    const gz = gzipSync(text);
    const chunks = Array.from({ length: Math.ceil(gz.length / 7000) }, (_, i) => gz.subarray(i * 7000, (i + 1) * 7000));
    const unzipped = (await collect(splitLines(decodeBody(from(chunks)), { maxLineBytes: 1_048_576 }))).flat();
    expect(plain).toHaveLength(10_000);
    expect(unzipped).toEqual(plain);
  });
});
