import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import type { Column } from '../../../../lambda/core/parquet/columns';
import { compactionOutputKey, compactParquet, planCompaction, type ParquetInput } from '../../../../lambda/core/parquet/compact';
import { createParquetWriter } from '../../../../lambda/core/parquet/writer';

const MiB = 1024 * 1024;

let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'logtong-compact-'));
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});

afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

const COLUMNS: Column[] = [
  { name: 'event_time', source: '@timestamp', type: 'timestamp', fieldType: 'date' },
  { name: 'bytes', source: 'bytes', type: 'bigint', fieldType: 'long' },
  { name: 'method', source: 'method', type: 'string', fieldType: 'keyword' },
  { name: 'status', source: 'status', type: 'int', fieldType: 'integer' },
  { name: 'uri', source: 'uri', type: 'string', fieldType: 'keyword' },
];

async function smallFile(seed: number, rows: number, columns = COLUMNS): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const w = createParquetWriter(columns, { write: (c) => void chunks.push(c) }, { rowGroupRows: 50 });
  for (let i = 0; i < rows; i++) {
    const n = seed * 1000 + i;
    const p = w.append({
      '@timestamp': new Date(Date.UTC(2024, 0, 1, 10) + n * 1000).toISOString(),
      bytes: n % 7 === 0 ? null : n * 3,
      method: ['GET', 'POST', 'PUT'][n % 3],
      status: [200, 404, 500][n % 3],
      uri: `/item/${n}`,
    });
    if (p) await p;
  }
  await w.close();
  return Buffer.concat(chunks);
}

describe('compactParquet', () => {
  it('merges many small files into one: same rows, same sums, larger row groups', async () => {
    const inputs: Uint8Array[] = [];
    for (let s = 0; s < 20; s++) inputs.push(await smallFile(s, 37 + s * 11));
    const expectedRows = inputs.reduce((n, b) => n + Number(parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer).num_rows), 0);
    inputs.forEach((b, i) => writeFileSync(path.join(dir, `in-${String(i).padStart(2, '0')}.parquet`), b));

    // inputs fetched lazily, one at a time, as a Lambda would from S3
    let fetched = 0;
    async function* lazy(): AsyncGenerator<ParquetInput> {
      for (const b of inputs) {
        fetched++;
        yield b;
      }
    }
    const chunks: Uint8Array[] = [];
    const res = await compactParquet(lazy(), COLUMNS, { write: (c) => void chunks.push(c) }, { rowGroupRows: 1000 });
    expect(fetched).toBe(20);
    expect(res.files).toBe(20);
    expect(res.rowsIn).toBe(expectedRows);
    expect(res.rowsOut).toBe(expectedRows);
    const out = Buffer.concat(chunks);
    expect(res.bytes).toBe(out.length);
    const file = path.join(dir, 'merged.parquet');
    writeFileSync(file, out);

    const ins = `read_parquet('${dir}/in-*.parquet')`;
    const [a] = await query(`select count(*)::int n, sum(bytes)::bigint s, count(bytes)::int nn, sum(status)::bigint st, min(event_time)::varchar t0, max(event_time)::varchar t1, count(distinct uri)::int u from ${ins}`);
    const [b] = await query(`select count(*)::int n, sum(bytes)::bigint s, count(bytes)::int nn, sum(status)::bigint st, min(event_time)::varchar t0, max(event_time)::varchar t1, count(distinct uri)::int u from read_parquet('${file}')`);
    expect(b).toEqual(a);
    expect(a.n).toBe(expectedRows);
    expect(Number(a.s)).toBeGreaterThan(0);
    const [diff] = await query(`select count(*)::int n from (select * from ${ins} except all select * from read_parquet('${file}'))`);
    expect(diff.n).toBe(0);
    const types = await query(`describe select * from read_parquet('${file}')`);
    expect(types.map((t) => t.column_type)).toEqual(['TIMESTAMP WITH TIME ZONE', 'BIGINT', 'VARCHAR', 'INTEGER', 'VARCHAR']);
    const groups = parquetMetadata(out.buffer.slice(out.byteOffset, out.byteOffset + out.length) as ArrayBuffer).row_groups.map((g) => Number(g.num_rows));
    expect(groups.slice(0, -1).every((n) => n === 1000)).toBe(true);
    expect(groups.reduce((x, y) => x + y, 0)).toBe(expectedRows);
  });

  it('follows the current columns: a column an old file lacks is null, a dropped one disappears', async () => {
    const old = await smallFile(1, 10, COLUMNS.filter((c) => c.name !== 'uri'));
    const current = [...COLUMNS.filter((c) => c.name !== 'method'), { name: 'region_code', source: 'region_code', type: 'string', fieldType: 'keyword' } as Column];
    const chunks: Uint8Array[] = [];
    const res = await compactParquet([old, new Uint8Array(await smallFile(2, 5)).buffer as ArrayBuffer], current, { write: (c) => void chunks.push(c) });
    expect(res).toMatchObject({ files: 2, rowsIn: 15, rowsOut: 15 });
    const file = path.join(dir, 'evolved.parquet');
    writeFileSync(file, Buffer.concat(chunks));
    const rows = await query(`select uri, region_code, status from read_parquet('${file}')`);
    expect(rows.slice(0, 10).every((r) => r.uri === null)).toBe(true);
    expect(rows[10].uri).toBe('/item/2000');
    expect(rows.every((r) => r.region_code === null)).toBe(true);
    expect(rows[0].status).toBe([200, 404, 500][1000 % 3]);
    const names = (await query(`describe select * from read_parquet('${file}')`)).map((r) => r.column_name);
    expect(names).toEqual(['event_time', 'bytes', 'status', 'uri', 'region_code']);
  });
});

describe('planCompaction', () => {
  const p = 'tables/nginx/event_hour=2024010110/region=eu-west-1/';

  it('groups small files in key order into outputs of at least targetBytes; the tail joins the last group', () => {
    const files = Array.from({ length: 10 }, (_, i) => ({ key: `${p}part-${i}.parquet`, size: 30 * MiB }));
    const groups = planCompaction([...files].reverse(), 100 * MiB);
    // 30+30+30+30 = 120 ≥ 100 → group; next 4 → group; 2 left (60 < 100) join the second
    expect(groups.map((g) => g.inputs.map((f) => f.key))).toEqual([files.slice(0, 4).map((f) => f.key), files.slice(4).map((f) => f.key)]);
    expect(groups.map((g) => g.bytes)).toEqual([120 * MiB, 180 * MiB]);
    for (const g of groups) {
      expect(g.output.startsWith(`${p}compacted-`)).toBe(true);
      expect(g.output).toMatch(/compacted-[0-9a-f]{16}\.parquet$/);
    }
    expect(groups[0].output).not.toBe(groups[1].output);
  });

  it('merges the whole partition when it is smaller than targetBytes; leaves big files and lone files alone', () => {
    const small = [
      { key: `${p}b.parquet`, size: 5 * MiB },
      { key: `${p}a.parquet`, size: 1 * MiB },
      { key: `${p}big.parquet`, size: 200 * MiB },
      { key: `${p}c.parquet`, size: 2 * MiB },
    ];
    const [g, ...rest] = planCompaction(small);
    expect(rest).toEqual([]);
    expect(g.inputs.map((f) => f.key)).toEqual([`${p}a.parquet`, `${p}b.parquet`, `${p}c.parquet`]);
    expect(g.bytes).toBe(8 * MiB);
    expect(planCompaction([{ key: `${p}a.parquet`, size: 1 }])).toEqual([]);
    expect(planCompaction([{ key: `${p}big.parquet`, size: 200 * MiB }, { key: `${p}a.parquet`, size: 1 }])).toEqual([]);
    expect(planCompaction([])).toEqual([]);
  });

  it('names outputs deterministically from the input keys (order-independent, different inputs → different names)', () => {
    const files = [
      { key: `${p}x.parquet`, size: 1 },
      { key: `${p}y.parquet`, size: 2 },
    ];
    const a = planCompaction(files)[0].output;
    expect(planCompaction([...files].reverse())[0].output).toBe(a);
    expect(planCompaction([...files, { key: `${p}z.parquet`, size: 3 }])[0].output).not.toBe(a);
    expect(compactionOutputKey([`${p}x.parquet`, `${p}y.parquet`])).toBe(a);
    expect(compactionOutputKey(['a/b/1.parquet', 'a/c/2.parquet'])).toMatch(/^a\/compacted-[0-9a-f]{16}\.parquet$/);
  });
});
