/**
 * `logtong local`: run a pipeline of pipelines.yaml on this machine (lib/local/run-pipeline.ts), print where every
 * record went and how to look at the result, then keep the node up for those queries until Ctrl-C (or stop at once
 * with --once).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load';
import { cacheDir } from '../local/paths';
import { LocalUnsupportedError, runLocalPipeline, type LocalRun, type LocalSummary } from '../local/run-pipeline';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors';
import { openInput } from './files';
import type { CliCommand, CliIo } from './main';

export const LOCAL_USAGE = `usage:
  logtong local --config pipelines.yaml --pipeline NAME --input FILE [--input FILE...] [--data DIR] [--fresh]
                [--once | --follow]
  logtong local --config pipelines.yaml --pipeline NAME --listen [PORT] [--input FILE...] [--data DIR] [--fresh]

Runs the pipeline on this machine through its real path, on local components: a real OpenSearch node (OpenSearch
engine), an S3/SQS emulator (and a Kinesis one for buffer kinesis) on 127.0.0.1, the stack synthesized as cdk synth
would (pointed at the node), its functions run from the bundles synth wrote. The inputs go in as the source gets them:
  s3          each file is uploaded to the emulated source bucket under the pipeline's prefix (with its suffix,
              gzipped when that is .gz), so the notification (mode one-time: the scanner task, from its image's
              bundle), copy, staging, processor and backup run as deployed
  fluent-bit  the generated agent configuration runs on the real Fluent Bit (bash .ci/setup-fluent-bit.sh builds
              it): an ec2 agent tails the files; an eks agent tails container logs the files' lines are written to
              in containerd's format; then its buffer (s3, kinesis, or none: the agent indexes) as deployed
  syslog      the generated receiver configuration on the real Fluent Bit gets each line as one frame, over TCP
              with the source's framing (UDP when that is all it listens to)
At the end it prints the records of the inputs and where each went (indexed or written, filtered, backed up:
nothing lost, else exit status 1) and how to look at the result: for OpenSearch the node's URL with ready curl
queries (the node stays up until Ctrl-C); for the Light Engine, whose batch state machine runs as synthesized,
the Parquet files in their Hive layout under DIR/parquet/, a DuckDB query and the Glue table's DDL.
  --data DIR  the pipeline's folder: the stack, the node's data, the backed-up records, the Parquet (default: local/<pipeline>/ in the cache
              folder: $LOGTONG_CACHE_DIR, else $XDG_CACHE_HOME/logtong, else ~/.cache/logtong)
  --fresh     start from an empty folder (the node's indices included); without it the node keeps the indices
              of earlier runs, and records it already holds count as already indexed
  --once      stop everything after printing (for scripts)
  --follow    keep running: lines appended to the inputs are ingested as they come (s3: each new chunk a new
              object; agents: read by the agent; syslog: sent as frames, and clients may send to the printed
              port too), with a progress line on stderr; Ctrl-C prints the summary of everything and stops
  --listen [PORT]
              syslog: the receiver takes messages from clients on 127.0.0.1:PORT (default: a free port,
              printed) until Ctrl-C, as with --follow; --input is optional then
Sources in another account are not run. The OpenSearch node needs Java 17; its distribution is downloaded from
Maven Central on first use, into the cache folder.`;

const MIB = 1024 * 1024;

/** Records = written + filtered + backed up, and no message dead-lettered: nothing lost. */
export function accountedFor(s: LocalSummary): boolean {
  return s.records === s.written + s.duplicates + s.filtered + s.backedUp && s.deadLetters === 0;
}

function report(s: LocalSummary): string {
  const n = (x: number) => x.toLocaleString('en-US').padStart(12);
  const where = s.opensearch ? `indexed    ${n(s.written)}  into ${s.opensearch.alias} on ${s.opensearch.url}` : `written    ${n(s.written)}  rows to ${s.light!.parquetFiles} Parquet files under ${s.light!.folder}`;
  const lines = [
    `${s.pipeline}: ${s.records.toLocaleString('en-US')} records in ${s.files} file${s.files === 1 ? '' : 's'}`,
    `  ${where}`,
    ...(s.duplicates ? [`  duplicate  ${n(s.duplicates)}  already indexed by an earlier run (the same object and line: the same document id)`] : []),
    `  filtered   ${n(s.filtered)}  by the pipeline's filters`,
    `  backed up  ${n(s.backedUp)}  with their raw text and reason, in ${s.backupFolder}`,
    accountedFor(s)
      ? `  all ${s.records.toLocaleString('en-US')} records accounted for`
      : `  NOT ACCOUNTED FOR: ${(s.records - s.written - s.duplicates - s.filtered - s.backedUp).toLocaleString('en-US')} records${s.deadLetters ? `; ${s.deadLetters} dead-lettered message(s), their objects copied whole under ${s.backupFolder}` : ''}`,
    '',
  ];
  if (s.opensearch) {
    const { url, alias, ism } = s.opensearch;
    lines.push(
      ism ? 'The index template, ISM policy and write alias are on the node.' : 'The index template and write alias are on the node; the ISM policy is not: the local node has no ISM plugin (a deployed domain has it).',
      'Look at the result:',
      `  curl -s '${url}/${alias}/_count'`,
      `  curl -s '${url}/${alias}/_search?size=3&pretty'`,
      `  curl -s '${url}/_cat/indices/${alias}-*?v'`,
      `  curl -s '${url}/_index_template/${alias}-template?pretty'`,
    );
  } else {
    const { folder, table, ddl } = s.light!;
    lines.push(
      'Look at the result with DuckDB (the Hive layout gives the partition columns):',
      `  duckdb -c "select event_hour, count(*) from read_parquet('${folder}/${table}/**/*.parquet', hive_partitioning = true) group by 1 order by 1"`,
      '',
      'The Glue table the stack deploys, as Athena DDL (its LOCATION is the deployed bucket):',
      ddl,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function runLocal(argv: string[], io: CliIo, waitForStop: () => Promise<void>): Promise<number> {
  let values: { config?: string; pipeline?: string; input?: string[]; data?: string; fresh?: boolean; once?: boolean; follow?: boolean; listen?: boolean };
  let listenPort: number | undefined;
  try {
    const parsed = parseArgs({
      // `--listen=5514` as `--listen 5514` (parseArgs has no option with an optional value).
      args: argv.flatMap((a) => (a.startsWith('--listen=') ? ['--listen', a.slice('--listen='.length)] : [a])),
      options: { config: { type: 'string' }, pipeline: { type: 'string' }, input: { type: 'string', multiple: true }, data: { type: 'string' }, fresh: { type: 'boolean' }, once: { type: 'boolean' }, follow: { type: 'boolean' }, listen: { type: 'boolean' } },
      strict: true,
      // `--listen 5514`: the port is the one positional there can be, right after --listen.
      allowPositionals: true,
      tokens: true,
    });
    values = parsed.values;
    for (const [i, t] of parsed.tokens.entries()) {
      if (t.kind !== 'positional') continue;
      const before = parsed.tokens[i - 1];
      if (before?.kind !== 'option' || before.name !== 'listen' || !/^\d{1,5}$/.test(t.value) || Number(t.value) > 65535 || Number(t.value) === 0) throw new UsageError(`unexpected argument ${t.value}${before?.kind === 'option' && before.name === 'listen' ? ' (--listen takes a port, 1 to 65535)' : ''}`);
      listenPort = Number(t.value);
    }
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
  if (!values.config || !values.pipeline) throw new UsageError('--config and --pipeline are required');
  const inputs = values.input ?? [];
  if (inputs.length === 0 && !values.listen) throw new UsageError('--input FILE is required (repeat it for several files)');
  if (values.listen && values.once) throw new UsageError('--listen and --once go apart: --listen runs until Ctrl-C');
  // Opened now: a missing file is a usage error before anything starts.
  for (const f of inputs) {
    if (f === '-') throw new UsageError('--input -: logtong local uploads files; give a file');
    openInput('--input', f, io.stdin).body.destroy();
  }
  if (values.follow && values.once) throw new UsageError('--follow and --once go apart: --follow runs until Ctrl-C');
  const config = loadConfig(values.config);
  const chosen = config.pipelines.find((p) => p.name === values.pipeline);
  if (values.follow && chosen?.source.type === 's3' && chosen.source.mode === 'one-time') throw new UsageError(`--follow: pipeline ${chosen.name} has a one-time source, scanned once`);
  if (values.listen && chosen && chosen.source.type !== 'syslog') throw new UsageError(`--listen: pipeline ${chosen.name}'s source is of type ${chosen.source.type}; --listen is for syslog receivers`);
  const follows = values.follow === true || values.listen === true;
  const status = (line: string) => io.stderr.write(`logtong local: ${line}\n`);
  const resolved = inputs.map((f) => path.resolve(f));
  let lastShown = 0;
  let run;
  try {
    run = await runLocalPipeline({
      config,
      pipeline: values.pipeline,
      inputs: resolved,
      workDir: path.resolve(values.data ?? path.join(cacheDir(), 'local', values.pipeline)),
      fresh: values.fresh === true,
      follow: follows,
      ...(listenPort ? { listenPort } : {}),
      onStatus: status,
      onDownloadProgress: (bytes, total) => {
        if (bytes - lastShown < 8 * MIB && bytes !== total) return;
        lastShown = bytes;
        status(`downloading OpenSearch from Maven Central: ${(bytes / MIB).toFixed(0)}${total ? ` of ${(total / MIB).toFixed(0)}` : ''} MiB`);
      },
    });
  } catch (e) {
    if (e instanceof LocalUnsupportedError) throw new UsageError(e.message);
    // A missing prerequisite (Java for the node) is one line naming what to install.
    if ((e as Error).name === 'MissingPrerequisiteError') throw new UsageError((e as Error).message);
    throw e;
  }
  try {
    io.stdout.write(report(run.summary));
    if (follows) {
      const listening = run.summary.listening;
      io.stderr.write(`logtong local: ${[inputs.length ? 'following the inputs (lines appended to them are ingested)' : '', listening ? `listening for syslog on 127.0.0.1:${listening.port} (${listening.protocols}, ${listening.framing})` : ''].filter(Boolean).join('; ')}; Ctrl-C stops\n`);
      const final = await follow(run, resolved, io, waitForStop());
      io.stdout.write(`\n${report(final)}`);
      return accountedFor(final) ? EXIT_OK : EXIT_FAILED;
    }
    if (!values.once && run.summary.opensearch) {
      io.stderr.write('logtong local: the node stays up for these queries; Ctrl-C stops it and the emulator\n');
      await waitForStop();
    }
    return accountedFor(run.summary) ? EXIT_OK : EXIT_FAILED;
  } finally {
    await run.stop();
  }
}

/**
 * `--follow`: every second, the complete lines appended to each input since it was last read go in (a file that shrank
 * was rotated: read from its start), and what has arrived meanwhile (an agent's uploads, a syslog client's messages)
 * is run through; a progress line on stderr when the totals change. Until `stopped` resolves; then the summary of
 * everything ingested.
 */
async function follow(run: LocalRun, inputs: readonly string[], io: CliIo, stopped: Promise<void>): Promise<LocalSummary> {
  let stop = false;
  void stopped.then(() => (stop = true));
  const offsets = new Map(run.offsets);
  const started = Date.now();
  const startRecords = (await run.live()).records;
  const tty = io.stderr.isTTY === true;
  let shown = '';
  const line = async () => {
    const l = await run.live();
    const seconds = (Date.now() - started) / 1000;
    return `records ${l.records.toLocaleString('en-US')} (${Math.round((l.records - startRecords) / Math.max(seconds, 1)).toLocaleString('en-US')}/s since following) · written ${l.written.toLocaleString('en-US')} · duplicate ${l.duplicates.toLocaleString('en-US')} · filtered ${l.filtered.toLocaleString('en-US')} · backed up ${l.backedUp.toLocaleString('en-US')}`;
  };
  // The complete lines appended to each input since it was last read.
  const readAppended = async () => {
    for (const f of inputs) {
      const size = statSync(f).size;
      let from = offsets.get(f)!;
      if (size < from) from = 0;
      if (size === from) continue;
      const chunk = readRange(f, from, size);
      const end = chunk.lastIndexOf(10) + 1;
      if (end === 0) continue;
      await run.append(f, chunk.subarray(0, end));
      offsets.set(f, from + end);
    }
  };
  while (!stop) {
    await Promise.race([new Promise((r) => setTimeout(r, 1000)), stopped]);
    if (stop) break;
    await readAppended();
    await run.settle();
    const now = await line();
    if (now.replace(/\(.*?\)/, '') === shown) continue;
    shown = now.replace(/\(.*?\)/, '');
    io.stderr.write(tty ? `\r\x1b[K${now}` : `logtong local: ${now}\n`);
  }
  if (tty) io.stderr.write('\r\x1b[K');
  // What was appended since the last round: an agent tailing the inputs reads it before it stops, so it counts too.
  await readAppended();
  return run.summarize();
}

function readRange(file: string, from: number, to: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    const n = readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export const localCommand: CliCommand = {
  usage: LOCAL_USAGE,
  run: (argv, io) =>
    runLocal(argv, io, () => new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    })),
};
