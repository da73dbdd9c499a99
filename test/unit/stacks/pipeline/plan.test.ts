import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../../../lib/config/load';
import { KINESIS_DEFAULTS, type Pipeline } from '../../../../lib/config/schema';
import { isStaged, planPipeline } from '../../../../lib/stacks/pipeline/plan';

const root = join(__dirname, '..', '..', '..', '..');
const domain = { type: 'aws', endpoint: 'https://search-logs-abc.us-east-1.es.amazonaws.com', arn: 'arn:aws:es:us-east-1:123456789012:domain/logs' };
const vpc = { vpcId: 'vpc-11112222', subnetIds: ['subnet-33334444'], securityGroupIds: ['sg-55556666'] };

const sources = {
  's3 ongoing': { type: 's3', bucketName: 'my-logs' },
  's3 one-time': { type: 's3', mode: 'one-time', bucketName: 'my-logs', scanner: { vpc } },
  'fluent-bit ec2': { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/app.log'] },
  'fluent-bit eks': {
    type: 'fluent-bit',
    platform: 'eks',
    logPaths: ['/var/log/containers/*.log'],
    eks: { clusterName: 'c', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC' },
  },
  syslog: { type: 'syslog', protocol: 'tcp', port: 5140, clientCidrs: ['10.0.0.0/8'] },
} as const;

const engines = {
  light: { type: 'light' },
  'opensearch (buffer default)': { type: 'opensearch', domain, indexPrefix: 'web' },
  'opensearch buffer s3': { type: 'opensearch', domain, indexPrefix: 'web', buffer: 's3' },
  'opensearch buffer kinesis': { type: 'opensearch', domain, indexPrefix: 'web', buffer: 'kinesis' },
  'opensearch buffer none': { type: 'opensearch', domain, indexPrefix: 'web', buffer: 'none' },
} as const;

/** One validated pipeline, defaults applied, as PipelineStack receives it. */
function pipelineOf(source: object, engine: object): Pipeline {
  const config = parseConfig({
    syslog: { vpcId: 'vpc-aaaabbbb', subnetIds: ['subnet-aaaa1111'] },
    // json: a format the agent can also parse (buffer none)
    pipelines: [{ name: 'p', source, logFormat: { type: 'json' }, engine }],
  });
  return config.pipelines[0];
}

describe('planPipeline', () => {
  // source × engine → intake; combinations the schema refuses (an S3 source with a buffer other than s3, a syslog
  // source with buffer none) are not listed.
  it.each([
    ['s3 ongoing', 'light', 'light', 'source-bucket'],
    ['s3 ongoing', 'opensearch (buffer default)', 'opensearch', 'source-bucket'],
    ['s3 one-time', 'light', 'light', 'source-bucket'],
    ['s3 one-time', 'opensearch buffer s3', 'opensearch', 'source-bucket'],
    ['fluent-bit ec2', 'light', 'light', 'buffer-bucket'],
    ['fluent-bit ec2', 'opensearch (buffer default)', 'opensearch', 'buffer-bucket'],
    ['fluent-bit ec2', 'opensearch buffer kinesis', 'opensearch', 'kinesis-stream'],
    ['fluent-bit ec2', 'opensearch buffer none', 'opensearch', 'agents-index'],
    ['fluent-bit eks', 'light', 'light', 'buffer-bucket'],
    ['fluent-bit eks', 'opensearch buffer s3', 'opensearch', 'buffer-bucket'],
    ['fluent-bit eks', 'opensearch buffer kinesis', 'opensearch', 'kinesis-stream'],
    ['fluent-bit eks', 'opensearch buffer none', 'opensearch', 'agents-index'],
    ['syslog', 'light', 'light', 'buffer-bucket'],
    ['syslog', 'opensearch buffer s3', 'opensearch', 'buffer-bucket'],
    ['syslog', 'opensearch buffer kinesis', 'opensearch', 'kinesis-stream'],
  ] as const)('%s into %s: engine %s, intake %s', (source, engine, expectedEngine, expectedIntake) => {
    const pipeline = pipelineOf(sources[source], engines[engine]);
    const plan = planPipeline(pipeline);
    expect({ engine: plan.engine, intake: plan.intake.type }).toEqual({ engine: expectedEngine, intake: expectedIntake });
    // The plan carries the pipeline's own settings, not copies.
    expect(plan.config).toBe(pipeline.engine);
    const { intake } = plan;
    if (intake.type === 'source-bucket') expect(intake.source).toBe(pipeline.source);
    else expect(intake.agents).toBe(pipeline.source);
  });

  it('gives the stream the configured settings, or the defaults when there are none', () => {
    const configured = planPipeline(pipelineOf(sources['fluent-bit ec2'], { ...engines['opensearch buffer kinesis'], kinesis: { shards: 2, batchSize: 100 } }));
    expect(configured.intake).toMatchObject({ type: 'kinesis-stream', kinesis: { ...KINESIS_DEFAULTS, shards: 2, batchSize: 100 } });
    const defaults = planPipeline(pipelineOf(sources['fluent-bit ec2'], engines['opensearch buffer kinesis']));
    expect(defaults.intake).toMatchObject({ type: 'kinesis-stream', kinesis: KINESIS_DEFAULTS });
  });

  it('stages every Light Engine pipeline of the example config, and every S3 source', () => {
    const plans = loadConfig(join(root, 'pipelines.yaml')).pipelines.map((p) => [p, planPipeline(p)] as const);
    expect(plans.some(([, plan]) => plan.engine === 'light')).toBe(true);
    for (const [pipeline, plan] of plans) {
      if (plan.engine === 'light' || pipeline.source.type === 's3') expect(isStaged(plan.intake)).toBe(true);
    }
  });
});

describe('isStaged', () => {
  it.each([
    ['source-bucket', true, sources['s3 ongoing'], engines['opensearch (buffer default)']],
    ['buffer-bucket', true, sources['fluent-bit ec2'], engines['opensearch buffer s3']],
    ['kinesis-stream', false, sources['fluent-bit ec2'], engines['opensearch buffer kinesis']],
    ['agents-index', false, sources['fluent-bit ec2'], engines['opensearch buffer none']],
  ] as const)('%s: %s', (type, staged, source, engine) => {
    const { intake } = planPipeline(pipelineOf(source, engine));
    expect(intake.type).toBe(type);
    expect(isStaged(intake)).toBe(staged);
  });
});
