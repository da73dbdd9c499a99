/**
 * convertBatch with a `recurring` row stash: an input whose event hours come back after their file was finished gets
 * at most 2 files per partition (`-0`, `-1`), with every row, in input order per hour, exactly as converting it with
 * every file open at once. And the file-backed stash of the CLI (lib/cli/row-stash.ts): exact round trip, bounded
 * memory layers, its directory removed on success and on failure.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import {
  convertAccountedFor,
  convertBatch,
  type ConvertBatchOptions,
  type ConvertCounts,
  type RowStash,
} from '../../../../lambda/core/light/convert';
import { FileRowStash, withRowStash } from '../../../../lib/cli/row-stash';
import { corpusPath } from '../../../corpora';
import { type MemFile, formatOptions, memoryFiles } from './convert-fixtures';


/** Options converting `bodies` (one object each) into in-memory files. */
function setup(format: Record<string, unknown>, bodies: string[], extra: Partial<ConvertBatchOptions> = {}) {
  const logFormat = LogFormatSchema.parse(format);
  const { files, openFile } = memoryFiles();
  const opts: ConvertBatchOptions = {
    batchId: 'b1',
    objects: bodies.map((text, i) => ({ bucket: 'src', key: `k${i}.log`, objectId: `obj${i}`, body: Readable.from([Buffer.from(text)]) })),
    ...formatOptions(logFormat),
    openFile,
    backup: async () => undefined,
    ...extra,
  };
  const bytesOf = (key: string) => {
    const b = Buffer.concat(files.get(key)!.chunks);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
  };
  const rowsOf = (key: string) => parquetReadObjects({ file: bytesOf(key) });
  const numRows = (key: string) => Number(parquetMetadata(bytesOf(key)).num_rows);
  return { opts, files, rowsOf, numRows };
}

/** An in-memory RowStash that can be told to fail. */
class MemoryStash implements RowStash {
  readonly held = new Map<string, unknown[][]>();
  constructor(private readonly fault: { appendAt?: number; dropFrom?: string } = {}) {}
  appended = 0;
  append(hour: string, row: unknown[]): void | Promise<void> {
    if (++this.appended === this.fault.appendAt) return Promise.reject(new Error('stash disk full'));
    if (!this.held.has(hour)) this.held.set(hour, []);
    this.held.get(hour)!.push(row);
  }
  async *rows(hour: string) {
    const rows = this.held.get(hour) ?? [];
    yield hour === this.fault.dropFrom ? rows.slice(1) : rows;
  }
}

/** Rows of every partition, its files read in key order (`-0` before `-1`). */
async function partitions(files: Map<string, MemFile>, rowsOf: (key: string) => Promise<Record<string, unknown>[]>) {
  const out = new Map<string, { keys: string[]; rows: Record<string, unknown>[] }>();
  for (const key of [...files.keys()].sort()) {
    const dir = path.dirname(key);
    if (!out.has(dir)) out.set(dir, { keys: [], rows: [] });
    const p = out.get(dir)!;
    p.keys.push(path.basename(key));
    p.rows.push(...(await rowsOf(key)));
  }
  return out;
}

const json = (t: number) => JSON.stringify({ t, msg: `at ${t}` });
const H = 3600;
const JSON_FORMAT = { type: 'json', timeKey: 't', timeFormat: 'epoch_s' };

describe('convertBatch with a recurring stash', () => {
  it('writes a recurring hour once more from the stash: -0 up to its finish, -1 every later row', async () => {
    // The alternating hours of convert.test.ts, one file open at a time: without a stash 6 files, here 4. 23h's second
    // row finds its file still open (a stashed hour opens none); 22h comes back twice after its file was finished.
    const ts = [0, H, 0, H, 2 * H, 0].map((d) => 1_700_000_000 + d);
    const stash = new MemoryStash();
    const { opts, files, rowsOf } = setup(JSON_FORMAT, [ts.map(json).join('\n')], { maxOpenFiles: 1, recurring: stash });
    const counts = await convertBatch(opts);
    expect(convertAccountedFor(counts)).toBe(true);
    expect(counts.files.map((f) => [f.key, f.rows])).toEqual([
      ['t/event_hour=2023111422/region=r/b1-0.parquet', 1],
      ['t/event_hour=2023111423/region=r/b1-0.parquet', 2],
      ['t/event_hour=2023111500/region=r/b1-0.parquet', 1],
      ['t/event_hour=2023111422/region=r/b1-1.parquet', 2],
    ]);
    expect([...files.values()].every((f) => f.state === 'closed')).toBe(true);
    const msgs = async (key: string) => (await rowsOf(`t/event_hour=2023111422/region=r/${key}`)).map((r) => JSON.parse(r.extra as string).msg);
    expect(await msgs('b1-0.parquet')).toEqual([`at ${ts[0]}`]);
    expect(await msgs('b1-1.parquet')).toEqual([`at ${ts[2]}`, `at ${ts[5]}`]);
    // Only the columns are stashed, in column order.
    expect(stash.held.get('2023111422')![0]).toHaveLength(opts.columns.length);
  });

  it('on the Apache corpus read three times, ≤ 2 files per partition with the rows of a one-file-per-hour run', async () => {
    const text = readFileSync(corpusPath('apache_combined_elastic_examples.log'), 'utf8');
    const lines = text.split('\n').filter((l) => l.length > 0);
    // Sorted, sorted again, then backwards: every hour comes back twice, long after its file was finished.
    const bodies = [text, text, [...lines].reverse().join('\n')];
    const format = { type: 'nginx' };

    const reference = setup(format, bodies, { maxOpenFiles: 1000 });
    const refCounts = await convertBatch(reference.opts);
    const refParts = await partitions(reference.files, reference.rowsOf);
    expect(refParts.size).toBe(84);
    expect([...refParts.values()].every((p) => p.keys.length === 1)).toBe(true);

    // What the issue saw: without a stash, one more file per recurrence.
    const unbounded = setup(format, bodies);
    await convertBatch(unbounded.opts);
    expect(Math.max(...[...(await partitions(unbounded.files, unbounded.rowsOf)).values()].map((p) => p.keys.length))).toBeGreaterThanOrEqual(3);

    const progress: ConvertCounts[] = [];
    let dir = '';
    let bytesWritten = 0;
    const run = setup(format, bodies, { onProgress: (c) => void progress.push({ ...c, files: c.files.map((f) => ({ ...f })) }) });
    const counts = await withRowStash(
      async (stash) => {
        dir = stash.dir;
        const c = await convertBatch({ ...run.opts, recurring: stash });
        bytesWritten = stash.bytesWritten;
        return c;
      },
      // Small budgets: every layer of the stash is used, and hours are written to disk many times.
      { batchRows: 100, hourBytes: 16 * 1024, totalBytes: 64 * 1024 },
    );
    expect(bytesWritten).toBeGreaterThan(1024 * 1024);
    expect(existsSync(dir)).toBe(false);

    expect(convertAccountedFor(counts)).toBe(true);
    expect({ ...counts, files: undefined }).toEqual({ ...refCounts, files: undefined });
    expect(counts.recordsIn).toBe(lines.length * 3);
    expect(counts.written).toBeGreaterThan(counts.recordsIn * 0.99);
    const parts = await partitions(run.files, run.rowsOf);
    expect([...parts.keys()]).toEqual([...refParts.keys()]);
    // The 16 hours still open at the end of the first copy are found open again; the other 68 were finished.
    expect([...parts.values()].filter((p) => p.keys.length === 2)).toHaveLength(68);
    for (const [dir, p] of parts) {
      expect(p.keys).toEqual(p.keys.length === 1 ? ['b1-0.parquet'] : ['b1-0.parquet', 'b1-1.parquet']);
      // Row for row, in input order: the first file's rows, then the stashed ones.
      expect(p.rows).toEqual(refParts.get(dir)!.rows);
    }
    for (const f of counts.files) expect(run.numRows(f.key)).toBe(f.rows);
    expect([...run.files.values()].every((f) => f.state === 'closed')).toBe(true);

    // After each batch of records, then of stashed rows written: counts only grow, what the stash holds (written minus
    // the rows in files) only shrinks once the input is read, down to nothing; the last call sees the result.
    const inFiles = (c: ConvertCounts) => c.files.reduce((n, f) => n + f.rows, 0);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i].recordsIn).toBeGreaterThanOrEqual(progress[i - 1].recordsIn);
      expect(inFiles(progress[i])).toBeGreaterThanOrEqual(inFiles(progress[i - 1]));
    }
    const drain = progress.filter((c) => c.files.length > 84);
    expect(new Set(drain.map((c) => c.files.length)).size).toBe(68);
    expect(drain[0].written - inFiles(drain[0])).toBeGreaterThan(lines.length);
    expect(progress.at(-1)).toEqual(counts);
    expect(counts.written - inFiles(counts)).toBe(0);
  });

  it('keeps JSON rows exact through the stash: typed columns and the extra column', async () => {
    const lines = readFileSync(corpusPath('nginxplus_status_json_elastic_examples.ndjson'), 'utf8').split('\n').filter((l) => l.length > 0);
    // Its two hours, each coming back, with one file open.
    const bodies = [lines.join('\n'), lines.join('\n')];
    const format = { type: 'json', timeKey: 'timestamp', timeFormat: 'epoch_ms', fields: { pid: 'long', 'connections.accepted': 'long', version: 'integer' } };
    const reference = setup(format, bodies, { maxOpenFiles: 10 });
    await convertBatch(reference.opts);
    const run = setup(format, bodies, { maxOpenFiles: 1 });
    const counts = await withRowStash((stash) => convertBatch({ ...run.opts, recurring: stash }), { batchRows: 7, hourBytes: 4096 });
    expect(convertAccountedFor(counts)).toBe(true);
    const refParts = await partitions(reference.files, reference.rowsOf);
    const parts = await partitions(run.files, run.rowsOf);
    // 23h is finished when 00h comes; in the second copy 23h goes to the stash, 00h finds its file still open.
    expect(Object.fromEntries([...parts].map(([dir, p]) => [dir, p.keys]))).toEqual({
      't/event_hour=2015103023/region=r': ['b1-0.parquet', 'b1-1.parquet'],
      't/event_hour=2015103100/region=r': ['b1-0.parquet'],
    });
    for (const [dir, p] of parts) expect(p.rows).toEqual(refParts.get(dir)!.rows);
    const row = [...parts.values()][0].rows.at(-1)!;
    expect(typeof row.pid).toBe('bigint');
    expect(JSON.parse(row.extra as string).nginx_version).toBe('1.9.4');
  });

  it('aborts every open file when the stash fails, and leaves no file open', async () => {
    const ts = [0, H, 0, H, 2 * H].map((d) => 1_700_000_000 + d);
    const { opts, files } = setup(JSON_FORMAT, [ts.map(json).join('\n')], { maxOpenFiles: 1, recurring: new MemoryStash({ appendAt: 1 }) });
    await expect(convertBatch(opts)).rejects.toThrow('stash disk full');
    // 22 finished when 23 opened; 23 open (and dropped) when 22's next row could not be stashed.
    expect(Object.fromEntries([...files].map(([k, f]) => [path.basename(path.dirname(path.dirname(k))), f.state]))).toEqual({
      'event_hour=2023111422': 'closed',
      'event_hour=2023111423': 'aborted',
    });
  });

  it('fails the batch when the stash gives back other rows than it was given, dropping that file', async () => {
    const ts = [0, H, 0, 0].map((d) => 1_700_000_000 + d);
    const { opts, files } = setup(JSON_FORMAT, [ts.map(json).join('\n')], { maxOpenFiles: 1, recurring: new MemoryStash({ dropFrom: '2023111422' }) });
    await expect(convertBatch(opts)).rejects.toThrow('the row stash gave back 1 rows of hour 2023111422, 2 were stashed');
    expect(files.get('t/event_hour=2023111422/region=r/b1-1.parquet')!.state).toBe('aborted');
  });
});

describe('FileRowStash', () => {
  const exitListeners = () => process.listenerCount('exit');

  it('gives back exactly what it was given, per hour in order, from memory and from disk', async () => {
    // Values JSON holds exactly once undefined is noted apart (J frames), and values only v8 holds (V frames).
    const plain: unknown[][] = [
      ['2015-05-17T10:05:03.000Z', 203023, 'x', null, undefined, true, false, 0, -1.5e300],
      ['ünïcødé 😀', 'x'.repeat(100_000), '', '\u0000\ud800 lone surrogate', [1, 'a', [null, { k: 'v' }]], { a: { b: [1, 2] }, 'k.e.y': 'z' }],
      [undefined, undefined],
    ];
    const exotic: unknown[][] = [
      [-0, NaN, Infinity, -Infinity, 2n ** 63n - 1n, -(2n ** 63n)],
      [new Date(Date.UTC(2015, 4, 17, 10, 5, 3, 7)), [1, undefined, 3], { a: undefined }, new Map([['m', 1]]), 'plain too'],
    ];
    const before = exitListeners();
    const stash = await FileRowStash.create({ batchRows: 3, hourBytes: 200, totalBytes: 1000 });
    expect(exitListeners()).toBe(before + 1);
    try {
      const want = new Map<string, unknown[][]>();
      // Interleaved hours, odd ones with exotic rows among plain ones: rows go through every layer, many frames per file.
      for (let i = 0; i < 500; i++) {
        const k = i % 7;
        const hour = `20150517${String(k).padStart(2, '0')}`;
        const row = i % 5 === 0 ? (k % 2 === 1 ? exotic : plain)[i % 2] : [`row ${i}`, i, i % 2 === 0];
        if (!want.has(hour)) want.set(hour, []);
        want.get(hour)!.push(row);
        const p = stash.append(hour, row);
        if (p) await p;
      }
      expect(stash.bytesWritten).toBeGreaterThan(100_000);
      expect(readdirSync(stash.dir)).toHaveLength(7);
      for (const [hour, rows] of want) {
        const got: unknown[][] = [];
        for await (const batch of stash.rows(hour)) got.push(...batch);
        // toStrictEqual: -0 is not 0, undefined is not null, a Map is a Map.
        expect(got).toStrictEqual(rows);
      }
      // Each hour's file goes once its rows are read.
      expect(readdirSync(stash.dir)).toEqual([]);
      await stash.dispose();
      expect(existsSync(stash.dir)).toBe(false);
      expect(exitListeners()).toBe(before);
      expect(() => stash.append('2015051700', [])).toThrow('row stash used after dispose');
    } finally {
      // Again when an expectation failed first: the directory must not be left behind.
      await stash.dispose();
    }
  });

  it('is made under `parent`, and removed when the conversion fails on its disk', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'stash-parent-'));
    const before = exitListeners();
    let dir = '';
    const ts = Array.from({ length: 200 }, (_, i) => 1_700_000_000 + (i % 2) * H);
    const { opts, files } = setup(JSON_FORMAT, [ts.map(json).join('\n')], { maxOpenFiles: 1 });
    try {
      const run = withRowStash(
        async (stash) => {
          dir = stash.dir;
          // The directory vanishes under it (a tmp cleaner, a disk gone): its next write fails.
          const failing: RowStash = {
            append: (hour, row) => {
              rmSync(dir, { recursive: true, force: true });
              return stash.append(hour, row);
            },
            rows: (hour) => stash.rows(hour),
          };
          return convertBatch({ ...opts, recurring: failing });
        },
        { parent, batchRows: 10, hourBytes: 1 },
      );
      await expect(run).rejects.toThrow(/ENOENT/);
      expect(path.dirname(dir)).toBe(parent);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
    expect(dir).not.toBe('');
    expect(existsSync(dir)).toBe(false);
    expect(exitListeners()).toBe(before);
    expect([...files.values()].some((f) => f.state === 'open')).toBe(false);
    expect([...files.values()].some((f) => f.state === 'aborted')).toBe(true);
  });
});
