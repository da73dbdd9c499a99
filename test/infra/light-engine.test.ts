import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { toRuntimeConfig } from '../../lib/config/runtime-config';
import { lightDatabaseName, lightTableName, type Pipeline } from '../../lib/config/schema';
import type { Compaction } from '../../lib/constructs/compaction';
import type { LightEngineBatch } from '../../lib/constructs/light-engine-batch';
import { flattenForNag } from '../../lib/constructs/private/nag';
import type { PipelineStack } from '../../lib/stacks/pipeline-stack';
import { build, exampleConfig, normaliseAssets, variantConfig } from './synth';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const light = [...exampleConfig().pipelines, ...variantConfig().pipelines].filter((p) => p.engine.type === 'light');
const examples = new Set(exampleConfig().pipelines.map((p) => p.name));
const synthesized = new Map<string, { stack: PipelineStack; json: Json; template: Template }>();

beforeAll(() => {
  for (const config of [exampleConfig(), variantConfig()]) {
    const { app, stacks } = build(config);
    const assembly = app.synth();
    for (const stack of stacks) {
      if (stack.pipeline.engine.type !== 'light') continue;
      const json = assembly.getStackByName(stack.stackName).template;
      synthesized.set(stack.pipeline.name, { stack, json, template: Template.fromJSON(json) });
    }
  }
});

const logicalId = (c: IConstruct) => Stack.of(c).resolve((c.node.defaultChild as CfnElement).logicalId) as string;
const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

function resourcesFor(json: Json, roleId: string, action: string): string[] {
  const docs: Json[] = [
    ...asArray(json.Resources[roleId].Properties.Policies).map((p: Json) => p.PolicyDocument),
    ...Object.values(json.Resources as Record<string, Json>)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && asArray(r.Properties.Roles).some((x: Json) => x.Ref === roleId))
      .map((r) => r.Properties.PolicyDocument),
  ];
  return docs
    .flatMap((d) => asArray(d.Statement))
    .filter((st: Json) => st.Effect === 'Allow' && asArray(st.Action).includes(action))
    .flatMap((st: Json) => asArray(st.Resource).map(flattenForNag))
    .sort();
}

test('the example config has a Light Engine pipeline', () => {
  expect(light.some((p) => examples.has(p.name))).toBe(true);
});

describe.each(light.map((p) => [p.name, p] as const))('Light Engine pipeline %s', (name, pipeline: Pipeline) => {
  if (pipeline.engine.type !== 'light') throw new Error('light only');
  const engine = pipeline.engine;
  const get = () => synthesized.get(name)!;
  const batch = () => get().stack.node.findChild('LightEngine') as LightEngineBatch;
  const compaction = () => get().stack.node.findChild('Compaction') as Compaction;
  const id = (child: string) => logicalId(get().stack.node.findChild(child));

  if (examples.has(name)) {
    it('matches the snapshot (asset hashes normalised)', () => {
      expect(normaliseAssets(get().template.toJSON())).toMatchSnapshot();
    });
  }

  it('has four encrypted, TLS-only buckets (five with an agent buffer); the centralized one expires Parquet after retentionDays', () => {
    const { json, template } = get();
    const buckets = Object.entries(json.Resources as Record<string, Json>).filter(([, r]) => r.Type === 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(pipeline.source.type === 's3' ? 4 : 5);
    for (const [bucketId, b] of buckets) {
      expect(b.Properties.BucketEncryption).toBeDefined();
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
    expect(json.Resources[id('CentralBucket')].Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Id: 'expire-parquet', ExpirationInDays: engine.retentionDays }),
    );
  });

  it('starts the batch and the compaction state machines on their configured schedules', () => {
    get().template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: engine.schedule,
      State: 'ENABLED',
      Target: { Arn: { Ref: logicalId(batch().stateMachine) } },
    });
    get().template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: engine.compaction.schedule,
      Target: { Arn: { Ref: logicalId(compaction().stateMachine) } },
    });
  });

  it('compaction: logged and traced, one run at a time, its files and journal only', () => {
    const { json } = get();
    const c = compaction();
    const sm = json.Resources[logicalId(c.stateMachine)].Properties;
    expect(sm.TracingConfiguration).toEqual({ Enabled: true });
    expect(sm.LoggingConfiguration).toMatchObject({ Level: 'ALL' });
    const env = json.Resources[logicalId(c.compactFn)].Properties.Environment.Variables;
    expect(env).toMatchObject({ COMPACT_MIN_AGE_HOURS: String(engine.compaction.minAgeHours), COMPACT_TARGET_BYTES: String(engine.compaction.targetFileMb * 1024 * 1024) });
    const role = json.Resources[logicalId(c.compactFn)].Properties.Role['Fn::GetAtt'][0];
    const central = `<${id('CentralBucket')}.Arn>`;
    const table = lightTableName(pipeline);
    expect(resourcesFor(json, role, 's3:DeleteObject')).toEqual([`${central}/${table}/*`, `${central}/_logtong/compaction/${table}/*`].sort());
    // Which batches are pending: this pipeline's manifest keys listed, nothing of the staging bucket read.
    const staging = `<${id('StagingBucket')}.Arn>`;
    expect(env).toMatchObject({ STAGING_BUCKET: { Ref: id('StagingBucket') }, PIPELINE_NAME: name });
    for (const fn of [c.listFn, c.compactFn]) {
      const fnRole = json.Resources[logicalId(fn)].Properties.Role['Fn::GetAtt'][0];
      expect(resourcesFor(json, fnRole, 's3:ListBucket')).toEqual([`<${id('CentralBucket')}.Arn>`, staging].sort());
      expect(resourcesFor(json, fnRole, 's3:GetObject').filter((r) => r.startsWith(staging))).toEqual([]);
      get().template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: Match.arrayWith([{ Ref: fnRole }]),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [id('StagingBucket'), 'Arn'] }, Condition: { StringEquals: { 's3:prefix': [`_batches/${name}/`] } } }),
          ]),
        },
      });
    }
  });

  it('logs every state machine event and traces it; bounds the Map concurrency; retries and catches every task', () => {
    const { json } = get();
    const sm = json.Resources[logicalId(batch().stateMachine)].Properties;
    expect(sm.TracingConfiguration).toEqual({ Enabled: true });
    expect(sm.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(sm.StateMachineName).toBe(`Logtong-${name}-batch`);
    const asl = JSON.parse(
      (sm.DefinitionString['Fn::Join'][1] as unknown[]).map((x) => (typeof x === 'string' ? x : 'X')).join(''),
    );
    expect(asl.States.ConvertBatches).toMatchObject({ Type: 'Map', MaxConcurrency: engine.maxConcurrency, ItemsPath: '$.list.batches' });
    const tasks = { ...asl.States, ...asl.States.ConvertBatches.ItemProcessor.States };
    for (const [stateName, state] of Object.entries(tasks as Record<string, Json>)) {
      if (state.Type !== 'Task') continue;
      expect([stateName, state.Retry?.some((r: Json) => r.ErrorEquals.includes('States.ALL') && r.BackoffRate > 1)]).toEqual([stateName, true]);
    }
    for (const s of ['FindRunningExecutions', 'List', 'ConvertBatches']) expect(asl.States[s].Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'NotifyFailure' });
    expect(asl.States.NotifyFailure.Next).toBe('Failed');
  });

  it('creates the Glue database and table with partition projection over event_hour and region', () => {
    const { template } = get();
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: lightDatabaseName(pipeline) } });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: lightTableName(pipeline),
        PartitionKeys: [{ Name: 'event_hour', Type: 'string' }, { Name: 'region', Type: 'string' }],
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.event_hour.type': 'date', 'projection.region.type': 'enum' }),
      }),
    });
  });

  it('scopes the List and Convert roles to this pipeline’s prefixes', () => {
    const { json } = get();
    const b = batch();
    const staging = `<${id('StagingBucket')}.Arn>`;
    const central = `<${id('CentralBucket')}.Arn>`;
    const backup = `<${id('BackupBucket')}.Arn>`;
    const role = (fn: IConstruct) => json.Resources[logicalId(fn)].Properties.Role['Fn::GetAtt'][0];
    const table = lightTableName(pipeline);
    expect(resourcesFor(json, role(b.listFn), 's3:ListBucket')).toEqual([staging]);
    expect(resourcesFor(json, role(b.listFn), 's3:PutObject')).toEqual([`${staging}/_batches/${name}/*`]);
    expect(resourcesFor(json, role(b.listFn), 's3:GetObject')).toEqual([`${staging}/_batches/${name}/*`, `${staging}/archive/${name}/*`].sort());
    // Its own lock too (released with a conditional delete), that key only.
    expect(resourcesFor(json, role(b.listFn), 's3:DeleteObject')).toEqual([`${staging}/${name}/*`, `${staging}/_batches/${name}/list.lock`].sort());
    expect(resourcesFor(json, role(b.convertFn), 's3:GetObject')).toEqual(
      [`${staging}/${name}/*`, `${staging}/archive/${name}/*`, `${staging}/_batches/${name}/*`].sort(),
    );
    expect(resourcesFor(json, role(b.convertFn), 's3:DeleteObject')).toEqual([`${staging}/${name}/*`, `${staging}/_batches/${name}/*`].sort());
    // Manifests: only their lease, with If-Match (lambda/core/light/lease.ts).
    expect(resourcesFor(json, role(b.convertFn), 's3:PutObject')).toEqual(
      [`${staging}/archive/${name}/*`, `${staging}/_batches/${name}/*`, `${central}/${table}/*`, `${backup}/${name}/*`].sort(),
    );
    const env = json.Resources[logicalId(b.convertFn)].Properties.Environment.Variables;
    expect(env).toMatchObject({ TABLE_NAME: table, CENTRAL_BUCKET: { Ref: id('CentralBucket') } });
    expect(env.PARTITION_REGION).toEqual(engine.region ?? { Ref: 'AWS::Region' });
    expect(JSON.parse(env.RUNTIME_CONFIG)).toEqual(JSON.parse(JSON.stringify(toRuntimeConfig(pipeline))));
  });

  it('sends failures to an encrypted, TLS-only topic (and the configured address)', () => {
    const { template } = get();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    if (engine.notificationEmail) template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: engine.notificationEmail });
    else template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});
