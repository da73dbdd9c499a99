/**
 * Agents in another account (`source.account`, issue 15): with `assumeRole` every AWS output of the generated
 * configuration carries the role and external ID under the option names its Fluent Bit 4.2 plugin reads (s3,
 * kinesis_streams, cloudwatch_logs: role_arn / external_id; opensearch with aws_auth: aws_role_arn / aws_external_id),
 * for every buffer, the metrics output and buffer none's failed-lines s3 output included; without it, none does.
 * `logtong agent-config` renders them: the ${LOGTONG_ASSUME_ROLE_ARN} placeholder without --outputs, the stack's
 * AgentRoleArn with. (The real binary running them: test/integration/fluent-bit-assume-role.test.ts.)
 */
import { runAgentConfigText } from '../cli/run-agent-config';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { AGENT_PLACEHOLDERS, fluentBitConfigDocument, type AgentTargets, type FluentBitConfigDocument } from '../../../lib/agent/fluent-bit-config';
import { agentTargets } from '../../../lib/cli/agent-config-command';
import { parseConfig } from '../../../lib/config/load';
import type { Pipeline } from '../../../lib/config/schema';

const DOMAIN = { type: 'aws', endpoint: 'https://search-logs.eu-west-1.es.amazonaws.com', arn: 'arn:aws:es:eu-west-1:123456789012:domain/logs' };
const SELF_MANAGED = { type: 'self-managed', url: 'https://10.0.0.5:9200' };
const ROLE = { roleArn: 'arn:aws:iam::123456789012:role/Logtong-web-agent', externalId: 'logtong-web' };
const TARGETS: AgentTargets = { region: 'eu-west-1', bucketName: 'buf-bucket', streamName: 'buf-stream', backupBucketName: 'backup-bucket' };
const AGENT_ACCOUNT = '210987654321';

const ENGINES: Record<string, Record<string, unknown>> = {
  s3: { type: 'opensearch', buffer: 's3', indexPrefix: 'web', domain: DOMAIN },
  kinesis: { type: 'opensearch', buffer: 'kinesis', indexPrefix: 'web', domain: DOMAIN },
  'none (aws domain)': { type: 'opensearch', buffer: 'none', indexPrefix: 'web', domain: DOMAIN },
  'none (self-managed domain)': { type: 'opensearch', buffer: 'none', indexPrefix: 'web', domain: SELF_MANAGED },
  light: { type: 'light' },
};

function pipeline(engine: Record<string, unknown>, source: Record<string, unknown> = {}): Pipeline {
  return parseConfig({
    pipelines: [{ name: 'web', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/nginx/access.log'], ...source }, logFormat: { type: 'nginx' }, engine }],
  }).pipelines[0];
}

/** Each output: its plugin, alias, and the role options it carries (undefined ones left out). */
const roleOptions = (doc: FluentBitConfigDocument) =>
  doc.pipeline.outputs.map((o) =>
    Object.fromEntries(Object.entries({ name: o.name, alias: o.alias, role_arn: o.role_arn, external_id: o.external_id, aws_role_arn: o.aws_role_arn, aws_external_id: o.aws_external_id }).filter(([, v]) => v !== undefined)),
  );

/** What each buffer's outputs are, and which of them sign with AWS credentials (all but a self-managed opensearch). */
const EXPECTED: Record<string, Array<{ name: string; alias: string; aws: 'role_arn' | 'aws_role_arn' | false }>> = {
  s3: [
    { name: 's3', alias: 'logtong_out', aws: 'role_arn' },
    { name: 'cloudwatch_logs', alias: 'logtong_metrics', aws: 'role_arn' },
  ],
  kinesis: [
    { name: 'kinesis_streams', alias: 'logtong_out', aws: 'role_arn' },
    { name: 'cloudwatch_logs', alias: 'logtong_metrics', aws: 'role_arn' },
  ],
  'none (aws domain)': [
    { name: 'opensearch', alias: 'logtong_out', aws: 'aws_role_arn' },
    { name: 's3', alias: 'logtong_failed', aws: 'role_arn' },
    { name: 'cloudwatch_logs', alias: 'logtong_metrics', aws: 'role_arn' },
  ],
  'none (self-managed domain)': [
    { name: 'opensearch', alias: 'logtong_out', aws: false },
    { name: 's3', alias: 'logtong_failed', aws: 'role_arn' },
    { name: 'cloudwatch_logs', alias: 'logtong_metrics', aws: 'role_arn' },
  ],
  light: [
    { name: 's3', alias: 'logtong_out', aws: 'role_arn' },
    { name: 'cloudwatch_logs', alias: 'logtong_metrics', aws: 'role_arn' },
  ],
};

describe('fluentBitConfigDocument with assumeRole', () => {
  it.each(Object.keys(ENGINES))('buffer %s: the role and external ID on every AWS output, under its plugin’s option names; none without assumeRole', (buffer) => {
    const p = pipeline(ENGINES[buffer]);
    const withRole = roleOptions(fluentBitConfigDocument(p, { ...TARGETS, assumeRole: ROLE }));
    expect(withRole).toEqual(
      EXPECTED[buffer].map(({ name, alias, aws }) => ({
        name,
        alias,
        ...(aws === 'role_arn' ? { role_arn: ROLE.roleArn, external_id: ROLE.externalId } : {}),
        ...(aws === 'aws_role_arn' ? { aws_role_arn: ROLE.roleArn, aws_external_id: ROLE.externalId } : {}),
      })),
    );
    expect(roleOptions(fluentBitConfigDocument(p, TARGETS))).toEqual(EXPECTED[buffer].map(({ name, alias }) => ({ name, alias })));
  });

  it('changes nothing else: the document with assumeRole is the one without, plus the role options', () => {
    for (const engine of Object.values(ENGINES)) {
      const p = pipeline(engine);
      const strip = (doc: FluentBitConfigDocument) => ({
        ...doc,
        pipeline: { ...doc.pipeline, outputs: doc.pipeline.outputs.map(({ role_arn, external_id, aws_role_arn, aws_external_id, ...rest }) => rest) },
      });
      expect(strip(fluentBitConfigDocument(p, { ...TARGETS, assumeRole: ROLE }))).toEqual(fluentBitConfigDocument(p, TARGETS));
    }
  });
});

describe('logtong agent-config, agents in another account', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logtong-assume-role-'));
  const config = path.join(dir, 'pipelines.yaml');
  const EKS = { clusterName: 'prod', oidcProviderArn: `arn:aws:iam::${AGENT_ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC` };
  const fb = (name: string, source: Record<string, unknown> = {}) => ({ type: 'fluent-bit', platform: 'ec2', logPaths: [`/var/log/${name}.log`], account: AGENT_ACCOUNT, ...source });
  writeFileSync(
    config,
    JSON.stringify({
      account: '123456789012',
      region: 'eu-west-1',
      pipelines: [
        { name: 'web', source: fb('web'), logFormat: { type: 'nginx' }, engine: ENGINES.light },
        { name: 'stream', source: fb('stream', { externalId: 'shared-secret-1' }), logFormat: { type: 'nginx' }, engine: { ...ENGINES.kinesis, indexPrefix: 'stream' } },
        { name: 'direct', source: fb('direct'), logFormat: { type: 'nginx' }, engine: { ...ENGINES['none (aws domain)'], indexPrefix: 'direct' } },
        { name: 'pods', source: fb('pods', { platform: 'eks', logPaths: ['/var/log/containers/*.log'], eks: EKS }), logFormat: { type: 'json' }, engine: ENGINES.light },
        { name: 'local', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/local.log'] }, logFormat: { type: 'nginx' }, engine: ENGINES.light },
      ],
    }),
  );
  const roleArn = (name: string) => `arn:aws:iam::123456789012:role/Logtong-${name}-agent`;
  const outputs = path.join(dir, 'cdk-outputs.json');
  writeFileSync(
    outputs,
    JSON.stringify({
      'Logtong-web': { BufferBucketName: 'web-buffer', AgentRoleArn: roleArn('web') },
      'Logtong-stream': { BufferStreamName: 'stream-buffer', AgentRoleArn: roleArn('stream') },
      'Logtong-direct': { BackupBucketName: 'direct-backup', AgentRoleArn: roleArn('direct') },
      'Logtong-pods': { BufferBucketName: 'pods-buffer', AgentRoleArn: roleArn('pods') },
      'Logtong-local': { BufferBucketName: 'local-buffer' },
    }),
  );

  const run = runAgentConfigText;
  const ec2 = (name: string, withOutputs: boolean) => parseYaml(run(['--config', config, '--pipeline', name, '--platform', 'ec2', ...(withOutputs ? ['--outputs', outputs] : [])])) as FluentBitConfigDocument;

  /** [plugin, role ARN, external ID] of each output, under whichever option names it has. */
  const roles = (doc: FluentBitConfigDocument) => doc.pipeline.outputs.map((o) => [o.name, o.role_arn ?? o.aws_role_arn, o.external_id ?? o.aws_external_id]);

  it.each([
    ['web', 'logtong-web', ['s3', 'cloudwatch_logs']],
    ['stream', 'shared-secret-1', ['kinesis_streams', 'cloudwatch_logs']],
    ['direct', 'logtong-direct', ['opensearch', 's3', 'cloudwatch_logs']],
  ])('%s: ${LOGTONG_ASSUME_ROLE_ARN} without --outputs, the stack’s AgentRoleArn with, on every output; the external ID (%s) either way', (name, externalId, plugins) => {
    expect(roles(ec2(name, false))).toEqual(plugins.map((p) => [p, AGENT_PLACEHOLDERS.assumeRoleArn, externalId]));
    expect(AGENT_PLACEHOLDERS.assumeRoleArn).toBe('${LOGTONG_ASSUME_ROLE_ARN}');
    expect(roles(ec2(name, true))).toEqual(plugins.map((p) => [p, roleArn(name), externalId]));
  });

  it('agentTargets: assumeRole from the source, the ARN a placeholder or AgentRoleArn; nothing for agents of the pipeline’s account', () => {
    const loaded = parseConfig(JSON.parse(readFileSync(config, 'utf8'))).pipelines;
    const byName = (n: string) => loaded.find((p) => p.name === n)!;
    expect(agentTargets(byName('web'), 'eu-west-1').assumeRole).toEqual({ roleArn: '${LOGTONG_ASSUME_ROLE_ARN}', externalId: 'logtong-web' });
    expect(agentTargets(byName('web'), 'eu-west-1', { file: outputs, values: { BufferBucketName: 'b', AgentRoleArn: roleArn('web') } }).assumeRole).toEqual({ roleArn: roleArn('web'), externalId: 'logtong-web' });
    expect(() => agentTargets(byName('web'), 'eu-west-1', { file: outputs, values: { BufferBucketName: 'b' } })).toThrow(/has no output AgentRoleArn/);
    expect(agentTargets(byName('local'), 'eu-west-1').assumeRole).toBeUndefined();
    // agents whose account is the pipeline's: no role to assume, as the stack creates none (crossAccountAgents)
    expect(agentTargets(byName('web'), 'eu-west-1', undefined, (byName('web').source as { account: string }).account).assumeRole).toBeUndefined();
    expect(roles(ec2('local', true))).toEqual([
      ['s3', undefined, undefined],
      ['cloudwatch_logs', undefined, undefined],
    ]);
  });

  it('eks: the ConfigMap’s configuration assumes the role (placeholder or AgentRoleArn); the ServiceAccount keeps the agents’ own IRSA role', () => {
    for (const withOutputs of [false, true]) {
      const docs = parseAllDocuments(run(['--config', config, '--pipeline', 'pods', '--platform', 'eks', ...(withOutputs ? ['--outputs', outputs] : [])])).map((d) => d.toJS());
      const yaml = parseYaml(docs.find((d) => d.kind === 'ConfigMap').data['fluent-bit.yaml']) as FluentBitConfigDocument;
      const arn = withOutputs ? roleArn('pods') : AGENT_PLACEHOLDERS.assumeRoleArn;
      expect(roles(yaml)).toEqual([
        ['s3', arn, 'logtong-pods'],
        ['cloudwatch_logs', arn, 'logtong-pods'],
      ]);
      expect(docs.find((d) => d.kind === 'ServiceAccount').metadata.annotations['eks.amazonaws.com/role-arn']).toBe(AGENT_PLACEHOLDERS.roleArn);
    }
  });
});
