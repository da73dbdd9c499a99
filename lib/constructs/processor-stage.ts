import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Pipeline } from '../config/schema';
import type { LogtongFunction } from './logtong-function';
import type { OpenSearchTarget } from './opensearch-target';
import { indexingFunction } from './private/indexing-function';
import { validateTarget } from './private/opensearch-access';
import { WorkQueue } from './work-queue';

export interface ProcessorStageProps {
  /** Pipeline name: the staging key prefix and the backup key prefix. */
  readonly pipelineName: string;

  /** Bucket whose new objects under `<pipelineName>/` are processed. */
  readonly stagingBucket: IBucket;

  /** Failed records go to `<pipelineName>/…` here. */
  readonly backupBucket: IBucket;

  /** The domain or cluster to index into. */
  readonly target: OpenSearchTarget;

  /**
   * The validated pipeline; its runtime part is the `RUNTIME_CONFIG` JSON variable: the handler takes the log format,
   * index prefix, bulk limits and index layout (for its cold-start check) from it. At most 3 KiB serialised.
   */
  readonly pipelineConfig: Pipeline;

  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;

  /** @default 1024 */
  readonly memoryMiB?: number;

  /**
   * Messages (one S3 object each) per invocation. Small, because an object can hold hundreds of megabytes and
   * the whole batch must finish within the function timeout.
   * @default 1
   */
  readonly batchSize?: number;

  /** Upper bound on concurrent invocations, to cap bulk load on the domain. @default - no limit */
  readonly maxConcurrency?: number;
}

/**
 * Staging bucket → SQS (+ DLQ) → `lambda/handlers/process.ts`, which parses each staged object and bulk-indexes
 * it; records OpenSearch rejects go to the backup bucket. Once every line of an object is accounted for, the handler
 * marks it done, and only then may the staging lifecycle rule expire it.
 */
export class ProcessorStage extends Construct {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly fn: LogtongFunction;

  constructor(scope: Construct, id: string, props: ProcessorStageProps) {
    super(scope, id);
    validateTarget(this.node.path, props.target);
    const timeout = props.timeout ?? Duration.minutes(5);
    const stagingPrefix = `${props.pipelineName}/`;
    const work = new WorkQueue(this, 'Queue', {
      consumerTimeout: timeout,
      // A dead letter names staged objects: the backup keeps them whole, then marks them done.
      objects: { bucket: props.stagingBucket, prefix: stagingPrefix, encryptionKey: props.stagingBucket.encryptionKey, owned: true },
    });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;

    this.fn = indexingFunction(this, 'Function', {
      handlerName: 'process',
      description: `Logtong ${props.pipelineName}: parse staged log files and bulk-index them into OpenSearch`,
      pipelineName: props.pipelineName,
      pipelineConfig: props.pipelineConfig,
      target: props.target,
      backupBucket: props.backupBucket,
      stagingBucket: props.stagingBucket,
      timeout,
      memoryMiB: props.memoryMiB,
      // On the last delivery the handler backs records up instead of leaving them to the DLQ.
      environment: { MAX_RECEIVE_COUNT: String(work.maxReceiveCount) },
    });

    this.fn.addScopedPolicy({
      actions: ['s3:PutObjectTagging'],
      resources: [props.stagingBucket.arnForObjects(`${stagingPrefix}*`)],
      reason: 'Marks a staged object of this pipeline done (the tag the staging lifecycle rule expires on) once every line is indexed, filtered or backed up: keys under <pipeline>/.',
    });
    props.stagingBucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), { prefix: stagingPrefix });
    this.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}
