/**
 * `logtong agent-config`: the Fluent Bit configuration (ec2) or the Kubernetes manifest (eks) of a pipeline with a
 * fluent-bit source, on stdout. The same generator as the stack's SSM parameter / ConfigMap (lib/agent/).
 */
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { AGENT_PLACEHOLDERS, AgentConfigError, fluentBitConfig, placeholderTargets, type AgentTargets } from '../agent/fluent-bit-config';
import { agentMetricsLogGroupName } from '../agent/agent-metrics';
import { eksManifest } from '../agent/eks-manifest';
import { loadConfig } from '../config/load';
import type { Pipeline } from '../config/schema';
import { EXIT_OK, UsageError } from './errors';
import type { CliCommand } from './main';

export const AGENT_CONFIG_USAGE = `usage:
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
${agentMetricsLogGroupName('NAME')} in that region, which the stack creates and the agent policy (AgentPolicyArn) may write to.`;

export interface AgentConfigIo {
  readonly stdout: Writable;
}

function stackOutputs(file: string, stack: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--outputs ${file}: ${(e as Error).message}`);
  }
  const outputs = (parsed as Record<string, unknown> | null)?.[stack];
  if (!outputs || typeof outputs !== 'object') throw new UsageError(`--outputs ${file} has no stack ${stack} (deploy it with --outputs-file)`);
  return outputs as Record<string, string>;
}

/** The deployment values for this pipeline: from stack outputs, or placeholders. */
export function agentTargets(
  pipeline: Pipeline,
  region: string,
  outputs?: { file: string; values: Record<string, string> },
  pipelineAccount?: string,
): AgentTargets & { roleArn?: string } {
  const need = (key: string): string => {
    if (!outputs) return '';
    const v = outputs.values[key];
    if (typeof v !== 'string' || v === '') throw new UsageError(`--outputs ${outputs.file}: stack Logtong-${pipeline.name} has no output ${key}`);
    return v;
  };
  const source = pipeline.source;
  const eks = source.type === 'fluent-bit' && source.platform === 'eks';
  // Agents in another account assume the pipeline's role (AgentRoleArn); their ServiceAccount keeps their own IRSA role.
  // As the stack decides (crossAccountAgents): the pipeline's own account is no other account.
  const cross = source.type === 'fluent-bit' && source.account && source.account !== pipelineAccount ? { externalId: source.externalId ?? `logtong-${pipeline.name}` } : undefined;
  const t: AgentTargets & { roleArn?: string } = placeholderTargets(pipeline, region);
  if (eks) t.roleArn = AGENT_PLACEHOLDERS.roleArn;
  if (cross) t.assumeRole = { roleArn: AGENT_PLACEHOLDERS.assumeRoleArn, externalId: cross.externalId };
  if (!outputs) return t;
  if (t.bucketName) t.bucketName = need('BufferBucketName');
  if (t.streamName) t.streamName = need('BufferStreamName');
  if (t.backupBucketName) t.backupBucketName = need('BackupBucketName');
  if (cross) t.assumeRole = { roleArn: need('AgentRoleArn'), externalId: cross.externalId };
  else if (eks) t.roleArn = need('AgentRoleArn');
  return t;
}

export function runAgentConfig(argv: string[], io: AgentConfigIo): void {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(['config', 'pipeline', 'platform', 'outputs', 'region'].map((k) => [k, { type: 'string' }])),
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!values.config || !values.pipeline) throw new UsageError('agent-config needs --config and --pipeline');
  if (values.platform !== 'ec2' && values.platform !== 'eks') throw new UsageError('--platform must be ec2 or eks');
  const config = loadConfig(values.config);
  const pipeline = config.pipelines.find((p) => p.name === values.pipeline);
  if (!pipeline) throw new UsageError(`${values.config} has no pipeline named ${values.pipeline}`);
  if (pipeline.source.type !== 'fluent-bit') throw new UsageError(`pipeline ${pipeline.name} has a ${pipeline.source.type} source, not fluent-bit`);
  if (values.platform === 'eks' && pipeline.source.platform !== 'eks') throw new UsageError(`pipeline ${pipeline.name} runs its agent on ${pipeline.source.platform}, not eks`);
  const stack = `Logtong-${pipeline.name}`;
  const outputs = values.outputs ? { file: values.outputs, values: stackOutputs(values.outputs, stack) } : undefined;
  const targets = agentTargets(pipeline, values.region ?? config.region ?? AGENT_PLACEHOLDERS.region, outputs, config.account);
  try {
    const yaml = fluentBitConfig(pipeline, targets);
    io.stdout.write(values.platform === 'eks' ? eksManifest(pipeline, { roleArn: targets.roleArn!, configYaml: yaml }) : yaml);
  } catch (e) {
    // A config the agent cannot run as the processor would is the user's to change.
    if (e instanceof AgentConfigError) throw new UsageError(e.message);
    throw e;
  }
}

export const agentConfigCommand: CliCommand = {
  usage: AGENT_CONFIG_USAGE,
  async run(argv, io) {
    runAgentConfig(argv, io);
    return EXIT_OK;
  },
};
