import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { runConvert } from '../../../lib/cli/convert-command';
import { UsageError } from '../../../lib/cli/errors';
import { corpusPath } from '../../corpora';
import { captured } from './captured';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APACHE = corpusPath('apache_combined_elastic_examples.log');
const COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"';
const lines = readFileSync(APACHE, 'utf8').split('\n').filter(Boolean);

async function run(argv: string[]) {
  const out = captured();
  const err = captured();
  const counts = await runConvert(argv, { stdout: out.stream, stderr: err.stream });
  const text = (c: ReturnType<typeof captured>) => c.text().split('\n').filter(Boolean);
  return { counts, out: text(out), err: text(err) };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('logtong convert', () => {
  it('writes Hive-partitioned Parquet, failed.ndjson and one row count per partition (flags, plain + gzipped inputs)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logtong-convert-'));
    const half = Math.floor(lines.length / 2);
    const a = path.join(dir, 'a.log');
    const b = path.join(dir, 'b.log.gz');
    writeFileSync(a, `${lines.slice(0, half).join('\n')}\n`);
    writeFileSync(b, gzipSync(`${lines.slice(half).join('\n')}\n`));
    const out = path.join(dir, 'out');
    const r = await run(['--type', 'apache', '--format', COMBINED, '--table', 'web', '--region', 'eu-west-1', '--input', a, '--input', b, '--output', out]);

    expect(r.counts).toMatchObject({ recordsIn: 10_000, written: 9999, failed: 1, filtered: 0 });
    const failed = readFileSync(path.join(out, 'failed.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // Line 8899 of the corpus (a cut-off user agent) is line 8899 - half of the second, gzipped file.
    expect(failed).toEqual([expect.objectContaining({ file: b, line: 8899 - half, raw: lines[8898], reason: expect.stringMatching(/\S/) })]);

    const files = walk(path.join(out, 'web')).map((f) => path.relative(out, f));
    expect(files.every((f) => /^web\/event_hour=\d{10}\/region=eu-west-1\/[0-9a-f]{24}-\d+\.parquet$/.test(f))).toBe(true);
    // One summary line per partition, rows adding up to what was written; DuckDB reads back the same counts.
    const perPartition = new Map(r.out.map((l) => [l.split('\t')[0], Number(/rows=(\d+)/.exec(l)![1])]));
    expect([...perPartition.values()].reduce((x, y) => x + y, 0)).toBe(9999);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (await db.runAndReadAll(`select event_hour::VARCHAR as h, count(*) as n from read_parquet('${out}/web/**/*.parquet', hive_partitioning = true) group by 1`)).getRowObjectsJS();
    expect(new Map(rows.map((x) => [`web/event_hour=${x.h}/region=eu-west-1`, Number(x.n)]))).toEqual(perPartition);
    db.closeSync();
    expect(r.err.at(-1)).toBe(`written=9999 failed=1 filtered=0 files=${files.length}`);
  });

  it('takes table, region and format from a pipeline of a config file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logtong-convert-'));
    const config = path.join(dir, 'p.yaml');
    writeFileSync(
      config,
      `pipelines:\n  - name: app-logs\n    source: { type: s3, bucketName: app-bucket }\n    logFormat: { type: json, timeKey: t, timeFormat: epoch_s }\n    engine: { type: light, region: ap-east-1 }\n`,
    );
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(input, '{"t": 1700000000, "msg": "a"}\n{"t": 1700003600, "msg": "b"}\nnot json\n');
    const r = await run(['--config', config, '--pipeline', 'app-logs', '--input', input, '--output', path.join(dir, 'out')]);
    expect(r.counts).toMatchObject({ written: 2, failed: 1 });
    expect(r.out).toEqual(['app_logs/event_hour=2023111422/region=ap-east-1\trows=1', 'app_logs/event_hour=2023111423/region=ap-east-1\trows=1']);
  });

  it("checks records against the pipeline's projected hours (default ones without a pipeline), as the Convert Lambda does", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logtong-convert-'));
    const config = path.join(dir, 'p.yaml');
    writeFileSync(
      config,
      `pipelines:\n  - name: app-logs\n    source: { type: s3, bucketName: app-bucket }\n    logFormat: { type: json, timeKey: t, timeFormat: epoch_s }\n    engine: { type: light, projection: { from: '2023-11-14' } }\n`,
    );
    const input = path.join(dir, 'in.jsonl');
    // 2023-11-13T23:59:59Z, 2023-11-14T22:13:20Z, 1970-01-01T00:00:00Z
    writeFileSync(input, '{"t": 1699919999}\n{"t": 1700000000}\n{"t": 0}\n');
    const out = path.join(dir, 'out');
    const r = await run(['--config', config, '--pipeline', 'app-logs', '--input', input, '--output', out]);
    expect(r.counts).toMatchObject({ recordsIn: 3, written: 1, failed: 2, outOfProjection: 2 });
    const failed = readFileSync(path.join(out, 'failed.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(failed.map((f) => [f.line, f.reason.split(':')[0]])).toEqual([
      [1, 'event hour 2023111323 is before the first projected hour 2023111400'],
      [3, 'event hour 1970010100 is before the first projected hour 2023111400'],
    ]);
    const plain = await run(['--type', 'json', '--time-key', 't', '--time-format', 'epoch_s', '--input', input, '--output', path.join(dir, 'plain')]);
    expect(plain.counts).toMatchObject({ written: 2, failed: 1, outOfProjection: 1 });
  });

  it('keeps an over-long line whole in failed-lines/, and converts the lines of a broken gzip file before its break', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logtong-convert-'));
    const long = Buffer.alloc(2 * 1024 * 1024 + 3, 'y');
    const a = path.join(dir, 'a.log');
    writeFileSync(a, Buffer.concat([Buffer.from(`${lines[0]}\n`), long, Buffer.from(`\n${lines[1]}\n`)]));
    // deflate data up to a flush point, then a block of the reserved type: decoding stops after 100 lines
    const plain = Buffer.from(`${lines.slice(2, 102).join('\n')}\n`);
    const b = path.join(dir, 'b.log.gz');
    writeFileSync(b, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), deflateRawSync(plain, { finishFlush: constants.Z_SYNC_FLUSH }), Buffer.from([0xff])]));
    const out = path.join(dir, 'out');
    const r = await run(['--type', 'apache', '--format', COMBINED, '--input', a, '--input', b, '--output', out]);
    expect(r.counts).toMatchObject({ recordsIn: 104, written: 102, failed: 2, filtered: 0 });
    const failed = readFileSync(path.join(out, 'failed.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const rawFile = path.join(out, 'failed-lines', '0-a.log', 'line-2');
    expect(failed.map((f) => ({ ...f, raw: f.raw.length }))).toEqual([
      { file: a, line: 2, reason: 'line exceeds 1048576 bytes', raw: 64 * 1024, rawFile, rawBytes: long.length },
      { file: b, line: 101, reason: `gzip data unreadable after line 100 (decompressed byte ${plain.length}): invalid block type (Z_DATA_ERROR)`, raw: 0 },
    ]);
    expect(readFileSync(rawFile).equals(long)).toBe(true);
  });

  it('names the missing argument', async () => {
    await expect(run(['--type', 'nginx', '--output', '/tmp/x'])).rejects.toThrow(new UsageError('--input FILE is required (repeat it for several files)'));
    await expect(run(['--type', 'nginx', '--input', APACHE])).rejects.toThrow('--output DIR is required');
  });

  it('is wired into bin/logtong', () => {
    const r = spawnSync('node', ['bin/logtong.js', 'convert', '--type', 'nginx'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--input FILE is required');
    expect(r.stderr).toContain('logtong convert --config pipelines.yaml');
  });
});
