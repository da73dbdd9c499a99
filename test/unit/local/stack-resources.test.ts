import { existsSync } from 'node:fs';
import { build } from '../../infra/synth';
import { resolve, stackResources, type LocalNames } from '../../../lib/local/stack-resources';
import type { StackTemplate } from '../../../lib/local/template';

// One synth of the example pipelines: an S3 source into OpenSearch, an agent into Kinesis, a Light Engine pipeline.
const { app } = build();
const assembly = app.synth();
const of = (name: string) => stackResources(assembly.getStackByName(`Logtong-${name}`).template as StackTemplate, assembly.directory);
const short = (id: string) => id.replace(/[0-9A-F]{8}$/, '');

describe('what a pipeline stack is made of locally (read from its template)', () => {
  it('S3 source into OpenSearch: queues with their dead-letter queues, the functions and what feeds them, the notifications', () => {
    const r = of('web-access');
    expect(r.buckets.map(short).sort()).toEqual(['AccessLogBucket', 'BackupBucket', 'StagingBucket']);
    const queues = new Map(r.queues.map((q) => [short(q.id), q]));
    expect(queues.get('CopyQueue')).toMatchObject({ visibilityTimeoutSeconds: 1800, redrive: { deadLetterQueue: expect.stringMatching(/^CopyQueueDeadLetterQueue/), maxReceiveCount: 5 } });
    const fns = new Map(r.functions.map((f) => [short(f.id), f]));
    expect([...fns.keys()].sort()).toEqual(['CopyFunction', 'DeadLetterBackupFunction', 'IndexBootstrapFunction', 'IndexBootstrapProviderframeworkonEvent', 'ProcessorFunction'].sort());
    // the code is the bundle synth wrote
    for (const f of r.functions) expect({ f: f.id, exists: existsSync(f.entry) }).toEqual({ f: f.id, exists: true });
    expect(fns.get('ProcessorFunction')).toMatchObject({ handlerName: 'handler', timeoutSeconds: 300, environment: expect.objectContaining({ PIPELINE_NAME: 'web-access' }) });
    const feeds = r.mappings.map((m) => `${short(m.source.id)} → ${short(m.functionId)} (${m.batchSize})`).sort();
    expect(feeds).toEqual([
      'CopyQueue → CopyFunction (10)',
      'CopyQueueDeadLetterQueue → DeadLetterBackupFunction (10)',
      'ProcessorQueue → ProcessorFunction (1)',
      'ProcessorQueueDeadLetterQueue → DeadLetterBackupFunction (10)',
    ]);
    expect(r.mappings.every((m) => m.reportBatchItemFailures && m.source.type === 'sqs')).toBe(true);
    expect(r.notifications.map((n) => ({ bucket: 'name' in n.bucket ? n.bucket.name : short(n.bucket.id), queue: short(n.queueId), rules: n.filterRules }))).toEqual([
      { bucket: 'example-storefront-logs', queue: 'CopyQueue', rules: [{ Name: 'suffix', Value: '.gz' }, { Name: 'prefix', Value: 'nginx/access/' }] },
      { bucket: 'StagingBucket', queue: 'ProcessorQueue', rules: [{ Name: 'prefix', Value: 'web-access/' }] },
    ]);
    // the index bootstrap's events go to the user function behind CDK's provider framework
    expect(r.customResources).toEqual([expect.objectContaining({ type: 'Custom::LogtongIndexBootstrap', functionId: fns.get('IndexBootstrapFunction')!.id, properties: expect.objectContaining({ indexPrefix: 'web-access' }) })]);
  });

  it('agents into Kinesis: the stream, its function with a failure queue', () => {
    const r = of('orders-agent');
    expect(r.streams).toEqual([{ id: expect.stringMatching(/^KinesisStream/), shards: 2 }]);
    const kinesis = r.mappings.find((m) => m.source.type === 'kinesis')!;
    expect({ fn: short(kinesis.functionId), batch: kinesis.batchSize, onFailure: short(kinesis.onFailureQueue!) }).toEqual({ fn: 'KinesisFunction', batch: 500, onFailure: 'KinesisFailureQueue' });
  });

  it('resolves references to local names, and refuses one it has no name for', () => {
    const names: LocalNames = {
      ref: (id) => ({ StagingBucket: 'local-staging' })[id],
      attribute: (id, a) => (id === 'Q' && a === 'Arn' ? 'arn:aws:sqs:local:000000000000:q' : undefined),
      pseudo: (n) => ({ 'AWS::Region': 'local-1' })[n],
    };
    expect(resolve({ A: { Ref: 'StagingBucket' }, B: { 'Fn::GetAtt': ['Q', 'Arn'] }, C: { 'Fn::Join': ['/', ['x', { Ref: 'AWS::Region' }]] }, D: { 'Fn::Sub': 's3://${StagingBucket}/${AWS::Region}' } }, names)).toEqual({
      A: 'local-staging',
      B: 'arn:aws:sqs:local:000000000000:q',
      C: 'x/local-1',
      D: 's3://local-staging/local-1',
    });
    expect(() => resolve({ E: { Ref: 'Nope' } }, names, 'env')).toThrow('env.E: Ref Nope has no local value');
  });
});
