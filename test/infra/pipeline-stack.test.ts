import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import { toRuntimeConfig } from '../../lib/config/runtime-config';
import type { Pipeline } from '../../lib/config/schema';
import type { CopyStage } from '../../lib/constructs/copy-stage';
import type { DeadLetterBackup } from '../../lib/constructs/dlq-backup';
import type { IndexBootstrap } from '../../lib/constructs/index-bootstrap';
import { flattenForNag } from '../../lib/constructs/private/nag';
import type { ProcessorStage } from '../../lib/constructs/processor-stage';
import type { PipelineStack } from '../../lib/stacks/pipeline-stack';
import { build, configOf, exampleConfig, normaliseAssets, ROOT, variantConfig } from './synth';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Resource {
  Type: string;
  Properties: Json;
  DependsOn?: string[];
  DeletionPolicy?: string;
}

interface Synthesized {
  stack: PipelineStack;
  template: Template;
  resources: Record<string, Resource>;
}

const examples = exampleConfig().pipelines;
const variants = variantConfig().pipelines;
const synthesized = new Map<string, Synthesized>();

// One synth per config for the whole file: bundling and synthesis dominate the run time.
beforeAll(() => {
  for (const config of [exampleConfig(), variantConfig()]) {
    const { app, stacks } = build(config);
    const assembly = app.synth();
    for (const stack of stacks) {
      const json = assembly.getStackByName(stack.stackName).template;
      synthesized.set(stack.pipeline.name, { stack, template: Template.fromJSON(json), resources: json.Resources });
    }
  }
});

function get(name: string): Synthesized {
  const s = synthesized.get(name);
  if (!s) throw new Error(`no stack for pipeline ${name}`);
  return s;
}

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnElement).logicalId);
}

function stages(stack: PipelineStack) {
  return {
    copy: stack.node.findChild('Copy') as CopyStage,
    processor: stack.node.findChild('Processor') as ProcessorStage,
    backup: stack.node.findChild('DeadLetterBackup') as DeadLetterBackup,
    bootstrap: stack.node.findChild('IndexBootstrap') as IndexBootstrap,
  };
}

function ofType(s: Synthesized, type: string): Array<[string, Resource]> {
  return Object.entries(s.resources).filter(([, r]) => r.Type === type);
}

function asArray<T>(x: T | T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

/** Allow statements of a role: its inline policies and every AWS::IAM::Policy attached to it. */
function statementsOf(s: Synthesized, roleId: string): Array<{ actions: string[]; resources: string[] }> {
  const docs: Json[] = [
    ...asArray(s.resources[roleId].Properties.Policies).map((p: Json) => p.PolicyDocument),
    ...ofType(s, 'AWS::IAM::Policy')
      .filter(([, p]) => asArray(p.Properties.Roles).some((r: Json) => r.Ref === roleId))
      .map(([, p]) => p.Properties.PolicyDocument),
  ];
  return docs.flatMap((d) =>
    asArray(d.Statement)
      .filter((st: Json) => st.Effect === 'Allow')
      .map((st: Json) => ({ actions: asArray<string>(st.Action), resources: asArray(st.Resource).map(flattenForNag) })),
  );
}

/** Resources on which the role may perform `action`. */
function resourcesFor(s: Synthesized, roleId: string, action: string): string[] {
  return statementsOf(s, roleId)
    .filter((st) => st.actions.includes(action))
    .flatMap((st) => st.resources)
    .sort();
}

function roleOf(s: Synthesized, functionId: string): string {
  return s.resources[functionId].Properties.Role['Fn::GetAtt'][0];
}

const ENI_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
];

// Sources in S3 (ongoing and one-time); agent and syslog sources: sources.test.ts.
const toOpenSearch = [...examples, ...variants].filter((p) => p.engine.type === 'opensearch' && p.source.type === 's3');

// Light Engine stacks: light-engine.test.ts.
describe.each(toOpenSearch.map((p) => [p.name, p] as const))('pipeline %s', (name, pipeline: Pipeline) => {
  if (pipeline.source.type !== 's3' || pipeline.engine.type !== 'opensearch') throw new Error('s3 sources into OpenSearch only');
  const source = pipeline.source;
  const engine = pipeline.engine;
  const domain = engine.domain;
  const bucket = (id: string) => `<${id}.Arn>`;

  if (examples.includes(pipeline)) {
    it('matches the snapshot (asset hashes normalised)', () => {
      expect(normaliseAssets(get(name).template.toJSON())).toMatchSnapshot();
    });
  }

  it('is the stack Logtong-<name>, tagged with the pipeline', () => {
    const { stack } = get(name);
    expect(stack.stackName).toBe(`Logtong-${name}`);
    expect(stack.tags.tagValues()).toEqual({ 'logtong:pipeline': name });
  });

  it('encrypts every bucket, blocks public access and denies non-TLS requests', () => {
    const s = get(name);
    const buckets = ofType(s, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(3);
    for (const [id, b] of buckets) {
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/^(AES256|aws:kms)$/);
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.DeletionPolicy).toBe('Retain');
      expect(b.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      );
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        },
      });
    }
  });

  it('logs staging and backup access to the access-log bucket; keeps backups for backupRetentionDays, versioned', () => {
    const s = get(name);
    const accessLogs = logicalId(s.stack.node.findChild('AccessLogBucket'));
    const staging = s.resources[logicalId(s.stack.node.findChild('StagingBucket'))];
    const backup = s.resources[logicalId(s.stack.node.findChild('BackupBucket'))];
    for (const b of [staging, backup]) expect(b.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: accessLogs });
    expect(backup.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(backup.Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ ExpirationInDays: pipeline.backupRetentionDays, NoncurrentVersionExpiration: { NoncurrentDays: pipeline.backupRetentionDays } }),
    );
  });

  it('encrypts every queue, denies non-TLS access, and gives each work queue a DLQ after 5 receives', () => {
    const s = get(name);
    const queues = ofType(s, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(4);
    const dlqTargets = queues.map(([, q]) => q.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0]).filter(Boolean);
    expect(dlqTargets).toHaveLength(2);
    for (const [id, q] of queues) {
      expect(q.Properties.SqsManagedSseEnabled).toBe(true);
      if (dlqTargets.includes(id)) {
        expect(q.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      } else {
        expect(q.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
      }
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('consumes every queue with ReportBatchItemFailures and a visibility timeout ≥ 6× the consumer timeout', () => {
    const s = get(name);
    const mappings = ofType(s, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(4); // copy, process, backup × 2 DLQs
    for (const [, m] of mappings) {
      expect(m.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      const queue = s.resources[m.Properties.EventSourceArn['Fn::GetAtt'][0]];
      const fn = s.resources[m.Properties.FunctionName.Ref];
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
    }
    const { processor } = stages(s.stack);
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(processor.fn) },
      BatchSize: 1,
    });
  });

  it('subscribes the copy queue to the source bucket (prefix/suffix) and the processor queue to <name>/ in staging', () => {
    const s = get(name);
    const { copy, processor } = stages(s.stack);
    const rules = [
      ...(source.suffix ? [{ Name: 'suffix', Value: source.suffix }] : []),
      ...(source.prefix ? [{ Name: 'prefix', Value: source.prefix }] : []),
    ];
    if (source.mode === 'one-time') {
      // the scanner sends the events instead; the source bucket is left as it is
      s.template.resourcePropertiesCountIs('Custom::S3BucketNotifications', { BucketName: source.bucketName }, 0);
    } else s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: source.bucketName,
      Managed: false,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            QueueArn: { 'Fn::GetAtt': [logicalId(copy.queue), 'Arn'] },
            ...(rules.length ? { Filter: { Key: { FilterRules: Match.arrayEquals(rules) } } } : { Filter: Match.absent() }),
          },
        ],
      },
    });
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(s.stack.node.findChild('StagingBucket')) },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: `${name}/` }] } },
            QueueArn: { 'Fn::GetAtt': [logicalId(processor.queue), 'Arn'] },
          },
        ],
      },
    });
  });

  it('runs every Logtong function on Node.js 24 (or 22), arm64, JSON logs with bounded retention', () => {
    const s = get(name);
    const fns = Object.values(stages(s.stack)).map((st) => s.resources[logicalId(st.fn)]);
    for (const fn of fns) {
      expect(fn.Properties.Runtime).toMatch(/^nodejs2[24]\.x$/);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig.LogFormat).toBe('JSON');
      expect(fn.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'Logtong', POWERTOOLS_SERVICE_NAME: expect.any(String) });
      const logGroup = s.resources[fn.Properties.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('attaches the processor and the bootstrap to the domain VPC only when one is configured', () => {
    const s = get(name);
    const { copy, processor, backup, bootstrap } = stages(s.stack);
    for (const fn of [copy.fn, backup.fn]) expect(s.resources[logicalId(fn)].Properties.VpcConfig).toBeUndefined();
    for (const fn of [processor.fn, bootstrap.fn]) {
      const props = s.resources[logicalId(fn)].Properties;
      if (domain.vpc) {
        expect(props.VpcConfig).toEqual({ SubnetIds: domain.vpc.subnetIds, SecurityGroupIds: domain.vpc.securityGroupIds });
        expect(statementsOf(s, roleOf(s, logicalId(fn)))).toContainEqual({ actions: ENI_ACTIONS, resources: ['*'] });
      } else {
        expect(props.VpcConfig).toBeUndefined();
      }
    }
    // Imported by ID: nothing of the user's network is created or changed.
    expect(ofType(s, 'AWS::EC2::SecurityGroup')).toHaveLength(0);
    expect(ofType(s, 'AWS::EC2::SecurityGroupIngress')).toHaveLength(0);
    expect(ofType(s, 'AWS::EC2::SecurityGroupEgress')).toHaveLength(0);
  });

  it('passes each handler its environment', () => {
    const s = get(name);
    const { copy, processor, backup, bootstrap } = stages(s.stack);
    const env = (fn: IConstruct) => s.resources[logicalId(fn)].Properties.Environment.Variables;
    const staging = { Ref: logicalId(s.stack.node.findChild('StagingBucket')) };
    const backupBucket = { Ref: logicalId(s.stack.node.findChild('BackupBucket')) };
    expect(env(copy.fn)).toMatchObject({ STAGING_BUCKET: staging, STAGING_PREFIX: name });
    expect(env(backup.fn)).toMatchObject({ BACKUP_BUCKET: backupBucket, PIPELINE_NAME: name });
    const connection = {
      OPENSEARCH_ENDPOINT: domain.type === 'aws' ? domain.endpoint : domain.url,
      OPENSEARCH_AUTH: domain.type === 'aws' ? 'sigv4' : domain.auth,
    };
    const processorEnv = env(processor.fn);
    expect(processorEnv).toMatchObject({ ...connection, BACKUP_BUCKET: backupBucket, MAX_RECEIVE_COUNT: '5' });
    expect(JSON.parse(processorEnv.RUNTIME_CONFIG)).toEqual(JSON.parse(JSON.stringify(toRuntimeConfig(pipeline))));
    expect(env(bootstrap.fn)).toMatchObject(connection);
    for (const e of [processorEnv, env(bootstrap.fn)]) {
      if (domain.type === 'aws') expect(e.OPENSEARCH_REGION).toBe(domain.arn.split(':')[3]);
      if (domain.type === 'self-managed' && domain.auth === 'basic') expect(e.OPENSEARCH_SECRET_ARN).toBe(domain.basicAuthSecretArn);
      else expect(e.OPENSEARCH_SECRET_ARN).toBeUndefined();
    }
  });

  it('scopes the copy role to the source prefix and the staging <name>/ prefix', () => {
    const s = get(name);
    const role = roleOf(s, logicalId(stages(s.stack).copy.fn));
    const staging = logicalId(s.stack.node.findChild('StagingBucket'));
    expect(resourcesFor(s, role, 's3:GetObject')).toEqual([`arn:<AWS::Partition>:s3:::${source.bucketName}/${source.prefix}*`]);
    expect(resourcesFor(s, role, 's3:GetObjectVersion')).toEqual([`arn:<AWS::Partition>:s3:::${source.bucketName}/${source.prefix}*`]);
    for (const action of ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']) {
      expect(resourcesFor(s, role, action)).toEqual([`${bucket(staging)}/${name}/*`]);
    }
    expect(resourcesFor(s, role, 'kms:Decrypt')).toEqual(source.kmsKeyArn ? [source.kmsKeyArn] : []);
    expect(resourcesFor(s, role, 'sqs:ReceiveMessage')).toEqual([`<${logicalId(stages(s.stack).copy.queue)}.Arn>`]);
  });

  it('scopes the processor and bootstrap roles to the domain, the staging and the backup prefixes', () => {
    const s = get(name);
    const { processor, bootstrap } = stages(s.stack);
    const staging = logicalId(s.stack.node.findChild('StagingBucket'));
    const backup = logicalId(s.stack.node.findChild('BackupBucket'));
    const processorRole = roleOf(s, logicalId(processor.fn));
    const bootstrapRole = roleOf(s, logicalId(bootstrap.fn));
    expect(resourcesFor(s, processorRole, 's3:GetObject')).toEqual([`${bucket(staging)}/${name}/*`]);
    expect(resourcesFor(s, processorRole, 's3:PutObject')).toEqual([`${bucket(backup)}/${name}/*`]);
    for (const role of [processorRole, bootstrapRole]) {
      for (const action of ['es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpGet', 'es:ESHttpHead']) {
        expect(resourcesFor(s, role, action)).toEqual(domain.type === 'aws' ? [domain.arn, `${domain.arn}/*`] : []);
      }
      expect(resourcesFor(s, role, 'es:ESHttpDelete')).toEqual([]);
      const secret = domain.type === 'self-managed' && domain.basicAuthSecretArn;
      const secretResource = secret && (/-[A-Za-z0-9]{6}$/.test(secret) ? secret : `${secret}-??????`);
      expect(resourcesFor(s, role, 'secretsmanager:GetSecretValue')).toEqual(secretResource ? [secretResource] : []);
    }
  });

  it('scopes the DLQ backup role to the backup <name>/ prefix and the two DLQs', () => {
    const s = get(name);
    const { copy, processor, backup } = stages(s.stack);
    const role = roleOf(s, logicalId(backup.fn));
    expect(resourcesFor(s, role, 's3:PutObject')).toEqual([`${bucket(logicalId(s.stack.node.findChild('BackupBucket')))}/${name}/*`]);
    expect(resourcesFor(s, role, 'sqs:ReceiveMessage')).toEqual(
      [`<${logicalId(copy.deadLetterQueue)}.Arn>`, `<${logicalId(processor.deadLetterQueue)}.Arn>`].sort(),
    );
  });

  it('grants no wildcard resource except the ENI actions of a VPC function (and the ECR token of a scanner task)', () => {
    const s = get(name);
    for (const [roleId] of ofType(s, 'AWS::IAM::Role')) {
      for (const st of statementsOf(s, roleId)) {
        for (const action of st.actions) expect(action).not.toContain('*');
        if (st.resources.includes('*')) expect([ENI_ACTIONS, ['ecr:GetAuthorizationToken']]).toContainEqual(st.actions);
      }
    }
    expect(ofType(s, 'AWS::IAM::ManagedPolicy')).toHaveLength(0);
  });

  it('bootstraps the index layout before the processor exists, re-running when the settings change', () => {
    const s = get(name);
    const { processor, bootstrap } = stages(s.stack);
    const [[id, resource]] = ofType(s, 'Custom::LogtongIndexBootstrap');
    expect(resource.Properties).toMatchObject({
      pipelineName: name,
      auth: domain.type === 'aws' ? 'sigv4' : domain.auth,
      flavor: domain.type,
      indexPrefix: engine.indexPrefix,
      configHash: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(JSON.parse(resource.Properties.logFormat)).toEqual(JSON.parse(JSON.stringify(pipeline.logFormat)));
    expect(JSON.parse(resource.Properties.index)).toEqual(JSON.parse(JSON.stringify(engine.index)));
    expect(s.resources[logicalId(processor.fn)].DependsOn).toContain(id);
    expect(resource.Properties.ServiceToken['Fn::GetAtt'][0]).not.toBe(logicalId(bootstrap.fn)); // via the Provider framework
  });

  it('outputs bucket names, queue URLs and the roles to map in OpenSearch', () => {
    const outputs = Object.keys(get(name).template.toJSON().Outputs ?? {});
    expect(outputs.sort()).toEqual(
      [
        'AccessLogBucketName',
        'BackupBucketName',
        'CopyDeadLetterQueueUrl',
        'CopyQueueUrl',
        'DashboardUrl',
        'FailureTopicArn',
        'IndexBootstrapRoleArn',
        'ProcessorDeadLetterQueueUrl',
        'ProcessorQueueUrl',
        'ProcessorRoleArn',
        'StagingBucketName',
        ...(source.mode === 'one-time' ? ['ScannerRunTaskCommand'] : []),
      ].sort(),
    );
  });
});

describe('index bootstrap configHash', () => {
  it('changes with the index settings and only then', () => {
    const hashOf = (replicas: number, description?: string) => {
      const config = configOf({
        pipelines: [
          {
            name: 'h',
            description,
            source: { type: 's3', bucketName: 'example-hash-bucket' },
            logFormat: { type: 'json' },
            engine: { type: 'opensearch', domain: { type: 'self-managed', url: 'https://os.example:9200' }, indexPrefix: 'h', index: { replicas } },
          },
        ],
      });
      const { stacks } = build(config);
      return Template.fromStack(stacks[0]).findResources('Custom::LogtongIndexBootstrap') as Record<string, Resource>;
    };
    const hash = (r: Record<string, Resource>) => Object.values(r)[0].Properties.configHash;
    expect(hash(hashOf(1))).toBe(hash(hashOf(1, 'a description does not matter')));
    expect(hash(hashOf(1))).not.toBe(hash(hashOf(2)));
  });
});

describe('bin/app.ts', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'logtong-cli-'));
  const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' };

  it('`cdk synth` with a bad config exits non-zero with every problem and no stack trace', () => {
    const bad = path.join(tmp, 'bad.yaml');
    writeFileSync(bad, 'pipelines:\n  - name: web-access\n    source: { type: s3, bucketName: b }\n    logFormat: { type: nginx }\n    engine: { type: opensearch, domain: { type: aws, endpoint: "https://x.es.amazonaws.com", arn: "arn:aws:es:us-east-1:123456789012:domain/logs" }, indexPrefix: Web }\n');
    const r = spawnSync('npx', ['cdk', 'synth', '--quiet', '-c', `config=${bad}`, '-o', path.join(tmp, 'out-bad')], { cwd: ROOT, env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${bad}: invalid configuration`);
    expect(r.stderr).toContain('pipelines[0] (web-access).engine.indexPrefix: must match ^[a-z][a-z0-9-]*$');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('`cdk synth` of the example pipelines.yaml, as the README says, writes one Logtong-<name> template per pipeline', () => {
    const out = path.join(tmp, 'out-example');
    // offline: no credentials, no account, no Docker
    const offline = { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', DOCKER_HOST: 'unix:///nonexistent' };
    const r = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', out], { cwd: ROOT, env: offline, encoding: 'utf8', timeout: 240_000 });
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    const templates = readdirSync(out).filter((f) => f.endsWith('.template.json')).sort();
    const names = exampleConfig().pipelines.map((p) => `Logtong-${p.name}.template.json`);
    expect(templates.filter((t) => t.startsWith('Logtong-')).sort()).toEqual(names.sort());
    // and the shared syslog stack, which the syslog pipelines' receivers stand on
    expect(templates.filter((t) => !t.startsWith('Logtong-'))).toEqual(['LogtongSyslog.template.json']);
    // The summary table, once, on stderr: a row per stack, in config order, the shared stack last.
    const stderr = r.stderr.split('\n');
    expect(stderr.filter((l) => l.startsWith('Logtong: '))).toEqual([`Logtong: ${names.length + 1} stacks in ${out}`]);
    const rows = stderr.slice(stderr.findIndex((l) => l.startsWith('Stack ')) + 2).filter((l) => /^Logtong/.test(l));
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual([...exampleConfig().pipelines.map((p) => `Logtong-${p.name}`), 'LogtongSyslog']);
    expect(rows.find((l) => l.startsWith('Logtong-orders-agent '))).toMatch(/fluent-bit ec2, kinesis +opensearch +SSM \/logtong\/orders-agent\/fluent-bit\.yaml$/);
    expect(rows.find((l) => l.startsWith('Logtong-k8s-spring '))).toMatch(/opensearch +\S*Logtong-k8s-spring\.fluent-bit\.yaml$/);
  });

  it('`cdk synth <stack>` prints that template alone on stdout: the summary stays on stderr', () => {
    const out = path.join(tmp, 'out-one');
    const r = spawnSync('npx', ['cdk', 'synth', 'Logtong-edge-direct', '-o', out], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    const template = parseYaml(r.stdout) as Json;
    expect(template.Description).toBe('Logtong pipeline edge-direct: fluent-bit → opensearch');
    expect(Object.keys(template.Outputs)).toContain('AgentConfigParameterName');
    expect(r.stdout).not.toMatch(/^(Logtong: |Stack )/m);
    expect(r.stderr).toMatch(/^Logtong-edge-direct +fluent-bit ec2, no buffer +opensearch +SSM \/logtong\/edge-direct\/fluent-bit\.yaml$/m);
  });
});
