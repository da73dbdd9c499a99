/** The `logtong` command line; every subcommand is a thin adapter over the same core the Lambdas run. */
import { ConfigError } from '../lib/config/load';
import { AGENT_CONFIG_USAGE, runAgentConfig } from '../lib/cli/agent-config-command';
import { CONVERT_USAGE, runConvert } from '../lib/cli/convert-command';
import { PARSE_USAGE, runParse, UsageError } from '../lib/cli/parse-command';

const USAGE = `usage: logtong <command> [options]

commands:
  parse    parse log lines with a pipeline's format (or flags) and print what would be indexed
  convert  write the partitioned Parquet files the Light Engine would write for some log files
  agent-config  print the Fluent Bit configuration (ec2) or Kubernetes manifest (eks) of a fluent-bit pipeline

${PARSE_USAGE}

${CONVERT_USAGE}

${AGENT_CONFIG_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  try {
    if (command === 'parse') {
      await runParse(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      return 0;
    }
    if (command === 'convert') {
      await runConvert(rest, { stdout: process.stdout, stderr: process.stderr });
      return 0;
    }
    if (command === 'agent-config') {
      runAgentConfig(rest, { stdout: process.stdout });
      return 0;
    }
    throw new UsageError(`unknown command ${command}`);
  } catch (e) {
    // Mistakes in arguments or config are the user's to fix: the message, the usage, no stack trace.
    if (e instanceof UsageError) {
      process.stderr.write(`logtong: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`logtong: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

// `logtong parse … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
