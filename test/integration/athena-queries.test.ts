/**
 * The Light Engine's Athena saved queries (lambda/core/analytics/athena-sql.ts, what GlueTable saves as
 * AWS::Athena::NamedQuery) run on DuckDB over the Parquet that the project's own converter (`logtong convert`, the
 * Convert Lambda's core) writes from a real corpus, with the table laid out as the Glue table declares it (Hive
 * partitions event_hour and region, both strings). Every answer is checked against counts taken straight from the raw
 * lines (test/unit/core/analytics/access-log-truth.ts).
 *
 * Athena-only SQL is rewritten for DuckDB by an explicit substitution list (ATHENA_TO_DUCKDB), and nothing else:
 * - `date_format(ts, '%Y%m%d%H')` → `strftime(ts, '%Y%m%d%H')`: same arguments and MySQL-style format codes;
 * - `current_timestamp` → a fixed instant inside the corpus (NOW), so the 24-hour window selects part of it (the
 *   corpus is from May 2015; the real clock would select nothing);
 * - `approx_percentile(x, p)` → `approx_quantile(x, p)`: DuckDB's name for the same approximate quantile.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runConvert } from '../../lib/cli/convert-command';
import { loadConfig } from '../../lib/config/load';
import { lightDatabaseName, lightTableName, type LogFormat } from '../../lib/config/schema';
import { commonQueries, QUERY_WINDOW_HOURS, type CommonQuery } from '../../lambda/core/analytics/athena-sql';
import { LogFormatSchema } from '../../lambda/core/config/log-format';
import { compileParser } from '../../lambda/core/formats';
import { lightTable } from '../../lambda/core/light/table';
import { corpusLines } from '../corpora';
import { countBy, isClientError, isServerError, rawRequests, top, withRequestTimes, type RawRequest } from '../unit/core/analytics/access-log-truth';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const CORPUS = corpusLines('apache_combined_elastic_examples.log');
/** The query's "now": the window is the 24 hours before it, i.e. event_hour >= 2015051912. */
const NOW = '2015-05-20 12:00:00';
const WINDOW_START = '2015051912';

const ATHENA_TO_DUCKDB: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bdate_format\(/g, 'strftime('],
  [/\bcurrent_timestamp\b/g, `TIMESTAMP '${NOW}'`],
  [/\bapprox_percentile\(/g, 'approx_quantile('],
];

function forDuckDb(sql: string): string {
  let out = sql;
  for (const [athena, duck] of ATHENA_TO_DUCKDB) out = out.replace(athena, duck);
  return out;
}

interface Table {
  readonly logType: LogFormat['type'];
  readonly queries: CommonQuery[];
  readonly raw: RawRequest[];
}

let dir: string;
let db: DuckDBConnection;
const tables: Record<string, Table> = {};

/** Writes `lines` to Parquet with `logtong convert` and exposes it to DuckDB as "<database>"."<table>". */
async function convertAndMount(name: string, lines: string[], args: string[], format: LogFormat, database: string, table: string): Promise<void> {
  const input = path.join(dir, `${name}.log`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const out = path.join(dir, name);
  const counts = await runConvert([...args, '--region', 'eu-west-1', '--input', input, '--output', out], { stdout: new PassThrough(), stderr: new PassThrough() });
  // The corpus' one line whose user agent was cut off fails; every other line is a row.
  expect({ written: counts.written, failed: counts.failed }).toEqual({ written: lines.length - 1, failed: 1 });
  await db.run(`CREATE SCHEMA IF NOT EXISTS "${database}"`);
  // Partition values as the Glue table declares them: strings (DuckDB would otherwise read event_hour as a number).
  await db.run(
    `CREATE VIEW "${database}"."${table}" AS SELECT * FROM read_parquet('${out}/${table}/**/*.parquet', hive_partitioning = true, hive_types = {'event_hour': VARCHAR, 'region': VARCHAR})`,
  );
  const columns = lightTable(format, compileParser(format).fields).columns;
  tables[name] = { logType: format.type, queries: commonQueries(format.type, columns, database, table), raw: rawRequests(lines) };
}

async function run(name: string, id: string): Promise<Array<Record<string, unknown>>> {
  const q = tables[name].queries.find((x) => x.id === id);
  if (!q) throw new Error(`${name} has no query ${id}: ${tables[name].queries.map((x) => x.id).join(', ')}`);
  const rows = (await db.runAndReadAll(forDuckDb(q.sql))).getRowObjectsJS();
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

const recent = (raw: RawRequest[]) => raw.filter((r) => r.hour >= WINDOW_START);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'logtong-athena-'));
  db = await (await DuckDBInstance.create(':memory:')).connect();
  const examples = loadConfig(path.join(ROOT, 'pipelines.yaml')).pipelines;
  const example = (name: string) => examples.find((p) => p.name === name)!;
  // nginx combined (no request time) and Apache combined: the real corpus as it is.
  for (const name of ['web-archive-parquet', 'legacy-parquet']) {
    const p = example(name);
    await convertAndMount(name, CORPUS, ['--config', path.join(ROOT, 'pipelines.yaml'), '--pipeline', name], p.logFormat, lightDatabaseName(p), lightTableName(p));
  }
  // nginx with $request_time (the web-parquet example) and Apache with %D: the corpus with a derived duration.
  const webParquet = example('web-parquet');
  await convertAndMount('web-parquet', withRequestTimes(CORPUS, 's'), ['--config', path.join(ROOT, 'pipelines.yaml'), '--pipeline', 'web-parquet'], webParquet.logFormat, lightDatabaseName(webParquet), lightTableName(webParquet));
  const apacheTimed = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" %D';
  await convertAndMount(
    'apache-timed',
    withRequestTimes(CORPUS, 'us'),
    ['--type', 'apache', '--format', apacheTimed, '--table', 'apache_timed'],
    LogFormatSchema.parse({ type: 'apache', format: apacheTimed }),
    'logtong_apache_timed',
    'apache_timed',
  );
});

afterAll(() => {
  db?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('the substitutions are the only Athena-only SQL: each query has the window, and nothing Athena-only is left', () => {
  for (const t of Object.values(tables)) {
    for (const q of t.queries) {
      expect(q.sql.match(/date_format\(current_timestamp - INTERVAL '24' HOUR, '%Y%m%d%H'\)/g)).toHaveLength(1);
      expect(forDuckDb(q.sql)).not.toMatch(/date_format|current_timestamp|approx_percentile/);
    }
  }
  expect(QUERY_WINDOW_HOURS).toBe(24);
});

it('each table has the queries of its questions: request time only where the format logs one', () => {
  const ids = (name: string) => tables[name].queries.map((q) => q.id);
  const common = ['RequestsPerHour', 'StatusCodesPerHour', 'FailedSharePerHour', 'TopRequestUris', 'TopClients', 'BytesPerHour'];
  expect(ids('web-archive-parquet')).toEqual(common);
  expect(ids('legacy-parquet')).toEqual(common);
  expect(ids('web-parquet')).toEqual([...common, 'RequestTimePerHour', 'SlowestRequests']);
  expect(ids('apache-timed')).toEqual([...common, 'RequestTimePerHour', 'SlowestRequests']);
});

describe.each(['web-archive-parquet', 'legacy-parquet', 'web-parquet', 'apache-timed'])('%s', (name) => {
  const raw = () => recent(tables[name].raw);

  it('RequestsPerHour: the requests of each hour of the window, and no hour before it', async () => {
    const rows = await run(name, 'RequestsPerHour');
    expect(rows.length).toBeGreaterThan(12);
    expect(new Map(rows.map((r) => [r.event_hour as string, r.requests as number]))).toEqual(countBy(raw(), (r) => r.hour));
    expect(rows.map((r) => r.event_hour)).toEqual([...rows.map((r) => r.event_hour)].sort());
    // The window cut the corpus: its first hours are not there.
    expect(tables[name].raw.some((r) => r.hour < WINDOW_START)).toBe(true);
  });

  it('StatusCodesPerHour: requests per hour and status', async () => {
    const rows = await run(name, 'StatusCodesPerHour');
    expect(new Map(rows.map((r) => [`${r.event_hour} ${r.status}`, r.requests]))).toEqual(countBy(raw(), (r) => `${r.hour} ${r.status}`));
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set([200, 206, 301, 304, 403, 404, 416, 500].filter((s) => raw().some((r) => r.status === s))));
  });

  it('FailedSharePerHour: 4xx, 5xx and their share of each hour', async () => {
    const rows = await run(name, 'FailedSharePerHour');
    const byHour = new Map<string, RawRequest[]>();
    for (const r of raw()) byHour.set(r.hour, [...(byHour.get(r.hour) ?? []), r]);
    expect(rows).toHaveLength(byHour.size);
    for (const row of rows) {
      const hour = byHour.get(row.event_hour as string)!;
      const client = hour.filter(isClientError).length;
      const server = hour.filter(isServerError).length;
      expect(row).toEqual({ event_hour: row.event_hour, requests: hour.length, client_errors: client, server_errors: server, failed_percent: Math.round((10_000 * (client + server)) / hour.length) / 100 });
    }
    const failed = rows.reduce((n, r) => n + (r.client_errors as number) + (r.server_errors as number), 0);
    expect(failed).toBe(raw().filter((r) => isClientError(r) || isServerError(r)).length);
    expect(failed).toBeGreaterThan(0);
  });

  it('TopRequestUris and TopClients: the 100 most frequent, with their counts', async () => {
    for (const [id, column, key] of [
      ['TopRequestUris', 'request_uri', (r: RawRequest) => r.uri],
      ['TopClients', 'remote_addr', (r: RawRequest) => r.client],
    ] as const) {
      const rows = await run(name, id);
      const counts = countBy(raw(), key);
      expect(rows).toHaveLength(100);
      // Ties at the cut may come in either order: the counts match in sequence, and each row's count is its key's.
      expect(rows.map((r) => r.requests)).toEqual(top(counts, 100).map(([, n]) => n));
      for (const r of rows) expect([r[column], r.requests]).toEqual([r[column], counts.get(String(r[column]))]);
    }
  });

  it('BytesPerHour: the bytes sent each hour', async () => {
    const rows = await run(name, 'BytesPerHour');
    const sums = new Map<string, number>();
    for (const r of raw()) sums.set(r.hour, (sums.get(r.hour) ?? 0) + (r.bytes ?? 0));
    expect(new Map(rows.map((r) => [r.event_hour as string, r.bytes as number]))).toEqual(sums);
  });
});

/** The exact q-quantile (0..1) of sorted values, by the nearest rank. */
const rank = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

describe.each([
  ['web-parquet', 'request_time'],
  ['apache-timed', 'request_time_us'],
])('%s (derived durations)', (name, column) => {
  const raw = () => recent(tables[name].raw);

  it('RequestTimePerHour: the average, and percentiles in order near the exact ones, per hour', async () => {
    const rows = await run(name, 'RequestTimePerHour');
    expect(rows.map((r) => r.event_hour)).toEqual([...new Set(raw().map((r) => r.hour))].sort());
    for (const row of rows) {
      // The column holds the unit the format logs: seconds (nginx) or microseconds (Apache %D), as the raw line.
      const hour = raw().filter((r) => r.hour === row.event_hour).map((r) => r.duration!).sort((a, b) => a - b);
      const avg = hour.reduce((a, b) => a + b, 0) / hour.length;
      // nginx's request_time is a FLOAT column (single precision): the average agrees to ~6 digits.
      expect(Math.abs((row.avg as number) - avg)).toBeLessThanOrEqual(Math.abs(avg) * 1e-5 + 1e-6);
      const [p50, p95, p99] = [row.p50, row.p95, row.p99] as number[];
      expect(p50).toBeLessThanOrEqual(p95 + 1e-6);
      expect(p95).toBeLessThanOrEqual(p99 + 1e-6);
      // Approximate, but close: between the exact quantiles a tenth below and above (clamped to the hour's range).
      for (const [q, v] of [[0.5, p50], [0.95, p95], [0.99, p99]] as const) {
        expect(v).toBeGreaterThanOrEqual(rank(hour, Math.max(0, q - 0.1)) - 1e-3);
        expect(v).toBeLessThanOrEqual(rank(hour, Math.min(1, q + 0.1)) + 1e-3);
      }
    }
  });

  it('SlowestRequests: the 100 longest durations of the window, longest first, with their context', async () => {
    const slowest = await run(name, 'SlowestRequests');
    expect(slowest).toHaveLength(100);
    const durations = raw().map((r) => r.duration!).sort((a, b) => b - a);
    expect(slowest.map((r) => Number((r[column] as number).toFixed(3)))).toEqual(durations.slice(0, 100));
    expect(Object.keys(slowest[0])).toEqual(['event_time', 'request_method', 'request_uri', 'status', 'region', column]);
    expect(slowest.every((r) => r.region === 'eu-west-1')).toBe(true);
  });
});
