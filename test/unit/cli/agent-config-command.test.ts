import { spawnSync } from 'node:child_process';
import { runAgentConfigText } from './run-agent-config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { UsageError } from '../../../lib/cli/errors';
import { ConfigError } from '../../../lib/config/load';

const DOMAIN = { type: 'aws', endpoint: 'https://search-logs.eu-west-1.es.amazonaws.com', arn: 'arn:aws:es:eu-west-1:123456789012:domain/logs' };
const EKS = { clusterName: 'prod', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC' };

const dir = mkdtempSync(path.join(tmpdir(), 'logtong-agent-'));
const config = path.join(dir, 'pipelines.yaml');
writeFileSync(
  config,
  JSON.stringify({
    region: 'eu-west-1',
    pipelines: [
      { name: 'web', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/nginx/access.log'] }, logFormat: { type: 'nginx' }, engine: { type: 'light' } },
      { name: 'stream', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/a.log'] }, logFormat: { type: 'json' }, engine: { type: 'opensearch', buffer: 'kinesis', indexPrefix: 's', domain: DOMAIN } },
      { name: 'pods', source: { type: 'fluent-bit', platform: 'eks', logPaths: ['/var/log/containers/*.log'], eks: EKS }, logFormat: { type: 'json' }, engine: { type: 'light' } },
      { name: 'files', source: { type: 's3', bucketName: 'some-bucket' }, logFormat: { type: 'json' }, engine: { type: 'light' } },
    ],
  }),
);
const outputs = path.join(dir, 'cdk-outputs.json');
writeFileSync(
  outputs,
  JSON.stringify({
    'Logtong-web': { BufferBucketName: 'logtong-web-buffer-abc', BackupBucketName: 'bk' },
    'Logtong-pods': { BufferBucketName: 'logtong-pods-buffer', AgentRoleArn: 'arn:aws:iam::123456789012:role/pods-agent' },
    'Logtong-stream': {},
  }),
);

const run = runAgentConfigText;

// A pipeline whose format the agent cannot parse as the processor does: the config itself is refused.
const direct = path.join(dir, 'direct.yaml');
writeFileSync(
  direct,
  JSON.stringify({
    pipelines: [{ name: 'direct', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/a.log'] }, logFormat: { type: 'syslog' }, engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'd', domain: DOMAIN } }],
  }),
);

describe('logtong agent-config', () => {
  it('ec2 without --outputs: the config with ${LOGTONG_…} placeholders and the config\'s region', () => {
    const doc = parseYaml(run(['--config', config, '--pipeline', 'web', '--platform', 'ec2']));
    expect(doc.pipeline.outputs[0]).toMatchObject({ name: 's3', bucket: '${LOGTONG_BUFFER_BUCKET}', region: 'eu-west-1' });
    const stream = parseYaml(run(['--config', config, '--pipeline', 'stream', '--platform', 'ec2', '--region', 'us-east-1']));
    expect(stream.pipeline.outputs[0]).toMatchObject({ name: 'kinesis_streams', stream: '${LOGTONG_BUFFER_STREAM}', region: 'us-east-1' });
  });

  it('with --outputs: the values of the stack outputs', () => {
    const doc = parseYaml(run(['--config', config, '--pipeline', 'web', '--platform', 'ec2', '--outputs', outputs]));
    expect(doc.pipeline.outputs[0].bucket).toBe('logtong-web-buffer-abc');
  });

  it('eks: the manifest, with the role from the outputs or a placeholder', () => {
    const docs = parseAllDocuments(run(['--config', config, '--pipeline', 'pods', '--platform', 'eks', '--outputs', outputs])).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'ServiceAccount', 'ConfigMap', 'DaemonSet']);
    expect(docs[1].metadata.annotations['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/pods-agent');
    expect(parseYaml(docs[2].data['fluent-bit.yaml']).pipeline.outputs[0].bucket).toBe('logtong-pods-buffer');
    const placeholder = parseAllDocuments(run(['--config', config, '--pipeline', 'pods', '--platform', 'eks'])).map((d) => d.toJS());
    expect(placeholder[1].metadata.annotations['eks.amazonaws.com/role-arn']).toBe('${LOGTONG_AGENT_ROLE_ARN}');
  });

  it('bad arguments are UsageError (exit 2), bad configs ConfigError (exit 1), with the reason', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--config', config, '--pipeline', 'web'], /--platform must be ec2 or eks/],
      [['--pipeline', 'web', '--platform', 'ec2'], /needs --config and --pipeline/],
      [['--config', config, '--pipeline', 'nope', '--platform', 'ec2'], /no pipeline named nope/],
      [['--config', config, '--pipeline', 'files', '--platform', 'ec2'], /has a s3 source, not fluent-bit/],
      [['--config', config, '--pipeline', 'web', '--platform', 'eks'], /runs its agent on ec2, not eks/],
      [['--config', config, '--pipeline', 'stream', '--platform', 'ec2', '--outputs', outputs], /stack Logtong-stream has no output BufferStreamName/],
      [['--config', config, '--pipeline', 'web', '--platform', 'ec2', '--outputs', path.join(dir, 'missing.json')], /--outputs .*missing.json/],
      [['--config', config, '--pipeline', 'web', '--platform', 'ec2', '--bogus'], /bogus/],
    ];
    for (const [argv, re] of bad) {
      expect(() => run(argv)).toThrow(UsageError);
      expect(() => run(argv)).toThrow(re);
    }
    expect(() => run(['--config', direct, '--pipeline', 'direct', '--platform', 'ec2'])).toThrow(ConfigError);
    expect(() => run(['--config', direct, '--pipeline', 'direct', '--platform', 'ec2'])).toThrow(/syslog lines are parsed by hand-written code/);
    writeFileSync(path.join(dir, 'broken.yaml'), 'pipelines: []');
    expect(() => run(['--config', path.join(dir, 'broken.yaml'), '--pipeline', 'x', '--platform', 'ec2'])).toThrow(ConfigError);
    const noStack = path.join(dir, 'other-outputs.json');
    writeFileSync(noStack, '{}');
    expect(() => run(['--config', config, '--pipeline', 'web', '--platform', 'ec2', '--outputs', noStack])).toThrow(/no stack Logtong-web/);
  });

  it('through bin/logtong: exit 0 with the config on stdout, exit 1 on a config the agent cannot run, with the reason and no stack trace', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const ok = spawnSync('npx', ['logtong', 'agent-config', '--config', config, '--pipeline', 'web', '--platform', 'ec2'], { cwd: root, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(parseYaml(ok.stdout).pipeline.inputs[0].name).toBe('tail');
    const bad = spawnSync('npx', ['logtong', 'agent-config', '--config', direct, '--pipeline', 'direct', '--platform', 'ec2'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${direct}:1:`);
    expect(bad.stderr).toContain('pipelines[0] (direct).logFormat: the agent cannot run it: buffer none: syslog lines');
    const usage = spawnSync('npx', ['logtong', 'agent-config', '--config', config, '--pipeline', 'web'], { cwd: root, encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('logtong agent-config --config pipelines.yaml');
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });
});
