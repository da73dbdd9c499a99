/**
 * The `logtong` command line: dispatches to one command, loading only that command's modules (a command is a
 * dynamic import, so `--help`, `--version` and a usage error never load the schema, the parsers or the Parquet
 * writer). Built to dist/cli by `npm run build` (bin/build-cli.ts); bin/logtong.js runs the built file.
 */
import type { Readable, Writable } from 'node:stream';
import leven from 'leven';
import { version } from '../../package.json';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './errors';

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  /** Progress lines are drawn on it only when it is a terminal (`isTTY`). */
  readonly stderr: Writable & { readonly isTTY?: boolean };
}

/** A loaded command: its full usage (synopsis, a blank line, details) and its run, which returns the exit status. */
export interface CliCommand {
  readonly usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

const COMMANDS: Record<string, { readonly summary: string; readonly load: () => Promise<CliCommand> }> = {
  parse: {
    summary: "parse log lines with a pipeline's format (or flags): what would be indexed, or a --summary",
    load: async () => (await import('./parse-command.js')).parseCommand,
  },
  convert: {
    summary: 'write the partitioned Parquet files the Light Engine would write for some log files',
    load: async () => (await import('./convert-command.js')).convertCommand,
  },
  local: {
    summary: 'run a pipeline on this machine (a real OpenSearch node, the S3/SQS emulator) and account for every record',
    load: async () => (await import('./local-command.js')).localCommand,
  },
  'agent-config': {
    summary: 'print the Fluent Bit configuration (ec2) or Kubernetes manifest (eks) of a fluent-bit pipeline',
    load: async () => (await import('./agent-config-command.js')).agentConfigCommand,
  },
};

const EXIT_STATUS = `exit status: 0 it ran; 1 a config error (as cdk synth), or a failed record with --strict;
2 bad arguments, or a file that cannot be read or written.`;

export const HELP = `usage: logtong <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`)
  .join('\n')}

options:
  -h, --help     this help; \`logtong <command> --help\` for a command's
  -V, --version  print the version

${EXIT_STATUS}`;

/** The synopsis of a command's usage: what a usage error shows before pointing at --help. */
export function synopsis(usage: string): string {
  return usage.split('\n\n')[0];
}

function guess(command: string): string {
  const best = Object.keys(COMMANDS).sort((a, b) => leven(command, a) - leven(command, b))[0];
  return leven(command, best) <= 2 ? `; did you mean ${best}?` : '';
}

/** Runs `logtong argv…`; returns the exit status. Only a bug escapes as an exception. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(`${HELP}\n`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${HELP}\n`);
    return EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`logtong ${version}\n`);
    return EXIT_OK;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.stderr.write(`logtong: ${name.startsWith('-') ? `unknown option ${name}` : `unknown command ${name}${guess(name)}`}\n\n${HELP}\n`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n\n${EXIT_STATUS}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    const message = userMistake(e);
    if (message === undefined) throw e;
    const usage = e instanceof UsageError ? `\n${synopsis(command.usage)}\nRun \`logtong ${name} --help\` for more.\n` : '';
    io.stderr.write(`logtong: ${message}\n${usage}`);
    // A config error exits as cdk synth does on the same file.
    return (e as Error).name === 'ConfigError' ? EXIT_FAILED : EXIT_USAGE;
  }
}

/** The message of an error the user can fix (bad arguments or config, a file the system refused), else undefined. */
function userMistake(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  // By name: the config module is loaded only by the commands that read a config.
  if (e instanceof UsageError || e.name === 'ConfigError') return e.message;
  const err = e as NodeJS.ErrnoException;
  if (typeof err.code === 'string' && typeof err.syscall === 'string') return err.message;
  return undefined;
}
