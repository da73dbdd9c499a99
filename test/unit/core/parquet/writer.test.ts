import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import { compileParser } from '../../../../lambda/core/formats';
import { tableColumns, type Column } from '../../../../lambda/core/parquet/columns';
import { compareUtf8 } from '../../../../lambda/core/parquet/column-chunk';
import { createParquetWriter, type ParquetSink } from '../../../../lambda/core/parquet/writer';
import { corpusPath } from '../../../corpora';

let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'logtong-parquet-'));
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});

afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

/** Sink collecting chunks; checks that every row group arrived before close (streaming). */
function memorySink(): ParquetSink & { chunks: Uint8Array[]; bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    chunks,
    write(c) {
      chunks.push(c);
    },
    bytes: () => Buffer.concat(chunks),
  };
}

async function writeFile(name: string, columns: Column[], docs: Record<string, unknown>[], rowGroupRows?: number) {
  const sink = memorySink();
  const w = createParquetWriter(columns, sink, { rowGroupRows });
  for (const d of docs) {
    const p = w.append(d);
    if (p) await p;
  }
  const res = await w.close();
  const bytes = sink.bytes();
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return { file, res, bytes, sink };
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjectsJS() as Record<string, unknown>[];
}

const col = (name: string, type: Column['type'], source = name): Column => ({
  name,
  source,
  type,
  fieldType: type === 'string' ? 'keyword' : type === 'timestamp' ? 'date' : type === 'int' ? 'integer' : type === 'bigint' ? 'long' : type === 'boolean' ? 'boolean' : 'double',
});

describe('createParquetWriter: nginx corpus', () => {
  const parser = compileParser(LogFormatSchema.parse({ type: 'nginx' }));
  const columns = tableColumns(parser.fields);
  const lines = readFileSync(corpusPath('apache_combined_elastic_examples.log'), 'utf8').split('\n').filter(Boolean);
  const docs = lines.map((l) => parser.parse(l)).flatMap((r) => (r.ok ? [r.doc as Record<string, unknown>] : []));
  let out: Awaited<ReturnType<typeof writeFile>>;

  beforeAll(async () => {
    out = await writeFile('nginx.parquet', columns, docs, 4000);
  });

  it('writes every row, in row groups of rowGroupRows, streamed before close', async () => {
    expect(docs.length).toBeGreaterThan(9000);
    expect(out.res.rows).toBe(docs.length);
    expect(out.res.bytes).toBe(out.bytes.length);
    const [{ n }] = await query(`select count(*)::int as n from read_parquet('${out.file}')`);
    expect(n).toBe(docs.length);
    const meta = parquetMetadata(out.bytes.buffer.slice(out.bytes.byteOffset, out.bytes.byteOffset + out.bytes.length) as ArrayBuffer);
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([4000, 4000, docs.length - 8000]);
    // header + one chunk per row group + footer: the sink saw row groups as they were written
    expect(out.sink.chunks.length).toBeGreaterThanOrEqual(3);
  });

  it('has the table schema: event_time a UTC TIMESTAMP (millis), status INTEGER, body_bytes_sent BIGINT', async () => {
    const rows = await query(`describe select * from read_parquet('${out.file}')`);
    const types = Object.fromEntries(rows.map((r) => [r.column_name, r.column_type]));
    expect(Object.keys(types)).toEqual(columns.map((c) => c.name));
    // isAdjustedToUTC=true: DuckDB reads it as TIMESTAMP WITH TIME ZONE (Athena/Glue: timestamp)
    expect(types.event_time).toBe('TIMESTAMP WITH TIME ZONE');
    expect(types.status).toBe('INTEGER');
    expect(types.body_bytes_sent).toBe('BIGINT');
    expect(types.request_uri).toBe('VARCHAR');
    const schema = await query(`select name, type, converted_type, logical_type from parquet_schema('${out.file}') where name = 'event_time'`);
    expect(schema[0].type).toBe('INT64');
    expect(schema[0].converted_type).toBe('TIMESTAMP_MILLIS');
    expect(String(schema[0].logical_type)).toMatch(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS/);
  });

  it('reads back the values DuckDB and hyparquet agree on', async () => {
    const first = docs[0];
    const [row] = await query(
      `select epoch_ms(event_time)::bigint as t, remote_addr, status, body_bytes_sent, request_uri, http_user_agent from read_parquet('${out.file}') limit 1`,
    );
    expect(Number(row.t)).toBe(Date.parse(first['@timestamp'] as string));
    expect(row.remote_addr).toBe(first.remote_addr);
    expect(row.status).toBe(first.status);
    expect(Number(row.body_bytes_sent)).toBe(first.body_bytes_sent);
    expect(row.request_uri).toBe(first.request_uri);
    expect(row.http_user_agent).toBe(first.http_user_agent);

    const expectedSum = docs.reduce((s, d) => s + ((d.body_bytes_sent as number | null) ?? 0), 0);
    const expectedNulls = docs.filter((d) => d.body_bytes_sent === null).length;
    const [agg] = await query(
      `select sum(body_bytes_sent)::bigint as s, count(*) filter (where body_bytes_sent is null)::int as nulls, count(*) filter (where status = 404)::int as nf from read_parquet('${out.file}')`,
    );
    expect(Number(agg.s)).toBe(expectedSum);
    expect(agg.nulls).toBe(expectedNulls);
    expect(expectedNulls).toBeGreaterThan(0);
    expect(agg.nf).toBe(docs.filter((d) => d.status === 404).length);

    const ab = out.bytes.buffer.slice(out.bytes.byteOffset, out.bytes.byteOffset + out.bytes.length) as ArrayBuffer;
    const objs = await parquetReadObjects({ file: ab, columns: ['event_time', 'status', 'body_bytes_sent', 'request'], rowStart: 4999, rowEnd: 5001 });
    expect(objs).toHaveLength(2);
    expect((objs[0].event_time as Date).toISOString()).toBe(docs[4999]['@timestamp']);
    expect(objs[1].status).toBe(docs[5000].status);
    expect(objs[0].body_bytes_sent).toBe(docs[4999].body_bytes_sent === null ? null : BigInt(docs[4999].body_bytes_sent as number));
    // `request` is not in the combined format's output: missing in every document → null
    expect(objs[0].request).toBeNull();
  });

  it('dictionary-encodes low-cardinality strings, not the all-distinct ones; Snappy; min/max statistics', async () => {
    const meta = await query(
      `select path_in_schema as col, encodings, compression, stats_min_value as stats_min, stats_max_value as stats_max from parquet_metadata('${out.file}') where row_group_id = 0`,
    );
    const by = Object.fromEntries(meta.map((m) => [m.col, m]));
    expect(by.request_method.encodings).toMatch(/RLE_DICTIONARY/);
    expect(by.status.encodings).toMatch(/RLE_DICTIONARY/);
    expect(by.event_time.encodings).not.toMatch(/DICTIONARY/);
    for (const m of meta) expect(m.compression).toBe('SNAPPY');
    expect(by.request_method.stats_min).toBe('GET');
    expect(by.status.stats_min).toBe(String(Math.min(...docs.slice(0, 4000).map((d) => d.status as number))));
    expect(by.status.stats_max).toBe(String(Math.max(...docs.slice(0, 4000).map((d) => d.status as number))));
  });
});

describe('createParquetWriter: types and conversions', () => {
  const columns = [
    col('event_time', 'timestamp', '@timestamp'),
    col('s', 'string'),
    col('i', 'int'),
    col('b', 'bigint'),
    col('f', 'float'),
    col('d', 'double'),
    col('ok', 'boolean'),
    col('obj', 'string'),
    col('nested_x', 'string', 'nested.x'),
  ];
  const docs: Record<string, unknown>[] = [
    { '@timestamp': '2015-05-17T10:05:03.000Z', s: 'a', i: 1, b: 2 ** 40, f: 1.5, d: 2.25, ok: true, obj: { k: [1, 'x'] }, 'nested.x': 'n' },
    { '@timestamp': '2024-02-29T23:59:59.999Z', s: 42, i: '7', b: '9007199254740993', f: '2.5', d: -0.5, ok: 'false', obj: [1, 2] },
    { '@timestamp': 'not a date', s: null, i: 2 ** 31, b: 1.5, f: 'x', d: Number.NaN, ok: 'maybe', obj: 'plain' },
    { '@timestamp': 1431857103000, s: true, i: 1.5, b: null, f: null, d: null, ok: null, obj: null },
    {},
  ];

  it('converts each value to its column type; what cannot convert is null', async () => {
    const { file, res } = await writeFile('types.parquet', columns, docs);
    expect(res.rows).toBe(5);
    const rows = await query(
      `select epoch_ms(event_time)::bigint as t, s, i, b::varchar as b, f, d, ok, obj, nested_x from read_parquet('${file}')`,
    );
    expect(rows.map((r) => (r.t === null ? null : Number(r.t)))).toEqual([
      Date.parse('2015-05-17T10:05:03.000Z'),
      Date.parse('2024-02-29T23:59:59.999Z'),
      null,
      1431857103000,
      null,
    ]);
    expect(rows.map((r) => r.s)).toEqual(['a', '42', null, 'true', null]);
    expect(rows.map((r) => r.i)).toEqual([1, 7, null, null, null]);
    expect(rows.map((r) => r.b)).toEqual([String(2 ** 40), '9007199254740993', null, null, null]);
    expect(rows.map((r) => r.f)).toEqual([1.5, 2.5, null, null, null]);
    expect(rows.map((r) => r.d)).toEqual([2.25, -0.5, null, null, null]);
    expect(rows.map((r) => r.ok)).toEqual([true, false, null, null, null]);
    expect(rows.map((r) => r.obj)).toEqual(['{"k":[1,"x"]}', '[1,2]', 'plain', null, null]);
    expect(rows.map((r) => r.nested_x)).toEqual(['n', null, null, null, null]);
    const types = Object.fromEntries((await query(`describe select * from read_parquet('${file}')`)).map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({ i: 'INTEGER', b: 'BIGINT', f: 'FLOAT', d: 'DOUBLE', ok: 'BOOLEAN', s: 'VARCHAR' });
  });

  it('writes a valid empty file (0 rows) and refuses appends after close', async () => {
    const sink = memorySink();
    const w = createParquetWriter(columns, sink);
    expect(await w.close()).toEqual({ rows: 0, bytes: sink.bytes().length });
    expect(() => w.append({})).toThrow(/after close/);
    const file = path.join(dir, 'empty.parquet');
    writeFileSync(file, sink.bytes());
    const [{ n }] = await query(`select count(*)::int as n from read_parquet('${file}')`);
    expect(n).toBe(0);
  });

  it('append returns a promise exactly when a row group went to the sink, and waits for an async sink', async () => {
    const written: number[] = [];
    let release!: () => void;
    const sink: ParquetSink = {
      write: (c) =>
        new Promise<void>((r) => {
          written.push(c.length);
          release = r;
        }),
    };
    const w = createParquetWriter([col('x', 'int')], sink, { rowGroupRows: 2 });
    expect(w.append({ x: 1 })).toBeUndefined();
    const p = w.append({ x: 2 });
    expect(p).toBeInstanceOf(Promise);
    expect(written).toHaveLength(1);
    let done = false;
    void (p as Promise<void>).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    release();
    await p;
    expect(w.rows).toBe(2);
    const closing = w.close();
    await new Promise((r) => setImmediate(r));
    release();
    expect((await closing).rows).toBe(2);
  });

  it('keeps plain encoding for a high-cardinality column and splits pages; strings round-trip (UTF-8)', async () => {
    const many = Array.from({ length: 30_000 }, (_, i) => ({ s: `${i}-é-😀-${'x'.repeat(i % 50)}`, k: i % 3 === 0 ? 'a' : 'b' }));
    const { file } = await writeFile('plain.parquet', [col('s', 'string'), col('k', 'string')], many);
    const meta = await query(`select path_in_schema as c, encodings from parquet_metadata('${file}')`);
    expect(meta.find((m) => m.c === 's')!.encodings).not.toMatch(/DICTIONARY/);
    expect(meta.find((m) => m.c === 'k')!.encodings).toMatch(/RLE_DICTIONARY/);
    const rows = await query(`select s, k from read_parquet('${file}') where s like '29999-%' or s like '7-%'`);
    expect(rows).toEqual([
      { s: `7-é-😀-${'x'.repeat(7)}`, k: 'b' },
      { s: `29999-é-😀-${'x'.repeat(29999 % 50)}`, k: 'b' },
    ]);
    const [{ n }] = await query(`select count(distinct s)::int as n from read_parquet('${file}')`);
    expect(n).toBe(30_000);
  });
});

describe('createParquetWriter: dictionary and INT64 edge paths', () => {
  it('strings that differ in one character only still round-trip, with and without the dictionary', async () => {
    // 100-char strings that differ only at index 5
    const colliding = (n: number) => Array.from({ length: n }, (_, i) => ({ s: `abcde${String.fromCharCode(0x4e00 + i)}${'y'.repeat(94)}` }));
    for (const [name, n] of [
      ['collide-few.parquet', 40],
      ['collide-many.parquet', 500],
    ] as const) {
      const docs = Array.from({ length: 3000 }, (_, r) => colliding(n)[r % n]);
      const { file } = await writeFile(name, [col('s', 'string')], docs, 1000);
      const rows = await query(`select s, count(*)::int as c from read_parquet('${file}') group by s order by s`);
      expect(rows).toHaveLength(n);
      expect(rows.reduce((a, r) => a + (r.c as number), 0)).toBe(3000);
      expect(rows.map((r) => r.s)).toEqual(colliding(n).map((d) => d.s).sort(compareUtf8));
    }
  });

  it('INT64 beyond 2^53 arriving mid row group, and across row groups, keeps every value exact', async () => {
    const big = (i: number) => (i % 7 === 3 ? `${9007199254740993n + BigInt(i)}` : i * 1000);
    const docs = Array.from({ length: 2500 }, (_, i) => ({ b: big(i) }));
    const { file } = await writeFile('int64.parquet', [col('b', 'bigint')], docs, 1000);
    const rows = await query(`select b::varchar as b from read_parquet('${file}')`);
    expect(rows.map((r) => r.b)).toEqual(docs.map((d) => String(d.b)));
    const [{ mn, mx }] = await query(`select min(b)::varchar as mn, max(b)::varchar as mx from read_parquet('${file}')`);
    const bigs = docs.map((d) => BigInt(d.b));
    expect([mn, mx]).toEqual(['0', String(bigs.reduce((a, b) => (b > a ? b : a)))]);
  });

  it('a file that grows past its first buffers (1024 rows) and spans row groups keeps row order', async () => {
    const docs = Array.from({ length: 5000 }, (_, i) => ({ i, s: `v${i % 10}`, t: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString() }));
    const { file } = await writeFile('grow.parquet', [col('i', 'int'), col('s', 'string'), col('t', 'timestamp')], docs, 2048);
    const rows = await query(`select i, s, epoch_ms(t)::bigint as t from read_parquet('${file}')`);
    expect(rows.map((r) => r.i)).toEqual(docs.map((d) => d.i));
    expect(rows.map((r) => r.s)).toEqual(docs.map((d) => d.s));
    expect(rows.map((r) => Number(r.t))).toEqual(docs.map((d) => Date.parse(d.t)));
  });
});
