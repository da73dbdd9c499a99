import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../../lib/cli/main';
import { reasonShape } from '../../../lib/cli/parse-summary';
import { progressLine, startProgress } from '../../../lib/cli/progress';
import { corpusPath } from '../../corpora';
import { captured } from './captured';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APACHE = corpusPath('apache_combined_elastic_examples.log');
const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

/** `logtong argv…` in-process: its exit status, stdout and stderr. */
async function cli(argv: string[], stdin: Buffer | string = '') {
  const out = captured();
  const err = captured();
  const code = await main(argv, { stdin: Readable.from([Buffer.from(stdin)]), stdout: out.stream, stderr: err.stream });
  return { code, out: out.text(), err: err.text() };
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'logtong-cli-'));

describe('logtong (the command line)', () => {
  it('--help lists the commands; --version prints the package version; no command is a usage error', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: logtong <command>/);
    for (const c of ['parse', 'convert', 'local', 'agent-config']) expect(help.out).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    expect(await cli(['-V'])).toEqual({ code: 0, out: `logtong ${version}\n`, err: '' });
    expect(await cli(['--version'])).toEqual({ code: 0, out: `logtong ${version}\n`, err: '' });
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('usage: logtong <command>');
  });

  it('an unknown command guesses the one meant', async () => {
    const r = await cli(['conver', '--input', 'x']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('logtong: unknown command conver; did you mean convert?');
    expect((await cli(['zzzzzz'])).err.split('\n')[0]).toBe('logtong: unknown command zzzzzz');
  });

  it('<command> --help prints that command’s whole usage and exits 0', async () => {
    for (const c of ['parse', 'convert', 'local', 'agent-config']) {
      const r = await cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`logtong ${c} --config pipelines.yaml`);
      expect(r.out).toContain('exit status:');
      expect(r.err).toBe('');
    }
  });

  it('a usage error prints the message and the one command’s synopsis, not every command’s usage', async () => {
    const r = await cli(['parse', '--type', 'nginx', '--bogus']);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toBe("logtong: Unknown option '--bogus'");
    expect(lines.at(-1)).toBe('Run `logtong parse --help` for more.');
    expect(r.err).not.toContain('logtong convert');
    expect(lines.length).toBeLessThan(8);
  });

  it('missing, unreadable and unwritable files are one line naming the flag, never a stack trace', async () => {
    const dir = tmp();
    const cases: Array<[string[], RegExp]> = [
      [['convert', '--type', 'nginx', '--input', path.join(dir, 'missing.log'), '--output', path.join(dir, 'out')], /^logtong: --input \S+missing\.log: no such file or directory$/m],
      [['convert', '--type', 'nginx', '--input', dir, '--output', path.join(dir, 'out')], /^logtong: --input \S+: is a directory$/m],
      [['parse', '--type', 'nginx', '--input', APACHE, '--failed', path.join(dir, 'no', 'such', 'dir', 'f')], /^logtong: --failed \S+f: no such file or directory$/m],
      [['parse', '--type', 'nginx', '--input', APACHE, '--failed', dir], /^logtong: --failed \S+: /m],
      [['convert', '--type', 'nginx', '--input', APACHE, '--output', path.join(APACHE, 'out')], /^logtong: --output \S+: /m],
      [['parse', '--config', path.join(dir, 'none.yaml'), '--pipeline', 'x'], /none\.yaml: invalid configuration/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect({ argv, err: r.err }).toEqual({ argv, err: expect.stringMatching(message) });
      expect(r.err).not.toMatch(/^\s+at /m);
      expect(r.code).toBe(argv[1] === '--config' ? 1 : 2);
    }
  });

  it('a config error exits 1, as cdk synth does on the same file', async () => {
    const dir = tmp();
    const config = path.join(dir, 'p.yaml');
    writeFileSync(config, 'pipelines:\n  - name: web\n    source: { type: s3 }\n');
    const r = await cli(['parse', '--config', config, '--pipeline', 'web', '--input', APACHE]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('invalid configuration');
    expect(r.err).not.toContain('Run `logtong');
  });

  it('--strict exits 1 when a record failed, 0 when none did', async () => {
    const bad = await cli(['parse', '--type', 'nginx', '--strict', '--input', APACHE]);
    expect(bad.code).toBe(1);
    expect(bad.err.trim().split('\n').at(-1)).toBe('parsed=9999 failed=1');
    const good = await cli(['parse', '--type', 'json', '--strict'], '{"a":1}\n{"a":2}\n');
    expect(good.code).toBe(0);
    expect(good.out).toBe('{"a":1}\n{"a":2}\n');
    expect((await cli(['parse', '--type', 'nginx', '--input', APACHE])).code).toBe(0);
    const dir = tmp();
    const converted = await cli(['convert', '--type', 'nginx', '--strict', '--input', APACHE, '--output', path.join(dir, 'out')]);
    expect(converted.code).toBe(1);
  });

  it('convert reads stdin as --input -', async () => {
    const dir = tmp();
    const lines = readFileSync(APACHE, 'utf8');
    const r = await cli(['convert', '--type', 'nginx', '--table', 'web', '--input', '-', '--output', path.join(dir, 'out')], lines);
    expect(r.code).toBe(0);
    expect(r.err.trim().split('\n').at(-1)).toMatch(/^written=9999 failed=1 filtered=0 files=\d+$/);
    const failed = JSON.parse(readFileSync(path.join(dir, 'out', 'failed.ndjson'), 'utf8'));
    expect(failed).toMatchObject({ file: '-', line: 8899 });
    expect((await cli(['convert', '--type', 'nginx', '--input', '-', '--input', '-', '--output', path.join(dir, 'x')])).err).toContain('--input - (stdin) can be given once');
  });

  it('parse --summary prints the fields with their types and counts and the failure reasons grouped, not documents', async () => {
    const r = await cli(['parse', '--type', 'nginx', '--summary', '--input', APACHE]);
    expect(r.code).toBe(0);
    const [totals, , header, ...rest] = r.out.split('\n');
    expect(totals).toBe('records=10000 parsed=9999 failed=1 filtered=0');
    expect(header.split(/\s+/)).toEqual(['field', 'type', 'documents', '%']);
    const rows = new Map(rest.slice(0, rest.indexOf('')).map((l) => [l.split(/\s+/)[0], l.split(/\s+/).slice(1)]));
    expect(rows.get('@timestamp')).toEqual(['date', '9999', '100.0']);
    expect(rows.get('status')?.[1]).toBe('9999');
    // the failed record went to stderr as usual, and is grouped in the report
    const reasons = rest.slice(rest.indexOf('') + 1).filter(Boolean);
    expect(reasons[0].split(/\s{2,}/)).toEqual(['failed', 'first line', 'reason']);
    expect(reasons[1]).toMatch(/^1 +8899 +does not match the nginx format/);
    expect(r.out).not.toContain('"@timestamp"');
  });

  it('groups reasons that differ only in their quoted values and numbers', async () => {
    expect(reasonShape('time "12/Foo/2024:10:00:00" does not match %d/%b/%Y at column 14')).toBe('time "…" does not match %d/%b/%Y at column N');
    const r = await cli(['parse', '--type', 'json', '--time-key', 't', '--summary'], '{"t":"x"}\n{"t":"y"}\n{"a":1}\n');
    const reasons = r.out.trim().split('\n').slice(-2);
    expect(reasons[0]).toMatch(/^2 +1 +t "x" /);
    expect(reasons[1]).toMatch(/^1 +3 +time key t is missing/);
  });
});

describe('progress on stderr', () => {
  it('reads bytes, lines, lines/s, and the percentage and ETA when the size is known', () => {
    expect(progressLine({ bytes: 50 * 1048576, totalBytes: 200 * 1048576, lines: 250_000, elapsedMs: 2000 })).toBe('50.0 MiB of 200.0 MiB (25%) · 250,000 lines · 125,000 lines/s · ETA 0:06');
    expect(progressLine({ bytes: 3 * 1048576, totalBytes: undefined, lines: 10, elapsedMs: 0 })).toBe('3.0 MiB · 10 lines');
  });

  it('is drawn only on a terminal, and cleared before the summary', async () => {
    const frames: string[] = [];
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    tty.on('data', (c: Buffer) => frames.push(c.toString()));
    let t = 0;
    const p = startProgress(tty, 1000, 5, () => t);
    let read = 0;
    for await (const c of p.count(Readable.from([Buffer.alloc(400), Buffer.alloc(600)]))) {
      read += c.length;
      t += 1000;
      p.lines(3);
      await new Promise((r) => setTimeout(r, 20));
    }
    p.stop();
    expect(read).toBe(1000);
    expect(frames.some((f) => /^\r\x1b\[K0\.0 MiB of 0\.0 MiB \(\d+%\) · 3 lines/.test(f))).toBe(true);
    expect(frames.at(-1)).toBe('\r\x1b[K');
    const pipe = new PassThrough();
    const written: string[] = [];
    pipe.on('data', (c: Buffer) => written.push(c.toString()));
    const none = startProgress(pipe, 1000, 1);
    await new Promise((r) => setTimeout(r, 10));
    none.stop();
    expect(written).toEqual([]);
  });
});
