import { CfnOutput, Duration } from 'aws-cdk-lib';
import type { PipelineMonitor } from '../../constructs/pipeline-monitor';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { OpenSearchEngineConfig, Pipeline } from '../../config/schema';
import { DeadLetterBackup } from '../../constructs/dlq-backup';
import { IndexBootstrap } from '../../constructs/index-bootstrap';
import { KinesisStage } from '../../constructs/kinesis-stage';
import type { LogtongFunction } from '../../constructs/logtong-function';
import type { OpenSearchTarget } from '../../constructs/opensearch-target';
import { ProcessorStage } from '../../constructs/processor-stage';
import { openSearchTarget } from '../imports';
import { agentsToDomain, agentsToStream, type AgentOutput } from './agent-config-props';
import type { AgentsIndexIntake, KinesisStreamIntake } from './plan';
import type { StagedObjects } from './staged-ingest';

export interface OpenSearchEngineProps {
  readonly pipeline: Pipeline;
  readonly config: OpenSearchEngineConfig;

  /** Records that fail, dead letters, and the lines agents cannot parse go here. */
  readonly backup: IBucket;

  /** What is indexed: staged objects, the agents' Kinesis stream, or nothing here (the agents index themselves). */
  readonly indexes: StagedObjects | KinesisStreamIntake | AgentsIndexIntake;

  /** Gets the rows and alarms of the processor, its queue or stream, and the dead-letter backup. */
  readonly monitor: PipelineMonitor;
}

/** The function that indexes and the dead-letter queues of its stage. */
interface Indexer {
  readonly fn: LogtongFunction;
  readonly deadLetterQueues: readonly IQueue[];
}

/**
 * The OpenSearch side of a pipeline: the domain or cluster (imported), the index layout created at deploy time, and
 * the processor of staged objects or of the Kinesis stream with the backup of its dead letters. When the agents index
 * themselves, only the layout is created here.
 *
 * Not a Construct: its parts are the stack's own children (see PipelineStack).
 */
export class OpenSearchEngine {
  /** Stream or agents index: what the agents write to and may do there. @default - none (staged objects) */
  readonly agentOutput?: AgentOutput;

  constructor(scope: Construct, props: OpenSearchEngineProps) {
    const { pipeline, config, backup, indexes, monitor } = props;
    const target = openSearchTarget(scope, config);
    let indexer: Indexer | undefined;
    switch (indexes.type) {
      case 'staged':
        indexer = processStaged(scope, props, target, indexes);
        break;
      case 'kinesis-stream': {
        const kinesis = processStream(scope, props, target, indexes);
        indexer = kinesis;
        this.agentOutput = agentsToStream(scope, indexes.agents, kinesis.stream);
        break;
      }
      case 'agents-index':
        this.agentOutput = agentsToDomain(scope, pipeline, indexes.agents, config, backup);
        break;
    }
    if (indexer) {
      const deadLetters = new DeadLetterBackup(scope, 'DeadLetterBackup', {
        pipelineName: pipeline.name,
        deadLetterQueues: indexer.deadLetterQueues,
        backupBucket: backup,
      });
      monitor.watchFunction('Dead-letter backup', 'DeadLetterBackup', deadLetters.fn);
      monitor.watchDeadLetterBackup(deadLetters.fn);
    }

    const bootstrap = new IndexBootstrap(scope, 'IndexBootstrap', {
      pipelineName: pipeline.name,
      target,
      indexPrefix: config.indexPrefix,
      logFormat: pipeline.logFormat,
      index: config.index,
      // AWS domains: `<endpoint>/_dashboards`; a self-managed cluster's Dashboards only when configured.
      ...(config.domain.type === 'self-managed' ? { dashboardsUrl: config.domain.dashboardsUrl ?? '' } : {}),
    });
    new CfnOutput(scope, 'IndexBootstrapRoleArn', {
      value: bootstrap.fn.executionRole.roleArn,
      description: 'Map as a backend role in OpenSearch (fine-grained access control) so templates and ISM policies can be created.',
    });
    if (indexer) {
      // Nothing should be indexed before the template and write alias exist, or OpenSearch would auto-create an index
      // named like the alias with guessed mappings.
      indexer.fn.node.addDependency(bootstrap.resource);
      new CfnOutput(scope, 'ProcessorRoleArn', {
        value: indexer.fn.executionRole.roleArn,
        description: 'Map as a backend role in OpenSearch (fine-grained access control) so the processor may index.',
      });
    }
  }
}

/** Staging notifications → queue → processor. */
function processStaged(scope: Construct, props: OpenSearchEngineProps, target: OpenSearchTarget, staged: StagedObjects): Indexer {
  const { pipeline } = props;
  const processor = new ProcessorStage(scope, 'Processor', {
    pipelineName: pipeline.name,
    stagingBucket: staged.staging,
    backupBucket: props.backup,
    target,
    pipelineConfig: pipeline,
    timeout: Duration.seconds(pipeline.processorTimeoutSeconds),
    memoryMiB: pipeline.processorMemoryMb,
  });
  new CfnOutput(scope, 'ProcessorQueueUrl', { value: processor.queue.queueUrl });
  new CfnOutput(scope, 'ProcessorDeadLetterQueueUrl', { value: processor.deadLetterQueue.queueUrl });
  props.monitor.watchQueue('Processor queue (staged objects to index)', 'Processor', processor);
  props.monitor.watchFunction('Processor', 'Processor', processor.fn, { throttles: true });
  props.monitor.watchIndexing(processor.fn);
  return { fn: processor.fn, deadLetterQueues: [...staged.deadLetterQueues, processor.deadLetterQueue] };
}

/** The agents' stream → Kinesis processor, with the batches it gives up on read back into the backup bucket. */
function processStream(
  scope: Construct,
  props: OpenSearchEngineProps,
  target: OpenSearchTarget,
  intake: KinesisStreamIntake,
): Indexer & Pick<KinesisStage, 'stream'> {
  const { pipeline } = props;
  const { kinesis: settings } = intake;
  const kinesis = new KinesisStage(scope, 'Kinesis', {
    pipelineName: pipeline.name,
    pipelineConfig: pipeline,
    backupBucket: props.backup,
    target,
    shards: settings.shards,
    retention: Duration.hours(settings.retentionHours),
    batchSize: settings.batchSize,
    parallelizationFactor: settings.parallelizationFactor,
    retryAttempts: settings.retryAttempts,
    maxRecordAge: Duration.seconds(settings.maxRecordAgeSeconds),
    timeout: Duration.seconds(pipeline.processorTimeoutSeconds),
    memoryMiB: pipeline.processorMemoryMb,
  });
  new CfnOutput(scope, 'BufferStreamName', { value: kinesis.stream.streamName });
  const { monitor } = props;
  monitor.watchStream(kinesis.stream, kinesis.fn);
  monitor.watchFunction('Kinesis processor', 'Processor', kinesis.fn, { throttles: true });
  monitor.watchIndexing(kinesis.fn);
  monitor.watchQueue('Kinesis failures (batches the processor gave up on, read back into the backup bucket)', 'KinesisFailure', { queue: kinesis.failureQueue, deadLetterQueue: kinesis.deadLetterQueue });
  monitor.watchFunction('Kinesis failure handler', 'KinesisFailure', kinesis.failureFn);
  return { fn: kinesis.fn, deadLetterQueues: [kinesis.deadLetterQueue], stream: kinesis.stream };
}
