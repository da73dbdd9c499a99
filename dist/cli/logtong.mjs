import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  UsageError
} from "./chunks/chunk-GE7FCKWW.mjs";

// lib/cli/main.ts
import leven from "leven";

// package.json
var version = "0.1.0";

// lib/cli/main.ts
var COMMANDS = {
  parse: {
    summary: "parse log lines with a pipeline's format (or flags): what would be indexed, or a --summary",
    load: async () => (await import("./chunks/parse-command-F4MKXC2A.mjs")).parseCommand
  },
  convert: {
    summary: "write the partitioned Parquet files the Light Engine would write for some log files",
    load: async () => (await import("./chunks/convert-command-O5XXSMQO.mjs")).convertCommand
  },
  local: {
    summary: "run a pipeline on this machine (a real OpenSearch node, the S3/SQS emulator) and account for every record",
    load: async () => (await import("./chunks/local-command-LLOOK3MY.mjs")).localCommand
  },
  "agent-config": {
    summary: "print the Fluent Bit configuration (ec2) or Kubernetes manifest (eks) of a fluent-bit pipeline",
    load: async () => (await import("./chunks/agent-config-command-D2A5IEG4.mjs")).agentConfigCommand
  }
};
var EXIT_STATUS = `exit status: 0 it ran; 1 a config error (as cdk synth), or a failed record with --strict;
2 bad arguments, or a file that cannot be read or written.`;
var HELP = `usage: logtong <command> [options]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`).join("\n")}

options:
  -h, --help     this help; \`logtong <command> --help\` for a command's
  -V, --version  print the version

${EXIT_STATUS}`;
function synopsis(usage) {
  return usage.split("\n\n")[0];
}
function guess(command) {
  const best = Object.keys(COMMANDS).sort((a, b) => leven(command, a) - leven(command, b))[0];
  return leven(command, best) <= 2 ? `; did you mean ${best}?` : "";
}
async function main(argv, io) {
  const [name, ...rest] = argv;
  if (name === void 0) {
    io.stderr.write(`${HELP}
`);
    return EXIT_USAGE;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${HELP}
`);
    return EXIT_OK;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(`logtong ${version}
`);
    return EXIT_OK;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : void 0;
  if (!entry) {
    io.stderr.write(`logtong: ${name.startsWith("-") ? `unknown option ${name}` : `unknown command ${name}${guess(name)}`}

${HELP}
`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(`${command.usage}

${EXIT_STATUS}
`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    const message = userMistake(e);
    if (message === void 0) throw e;
    const usage = e instanceof UsageError ? `
${synopsis(command.usage)}
Run \`logtong ${name} --help\` for more.
` : "";
    io.stderr.write(`logtong: ${message}
${usage}`);
    return e.name === "ConfigError" ? EXIT_FAILED : EXIT_USAGE;
  }
}
function userMistake(e) {
  if (!(e instanceof Error)) return void 0;
  if (e instanceof UsageError || e.name === "ConfigError") return e.message;
  const err = e;
  if (typeof err.code === "string" && typeof err.syscall === "string") return err.message;
  return void 0;
}
export {
  HELP,
  main,
  synopsis
};
