/**
 * Nothing expires while pending, as synthesized for every example and variant pipeline: work queues keep messages
 * the SQS maximum and redrive a failing one to the dead-letter queue with a week to spare; staging and buffer
 * buckets expire only objects tagged `logtong:state=done`; whoever tags may tag, and only its own prefix; the
 * dead-letter backup may read (to copy) exactly what its queues' messages name. (The S3 emulator does not evaluate
 * lifecycle rules: test/integration/retention.test.ts checks the tags on real objects.)
 */
import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import type { Pipeline } from '../../lib/config/schema';
import { DeadLetterBackup } from '../../lib/constructs/dlq-backup';
import { flattenForNag } from '../../lib/constructs/private/nag';
import { WorkQueue } from '../../lib/constructs/work-queue';
import type { PipelineStack } from '../../lib/stacks/pipeline-stack';
import { build, exampleConfig, variantConfig } from './synth';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Resources = Record<string, { Type: string; Properties: Json }>;

const DAY = 24 * 3600;
const DONE_TAG = [{ Key: 'logtong:state', Value: 'done' }];
const synthesized = new Map<string, { stack: PipelineStack; resources: Resources }>();
const pipelines: Pipeline[] = [...exampleConfig().pipelines, ...variantConfig().pipelines];

beforeAll(() => {
  for (const config of [exampleConfig(), variantConfig()]) {
    const { app, stacks } = build(config);
    const assembly = app.synth();
    for (const stack of stacks) synthesized.set(stack.pipeline.name, { stack, resources: assembly.getStackByName(stack.stackName).template.Resources });
  }
});

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const logicalId = (c: IConstruct) => Stack.of(c).resolve((c.node.defaultChild as CfnElement).logicalId) as string;
const ofType = (r: Resources, type: string) => Object.entries(r).filter(([, x]) => x.Type === type);
const child = (stack: PipelineStack, id: string) => stack.node.tryFindChild(id);

/** Resources on which the function's role may perform `action`, `<Id.Arn>`-flattened and sorted. */
function resourcesFor(r: Resources, fnId: string, action: string): string[] {
  const roleId = r[fnId].Properties.Role['Fn::GetAtt'][0];
  const docs = [
    ...asArray(r[roleId].Properties.Policies).map((p: Json) => p.PolicyDocument),
    ...ofType(r, 'AWS::IAM::Policy')
      .filter(([, p]) => asArray(p.Properties.Roles).some((x: Json) => x.Ref === roleId))
      .map(([, p]) => p.Properties.PolicyDocument),
  ];
  return docs
    .flatMap((d: Json) => asArray(d.Statement))
    .filter((st: Json) => st.Effect === 'Allow' && asArray(st.Action).includes(action))
    .flatMap((st: Json) => asArray(st.Resource).map(flattenForNag))
    .sort();
}

/** Every function of the stack whose role may perform `action`. */
function functionsAllowed(r: Resources, action: string): string[] {
  return ofType(r, 'AWS::Lambda::Function')
    .filter(([id]) => r[id].Properties.Role?.['Fn::GetAtt'] && resourcesFor(r, id, action).length > 0)
    .map(([id]) => id)
    .sort();
}

describe.each(pipelines.map((p) => [p.name, p] as const))('pipeline %s', (name, pipeline) => {
  const get = () => synthesized.get(name)!;
  const staged = pipeline.source.type === 's3' || pipeline.engine.type === 'light' || (pipeline.engine.type === 'opensearch' && pipeline.engine.buffer === 's3');
  const buffered = pipeline.source.type !== 's3' && staged;
  const arn = (id: string) => `<${logicalId(child(get().stack, id)!)}.Arn>`;

  it('work queues keep messages 14 days and redrive a failing one with at least 7 days left; dead-letter queues keep theirs 14 days', () => {
    const { resources } = get();
    const queues = ofType(resources, 'AWS::SQS::Queue');
    const work = queues.filter(([, q]) => q.Properties.RedrivePolicy);
    for (const [, q] of queues) expect(q.Properties.MessageRetentionPeriod).toBe(14 * DAY);
    for (const [, q] of work) {
      const redrive = q.Properties.RedrivePolicy.maxReceiveCount * q.Properties.VisibilityTimeout;
      expect(redrive).toBeLessThanOrEqual(7 * DAY);
    }
    // Every queue either has a dead-letter queue or is one.
    const targets = new Set(work.map(([, q]) => q.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]));
    expect(queues.every(([id, q]) => q.Properties.RedrivePolicy || targets.has(id))).toBe(true);
  });

  it('alarms on the age of the oldest message of every queue, before SQS could drop it', () => {
    const { resources } = get();
    const queues = ofType(resources, 'AWS::SQS::Queue').map(([id]) => id);
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(alarms.map(([, a]) => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0]).sort()).toEqual(queues.sort());
    for (const [, a] of alarms) {
      expect(a.Properties).toMatchObject({ Namespace: 'AWS/SQS', Statistic: 'Maximum', ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      expect(a.Properties.Threshold).toBeLessThanOrEqual(2 * DAY);
    }
  });

  it('every alarm notifies the pipeline\'s one encrypted failure topic; notificationEmail subscribes to it', () => {
    const { resources } = get();
    const topics = ofType(resources, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const [topicId, topic] = topics[0];
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm');
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    const email = pipeline.engine.notificationEmail;
    const subscriptions = ofType(resources, 'AWS::SNS::Subscription');
    expect(subscriptions.map(([, sub]) => sub.Properties.Endpoint)).toEqual(email ? [email] : []);
  });

  if (!staged) return;

  it('expires a staged (or buffered) object only once it is tagged logtong:state=done: never a pending one, a manifest or the scanner checkpoint', () => {
    const { resources, stack } = get();
    for (const id of buffered ? ['StagingBucket', 'BufferBucket'] : ['StagingBucket']) {
      const rules: Json[] = resources[logicalId(child(stack, id)!)].Properties.LifecycleConfiguration.Rules;
      const expiring = rules.filter((r) => r.ExpirationInDays !== undefined || r.ExpirationDate !== undefined || r.Transitions || r.NoncurrentVersionExpiration);
      expect(expiring).toEqual([{ Id: expect.stringMatching(/^expire-done-/), Status: 'Enabled', ExpirationInDays: 14, TagFilters: DONE_TAG }]);
      // What remains only cleans up failed multipart uploads, which hold no object.
      expect(rules.filter((r) => !expiring.includes(r))).toEqual([{ Id: 'abort-incomplete-multipart-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }]);
    }
  });

  it('lets only the stages that deliver an object tag it, each under its own prefix', () => {
    const { resources, stack } = get();
    const staging = arn('StagingBucket');
    const fn = (path: string[]) => {
      let c: IConstruct | undefined = stack;
      for (const p of path) c = c?.node.tryFindChild(p);
      return c ? logicalId(c) : undefined;
    };
    const expected = new Map<string, string[]>();
    const processor = fn(['Processor', 'Function']);
    const backup = fn(['DeadLetterBackup', 'Function']);
    const copy = fn(['Copy', 'Function'])!;
    const convert = fn(['LightEngine', 'ConvertFunction']);
    const owned: string[] = [];
    if (processor) {
      expected.set(processor, [`${staging}/${name}/*`]);
      owned.push(`${staging}/${name}/*`);
    }
    if (convert) expected.set(convert, [`${staging}/archive/${name}/*`]);
    if (buffered) {
      expected.set(copy, [`${arn('BufferBucket')}/${name}/*`]);
      owned.push(`${arn('BufferBucket')}/${name}/*`);
    }
    if (backup) expected.set(backup, owned.sort());
    expect(functionsAllowed(resources, 's3:PutObjectTagging')).toEqual([...expected.keys()].filter((k) => expected.get(k)!.length > 0).sort());
    for (const [id, want] of expected) expect(resourcesFor(resources, id, 's3:PutObjectTagging')).toEqual(want);
  });

  it('lets the dead-letter backup copy what its queues name, and tell the pipeline’s own buckets which objects to mark', () => {
    const { resources, stack } = get();
    const backup = child(stack, 'DeadLetterBackup') as DeadLetterBackup | undefined;
    if (!backup) return; // an agent source that indexes itself has no queue
    const id = logicalId(backup.fn);
    const staging = arn('StagingBucket');
    const reads: string[] = [];
    const markable: unknown[] = [];
    if (buffered) {
      reads.push(`${arn('BufferBucket')}/${name}/*`);
      markable.push({ Ref: logicalId(child(stack, 'BufferBucket')!) });
    } else if (pipeline.source.type === 's3') {
      reads.push(`arn:<AWS::Partition>:s3:::${pipeline.source.bucketName}/${pipeline.source.prefix}*`);
    }
    if (child(stack, 'Processor')) {
      reads.push(`${staging}/${name}/*`);
      markable.push({ Ref: logicalId(child(stack, 'StagingBucket')!) });
    }
    expect(resourcesFor(resources, id, 's3:GetObject')).toEqual(reads.sort());
    // A user's bucket may be versioned (its events name a version); the pipeline's own are not.
    expect(resourcesFor(resources, id, 's3:GetObjectVersion')).toEqual(reads.filter((r) => r.startsWith('arn:')));
    expect(resourcesFor(resources, id, 's3:PutObject')).toEqual([`${arn('BackupBucket')}/${name}/*`]);
    const env = resources[id].Properties.Environment.Variables;
    if (markable.length === 0) expect(env.MARK_DONE_BUCKETS).toBeUndefined();
    else expect(env.MARK_DONE_BUCKETS).toEqual(markable.length === 1 ? markable[0] : { 'Fn::Join': [',', markable] });
    // The user's bucket is never listed (nor tagged): only the pipeline's own.
    expect(resourcesFor(resources, id, 's3:ListBucket').every((r) => /^<(Staging|Buffer)Bucket.*\.Arn>$/.test(r))).toBe(true);
    expect(resources[id].Properties.Timeout).toBe(15 * 60);
  });
});

describe('WorkQueue', () => {
  const queue = (props: Partial<ConstructorParameters<typeof WorkQueue>[2]>) => () =>
    new WorkQueue(new Stack(new App(), 'S'), 'Q', { consumerTimeout: Duration.minutes(5), ...props });

  it('refuses a retention a failing message could outlive the redrive of (the former 4 days among them)', () => {
    expect(queue({ retentionPeriod: Duration.days(4) })).toThrow(/could expire before reaching the dead-letter queue.*retention \(4 days\).*7 days of backlog headroom/);
    // 15-minute consumer: 90-minute visibility; 113 deliveries take more than 7 days.
    expect(queue({ consumerTimeout: Duration.minutes(15), maxReceiveCount: 113 })).toThrow(/maxReceiveCount \(113\)/);
    expect(queue({ consumerTimeout: Duration.minutes(15), maxReceiveCount: 112 })).not.toThrow();
    expect(queue({ retentionPeriod: Duration.days(15) })).toThrow(/exceeds the SQS maximum/);
    expect(queue({ maxReceiveCount: 0 })).toThrow(/positive integer/);
  });

  it('tells the dead-letter backup which of its queues it may drain with that timeout', () => {
    const stack = new Stack(new App(), 'S');
    const work = new WorkQueue(stack, 'Q', { consumerTimeout: Duration.minutes(5), deadLetterConsumerTimeout: Duration.minutes(2) });
    expect(WorkQueue.ofDeadLetterQueue(work.deadLetterQueue)).toBe(work);
    expect(WorkQueue.ofDeadLetterQueue(work.queue)).toBeUndefined();
    const backupBucket = new Bucket(stack, 'B');
    expect(() => new DeadLetterBackup(stack, 'Backup', { pipelineName: 'p', deadLetterQueues: [work.deadLetterQueue], backupBucket })).toThrow(
      /timeout \(15 minutes\) is longer than S\/Q allows its dead-letter consumer \(2 minutes\)/,
    );
    expect(() => new DeadLetterBackup(stack, 'Backup2', { pipelineName: 'p', deadLetterQueues: [work.deadLetterQueue], backupBucket, timeout: Duration.minutes(2) })).not.toThrow();
  });
});
