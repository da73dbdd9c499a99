import { parseConfig } from '../../lib/config/load';
import type { Pipeline } from '../../lib/config/schema';
import { formatSummary, summaryRow, type SummaryRow, type TemplateJson } from '../../lib/synth-summary';

const domain = { type: 'aws', endpoint: 'https://search-logs-abc.us-east-1.es.amazonaws.com', arn: 'arn:aws:es:us-east-1:123456789012:domain/logs' };
const vpc = { vpcId: 'vpc-11112222', subnetIds: ['subnet-33334444'], securityGroupIds: ['sg-55556666'] };
const eks = { clusterName: 'c', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC' };

function pipelineOf(name: string, source: object, engine: object = { type: 'opensearch', domain, indexPrefix: 'web' }): Pipeline {
  return parseConfig({
    syslog: { vpcId: 'vpc-aaaabbbb', subnetIds: ['subnet-aaaa1111'] },
    pipelines: [{ name, source, logFormat: { type: 'json' }, engine }],
  }).pipelines[0];
}

/** What PipelineStack writes for an agent source: the output refers to the parameter, whose name is literal. */
const withParameter = (name: string): TemplateJson => ({
  Resources: { AgentConfig749EB379: { Type: 'AWS::SSM::Parameter', Properties: { Name: name, Type: 'String' } } },
  Outputs: { AgentConfigParameterName: { Value: { Ref: 'AgentConfig749EB379' } } },
});
const NO_AGENTS: TemplateJson = { Resources: {}, Outputs: { BackupBucketName: { Value: { Ref: 'BackupBucket' } } } };

const row = (pipeline: Pipeline, template: TemplateJson, agentManifest?: string): SummaryRow =>
  summaryRow({ kind: 'pipeline', stackName: `Logtong-${pipeline.name}`, pipeline, template, ...(agentManifest ? { agentManifest } : {}) });

describe('summaryRow', () => {
  it('says how logs arrive: the S3 mode, or the agents and what they write to', () => {
    const cases: Array<[Pipeline, string, string]> = [
      [pipelineOf('a', { type: 's3', bucketName: 'my-logs' }), 's3 ongoing', 'opensearch'],
      [pipelineOf('a', { type: 's3', mode: 'one-time', bucketName: 'my-logs', scanner: { vpc } }, { type: 'light' }), 's3 one-time', 'light'],
      [pipelineOf('a', { type: 'fluent-bit', platform: 'ec2', logPaths: ['/l'] }, { type: 'opensearch', domain, indexPrefix: 'w', buffer: 'kinesis' }), 'fluent-bit ec2, kinesis', 'opensearch'],
      [pipelineOf('a', { type: 'fluent-bit', platform: 'ec2', logPaths: ['/l'] }, { type: 'opensearch', domain, indexPrefix: 'w', buffer: 'none' }), 'fluent-bit ec2, no buffer', 'opensearch'],
      [pipelineOf('a', { type: 'fluent-bit', platform: 'eks', logPaths: ['/l'], eks }, { type: 'light' }), 'fluent-bit eks, s3 buffer', 'light'],
      [pipelineOf('a', { type: 'syslog', protocol: 'tcp_udp', port: 514, clientCidrs: ['10.0.0.0/8'] }, { type: 'opensearch', domain, indexPrefix: 'w', buffer: 's3' }), 'syslog tcp_udp/514, s3 buffer', 'opensearch'],
    ];
    for (const [pipeline, source, engine] of cases) expect(row(pipeline, NO_AGENTS)).toMatchObject({ stack: 'Logtong-a', source, engine });
  });

  it('names the SSM parameter the stack output refers to, and nothing for a stack without agents', () => {
    const agents = pipelineOf('edge', { type: 'fluent-bit', platform: 'ec2', logPaths: ['/l'] });
    expect(row(agents, withParameter('/logtong/edge/fluent-bit.yaml')).agentConfig).toBe('SSM /logtong/edge/fluent-bit.yaml');
    expect(row(agents, { Outputs: { AgentConfigParameterName: { Value: '/literal/name' } } }).agentConfig).toBe('SSM /literal/name');
    expect(row(pipelineOf('web', { type: 's3', bucketName: 'my-logs' }), NO_AGENTS).agentConfig).toBe('-');
  });

  it('sends EKS agents to the manifest in cdk.out, whose ConfigMap the DaemonSet mounts', () => {
    const k8s = pipelineOf('k8s', { type: 'fluent-bit', platform: 'eks', logPaths: ['/l'], eks });
    expect(row(k8s, withParameter('/logtong/k8s/fluent-bit.yaml'), 'cdk.out/Logtong-k8s.fluent-bit.yaml').agentConfig).toBe(
      'cdk.out/Logtong-k8s.fluent-bit.yaml',
    );
  });

  it('describes the shared syslog stack and a source account stack', () => {
    expect(summaryRow({ kind: 'syslog-shared', stackName: 'LogtongSyslog', receivers: 0 })).toEqual({
      stack: 'LogtongSyslog',
      source: 'placeholder (no syslog pipeline)',
      engine: '-',
      agentConfig: '-',
    });
    expect(summaryRow({ kind: 'syslog-shared', stackName: 'LogtongSyslog', receivers: 1 }).source).toBe('syslog NLB + 1 receiver');
    expect(summaryRow({ kind: 'syslog-shared', stackName: 'LogtongSyslog', receivers: 3 }).source).toBe('syslog NLB + 3 receivers');
    expect(summaryRow({ kind: 'source-account', stackName: 'LogtongSource-x', account: '222222222222' })).toEqual({
      stack: 'LogtongSource-x',
      source: 's3 source, account 222222222222',
      engine: '-',
      agentConfig: '-',
    });
  });
});

describe('formatSummary', () => {
  const rows: SummaryRow[] = [
    { stack: 'Logtong-web-access', source: 's3 ongoing', engine: 'opensearch', agentConfig: '-' },
    { stack: 'Logtong-orders-agent', source: 'fluent-bit ec2, kinesis', engine: 'opensearch', agentConfig: 'SSM /logtong/orders-agent/fluent-bit.yaml' },
    { stack: 'LogtongSyslog', source: 'placeholder (no syslog pipeline)', engine: '-', agentConfig: '-' },
  ];

  it('prints a title, a header, a rule and one aligned line per stack', () => {
    expect(formatSummary(rows, 'cdk.out')).toBe(
      [
        'Logtong: 3 stacks in cdk.out',
        'Stack                 Source                            Engine      Agent configuration',
        '--------------------  --------------------------------  ----------  -------------------',
        'Logtong-web-access    s3 ongoing                        opensearch  -',
        'Logtong-orders-agent  fluent-bit ec2, kinesis           opensearch  SSM /logtong/orders-agent/fluent-bit.yaml',
        'LogtongSyslog         placeholder (no syslog pipeline)  -           -',
        '',
      ].join('\n'),
    );
  });

  it('leaves no trailing blanks and keeps the header as wide as its cells need', () => {
    const text = formatSummary([{ stack: 'S', source: 'x', engine: 'y', agentConfig: '-' }], '/tmp/out');
    expect(text.split('\n').filter((l) => / $/.test(l))).toEqual([]);
    expect(text).toBe(['Logtong: 1 stack in /tmp/out', 'Stack  Source  Engine  Agent configuration', '-----  ------  ------  -------------------', 'S      x       y       -', ''].join('\n'));
  });
});
