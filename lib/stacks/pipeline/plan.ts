/**
 * Which parts a pipeline is made of, decided from its config alone: PipelineStack composes exactly what the plan
 * names, and the unit tests (test/unit/stacks/pipeline/plan.test.ts) pin every source × engine × buffer.
 */
import { KINESIS_DEFAULTS, type LightEngineConfig, type OpenSearchEngineConfig, type Pipeline, type Source } from '../../config/schema';

export type S3Source = Extract<Source, { type: 's3' }>;
export type FluentBitSource = Extract<Source, { type: 'fluent-bit' }>;
export type SyslogSource = Extract<Source, { type: 'syslog' }>;
/** Sources that run Fluent Bit: agents on the user's hosts, or Logtong's syslog receivers. */
export type AgentSource = FluentBitSource | SyslogSource;
export type KinesisSettings = NonNullable<OpenSearchEngineConfig['kinesis']>;

/**
 * The user's bucket, copied object by object into staging: as its object-created notifications arrive, or (mode
 * one-time) as a scanner task lists it.
 */
export interface SourceBucketIntake {
  readonly type: 'source-bucket';
  readonly source: S3Source;
}

/** A bucket of this stack that the agents put gzipped chunks into, copied into staging like a source bucket. */
export interface BufferBucketIntake {
  readonly type: 'buffer-bucket';
  readonly agents: AgentSource;
}

/** A Kinesis stream of this stack that the agents put raw lines into, read by the OpenSearch engine's processor. */
export interface KinesisStreamIntake {
  readonly type: 'kinesis-stream';
  readonly agents: AgentSource;
  readonly kinesis: KinesisSettings;
}

/** The agents parse and index into the domain themselves; lines they cannot parse go to the backup bucket. */
export interface AgentsIndexIntake {
  readonly type: 'agents-index';
  readonly agents: AgentSource;
}

/** Intakes that end in the staging bucket (the staged ingest), which both engines can read. */
export type StagedIntake = SourceBucketIntake | BufferBucketIntake;

export type Intake = StagedIntake | KinesisStreamIntake | AgentsIndexIntake;

export interface LightEnginePlan {
  readonly engine: 'light';
  readonly config: LightEngineConfig;
  /** The batch converts staged objects, so a Light Engine pipeline always stages. */
  readonly intake: StagedIntake;
}

export interface OpenSearchEnginePlan {
  readonly engine: 'opensearch';
  readonly config: OpenSearchEngineConfig;
  readonly intake: Intake;
}

export type PipelinePlan = LightEnginePlan | OpenSearchEnginePlan;

export function planPipeline(pipeline: Pipeline): PipelinePlan {
  const { source, engine } = pipeline;
  if (engine.type === 'light') return { engine: 'light', config: engine, intake: staged(source) };
  // A source bucket is always staged, whatever `buffer` says (the schema holds it to s3).
  if (source.type === 's3' || engine.buffer === 's3') return { engine: 'opensearch', config: engine, intake: staged(source) };
  if (engine.buffer === 'kinesis') {
    return { engine: 'opensearch', config: engine, intake: { type: 'kinesis-stream', agents: source, kinesis: engine.kinesis ?? KINESIS_DEFAULTS } };
  }
  return { engine: 'opensearch', config: engine, intake: { type: 'agents-index', agents: source } };
}

export function isStaged(intake: Intake): intake is StagedIntake {
  return intake.type === 'source-bucket' || intake.type === 'buffer-bucket';
}

function staged(source: Source): StagedIntake {
  return source.type === 's3' ? { type: 'source-bucket', source } : { type: 'buffer-bucket', agents: source };
}

/** The data path of a plan in one line (markdown), for the top of the pipeline's dashboard. */
export function pipelineSummary(pipeline: Pipeline, plan: PipelinePlan): string {
  const { source } = pipeline;
  const from =
    source.type === 's3'
      ? `S3 \`s3://${source.bucketName}/${source.prefix}\` (${source.mode === 'one-time' ? 'one-time scan' : 'event notifications'}) → copy → staging`
      : `${source.type === 'syslog' ? `syslog clients → load balancer :${source.port}/${source.protocol} → Fluent Bit receivers` : `Fluent Bit agents (${source.platform})`}`;
  const via = (intake: Intake): string => {
    switch (intake.type) {
      case 'source-bucket':
        return '';
      case 'buffer-bucket':
        return ' → S3 buffer → copy → staging';
      case 'kinesis-stream':
        return ' → Kinesis';
      case 'agents-index':
        return '';
    }
  };
  const to =
    plan.engine === 'light'
      ? ' → Light Engine batch → Parquet (Athena), compaction daily'
      : plan.intake.type === 'agents-index'
        ? ` → OpenSearch \`${plan.config.indexPrefix}\` (the agents index)`
        : ` → processor → OpenSearch \`${plan.config.indexPrefix}\``;
  return `${from}${via(plan.intake)}${to}; failed records → backup bucket.`;
}
