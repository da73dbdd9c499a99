import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { constants, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { runParse, UsageError } from '../../../lib/cli/parse-command';
import { corpusPath } from '../../corpora';
import { captured } from './captured';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APACHE = corpusPath('apache_combined_elastic_examples.log');
const COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"';

async function run(argv: string[], stdin: Buffer = Buffer.alloc(0)) {
  const out = captured();
  const err = captured();
  const { strict: _strict, ...summary } = await runParse(argv, { stdin: Readable.from([stdin]), stdout: out.stream, stderr: err.stream });
  const lines = (c: ReturnType<typeof captured>) => c.text().split('\n').filter(Boolean);
  return { summary, docs: lines(out).map((l) => JSON.parse(l)), err: lines(err) };
}

describe('logtong parse', () => {
  it('prints what would be indexed, reports the bad line and a summary (flags, gzipped stdin)', async () => {
    const r = await run(['--type', 'apache', '--format', COMBINED], gzipSync(readFileSync(APACHE)));
    expect(r.summary).toEqual({ parsed: 9999, failed: 1, filtered: 0 });
    expect(r.docs).toHaveLength(9999);
    expect(r.docs[0]).toMatchObject({ '@timestamp': '2015-05-17T10:05:03.000Z', remote_addr: '83.149.9.216', status: 200, response_size_bytes: 203023 });
    const failed = JSON.parse(r.err[0]);
    expect(failed).toMatchObject({ line: 8899, reason: expect.stringMatching(/does not match the apache format/) });
    expect(failed.raw).toBe(readFileSync(APACHE, 'utf8').split('\n')[8898]);
    expect(r.err[r.err.length - 1]).toBe('parsed=9999 failed=1');
  });

  it('takes the format, time zone and filters of a pipeline in a config file; failed records to --failed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logtong-parse-'));
    const config = path.join(dir, 'p.yaml');
    writeFileSync(
      config,
      `pipelines:
  - name: web
    source: { type: s3, bucketName: logs-bucket }
    logFormat:
      type: nginx
      filters: { exclude: [{ field: status, regex: "^200$" }] }
    engine: { type: opensearch, indexPrefix: web, domain: { type: self-managed, url: "http://localhost:9200" } }
`,
    );
    const failedFile = path.join(dir, 'failed.ndjson');
    const r = await run(['--config', config, '--pipeline', 'web', '--input', APACHE, '--failed', failedFile]);
    const raw = readFileSync(APACHE, 'utf8').split('\n').filter(Boolean);
    const ok200 = raw.filter((l) => /" 200 /.test(l)).length;
    // Line 8899 says 200 too but does not parse: it is failed, not filtered.
    expect(r.summary.filtered).toBe(ok200 - 1);
    expect(r.summary.parsed + r.summary.failed + r.summary.filtered).toBe(raw.length);
    expect(r.docs.every((d) => d.status !== 200)).toBe(true);
    expect(r.err).toEqual([`parsed=${r.summary.parsed} failed=1 filtered=${r.summary.filtered}`]);
    expect(readFileSync(failedFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l).line)).toEqual([8899]);
  });

  it('turns mistakes into usage errors that name the flag', async () => {
    await expect(run(['--type', 'nginx', '--time-zone', 'Mars/Olympus'])).rejects.toThrow(new UsageError('--time-zone: must be an IANA time zone such as UTC or Asia/Shanghai'));
    await expect(run(['--config', 'x.yaml'])).rejects.toThrow('--config and --pipeline go together');
    await expect(run(['--type', 'regex'])).rejects.toThrow('--regex: is required for type regex');
    await expect(run(['--config', path.join(ROOT, 'pipelines.yaml'), '--pipeline', 'nope'])).rejects.toThrow('has no pipeline named nope');
    await expect(run(['--type', 'json', '--input', path.join(tmpdir(), 'logtong-no-such-file.log')])).rejects.toThrow(
      new UsageError(`--input ${path.join(tmpdir(), 'logtong-no-such-file.log')}: no such file or directory`),
    );
  });

  it('reports gzip input that breaks off or is corrupt as a failed record after the lines it had, then the summary', async () => {
    const plain = Buffer.from('{"a":1}\n{"a":2}\n{"a":3}\n'.repeat(2000));
    const gz = gzipSync(plain);
    const cut = await run(['--type', 'json'], gz.subarray(0, gz.length - 12));
    // every line zlib can decode before the cut (stdin: read once)
    const decodable = gunzipSync(gz.subarray(0, gz.length - 12), { finishFlush: constants.Z_SYNC_FLUSH });
    const complete = decodable.subarray(0, decodable.lastIndexOf(10) + 1).toString().split('\n').filter(Boolean).length;
    expect(complete).toBeGreaterThan(5800);
    expect(cut.summary).toEqual({ parsed: complete, failed: 1, filtered: 0 });
    const failed = JSON.parse(cut.err[0]);
    expect(failed).toEqual({ line: complete + 1, raw: '', reason: `gzip data unreadable after line ${complete} (decompressed byte ${decodable.length}): unexpected end of file (Z_BUF_ERROR)` });
    expect(cut.err.at(-1)).toBe(`parsed=${complete} failed=1`);
    const corrupt = await run(['--type', 'json'], Buffer.from([0x1f, 0x8b, 0x78, 0x78, 0x78, 0x78]));
    expect(corrupt.summary).toEqual({ parsed: 0, failed: 1, filtered: 0 });
    expect(JSON.parse(corrupt.err[0]).reason).toMatch(/^gzip data unreadable after line 0 \(decompressed byte 0\): .* \(Z_DATA_ERROR\)$/);
  });

  it('an --input file whose gzip data is corrupt mid-way: read again to give every line before the corruption', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logtong-parse-'));
    const plain = Buffer.from(Array.from({ length: 300 }, (_, i) => `{"a":${i}}\n`).join(''));
    // deflate data up to a flush point, then a block of the reserved type: decoding stops right after `plain`
    const gz = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), deflateRawSync(plain, { finishFlush: constants.Z_SYNC_FLUSH }), Buffer.from([0xff, 0xff])]);
    const input = path.join(dir, 'broken.log.gz');
    writeFileSync(input, gz);
    const r = await run(['--type', 'json', '--input', input]);
    expect(r.summary).toEqual({ parsed: 300, failed: 1, filtered: 0 });
    expect(r.docs.map((d) => d.a)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(JSON.parse(r.err[0])).toEqual({ line: 301, raw: '', reason: `gzip data unreadable after line 300 (decompressed byte ${plain.length}): invalid block type (Z_DATA_ERROR)` });
  });

  it('keeps a line longer than maxLineBytes whole: streamed to a file of its own beside --failed, or in its record on stderr', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logtong-parse-'));
    const long = Buffer.alloc(3 * 1024 * 1024 + 5, 'x');
    long.write('\u00e9\u4e2d', 1000); // multi-byte characters inside
    const input = path.join(dir, 'in.log');
    writeFileSync(input, Buffer.concat([Buffer.from('{"a":1}\n'), long, Buffer.from('\r\n{"a":2}\n')]));
    const failedFile = path.join(dir, 'failed.ndjson');
    const r = await run(['--type', 'json', '--input', input, '--failed', failedFile]);
    expect(r.summary).toEqual({ parsed: 2, failed: 1, filtered: 0 });
    const [record] = readFileSync(failedFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const rawFile = path.join(`${failedFile}.lines`, 'line-2');
    expect({ ...record, raw: record.raw.length }).toEqual({ line: 2, reason: 'line exceeds 1048576 bytes', raw: long.subarray(0, 64 * 1024).toString('utf8').length, rawFile, rawBytes: long.length });
    expect(readFileSync(rawFile).equals(long)).toBe(true);
    // without --failed: the record on stderr holds the line
    const onStderr = await run(['--type', 'json', '--input', input]);
    expect(Buffer.from(JSON.parse(onStderr.err[0]).raw, 'utf8').equals(long)).toBe(true);
  });

  it('keeps the bytes of a line that is not UTF-8 (base64) and names the first bad byte', async () => {
    const r = await run(['--type', 'json'], Buffer.from([0x7b, 0x7d, 0x0a, 0x22, 0xc3, 0x28, 0x22, 0x0a]));
    expect(r.summary).toEqual({ parsed: 1, failed: 1, filtered: 0 });
    expect(JSON.parse(r.err[0])).toEqual({ line: 2, raw: '"\ufffd("', reason: 'invalid UTF-8 at byte 2 (0xc3)', rawBase64: Buffer.from([0x22, 0xc3, 0x28, 0x22]).toString('base64') });
  });

  it('assembles multi-line events (stack traces) before parsing', async () => {
    const log = [
      '2026-11-26 10:00:00.123 ERROR [main] com.example.Orders : payment failed',
      'java.lang.IllegalStateException: card declined',
      '\tat com.example.Orders.pay(Orders.java:42)',
      'Caused by: java.io.IOException: timeout',
      '\t... 12 more',
      '2026-11-26 10:00:01.000 INFO [main] com.example.Orders : retrying',
    ].join('\n');
    const r = await run(['--type', 'multi-line-text', '--format', '%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger : %msg%n', '--time-zone', 'Asia/Shanghai'], Buffer.from(log));
    expect(r.summary).toEqual({ parsed: 2, failed: 0, filtered: 0 });
    expect(r.docs[0]).toMatchObject({ '@timestamp': '2026-11-26T02:00:00.123Z', level: 'ERROR', thread: 'main', logger: 'com.example.Orders' });
    expect(r.docs[0].message.split('\n')).toEqual(['payment failed', ...log.split('\n').slice(1, 5)]);
    expect(r.docs[1]).toMatchObject({ level: 'INFO', message: 'retrying' });
  });

  it('exits 0 when it ran and 2 on bad arguments, from the command line', () => {
    const ok = spawnSync('npx', ['logtong', 'parse', '--config', 'pipelines.yaml', '--pipeline', 'apache-combined', '--input', APACHE], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(9999);
    expect(ok.stderr.trim().split('\n').pop()).toBe('parsed=9999 failed=1');
    const bad = spawnSync('npx', ['logtong', 'parse', '--type', 'apache', '--bogus'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("logtong: Unknown option '--bogus'");
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });
});
