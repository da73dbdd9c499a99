/**
 * S3 sources in another account (issue 15): the pipeline stack reads the bucket only through the source account's
 * role, its queue admits that one bucket, and the source stack's trust policy names exactly the pipeline's reader
 * roles with the external ID. Same-account pipelines synthesize as before. cdk-nag and cfn-lint over both stacks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Config, ConfigInput } from '../../lib/config/schema';
import { build, configOf } from './synth';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const PIPELINE_ACCOUNT = '111111111111';
const SOURCE_ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
const SOURCE_KEY = `arn:aws:kms:${REGION}:${SOURCE_ACCOUNT}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`;
const EXISTING_ROLE = `arn:aws:iam::${SOURCE_ACCOUNT}:role/their-log-reader`;
const VPC = { vpcId: 'vpc-0a1b2c3d4e5f60718', subnetIds: ['subnet-0a1b2c3d4e5f60001'], securityGroupIds: ['sg-0a1b2c3d4e5f60004'] };
const OPENSEARCH = { type: 'opensearch', domain: { type: 'self-managed', url: 'https://opensearch.example.internal:9200', auth: 'none' }, indexPrefix: 'xa' } as const;
const LIGHT = { type: 'light', schedule: 'rate(15 minutes)' } as const;

type PipelineInput = ConfigInput['pipelines'][number];
const pipeline = (name: string, source: Record<string, unknown>, engine: PipelineInput['engine'] = OPENSEARCH): PipelineInput =>
  ({ name, source: { type: 's3', bucketName: `${name}-logs`, ...source }, logFormat: { type: 'json' }, engine }) as PipelineInput;

const AGENT_ACCOUNT = '333333333333';
const OIDC = `arn:aws:iam::${AGENT_ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9`;
const agents = (name: string, source: Record<string, unknown>, engine: PipelineInput['engine']): PipelineInput =>
  ({ name, source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/app/*.log'], ...source }, logFormat: { type: 'json' }, engine }) as PipelineInput;

/** Both engines, both modes, the synthesized role and an existing one; agents of another account (ec2 and eks). */
const crossConfig = (): Config =>
  configOf({
    account: PIPELINE_ACCOUNT,
    region: REGION,
    pipelines: [
      pipeline('xa-ongoing', { account: SOURCE_ACCOUNT, prefix: 'app/', suffix: '.gz', kmsKeyArn: SOURCE_KEY }),
      pipeline('xa-scan', { account: SOURCE_ACCOUNT, mode: 'one-time', prefix: 'old/', scanner: { vpc: VPC } }, LIGHT),
      pipeline('xa-role', { account: SOURCE_ACCOUNT, roleArn: EXISTING_ROLE, externalId: 'agreed-id' }, LIGHT),
      agents('xa-agents', { account: AGENT_ACCOUNT }, { ...OPENSEARCH, indexPrefix: 'agents', buffer: 'kinesis' }),
      agents('xa-eks', { account: AGENT_ACCOUNT, externalId: 'their-id', platform: 'eks', eks: { clusterName: 'apps', oidcProviderArn: OIDC } }, LIGHT),
    ],
  } as ConfigInput);

const synthesized = new Map<string, Json>();
let outdir = '';
beforeAll(() => {
  const { app } = build(crossConfig());
  const assembly = app.synth();
  outdir = assembly.directory;
  for (const s of assembly.stacks) synthesized.set(s.stackName, s.template);
});
const stack = (name: string): Json => {
  const t = synthesized.get(name);
  if (!t) throw new Error(`no stack ${name}: ${[...synthesized.keys()].join(', ')}`);
  return t;
};
const ofType = (t: Json, type: string): Array<[string, Json]> => Object.entries(t.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);
const one = (t: Json, type: string): [string, Json] => {
  const found = ofType(t, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const statements = (t: Json, type: string, prop: string): Json[] => ofType(t, type).flatMap(([, r]) => asArray(r.Properties[prop]?.Statement));
/** Every statement of every IAM policy (inline policies of roles included) of a template. */
const identityStatements = (t: Json): Json[] => [
  ...statements(t, 'AWS::IAM::Policy', 'PolicyDocument'),
  ...ofType(t, 'AWS::IAM::Role').flatMap(([, r]) => asArray(r.Properties.Policies).flatMap((p: Json) => asArray(p.PolicyDocument.Statement))),
];
// The stacks have a concrete region, so CDK writes the partition (aws) rather than a reference to it.
const roleArnOf = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
const roleNamed = (t: Json, name: string): Json => {
  const found = ofType(t, 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName === name);
  expect(found).toHaveLength(1);
  return found[0][1];
};
const actionsOf = (s: Json): string[] => asArray(s.Action);
const mentions = (x: unknown, what: string) => JSON.stringify(x).includes(what);

describe('source account stack', () => {
  it('is made for each cross-account source, in the source account and the pipeline region', () => {
    expect([...synthesized.keys()].sort()).toEqual(
      // (LogtongSyslog is always in the app: a placeholder without syslog pipelines)
      ['Logtong-xa-agents', 'Logtong-xa-eks', 'Logtong-xa-ongoing', 'Logtong-xa-role', 'Logtong-xa-scan', 'LogtongSource-xa-ongoing', 'LogtongSource-xa-role', 'LogtongSource-xa-scan', 'LogtongSyslog'].sort(),
    );
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts['LogtongSource-xa-ongoing'].environment).toBe(`aws://${SOURCE_ACCOUNT}/${REGION}`);
    expect(manifest.artifacts['Logtong-xa-ongoing'].environment).toBe(`aws://${PIPELINE_ACCOUNT}/${REGION}`);
  });

  it.each([
    ['xa-ongoing', ['Logtong-xa-ongoing-copy']],
    ['xa-scan', ['Logtong-xa-scan-copy', 'Logtong-xa-scan-scanner']],
  ])('%s: the read role trusts exactly the pipeline reader roles, with the external ID, no wildcard', (name, readers) => {
    const role = roleNamed(stack(`LogtongSource-${name}`), `Logtong-${name}-source-read`);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: readers.length === 1 ? roleArnOf(PIPELINE_ACCOUNT, readers[0]) : readers.map((r) => roleArnOf(PIPELINE_ACCOUNT, r)) },
        Condition: { StringEquals: { 'sts:ExternalId': `logtong-${name}` } },
      },
    ]);
    // Only one role in the stack may be assumed from outside it (the notification handler's is Lambda's).
    for (const [, r] of ofType(stack(`LogtongSource-${name}`), 'AWS::IAM::Role')) {
      for (const s of asArray(r.Properties.AssumeRolePolicyDocument.Statement) as Json[]) {
        expect(s.Principal).not.toBe('*');
        expect(asArray(s.Principal?.AWS)).not.toContain('*');
      }
    }
  });

  it('xa-ongoing: reads objects under the prefix, decrypts with the bucket key, lists nothing; notifies the copy queue by name', () => {
    const t = stack('LogtongSource-xa-ongoing');
    const role = Object.keys(t.Resources).find((id) => t.Resources[id].Properties?.RoleName === 'Logtong-xa-ongoing-source-read')!;
    const policies = ofType(t, 'AWS::IAM::Policy').filter(([, p]) => asArray(p.Properties.Roles).some((r: Json) => r.Ref === role));
    expect(policies).toHaveLength(1);
    const stmts = asArray(policies[0][1].Properties.PolicyDocument.Statement) as Json[];
    expect(stmts.map((s) => [actionsOf(s).sort(), s.Resource, s.Condition])).toEqual([
      [['s3:GetObject', 's3:GetObjectVersion'], 'arn:aws:s3:::xa-ongoing-logs/app/*', undefined],
      [['kms:Decrypt'], SOURCE_KEY, undefined],
    ]);
    expect(identityStatements(t).some((s) => actionsOf(s).includes('s3:ListBucket'))).toBe(false);
    const [, notification] = ofType(t, 'Custom::S3BucketNotifications')[0];
    expect(notification.Properties.BucketName).toBe('xa-ongoing-logs');
    expect(notification.Properties.Managed).toBe(false); // merged with the bucket's other notifications, not replacing them
    expect(notification.Properties.NotificationConfiguration.QueueConfigurations).toEqual([
      {
        Events: ['s3:ObjectCreated:*'],
        QueueArn: `arn:aws:sqs:${REGION}:${PIPELINE_ACCOUNT}:Logtong-xa-ongoing-copy`,
        Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.gz' }, { Name: 'prefix', Value: 'app/' }] } },
      },
    ]);
  });

  it('xa-scan: the scanner may list under the prefix only; no notification (the scanner sends the events)', () => {
    const t = stack('LogtongSource-xa-scan');
    const list = identityStatements(t).filter((s) => actionsOf(s).includes('s3:ListBucket'));
    expect(list).toEqual([
      expect.objectContaining({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::xa-scan-logs', Condition: { StringLike: { 's3:prefix': ['old/*'] } } }),
    ]);
    expect(ofType(t, 'Custom::S3BucketNotifications')).toEqual([]);
  });

  it('xa-role (an existing role): the stack holds only the notification', () => {
    const t = stack('LogtongSource-xa-role');
    expect(ofType(t, 'AWS::IAM::Role').filter(([, r]) => mentions(r.Properties.AssumeRolePolicyDocument, 'AWS'))).toEqual([]);
    expect(ofType(t, 'Custom::S3BucketNotifications')).toHaveLength(1);
  });
});

describe('pipeline stack of a cross-account source', () => {
  it.each([
    ['xa-ongoing', 'Logtong-xa-ongoing-copy', `arn:aws:iam::${SOURCE_ACCOUNT}:role/Logtong-xa-ongoing-source-read`, 'logtong-xa-ongoing'],
    ['xa-role', 'Logtong-xa-role-copy', EXISTING_ROLE, 'agreed-id'],
    ['xa-scan', 'Logtong-xa-scan-copy', `arn:aws:iam::${SOURCE_ACCOUNT}:role/Logtong-xa-scan-source-read`, 'logtong-xa-scan'],
  ])('%s: the copy function may only assume the source role, and is told it with the external ID', (name, copyRole, sourceRole, externalId) => {
    const t = stack(`Logtong-${name}`);
    roleNamed(t, copyRole);
    const fn = ofType(t, 'AWS::Lambda::Function').find(([, f]) => mentions(f.Properties.Environment, 'STAGING_PREFIX'))![1];
    const vars = fn.Properties.Environment.Variables;
    expect(Stack_resolveArn(vars.SOURCE_ROLE_ARN)).toBe(sourceRole);
    expect(vars.SOURCE_EXTERNAL_ID).toBe(externalId);
    const all = identityStatements(t);
    const assume = all.filter((s) => actionsOf(s).includes('sts:AssumeRole'));
    expect(assume.map((s) => Stack_resolveArn(s.Resource))).toEqual(name === 'xa-scan' ? [sourceRole, sourceRole] : [sourceRole]);
    // Nothing of the pipeline account reads the other account's bucket or key directly.
    const bucket = `${name}-logs`;
    const direct = all.filter((s) => mentions(s.Resource, `:::${bucket}`));
    expect(direct).toEqual([]);
    expect(all.filter((s) => mentions(s.Resource, SOURCE_KEY))).toEqual([]);
    // No bucket-notification custom resource in this stack (it cannot configure another account's bucket).
    expect(ofType(t, 'Custom::S3BucketNotifications').filter(([, n]) => n.Properties.BucketName === bucket)).toEqual([]);
  });

  it.each(['xa-ongoing', 'xa-role'])('%s: the copy queue admits s3.amazonaws.com from that one bucket and account', (name) => {
    const t = stack(`Logtong-${name}`);
    const queues = ofType(t, 'AWS::SQS::Queue').filter(([, q]) => q.Properties.QueueName === `Logtong-${name}-copy`);
    expect(queues).toHaveLength(1);
    // The copy queue's statements for S3 (the processor queue's admit the staging bucket, as in any pipeline).
    const fromS3 = statements(t, 'AWS::SQS::QueuePolicy', 'PolicyDocument').filter((s) => mentions(s.Principal, 's3.amazonaws.com') && mentions(s.Resource, queues[0][0]));
    expect(fromS3).toEqual([
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Resource: { 'Fn::GetAtt': [queues[0][0], 'Arn'] },
        Condition: {
          StringEquals: { 'aws:SourceAccount': SOURCE_ACCOUNT },
          ArnEquals: { 'aws:SourceArn': `arn:aws:s3:::${name}-logs` },
        },
      },
    ]);
  });

  it('xa-scan: the scanner task role is named, may assume the source role and list nothing itself', () => {
    const t = stack('Logtong-xa-scan');
    roleNamed(t, 'Logtong-xa-scan-scanner');
    const task = ofType(t, 'AWS::ECS::TaskDefinition')[0][1];
    const env = Object.fromEntries(task.Properties.ContainerDefinitions[0].Environment.map((e: Json) => [e.Name, e.Value]));
    expect(Stack_resolveArn(env.SOURCE_ROLE_ARN)).toBe(`arn:aws:iam::${SOURCE_ACCOUNT}:role/Logtong-xa-scan-source-read`);
    expect(env.SOURCE_EXTERNAL_ID).toBe('logtong-xa-scan');
    // Not started at creation: the source role cannot exist (nor be assumed) before this stack's roles do.
    expect(ofType(t, 'Custom::AWS').filter(([, r]) => mentions(r.Properties, 'runTask'))).toEqual([]);
    // One-time: nothing subscribes the bucket, so the queue admits nobody from S3.
    expect(statements(t, 'AWS::SQS::QueuePolicy', 'PolicyDocument').filter((s) => mentions(s.Principal, 's3.amazonaws.com'))).toEqual([]);
  });
});

/** `arn:${AWS::Partition}:…` as the template joins it, read as the aws partition's ARN. */
function Stack_resolveArn(x: Json): string {
  if (typeof x === 'string') return x;
  return (x['Fn::Join'][1] as Json[]).map((p) => (typeof p === 'string' ? p : p.Ref === 'AWS::Partition' ? 'aws' : JSON.stringify(p))).join('');
}

describe('agents in another account', () => {
  it.each([
    ['xa-agents', 'logtong-xa-agents'],
    ['xa-eks', 'their-id'],
  ])('%s: one role its agents assume, trusted by their account with the external ID %s, holding the agent policy', (name, externalId) => {
    const t = stack(`Logtong-${name}`);
    const roles = ofType(t, 'AWS::IAM::Role').filter(([id]) => id.startsWith('Agent'));
    expect(roles).toHaveLength(1);
    const [, role] = roles[0];
    expect(role.Properties.RoleName).toBe(`Logtong-${name}-agent`);
    expect(asArray(role.Properties.AssumeRolePolicyDocument.Statement)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        // the partition is a literal for a stack of a known region (@aws-cdk/core:enablePartitionLiterals)
        Principal: { AWS: `arn:aws:iam::${AGENT_ACCOUNT}:root` },
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ]);
    const [policyId] = one(t, 'AWS::IAM::ManagedPolicy');
    expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: policyId }]);
    // no instance profile or IRSA role of this account: the agents' own identity lives in theirs
    expect(ofType(t, 'AWS::IAM::InstanceProfile')).toEqual([]);
    expect(JSON.stringify(t)).not.toContain('AssumeRoleWithWebIdentity');
    expect(t.Outputs.AgentRoleArn.Value).toEqual({ 'Fn::GetAtt': [roles[0][0], 'Arn'] });
    // every AWS output of the configuration assumes it
    const [, parameter] = one(t, 'AWS::SSM::Parameter');
    const yaml = JSON.stringify(parameter.Properties.Value);
    const outputs = yaml.split('- name: ').slice(1).filter((o) => /^(s3|kinesis_streams|cloudwatch_logs)\b/.test(o));
    expect(outputs.length).toBeGreaterThanOrEqual(2);
    for (const o of outputs) {
      expect(o).toContain(`role_arn: arn:`);
      expect(o).toContain(`:role/Logtong-${name}-agent`);
      expect(o).toContain(`external_id: ${externalId}`);
    }
  });

  it('agents in the pipeline account keep their instance role (no cross-account role)', () => {
    const config = configOf({ account: PIPELINE_ACCOUNT, region: REGION, pipelines: [agents('same-agents', { account: PIPELINE_ACCOUNT }, LIGHT)] } as ConfigInput);
    const t = build(config).app.synth().getStackByName('Logtong-same-agents').template as Json;
    expect(ofType(t, 'AWS::IAM::InstanceProfile')).toHaveLength(1);
    expect(JSON.stringify(t)).not.toContain('sts:ExternalId');
    expect(JSON.stringify(t)).not.toContain('role_arn');
  });
});

describe('same account', () => {
  const sameConfig = (account?: string) =>
    configOf({ account: PIPELINE_ACCOUNT, region: REGION, pipelines: [pipeline('same', { prefix: 'p/', ...(account ? { account } : {}) })] } as ConfigInput);

  it("a source account equal to the pipeline's synthesizes exactly as a source without one", () => {
    const a = build(sameConfig(PIPELINE_ACCOUNT)).app.synth();
    const b = build(sameConfig()).app.synth();
    expect(a.stacks.map((s) => s.stackName)).toEqual(['Logtong-same', 'LogtongSyslog']);
    expect(a.getStackByName('Logtong-same').template).toEqual(b.getStackByName('Logtong-same').template);
  });
});

describe('schema', () => {
  const problems = (source: Record<string, unknown>, account: string | undefined = PIPELINE_ACCOUNT): string => {
    try {
      configOf({ ...(account ? { account } : {}), pipelines: [pipeline('p', source)] } as ConfigInput);
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('takes roleArn and externalId only with account, and a role of that account', () => {
    expect(problems({ roleArn: EXISTING_ROLE })).toMatch(/roleArn.*only used with account/);
    expect(problems({ externalId: 'x-y' })).toMatch(/externalId.*only used with account/);
    expect(problems({ account: '333333333333', roleArn: EXISTING_ROLE })).toMatch(/must be a role of the source account 333333333333/);
    expect(problems({ account: 'abc' })).toMatch(/account/);
    expect(problems({ account: SOURCE_ACCOUNT, roleArn: EXISTING_ROLE, externalId: 'agreed-id' })).toBe('');
  });

  it('refuses a cross-account source when the pipeline account is unknown (the trust policy must name it)', () => {
    const config = configOf({ pipelines: [pipeline('p', { account: SOURCE_ACCOUNT })] } as ConfigInput);
    expect(() => build(config)).toThrow(/pipeline's account known at synth/);
  });
});

describe('cdk-nag and cfn-lint over both stacks', () => {
  it('cdk-nag AwsSolutions reports nothing unacknowledged', () => {
    const { app } = build(crossConfig(), { nag: true });
    const report = path.join(app.outdir, 'validation-report.json');
    try {
      app.synth();
    } catch (e) {
      if (!existsSync(report)) throw e;
    }
    const violations = existsSync(report)
      ? (JSON.parse(readFileSync(report, 'utf8')).pluginReports as Json[])
          .filter((r) => r.pluginName === 'AwsSolutions')
          .flatMap((r) => r.violations)
          .flatMap((v: Json) => v.violatingConstructs.map((c: Json) => `${v.severity} ${v.ruleName} at ${c.constructPath}`))
      : [];
    expect(violations).toEqual([]);
  });

  it('cfn-lint finds no error and no unjustified warning', () => {
    const templates = [...synthesized.keys()].map((n) => path.join(outdir, `${n}.template.json`));
    const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.error || run.status === null || (run.status & ~(2 | 4 | 8)) !== 0) throw new Error(`cfn-lint failed (status ${run.status}): ${run.stderr}`);
    const matches = JSON.parse(run.stdout || '[]') as Json[];
    // W3005 is CDK's redundant DependsOn, justified in cfn-lint.test.ts.
    expect(matches.filter((m) => m.Level === 'Error' || (m.Level === 'Warning' && m.Rule.Id !== 'W3005')).map((m) => `${m.Rule.Id} ${m.Filename} ${m.Message}`)).toEqual([]);
  }, 120_000);
});

it('the ongoing source stack has two roles: the read role and CDK\'s notification handler\'s', () => {
  Template.fromJSON(stack('LogtongSource-xa-ongoing')).resourceCountIs('AWS::IAM::Role', 2);
});
