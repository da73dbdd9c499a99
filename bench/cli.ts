/**
 * The `logtong` CLI as a user runs it (bin/logtong.js, the built dist/cli, a node process per run): start-up
 * (`--help`), and `parse` and `convert` end to end on the 1M-line input written to a file (reading the file,
 * parsing, writing NDJSON or Parquet files), per CPU-second of the process, beside the core's figure from the same
 * run: the processor's FULL (processObject, in memory) for parse, the Light Engine core (parse → Parquet to a
 * counting sink, bench/light-engine.ts) for convert. Targets (issue 16): `--help` ≤ 0.25 s, parse end to end
 * ≥ 100 MiB per CPU-second.
 *
 * The child's CPU comes from bash's `times` (user + sys of its children): portable, no /usr/bin/time needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ProcessorFigure } from './agent';
import { fmt } from './format';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'logtong.js');
const MiB = 1024 * 1024;

interface Run {
  seconds: number;
  cpuSeconds: number;
  stderr: string;
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** `node bin/logtong.js args… > stdout`, its wall time and its CPU (user + sys). */
function run(args: string[], stdout = '/dev/null'): Run {
  const cmd = `${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')} > ${quote(stdout)} 2> >(cat >&3); times`;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `exec 3>&2; ${cmd}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`logtong ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  // `times`: the shell's own user/sys, then its children's: "0m1.234s 0m0.210s"
  const children = r.stdout.trim().split('\n').pop()!;
  const [user, sys] = children.split(' ').map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t)!;
    return 60 * Number(m[1]) + Number(m[2]);
  });
  return { seconds, cpuSeconds: user + sys, stderr: r.stderr };
}

function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.cpuSeconds < a.cpuSeconds ? b : a));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function cliBench(input: { lines: number; raw: Buffer }, core: { parse: () => Promise<ProcessorFigure>; convert: () => { rows: number; rawBytes: number; cpuSeconds: number } }): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'logtong-cli-bench-'));
  try {
    const file = path.join(dir, 'access.log');
    writeFileSync(file, input.raw);
    const rawMiB = input.raw.length / MiB;
    console.log(`\nthe logtong CLI (node bin/logtong.js → dist/cli), end to end on ${fmt(input.lines, 0)} lines in a file (${fmt(rawMiB)} MiB); CPU of the process, best of 3`);

    const starts = Array.from({ length: 7 }, () => run(['--help']));
    const startWall = median(starts.map((s) => s.seconds));
    const startCpu = median(starts.map((s) => s.cpuSeconds));
    console.log(`start-up: logtong --help ${fmt(startWall, 3)} s wall, ${fmt(startCpu, 3)} CPU-s (median of 7); target ≤ 0.25 s: ${startWall <= 0.25 ? 'MET' : 'MISSED'}`);

    const parse = best([0, 1, 2].map(() => run(['parse', '--type', 'nginx', '--input', file], path.join(dir, 'docs.ndjson'))));
    const convert = best([0, 1, 2].map((i) => run(['convert', '--type', 'nginx', '--input', file, '--output', path.join(dir, `parquet-${i}`)])));
    const written = Number(/written=(\d+)/.exec(convert.stderr)?.[1] ?? NaN);
    const parseCore = await core.parse();
    const convertCore = core.convert();

    const header = ['path', 's', 'CPU-s', 'MiB/cpu-s', 'lines/cpu-s', 'core MiB/cpu-s', 'CLI / core'];
    const rows = [
      ['parse → NDJSON file', fmt(parse.seconds, 2), fmt(parse.cpuSeconds, 2), fmt(rawMiB / parse.cpuSeconds), fmt(input.lines / parse.cpuSeconds, 0), fmt(parseCore.mibPerCpuS), fmt(rawMiB / parse.cpuSeconds / parseCore.mibPerCpuS, 2)],
      [
        'convert → Parquet files',
        fmt(convert.seconds, 2),
        fmt(convert.cpuSeconds, 2),
        fmt(rawMiB / convert.cpuSeconds),
        fmt(input.lines / convert.cpuSeconds, 0),
        fmt(convertCore.rawBytes / MiB / convertCore.cpuSeconds),
        fmt(rawMiB / convert.cpuSeconds / (convertCore.rawBytes / MiB / convertCore.cpuSeconds), 2),
      ],
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    console.log(line(header));
    for (const r of rows) console.log(line(r));
    console.log(`core: parse = ${parseCore.how}; convert = the Light Engine core, parse → Parquet to a counting sink, in its own process (${fmt(convertCore.rows, 0)} rows)`);
    console.log(`convert wrote ${fmt(written, 0)} rows; target parse end to end ≥ 100 MiB/cpu-s: ${fmt(rawMiB / parse.cpuSeconds)} → ${rawMiB / parse.cpuSeconds >= 100 ? 'MET' : 'MISSED'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
