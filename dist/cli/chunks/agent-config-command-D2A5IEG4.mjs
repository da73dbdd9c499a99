import {
  eksManifest
} from "./chunk-BXL242TH.mjs";
import {
  AGENT_PLACEHOLDERS,
  AgentConfigError,
  agentMetricsLogGroupName,
  fluentBitConfig,
  loadConfig,
  placeholderTargets
} from "./chunk-ESIZHS62.mjs";
import {
  EXIT_OK,
  UsageError
} from "./chunk-GE7FCKWW.mjs";

// lib/cli/agent-config-command.ts
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
var AGENT_CONFIG_USAGE = `usage:
  logtong agent-config --config pipelines.yaml --pipeline NAME --platform ec2|eks
                       [--outputs cdk-outputs.json] [--region REGION]

Prints the Fluent Bit YAML configuration (ec2) or the Namespace/ServiceAccount/ConfigMap/DaemonSet manifest (eks)
of a pipeline with a fluent-bit source. --outputs: the file of \`cdk deploy --outputs-file\`; the values are taken
from the outputs of stack Logtong-NAME (BufferBucketName, BufferStreamName, BackupBucketName, AgentRoleArn).
Without it they are placeholders that Fluent Bit reads from its environment: LOGTONG_BUFFER_BUCKET (buffer s3,
light engine), LOGTONG_BUFFER_STREAM (buffer kinesis), LOGTONG_BACKUP_BUCKET (buffer none), LOGTONG_REGION, and
in the manifest LOGTONG_AGENT_ROLE_ARN: the DaemonSet sets none of them, so substitute them before applying,
naming them: envsubst '$LOGTONG_BUFFER_BUCKET $LOGTONG_BUFFER_STREAM $LOGTONG_BACKUP_BUCKET $LOGTONG_REGION
$LOGTONG_AGENT_ROLE_ARN' (a bare envsubst also blanks Fluent Bit's own $UUID and \${HOSTNAME}). The region is
--region, else the config's region, else \${LOGTONG_REGION}. The agent also writes its own counters to the log group
${agentMetricsLogGroupName("NAME")} in that region, which the stack creates and the agent policy (AgentPolicyArn) may write to.`;
function stackOutputs(file, stack) {
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`--outputs ${file}: ${e.message}`);
  }
  const outputs = parsed?.[stack];
  if (!outputs || typeof outputs !== "object") throw new UsageError(`--outputs ${file} has no stack ${stack} (deploy it with --outputs-file)`);
  return outputs;
}
function agentTargets(pipeline, region, outputs, pipelineAccount) {
  const need = (key) => {
    if (!outputs) return "";
    const v = outputs.values[key];
    if (typeof v !== "string" || v === "") throw new UsageError(`--outputs ${outputs.file}: stack Logtong-${pipeline.name} has no output ${key}`);
    return v;
  };
  const source = pipeline.source;
  const eks = source.type === "fluent-bit" && source.platform === "eks";
  const cross = source.type === "fluent-bit" && source.account && source.account !== pipelineAccount ? { externalId: source.externalId ?? `logtong-${pipeline.name}` } : void 0;
  const t = placeholderTargets(pipeline, region);
  if (eks) t.roleArn = AGENT_PLACEHOLDERS.roleArn;
  if (cross) t.assumeRole = { roleArn: AGENT_PLACEHOLDERS.assumeRoleArn, externalId: cross.externalId };
  if (!outputs) return t;
  if (t.bucketName) t.bucketName = need("BufferBucketName");
  if (t.streamName) t.streamName = need("BufferStreamName");
  if (t.backupBucketName) t.backupBucketName = need("BackupBucketName");
  if (cross) t.assumeRole = { roleArn: need("AgentRoleArn"), externalId: cross.externalId };
  else if (eks) t.roleArn = need("AgentRoleArn");
  return t;
}
function runAgentConfig(argv, io) {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(["config", "pipeline", "platform", "outputs", "region"].map((k) => [k, { type: "string" }])),
      strict: true,
      allowPositionals: false
    }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (!values.config || !values.pipeline) throw new UsageError("agent-config needs --config and --pipeline");
  if (values.platform !== "ec2" && values.platform !== "eks") throw new UsageError("--platform must be ec2 or eks");
  const config = loadConfig(values.config);
  const pipeline = config.pipelines.find((p) => p.name === values.pipeline);
  if (!pipeline) throw new UsageError(`${values.config} has no pipeline named ${values.pipeline}`);
  if (pipeline.source.type !== "fluent-bit") throw new UsageError(`pipeline ${pipeline.name} has a ${pipeline.source.type} source, not fluent-bit`);
  if (values.platform === "eks" && pipeline.source.platform !== "eks") throw new UsageError(`pipeline ${pipeline.name} runs its agent on ${pipeline.source.platform}, not eks`);
  const stack = `Logtong-${pipeline.name}`;
  const outputs = values.outputs ? { file: values.outputs, values: stackOutputs(values.outputs, stack) } : void 0;
  const targets = agentTargets(pipeline, values.region ?? config.region ?? AGENT_PLACEHOLDERS.region, outputs, config.account);
  try {
    const yaml = fluentBitConfig(pipeline, targets);
    io.stdout.write(values.platform === "eks" ? eksManifest(pipeline, { roleArn: targets.roleArn, configYaml: yaml }) : yaml);
  } catch (e) {
    if (e instanceof AgentConfigError) throw new UsageError(e.message);
    throw e;
  }
}
var agentConfigCommand = {
  usage: AGENT_CONFIG_USAGE,
  async run(argv, io) {
    runAgentConfig(argv, io);
    return EXIT_OK;
  }
};
export {
  AGENT_CONFIG_USAGE,
  agentConfigCommand,
  agentTargets,
  runAgentConfig
};
