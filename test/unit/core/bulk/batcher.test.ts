import { BulkBatcher, objectIdPrefix, type BulkBatch } from '../../../../lambda/core/bulk/batcher';

function parseBody(body: Buffer): Array<[unknown, unknown]> {
  const lines = body.toString('utf8').split('\n');
  expect(lines.pop()).toBe(''); // NDJSON ends with a newline
  const out: Array<[unknown, unknown]> = [];
  for (let i = 0; i < lines.length; i += 2) out.push([JSON.parse(lines[i]), JSON.parse(lines[i + 1])]);
  return out;
}

/** The refs of a batch's items, in order. */
const refsOf = <T>(batch: BulkBatch<T>): T[] => Array.from({ length: batch.count }, (_, i) => batch.ref(i));

describe('BulkBatcher', () => {
  it('writes create actions with _index and _id, then the document, as NDJSON', () => {
    const b = new BulkBatcher<number>({ index: 'web-logs', maxBytes: 1_000_000, maxDocs: 100 });
    expect(b.add('abc-1', { status: 200, msg: 'hi' }, 1)).toBeUndefined();
    expect(b.add('abc-2', { status: 404, msg: 'é "quoted" \\ 中' }, 2)).toBeUndefined();
    expect(b.size).toBe(2);
    const batch = b.flush()!;
    expect(parseBody(batch.body)).toEqual([
      [{ create: { _index: 'web-logs', _id: 'abc-1' } }, { status: 200, msg: 'hi' }],
      [{ create: { _index: 'web-logs', _id: 'abc-2' } }, { status: 404, msg: 'é "quoted" \\ 中' }],
    ]);
    expect(refsOf(batch)).toEqual([1, 2]);
    expect(b.flush()).toBeUndefined();
    expect(b.size).toBe(0);
  });

  it('escapes unusual ids', () => {
    const b = new BulkBatcher({ index: 'i', maxBytes: 1000, maxDocs: 10 });
    b.add('a"b\\c', {}, null);
    expect(parseBody(b.flush()!.body)[0][0]).toEqual({ create: { _index: 'i', _id: 'a"b\\c' } });
  });

  it('returns the full batch when the next doc would exceed maxDocs; that doc starts the next batch', () => {
    const b = new BulkBatcher<number>({ index: 'i', maxBytes: 1_000_000, maxDocs: 3 });
    const out: BulkBatch<number>[] = [];
    for (let i = 1; i <= 7; i++) {
      const full = b.add(`id-${i}`, { i }, i);
      if (full) out.push(full);
    }
    out.push(b.flush()!);
    expect(out.map(refsOf)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    for (const x of out) expect(parseBody(x.body)).toHaveLength(x.count);
  });

  it('never exceeds maxBytes (multi-byte text counted in UTF-8 bytes)', () => {
    const maxBytes = 2000;
    const b = new BulkBatcher<number>({ index: 'i', maxBytes, maxDocs: 1000 });
    const batches: BulkBatch<number>[] = [];
    for (let i = 0; i < 200; i++) {
      const full = b.add(`id-${i}`, { text: '中文'.repeat(i % 37), i }, i);
      if (full) batches.push(full);
    }
    batches.push(b.flush()!);
    const refs = batches.flatMap(refsOf);
    expect(refs).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (const x of batches) {
      expect(x.body.length).toBeLessThanOrEqual(maxBytes);
      expect(parseBody(x.body)).toHaveLength(x.count);
    }
    // and the batches are reasonably full: adding the next doc would have overflowed
    for (let k = 0; k < batches.length - 1; k++) {
      const nextDoc = { text: '中文'.repeat(batches[k + 1].ref(0) % 37), i: batches[k + 1].ref(0) };
      const nextEntry = `{"create":{"_index":"i","_id":"id-${nextDoc.i}"}}\n${JSON.stringify(nextDoc)}\n`;
      expect(batches[k].body.length + Buffer.byteLength(nextEntry)).toBeGreaterThan(maxBytes);
    }
  });

  it('sends a document larger than maxBytes alone in its own batch', () => {
    const b = new BulkBatcher<string>({ index: 'i', maxBytes: 500, maxDocs: 100 });
    expect(b.add('a', { v: 'small' }, 'a')).toBeUndefined();
    const first = b.add('big', { v: 'x'.repeat(5000) }, 'big');
    expect(refsOf(first!)).toEqual(['a']);
    const second = b.add('c', { v: 'small' }, 'c');
    expect(refsOf(second!)).toEqual(['big']);
    expect(second!.body.length).toBeGreaterThan(5000);
    expect(parseBody(second!.body)[0][1]).toEqual({ v: 'x'.repeat(5000) });
    const last = b.flush();
    expect(refsOf(last!)).toEqual(['c']);
    expect(parseBody(last!.body)).toEqual([[{ create: { _index: 'i', _id: 'c' } }, { v: 'small' }]]);
  });

  it('a huge first document, then normal ones, keeps working (buffer grows and shrinks back)', () => {
    const b = new BulkBatcher<number>({ index: 'i', maxBytes: 65_536, maxDocs: 100 });
    expect(b.add('h', { v: 'y'.repeat(1_000_000) }, 0)).toBeUndefined();
    const big = b.add('n1', { v: 1 }, 1)!;
    expect(big.count).toBe(1);
    expect(parseBody(big.body)).toEqual([[{ create: { _index: 'i', _id: 'h' } }, { v: 'y'.repeat(1_000_000) }]]);
    const rest = b.flush()!;
    expect(parseBody(rest.body)).toEqual([[{ create: { _index: 'i', _id: 'n1' } }, { v: 1 }]]);
  });

  it('a batch keeps its body while the batcher goes on, until it is released', () => {
    const b = new BulkBatcher<number>({ index: 'i', maxBytes: 1_000_000, maxDocs: 2 });
    b.add('a', { v: 'first' }, 1);
    b.add('b', { v: 'second' }, 2);
    const first = b.add('c', { v: 'third, and longer than the others' }, 3)!;
    const before = first.body.toString();
    b.add('d', { v: 'fourth' }, 4);
    b.flush();
    expect(first.body.toString()).toBe(before);
    expect(parseBody(first.body).map(([, doc]) => doc)).toEqual([{ v: 'first' }, { v: 'second' }]);
    expect(refsOf(first)).toEqual([1, 2]);
  });

  it('builds the next batches in released buffers, and only in those', () => {
    const b = new BulkBatcher<number>({ index: 'i', maxBytes: 1_000_000, maxDocs: 1 });
    const batches: BulkBatch<number>[] = [];
    for (let i = 0; i < 8; i++) {
      const full = b.add(`id-${i}`, { v: i }, i);
      if (full) batches.push(full);
    }
    // nothing released: seven bodies in seven different buffers, each intact
    expect(batches.map((x) => parseBody(x.body)[0][1])).toEqual(Array.from({ length: 7 }, (_, i) => ({ v: i })));
    expect(new Set(batches.map((x) => x.body.buffer)).size).toBe(7);
    const released = batches[2];
    b.release(released);
    b.release(released); // twice: still one spare
    const next: BulkBatch<number>[] = [];
    for (let i = 8; i < 11; i++) {
      const full = b.add(`id-${i}`, { v: i }, i);
      if (full) next.push(full);
    }
    // the batch in the buffer that was being built when it was released ({v: 7}), then {v: 8} in the released one
    expect(parseBody(next[0].body)[0][1]).toEqual({ v: 7 });
    expect(next[1].body.buffer).toBe(released.body.buffer);
    expect(parseBody(next[1].body)[0][1]).toEqual({ v: 8 });
    expect(next[2].body.buffer).not.toBe(released.body.buffer);
    expect(parseBody(next[2].body)[0][1]).toEqual({ v: 9 });
    for (const [k, x] of batches.entries()) if (k !== 2) expect(parseBody(x.body)[0][1]).toEqual({ v: k });
    // released again once its buffer is the one being built: ignored, so no batch is built over another
    b.release(next[2]);
    const c1 = b.add('id-x', { v: 'x' }, 99)!; // {v: 10} out; next[2]'s buffer now holds {v: 'x'}
    expect(parseBody(c1.body)[0][1]).toEqual({ v: 10 });
    b.release(next[2]);
    const c2 = b.add('id-y', { v: 'y' }, 100)!;
    const c3 = b.add('id-z', { v: 'z' }, 101)!;
    expect(c2.body.buffer).toBe(next[2].body.buffer);
    expect(c3.body.buffer).not.toBe(c2.body.buffer);
    expect(parseBody(c2.body)[0][1]).toEqual({ v: 'x' });
    expect(parseBody(c3.body)[0][1]).toEqual({ v: 'y' });
    // a buffer of another size (another batcher's) is not taken
    const other = new BulkBatcher<number>({ index: 'i', maxBytes: 1000, maxDocs: 10 });
    other.add('x', {}, 0);
    const foreign = other.flush()!;
    b.release(foreign);
    const after = b.add('id-11', { v: 11 }, 11)!;
    expect(after.body.buffer).not.toBe(foreign.body.buffer);
  });

  it('uses a custom serializer when given', () => {
    const b = new BulkBatcher({ index: 'i', maxBytes: 1000, maxDocs: 10, stringify: () => '{"custom":true}' });
    b.add('x', { ignored: 1 }, 0);
    expect(b.flush()!.body.toString()).toBe('{"create":{"_index":"i","_id":"x"}}\n{"custom":true}\n');
  });

  it('validates its options', () => {
    expect(() => new BulkBatcher({ index: '', maxBytes: 1, maxDocs: 1 })).toThrow();
    expect(() => new BulkBatcher({ index: 'i', maxBytes: 0, maxDocs: 1 })).toThrow();
    expect(() => new BulkBatcher({ index: 'i', maxBytes: 1, maxDocs: 0 })).toThrow();
  });
});

describe('objectIdPrefix', () => {
  it('is short, base64url and deterministic', () => {
    const a = objectIdPrefix('bucket', 'logs/2024/01/01/access.log.gz', '"9b2cf535f27731c974343645a3985328"');
    expect(a).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(objectIdPrefix('bucket', 'logs/2024/01/01/access.log.gz', '"9b2cf535f27731c974343645a3985328"')).toBe(a);
  });

  it('changes with bucket, key or version, and is not fooled by separators', () => {
    const base = objectIdPrefix('b', 'k', 'v1');
    expect(objectIdPrefix('b2', 'k', 'v1')).not.toBe(base);
    expect(objectIdPrefix('b', 'k2', 'v1')).not.toBe(base);
    expect(objectIdPrefix('b', 'k', 'v2')).not.toBe(base);
    expect(objectIdPrefix('a\nb', 'c', 'd')).not.toBe(objectIdPrefix('a', 'b\nc', 'd'));
  });
});
