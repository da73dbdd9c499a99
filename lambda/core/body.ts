/**
 * Object body → decoded bytes: gunzipped when it starts with the gzip magic bytes 1f 8b (whatever its name;
 * concatenated members are all decoded), unchanged otherwise; a leading UTF-8 byte order mark dropped.
 *
 * A gzip stream that breaks off or is corrupt does not throw: the decoded bytes end where zlib stopped, and the body
 * says so (`DecodedBody.broken`), so that the lines before the break are delivered and the caller backs the object
 * up whole. zlib hands over nothing of the call that fails, and Node drops what its stream had buffered when it
 * errors (together up to ~1.5 MiB of decoded text); with `reopen`, the body is read a second time to find those
 * bytes: decoded fast up to where the first read's zlib had consumed its input, then one input byte per call, so
 * that the failing call holds at most the codes of the byte that has the error.
 */
import { once } from 'node:events';
import type { TransformOptions } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';

/** Where and why a gzip body stopped decoding. */
export interface BodyBreak {
  /** zlib's message, e.g. "unexpected end of file", "invalid block type", "incorrect data check". */
  readonly message: string;
  /** zlib's code, e.g. Z_BUF_ERROR (data breaks off), Z_DATA_ERROR (corrupt). */
  readonly code: string;
  /** Decompressed bytes delivered before the break (a leading BOM included). */
  readonly decodedBytes: number;
}

export interface DecodedBody extends AsyncIterable<Buffer> {
  /** Set once iteration has ended at a gzip error instead of the end of the body. */
  readonly broken: BodyBreak | undefined;
}

export interface DecodeOptions {
  /**
   * Reads the body again from its start, with the same content (for S3, GET If-Match the first read's ETag), or
   * throws. Called only after a gzip error. Without it (stdin) the body ends where zlib's output stopped.
   */
  readonly reopen?: () => Promise<AsyncIterable<Uint8Array>>;
}

/** zlib output chunk size: larger chunks mean fewer callbacks and line batches (~1,000 access-log lines each). */
const GUNZIP_CHUNK = 256 * 1024;
/**
 * Compressed bytes per zlib write at most. A zlib error lies in the write that holds it, so this bounds the bytes a
 * second read steps through one at a time (~40 µs each: 2.5 s at worst, once per broken object; none when the data
 * merely breaks off). Smaller slices cost the normal path: 16 KiB ones made gunzip ~15% slower. S3 bodies come in
 * chunks of this size or less anyway.
 */
const INPUT_SLICE = 64 * 1024;
/** Decoded bytes compared between the two reads before the second one's bytes are used. */
const TAIL_CHECK = 64;

export function isZlibError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * The decoded bytes of an object body (see the file comment). Iterate it once; `broken` is known when the
 * iteration has ended.
 */
export function decodeBody(body: AsyncIterable<Uint8Array>, opts: DecodeOptions = {}): DecodedBody {
  const state: { broken?: BodyBreak } = {};
  return {
    get broken() {
      return state.broken;
    },
    [Symbol.asyncIterator]: () => withoutBom(decoded(body, opts, state))[Symbol.asyncIterator](),
  };
}

/** Editors on Windows write a BOM; it would end up in the first line's first field. */
async function* withoutBom(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = EMPTY; // undefined once the start of the text is known to hold no BOM
  for await (const chunk of chunks) {
    if (head === undefined) {
      yield chunk;
      continue;
    }
    const b: Buffer = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (b.length < 3 && BOM.subarray(0, b.length).equals(b)) {
      head = b;
      continue;
    }
    head = undefined;
    const text = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
    if (text.length > 0) yield text;
  }
  // a body of one or two bytes of a BOM: not text, but a line (a failed one) all the same
  if (head !== undefined && head.length > 0) yield head;
}

const EMPTY = Buffer.alloc(0);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

async function* decoded(body: AsyncIterable<Uint8Array>, opts: DecodeOptions, state: { broken?: BodyBreak }): AsyncGenerator<Buffer> {
  const it = body[Symbol.asyncIterator]();
  // Read until at least two bytes are known (a first chunk of one byte is legal).
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 2) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = toBuffer(r.value);
    if (b.length === 0) continue;
    head.push(b);
    headLen += b.length;
  }
  const first = head.length === 1 ? head[0] : Buffer.concat(head);
  const gzip = headLen >= 2 && first[0] === 0x1f && first[1] === 0x8b;

  if (!gzip) {
    if (done) {
      if (headLen > 0) yield first;
      return;
    }
    try {
      yield first;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        if (r.value.length > 0) yield toBuffer(r.value);
      }
    } finally {
      await it.return?.();
    }
  }

  async function* rest(): AsyncGenerator<Buffer> {
    yield* slices(first);
    if (done) return;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield* slices(toBuffer(r.value));
      }
    } finally {
      await it.return?.();
    }
  }
  // Room for zlib to work ahead on its thread while the caller parses: with the default 16 KiB marks it stopped
  // after every output chunk until the next read, and the caller waited ~15% of the time for each next chunk.
  // (zlib streams pass their options on to Transform, which @types/node does not say)
  const streamOptions: ZlibOptions & TransformOptions = { chunkSize: GUNZIP_CHUNK, readableHighWaterMark: 4 * GUNZIP_CHUNK, writableHighWaterMark: GUNZIP_CHUNK };
  const gunzip = createGunzip(streamOptions);
  const stop = new AbortController();
  const pump = async () => {
    for await (const b of rest()) {
      if (!gunzip.write(b)) await once(gunzip, 'drain', { signal: stop.signal });
    }
    // Not end() at once: zlib finishes the last write it holds with Z_FINISH and, when the data breaks off there,
    // does not count that write's input as consumed. Once every write is through, end() flushes with no input.
    await new Promise<void>((resolve) => {
      gunzip.once('close', resolve);
      gunzip.write(EMPTY, () => resolve());
    });
    if (!gunzip.destroyed) gunzip.end();
  };
  // Settles by itself once the consumer stops (abort, destroy); not awaited, so a stalled body cannot hold it.
  void pump().catch((err) => gunzip.destroy(err));
  let delivered = 0;
  let tail: Buffer = EMPTY;
  try {
    for await (const chunk of gunzip) {
      const b = chunk as Buffer;
      delivered += b.length;
      tail = lastBytes(tail, b);
      yield b;
    }
    return;
  } catch (e) {
    if (!isZlibError(e)) throw e;
    // Input zlib consumed in the calls that succeeded: the error lies in the write after it.
    const consumed = gunzip.bytesWritten;
    // The first read stops here (its body is closed) before the second one starts.
    stop.abort();
    let recovered = 0;
    if (opts.reopen) {
      for await (const b of recover(opts.reopen, consumed, delivered, tail)) {
        recovered += b.length;
        yield b;
      }
    }
    state.broken = { message: e.message, code: e.code, decodedBytes: delivered + recovered };
  } finally {
    stop.abort();
    gunzip.destroy();
  }
}

async function* slices(b: Buffer): AsyncGenerator<Buffer> {
  for (let off = 0; off < b.length; off += INPUT_SLICE) yield off === 0 && b.length <= INPUT_SLICE ? b : b.subarray(off, off + INPUT_SLICE);
}

/** The last TAIL_CHECK bytes of tail + b. */
function lastBytes(tail: Buffer, b: Buffer): Buffer {
  if (b.length >= TAIL_CHECK) return Buffer.from(b.subarray(b.length - TAIL_CHECK));
  return Buffer.concat([tail, b]).subarray(-TAIL_CHECK);
}

/**
 * The second read: the decoded bytes after the first `delivered`, up to the error. Fast up to `consumed` input
 * bytes, then one byte per write through the write that failed the first time (INPUT_SLICE at most). Yields nothing
 * when the second read does not decode to the same bytes at `delivered` (`tail`) or cannot be read.
 */
async function* recover(reopen: () => Promise<AsyncIterable<Uint8Array>>, consumed: number, delivered: number, tail: Buffer): AsyncGenerator<Buffer> {
  let body: AsyncIterable<Uint8Array>;
  try {
    body = await reopen();
  } catch {
    return;
  }
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const out: Buffer[] = [];
  let failed = false;
  // zlib calls no write callback for the write that fails, only 'error'
  let wake: (() => void) | undefined;
  gunzip.on('data', (c: Buffer) => out.push(c));
  gunzip.on('error', () => {
    failed = true;
    wake?.();
  });
  const write = (b: Buffer) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      gunzip.write(b, () => resolve());
    });
  const stepEnd = consumed + INPUT_SLICE;
  let fed = 0;
  let decoded = 0;
  const before: Buffer[] = []; // decoded bytes within the TAIL_CHECK before `delivered`
  let checked = delivered === 0 || tail.length === 0;
  const it = body[Symbol.asyncIterator]();
  try {
    while (!failed && fed < stepEnd) {
      const r = await it.next();
      if (r.done) break;
      let b = toBuffer(r.value);
      while (b.length > 0 && !failed && fed < stepEnd) {
        const n = fed < consumed ? Math.min(b.length, consumed - fed, INPUT_SLICE) : 1;
        await write(b.subarray(0, n));
        fed += n;
        b = b.subarray(n);
        for (const c of out.splice(0)) {
          const start = decoded;
          decoded += c.length;
          // bytes before `delivered`: only the last TAIL_CHECK of them matter, to compare
          if (!checked && decoded > delivered - tail.length) before.push(c.subarray(Math.max(0, delivered - tail.length - start), Math.max(0, delivered - start)));
          if (decoded <= delivered) continue;
          if (!checked) {
            if (!Buffer.concat(before).equals(tail)) return;
            checked = true;
          }
          yield c.subarray(Math.max(0, delivered - start));
        }
      }
    }
  } finally {
    gunzip.destroy();
    await it.return?.();
  }
}
