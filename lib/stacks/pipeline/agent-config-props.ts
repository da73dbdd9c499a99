/**
 * The agents' side of a pipeline: where they write (as their Fluent Bit configuration names it) with what they may do
 * there, and the AgentConfig props rendered from it.
 */
import { Stack, Token } from 'aws-cdk-lib';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { agentServiceAccountName, eksManifest } from '../../agent/eks-manifest';
import { AGENT_PLACEHOLDERS, AgentConfigError, fluentBitConfig, placeholderTargets, type AgentTargets } from '../../agent/fluent-bit-config';
import { ConfigError } from '../../config/load';
import type { OpenSearchEngineConfig, Pipeline } from '../../config/schema';
import type { AgentConfigProps } from '../../constructs/agent-config';
import type { ScopedGrant } from '../../constructs/scoped-grant';
import type { AgentSource } from './plan';

/** Where a pipeline's agents write and what they may do there; made by whichever part created that place. */
export interface AgentOutput {
  readonly source: AgentSource;
  readonly targets: AgentTargets;
  readonly grants: readonly ScopedGrant[];
}

/** Gzipped chunks under `<pipeline>/` of the buffer bucket, which the copy stage takes to staging. */
export function agentsToBufferBucket(scope: Construct, pipeline: Pipeline, source: AgentSource, bucket: IBucket): AgentOutput {
  const keyPrefix = `${pipeline.name}/`;
  return {
    source,
    targets: { region: Stack.of(scope).region, bucketName: bucket.bucketName, keyPrefix },
    grants: [
      {
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${keyPrefix}*`)],
        reason: 'Agents put new chunks under this pipeline’s prefix of its buffer bucket (each key has a date and a UUID).',
      },
    ],
  };
}

/** Raw lines into the pipeline's stream, which the processor reads. */
export function agentsToStream(scope: Construct, source: AgentSource, stream: IStream): AgentOutput {
  return {
    source,
    targets: { region: Stack.of(scope).region, streamName: stream.streamName },
    grants: [
      {
        actions: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:DescribeStream'],
        resources: [stream.streamArn],
        reason: 'Agents put records into this pipeline’s stream only (DescribeStream: Fluent Bit checks the stream at start).',
      },
    ],
  };
}

/**
 * Documents straight into the domain, as the processor would index them; lines the agent's parser rejects go to the
 * backup bucket with the reason, as the processor would back them up. A self-managed cluster with basic auth takes the
 * credentials from the agent's environment, never from its configuration.
 */
export function agentsToDomain(
  scope: Construct,
  pipeline: Pipeline,
  source: AgentSource,
  engine: OpenSearchEngineConfig,
  backup: IBucket,
): AgentOutput {
  const { domain } = engine;
  const grants: ScopedGrant[] = [
    {
      actions: ['s3:PutObject'],
      resources: [backup.arnForObjects(`agent-failed/${pipeline.name}/*`)],
      reason: 'Agents keep the lines they cannot parse under agent-failed/<pipeline>/ of the backup bucket only.',
    },
  ];
  if (domain.type === 'aws') {
    grants.push({
      actions: ['es:ESHttpPost', 'es:ESHttpPut'],
      resources: [`${domain.arn}/_bulk`, `${domain.arn}/${engine.indexPrefix}*`],
      reason: 'Agents index through the bulk API into this pipeline’s alias and the indices behind it only.',
    });
  }
  const basicAuth = domain.type === 'self-managed' && domain.auth === 'basic';
  return {
    source,
    targets: {
      region: Stack.of(scope).region,
      backupBucketName: backup.bucketName,
      ...(basicAuth
        ? { opensearch: { ...selfManagedTarget(domain.url), httpUser: '${OPENSEARCH_USER}', httpPasswd: '${OPENSEARCH_PASSWORD}' } }
        : {}),
    },
    grants,
  };
}

/** Agents in another account: the role of this account they assume, with its external ID. */
export interface CrossAccountAgents {
  /** The agents' account, which the role trusts. */
  readonly account: string;
  readonly externalId: string;
  /** Fixed, so the configuration (and `logtong agent-config` without outputs) can name it before it exists. */
  readonly roleName: string;
  readonly roleArn: string;
}

/** The cross-account part of a fluent-bit source, or undefined when the agents run in the pipeline's account. */
export function crossAccountAgents(scope: Construct, pipeline: Pipeline): CrossAccountAgents | undefined {
  const source = pipeline.source;
  if (source.type !== 'fluent-bit' || !source.account) return undefined;
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.account) && stack.account === source.account) return undefined;
  const roleName = agentRoleName(pipeline.name);
  return {
    account: source.account,
    externalId: source.externalId ?? `logtong-${pipeline.name}`,
    roleName,
    roleArn: stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: roleName }),
  };
}

/** The role agents of another account assume. */
export const agentRoleName = (pipelineName: string) => `Logtong-${pipelineName}-agent`;

/**
 * The agent configuration of a pipeline, pointing at what this stack created (tokens, resolved at deploy time). The
 * EKS manifest written to cdk.out cannot hold tokens: it carries the same placeholders as `logtong agent-config`
 * without `--outputs`.
 */
export function agentConfigProps(pipeline: Pipeline, output: AgentOutput, cross?: CrossAccountAgents): AgentConfigProps {
  const { source } = output;
  const assumeRole = cross ? { roleArn: cross.roleArn, externalId: cross.externalId } : undefined;
  const targets: AgentTargets = { ...output.targets, ...(assumeRole ? { assumeRole } : {}) };
  const configYaml = generated(() => fluentBitConfig(pipeline, targets));
  const crossAccount = cross ? { crossAccount: { account: cross.account, externalId: cross.externalId, roleName: cross.roleName } } : {};
  if (source.type === 'syslog') return { pipelineName: pipeline.name, platform: 'ecs', configYaml };
  if (source.platform === 'ec2' || !source.eks) return { pipelineName: pipeline.name, platform: 'ec2', configYaml, ...crossAccount };
  const placeholders: AgentTargets = {
    ...placeholderTargets(pipeline),
    ...(targets.keyPrefix ? { keyPrefix: targets.keyPrefix } : {}),
    ...(assumeRole ? { assumeRole: { roleArn: AGENT_PLACEHOLDERS.assumeRoleArn, externalId: assumeRole.externalId } } : {}),
  };
  return {
    pipelineName: pipeline.name,
    platform: 'eks',
    configYaml,
    eksOidcProviderArn: source.eks.oidcProviderArn,
    eksNamespace: source.eks.namespace,
    eksServiceAccountName: agentServiceAccountName(pipeline.name),
    eksManifest: generated(() => eksManifest(pipeline, { roleArn: AGENT_PLACEHOLDERS.roleArn, configYaml: fluentBitConfig(pipeline, placeholders) })),
    ...crossAccount,
  };
}

/** A format the agent cannot render is the user's to fix, like a config error. */
function generated(render: () => string): string {
  try {
    return render();
  } catch (e) {
    if (e instanceof AgentConfigError) throw new ConfigError('agent configuration', [e.message]);
    throw e;
  }
}

/** Host, port and TLS of a self-managed cluster URL, for an agent that writes to it with basic auth. */
function selfManagedTarget(url: string): { host: string; port: string; tls: boolean } {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  return { host: u.hostname, port: u.port || (tls ? '443' : '80'), tls };
}
