/**
 * The sources beyond an ongoing S3 bucket: one-time scans (ECS task), Fluent Bit agents (buffer none / kinesis / s3,
 * EC2 and EKS) and syslog receivers behind the shared internal NLB. Engine stages they reuse are covered by
 * pipeline-stack.test.ts and light-engine.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { flattenForNag } from '../../lib/constructs/private/nag';
import { SYSLOG_SHARED_STACK } from '../../lib/app';
import { KINESIS_DEFAULTS, type Pipeline } from '../../lib/config/schema';
import { build, configOf, exampleConfig, normaliseAssets } from './synth';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

interface Synth {
  json: Json;
  template: Template;
}
const synthesized = new Map<string, Synth>();
let outdir = '';
const example = exampleConfig();

beforeAll(() => {
  const { app } = build(example);
  const assembly = app.synth();
  outdir = assembly.directory;
  for (const stack of assembly.stacks) synthesized.set(stack.stackName, { json: stack.template, template: Template.fromJSON(stack.template) });
});

const get = (name: string): Synth => {
  const s = synthesized.get(name.startsWith('Logtong') ? name : `Logtong-${name}`);
  if (!s) throw new Error(`no stack for ${name}`);
  return s;
};
const ofType = (s: Synth, type: string): Array<[string, Json]> => Object.entries(s.json.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);
const one = (s: Synth, type: string): [string, Json] => {
  const found = ofType(s, type);
  expect(found).toHaveLength(1);
  return found[0];
};

/** Allow statements (actions, flattened resources, conditions) of every policy document in the stack. */
function statements(s: Synth): Array<{ actions: string[]; resources: string[]; conditions?: Json; owner: string }> {
  const docs: Array<[string, Json]> = [
    ...ofType(s, 'AWS::IAM::Policy').map(([id, p]) => [id, p.Properties.PolicyDocument] as [string, Json]),
    ...ofType(s, 'AWS::IAM::ManagedPolicy').map(([id, p]) => [id, p.Properties.PolicyDocument] as [string, Json]),
  ];
  return docs.flatMap(([owner, d]) =>
    asArray(d.Statement)
      .filter((st: Json) => st.Effect === 'Allow')
      .map((st: Json) => ({ owner, actions: asArray<string>(st.Action), resources: asArray(st.Resource).map(flattenForNag), conditions: st.Condition })),
  );
}

const byName = (name: string): Pipeline => example.pipelines.find((p) => p.name === name)!;
const scenario = (pred: (p: Pipeline) => boolean) => example.pipelines.filter(pred).map((p) => p.name);

describe('the example config shows every scenario', () => {
  it.each([
    ['s3 one-time → opensearch', (p: Pipeline) => p.source.type === 's3' && p.source.mode === 'one-time' && p.engine.type === 'opensearch'],
    ['s3 one-time → light', (p: Pipeline) => p.source.type === 's3' && p.source.mode === 'one-time' && p.engine.type === 'light'],
    ['fluent-bit → opensearch (none)', (p: Pipeline) => p.source.type === 'fluent-bit' && p.engine.type === 'opensearch' && p.engine.buffer === 'none'],
    ['fluent-bit → opensearch (kinesis)', (p: Pipeline) => p.source.type === 'fluent-bit' && p.engine.type === 'opensearch' && p.engine.buffer === 'kinesis'],
    ['fluent-bit → opensearch (s3)', (p: Pipeline) => p.source.type === 'fluent-bit' && p.engine.type === 'opensearch' && p.engine.buffer === 's3'],
    ['fluent-bit → light', (p: Pipeline) => p.source.type === 'fluent-bit' && p.engine.type === 'light'],
    ['fluent-bit on eks', (p: Pipeline) => p.source.type === 'fluent-bit' && p.source.platform === 'eks'],
    ['syslog → opensearch', (p: Pipeline) => p.source.type === 'syslog' && p.engine.type === 'opensearch'],
    ['syslog → light', (p: Pipeline) => p.source.type === 'syslog' && p.engine.type === 'light'],
  ])('%s', (_title, pred) => {
    expect(scenario(pred).length).toBeGreaterThan(0);
  });
});

describe.each(scenario((p) => p.source.type === 's3' && p.source.mode === 'one-time'))('one-time load %s', (name) => {
  const pipeline = byName(name);
  const source = pipeline.source as Extract<Pipeline['source'], { type: 's3' }>;

  it('subscribes nothing to the source bucket: the scanner feeds the copy queue', () => {
    const s = get(name);
    const notified = ofType(s, 'Custom::S3BucketNotifications').map(([, r]) => JSON.stringify(r.Properties.BucketName));
    expect(notified.some((b) => b.includes(source.bucketName))).toBe(false);
  });

  it('runs the scanner on Fargate (arm64), read-only root, logged, with the source, queue and checkpoint in its environment', () => {
    const s = get(name);
    const [, task] = one(s, 'AWS::ECS::TaskDefinition');
    expect(task.Properties.RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
    expect(task.Properties.RequiresCompatibilities).toEqual(['FARGATE']);
    const [container] = task.Properties.ContainerDefinitions;
    expect(container.ReadonlyRootFilesystem).toBe(true);
    expect(container.LogConfiguration.LogDriver).toBe('awslogs');
    const env = Object.fromEntries(container.Environment.map((e: Json) => [e.Name, e.Value]));
    expect(env).toMatchObject({ SOURCE_BUCKET: source.bucketName, SOURCE_PREFIX: source.prefix, SOURCE_SUFFIX: source.suffix, CHECKPOINT_KEY: `_logtong/scanner/${name}.json` });
    expect(flattenForNag(env.COPY_QUEUE_URL)).toMatch(/^<CopyQueue[0-9A-F]{8}>$/);
    const [, cluster] = one(s, 'AWS::ECS::Cluster');
    expect(cluster.Properties.ClusterSettings).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
  });

  it('lets the task list only the prefix, send only to the copy queue and touch only its checkpoint', () => {
    const s = get(name);
    const sts = statements(s);
    const list = sts.filter((st) => st.actions.includes('s3:ListBucket') && st.resources.includes(`arn:<AWS::Partition>:s3:::${source.bucketName}`));
    expect(list).toHaveLength(1);
    expect(list[0].resources).toHaveLength(1);
    expect(list[0].conditions).toEqual({ StringLike: { 's3:prefix': [`${source.prefix}*`] } });
    // and on its own checkpoint bucket, so that a missing checkpoint is a 404, not a 403
    const staging = sts.filter((st) => st.owner.startsWith('ScannerTask') && st.actions.includes('s3:ListBucket') && st.resources.every((r) => /^<StagingBucket.*\.Arn>$/.test(r)));
    expect(staging).toHaveLength(1);
    const send = sts.filter((st) => st.actions.includes('sqs:SendMessage'));
    expect(send.map((st) => st.resources)).toEqual([[expect.stringMatching(/^<CopyQueue.*\.Arn>$/)]]);
    const checkpoint = sts.filter((st) => st.actions.includes('s3:PutObject') && st.resources.some((r) => r.includes('_logtong/scanner')));
    expect(checkpoint.map((st) => st.resources)).toEqual([[expect.stringMatching(new RegExp(`^<StagingBucket.*\\.Arn>/_logtong/scanner/${name}\\.json$`))]]);
  });

  it('starts the task once on create, and documents the manual run', () => {
    const s = get(name);
    const starts = ofType(s, 'Custom::AWS');
    const startOnDeploy = source.scanner!.startOnDeploy;
    expect(starts).toHaveLength(startOnDeploy ? 1 : 0);
    if (startOnDeploy) {
      const create = JSON.stringify(starts[0][1].Properties.Create);
      expect(create).toContain('runTask');
      expect(create).toContain('FARGATE');
      expect(create).toContain('DISABLED'); // no public IP
      expect(starts[0][1].Properties.Update).toBeUndefined();
    }
    const outputs = Object.entries(s.json.Outputs as Record<string, Json>).filter(([k]) => k === 'ScannerRunTaskCommand');
    expect(outputs).toHaveLength(1);
    expect(JSON.stringify(outputs[0][1].Value)).toContain('aws ecs run-task --launch-type FARGATE');
  });
});

describe('fluent-bit, buffer kinesis (orders-agent)', () => {
  const s = () => get('orders-agent');
  const engine = byName('orders-agent').engine as Extract<Pipeline['engine'], { type: 'opensearch' }>;
  const kinesis = { ...KINESIS_DEFAULTS, ...engine.kinesis };

  it('matches the snapshot (asset hashes normalised)', () => {
    expect(normaliseAssets(s().json)).toMatchSnapshot();
  });

  it('creates an encrypted stream with the configured shards and retention', () => {
    const [, stream] = one(s(), 'AWS::Kinesis::Stream');
    expect(stream.Properties.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    expect(stream.Properties.ShardCount).toBe(kinesis.shards);
    expect(stream.Properties.RetentionPeriodHours).toBe(kinesis.retentionHours);
  });

  it('reads it with item failures reported, bisection, bounded retries and age, and an on-failure queue', () => {
    const mappings = ofType(s(), 'AWS::Lambda::EventSourceMapping');
    const fromStream = mappings.filter(([, m]) => JSON.stringify(m.Properties.EventSourceArn).includes('Stream'));
    expect(fromStream).toHaveLength(1);
    const p = fromStream[0][1].Properties;
    expect(p).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: kinesis.retryAttempts,
      MaximumRecordAgeInSeconds: kinesis.maxRecordAgeSeconds,
      BatchSize: kinesis.batchSize,
      StartingPosition: 'TRIM_HORIZON',
    });
    const failureQueue = flattenForNag(p.DestinationConfig.OnFailure.Destination);
    expect(failureQueue).toMatch(/^<KinesisFailureQueue.*\.Arn>$/);
    // the failure queue is consumed (records read back into the backup bucket), and its DLQ is drained too
    const consumers = mappings.filter(([, m]) => flattenForNag(m.Properties.EventSourceArn) === failureQueue);
    expect(consumers).toHaveLength(1);
  });

  it('lets the failure handler read the stream and the agents only put into it', () => {
    const sts = statements(s());
    const stream = (st: { resources: string[] }) => st.resources.every((r) => /^<KinesisStream.*\.Arn>$/.test(r));
    const reads = sts.filter((st) => st.actions.includes('kinesis:GetRecords'));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every(stream)).toBe(true);
    const agent = sts.filter((st) => st.owner.startsWith('AgentPolicy'));
    expect(agent.flatMap((st) => st.actions).sort()).toEqual(['kinesis:DescribeStream', 'kinesis:PutRecord', 'kinesis:PutRecords', 'logs:CreateLogStream', 'logs:PutLogEvents', 'ssm:GetParameter']);
    expect(agent.filter((st) => st.actions.includes('kinesis:PutRecords')).every(stream)).toBe(true);
  });

  it('stores the agent configuration in SSM and gives EC2 hosts a role and instance profile', () => {
    const [, param] = one(s(), 'AWS::SSM::Parameter');
    expect(param.Properties.Name).toBe('/logtong/orders-agent/fluent-bit.yaml');
    one(s(), 'AWS::IAM::InstanceProfile');
    const outputs = Object.keys(s().json.Outputs);
    expect(outputs).toEqual(expect.arrayContaining(['AgentRoleArn', 'AgentPolicyArn', 'AgentConfigParameterName', 'BufferStreamName']));
  });
});

describe('fluent-bit, buffer none (edge-direct)', () => {
  const s = () => get('edge-direct');
  it('matches the snapshot (asset hashes normalised)', () => {
    expect(normaliseAssets(s().json)).toMatchSnapshot();
  });

  it('has no buffer, queue or processor: the index layout, a backup bucket for unparsed lines and the agent permissions', () => {
    expect(ofType(s(), 'AWS::Kinesis::Stream')).toHaveLength(0);
    expect(ofType(s(), 'AWS::SQS::Queue')).toHaveLength(0);
    expect(ofType(s(), 'AWS::S3::Bucket').map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AccessLogBucket', 'BackupBucket']);
    expect(ofType(s(), 'Custom::LogtongIndexBootstrap')).toHaveLength(1);
    const agent = statements(s()).filter((st) => st.owner.startsWith('AgentPolicy'));
    const http = agent.filter((st) => st.actions.includes('es:ESHttpPost'));
    expect(http.flatMap((st) => st.resources).sort()).toEqual([
      'arn:aws:es:us-east-1:123456789012:domain/logtong-apps/_bulk',
      'arn:aws:es:us-east-1:123456789012:domain/logtong-apps/edge-direct*',
    ]);
    const put = agent.filter((st) => st.actions.includes('s3:PutObject'));
    expect(put.flatMap((st) => st.resources)).toEqual([expect.stringMatching(/^<BackupBucket.*\.Arn>\/agent-failed\/edge-direct\/\*$/)]);
  });
});

describe.each(scenario((p) => p.source.type === 'fluent-bit' && (p.engine.type === 'light' || p.engine.buffer === 's3')))('fluent-bit, S3 buffer: %s', (name) => {
  const s = () => get(name);
  const pipeline = byName(name);

  // Light Engine stacks are snapshotted by light-engine.test.ts.
  if (pipeline.engine.type === 'opensearch') {
    it('matches the snapshot (asset hashes normalised)', () => {
      expect(normaliseAssets(s().json)).toMatchSnapshot();
    });
  }

  it('creates the buffer bucket encrypted and TLS-only, watched by the copy stage under <pipeline>/', () => {
    const buffers = ofType(s(), 'AWS::S3::Bucket').filter(([id]) => id.startsWith('BufferBucket'));
    expect(buffers).toHaveLength(1);
    const [bufferId, bucket] = buffers[0];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    const policy = ofType(s(), 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bufferId)![1];
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    const notifications = ofType(s(), 'Custom::S3BucketNotifications').find(([, n]) => n.Properties.BucketName.Ref === bufferId)![1];
    const [queue] = notifications.Properties.NotificationConfiguration.QueueConfigurations;
    expect(flattenForNag(queue.QueueArn)).toMatch(/^<CopyQueue.*\.Arn>$/);
    expect(queue.Filter.Key.FilterRules).toEqual(expect.arrayContaining([{ Name: 'prefix', Value: `${name}/` }, { Name: 'suffix', Value: '.log.gz' }]));
  });

  it('lets the agents put objects under the pipeline prefix only', () => {
    const agent = statements(s()).filter((st) => st.owner.startsWith('AgentPolicy'));
    const put = agent.filter((st) => st.actions.includes('s3:PutObject'));
    expect(put.flatMap((st) => st.resources)).toEqual([expect.stringMatching(new RegExp(`^<BufferBucket.*\\.Arn>/${name}/\\*$`))]);
    expect(agent.flatMap((st) => st.actions).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:PutObject', 'ssm:GetParameter']);
  });

  if (pipeline.source.type === 'fluent-bit' && pipeline.source.platform === 'eks') {
    const eks = pipeline.source.eks!;
    it('backs the DaemonSet with an IRSA role only its ServiceAccount can assume, and writes the manifest to cdk.out', () => {
      const roles = ofType(s(), 'AWS::IAM::Role').filter(([id]) => id.startsWith('AgentRole'));
      expect(roles).toHaveLength(1);
      const [st] = roles[0][1].Properties.AssumeRolePolicyDocument.Statement;
      expect(st.Action).toBe('sts:AssumeRoleWithWebIdentity');
      expect(st.Principal.Federated).toBe(eks.oidcProviderArn);
      const cond = JSON.stringify(st.Condition);
      expect(cond).toContain(`system:serviceaccount:${eks.namespace}:`);
      expect(cond).toContain('sts.amazonaws.com');
      expect(ofType(s(), 'AWS::IAM::InstanceProfile')).toHaveLength(0);
      const manifest = path.join(outdir, `Logtong-${name}.fluent-bit.yaml`);
      expect(existsSync(manifest)).toBe(true);
      expect(readFileSync(manifest, 'utf8')).toMatch(/kind: DaemonSet/);
    });
  }
});

describe('syslog', () => {
  const shared = () => get(SYSLOG_SHARED_STACK);
  const syslogPipelines = scenario((p) => p.source.type === 'syslog');
  /** One pipeline's receivers in the shared stack: the resources under the construct named after it. */
  const receiversOf = (name: string): Synth => {
    const prefix = name.replace(/-/g, '');
    const json = { ...shared().json, Resources: Object.fromEntries(Object.entries(shared().json.Resources as Record<string, Json>).filter(([id]) => id.startsWith(prefix))) };
    return { json, template: Template.fromJSON(json) };
  };

  it('one shared stack holds an internal NLB in the configured subnets, the cluster, and every syslog pipeline\'s receivers', () => {
    expect(normaliseAssets(shared().json)).toMatchSnapshot();
    const [, nlb] = one(shared(), 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(nlb.Properties).toMatchObject({ Type: 'network', Scheme: 'internal', Subnets: example.syslog!.subnetIds });
    one(shared(), 'AWS::ECS::Cluster');
    // the load balancer's group opens only what a pipeline's receivers add (their ingress rules are resources)
    const [sgId] = ofType(shared(), 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('LoadBalancerSecurityGroup'))!;
    expect(shared().json.Resources[sgId].Properties.SecurityGroupIngress).toBeUndefined();
    expect(ofType(shared(), 'AWS::ECS::Service')).toHaveLength(syslogPipelines.length);
    // the pipeline stacks hold none of it, and take nothing from the shared stack (so removing the last one can delete it)
    for (const name of syslogPipelines) {
      expect(ofType(get(name), 'AWS::ECS::Service')).toEqual([]);
      expect(ofType(get(name), 'AWS::ElasticLoadBalancingV2::Listener')).toEqual([]);
      expect(JSON.stringify(get(name).json)).not.toContain('Fn::ImportValue');
    }
  });

  it('the examples show a TCP, and a TCP and UDP, listener', () => {
    expect(syslogPipelines.map((n) => (byName(n).source as { protocol: string }).protocol).sort()).toEqual(['tcp', 'tcp_udp']);
  });

  it.each(syslogPipelines)('%s: a listener on its port, clients only from its CIDRs, tasks only from the NLB', (name) => {
    const source = byName(name).source as Extract<Pipeline['source'], { type: 'syslog' }>;
    const s = receiversOf(name);
    if (byName(name).engine.type === 'opensearch') expect(normaliseAssets(get(name).json)).toMatchSnapshot();
    const [, listener] = one(s, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listener.Properties).toMatchObject({ Port: source.port, Protocol: source.protocol.toUpperCase() });
    const [, tg] = one(s, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(tg.Properties).toMatchObject({ Port: source.port, Protocol: source.protocol.toUpperCase(), TargetType: 'ip', HealthCheckProtocol: 'HTTP', HealthCheckPort: '2020', HealthCheckPath: '/api/v1/health' });
    const protocols = source.protocol === 'tcp_udp' ? ['tcp', 'udp'] : [source.protocol];
    const ingress = ofType(s, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    const fromClients = ingress.filter((r) => r.CidrIp);
    expect(fromClients.map((r) => `${r.IpProtocol} ${r.CidrIp} ${r.FromPort}-${r.ToPort}`).sort()).toEqual(
      source.clientCidrs.flatMap((c) => protocols.map((p) => `${p} ${c} ${source.port}-${source.port}`)).sort(),
    );
    const toTasks = ingress.filter((r) => r.SourceSecurityGroupId);
    expect(toTasks.map((r) => [r.IpProtocol, r.FromPort]).sort()).toEqual([...protocols.map((p) => [p, source.port]), ['tcp', 2020]].sort());
    const [, task0] = one(s, 'AWS::ECS::TaskDefinition');
    expect(task0.Properties.ContainerDefinitions[0].PortMappings.map((m: Json) => `${m.Protocol}/${m.ContainerPort}`).sort()).toEqual(
      [...protocols.map((p) => `${p}/${source.port}`), 'tcp/2020'].sort(),
    );
    for (const r of toTasks) expect(r.SourceSecurityGroupId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LoadBalancerSecurityGroup/), 'GroupId'] });
    // what the receivers run, from the pipeline's stack; their health alarm notifies the pipeline's topic
    expect(JSON.stringify(s.json)).toContain(`Logtong-${name}:ExportsOutput`);
    const [, alarm] = one(s, 'AWS::CloudWatch::Alarm');
    expect(alarm.Properties).toMatchObject({ AlarmName: `Logtong-${name}-ReceiversUnhealthy`, MetricName: 'UnHealthyHostCount', Namespace: 'AWS/NetworkELB' });
    expect(JSON.stringify(alarm.Properties.AlarmActions)).toContain(`Logtong-${name}:ExportsOutputRefFailureTopic`);
    const [, service] = one(s, 'AWS::ECS::Service');
    expect(service.Properties).toMatchObject({ DesiredCount: source.minTasks, LaunchType: 'FARGATE' });
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    const [, target] = one(s, 'AWS::ApplicationAutoScaling::ScalableTarget');
    expect(target.Properties).toMatchObject({ MinCapacity: source.minTasks, MaxCapacity: source.maxTasks });
    const [, scaling] = one(s, 'AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(scaling.Properties.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType).toBe('ECSServiceAverageCPUUtilization');
    const [, task] = one(s, 'AWS::ECS::TaskDefinition');
    const [container] = task.Properties.ContainerDefinitions;
    expect(container.Environment).toBeUndefined();
    expect(container.Secrets.map((x: Json) => x.Name)).toEqual(['FLUENT_BIT_CONFIG']);
  });

  it('lives as long as its pipelines: two, one and zero syslog pipelines', () => {
    const templateOf = (pipelines: Pipeline[]) => {
      const { app } = build(configOf({ ...example, pipelines } as never));
      return app.synth().getStackByName(SYSLOG_SHARED_STACK).template as Json;
    };
    const resources = (t: Json) => Object.entries(t.Resources as Record<string, Json>);
    const [a, b] = syslogPipelines.map(byName);
    const two = templateOf([a, b, byName('web-access')]);
    const one = templateOf([a, byName('web-access')]);
    const zero = templateOf([byName('web-access')]);
    // removing one frees its listener (and port) and leaves the other's resources as they were
    const prefixOf = (p: Pipeline) => p.name.replace(/-/g, '');
    const withoutMetadata = (t: Json) => resources(t).filter(([, r]) => r.Type !== 'AWS::CDK::Metadata');
    expect(Object.fromEntries(withoutMetadata(one))).toEqual(Object.fromEntries(withoutMetadata(two).filter(([id]) => !id.startsWith(prefixOf(b)))));
    expect(resources(one).filter(([id]) => id.startsWith(prefixOf(b)))).toEqual([]);
    expect(resources(one).filter(([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener')).toHaveLength(1);
    // none: a placeholder of no cost, no load balancer, security group or cluster
    expect(resources(zero).map(([, r]) => r.Type).filter((t) => t !== 'AWS::CDK::Metadata')).toEqual(['AWS::CloudFormation::WaitConditionHandle']);
    // without any syslog network in the config at all, too
    const { app } = build(configOf({ pipelines: [byName('web-access')] } as never));
    expect(resources(app.synth().getStackByName(SYSLOG_SHARED_STACK).template).map(([, r]) => r.Type).filter((t) => t !== 'AWS::CDK::Metadata')).toEqual([
      'AWS::CloudFormation::WaitConditionHandle',
    ]);
  });
});
