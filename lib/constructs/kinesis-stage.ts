import { Duration } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode, type IStream } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Pipeline } from '../config/schema';
import { LogtongFunction } from './logtong-function';
import type { OpenSearchTarget } from './opensearch-target';
import { indexingFunction } from './private/indexing-function';
import { validateTarget } from './private/opensearch-access';
import { WorkQueue } from './work-queue';

export interface KinesisStageProps {
  /** Pipeline name: the backup key prefix. */
  readonly pipelineName: string;

  /** The validated pipeline; its runtime part (parser, filters, index settings) is the handlers' `RUNTIME_CONFIG`. */
  readonly pipelineConfig: Pipeline;

  /** Failed records and batches go to `<pipelineName>/…` here. */
  readonly backupBucket: IBucket;

  /** The domain or cluster to index into. */
  readonly target: OpenSearchTarget;

  /** Provisioned shards. @default - on-demand capacity */
  readonly shards?: number;

  /** @default Duration.hours(24) */
  readonly retention?: Duration;

  /** Records per invocation. @default 500 */
  readonly batchSize?: number;

  /** Concurrent batches per shard. @default 1 */
  readonly parallelizationFactor?: number;

  /** Retries of a failing batch (bisected each time) before its records go to the backup bucket. @default 5 */
  readonly retryAttempts?: number;

  /** Records older than this go to the backup bucket instead of being retried. @default Duration.hours(6) */
  readonly maxRecordAge?: Duration;

  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;

  /** @default 1024 */
  readonly memoryMiB?: number;
}

/**
 * The Kinesis buffer of agent sources: an encrypted stream the agents put raw lines into → `kinesis-process`
 * through an event source mapping that reports item failures, bisects failing batches and bounds retries and record
 * age. A batch that still fails lands in an on-failure queue whose consumer (`kinesis-failure`) reads the records
 * back from the stream into the backup bucket: the mapping's failure record holds only sequence numbers, so without
 * that read the data would expire with the stream's retention.
 */
export class KinesisStage extends Construct {
  readonly stream: IStream;
  readonly fn: LogtongFunction;
  readonly failureFn: LogtongFunction;
  /** Where the event source mapping sends the batches it gives up on, read by `failureFn`. */
  readonly failureQueue: IQueue;
  /** Dead-letter queue of the on-failure queue, for `DeadLetterBackup`. */
  readonly deadLetterQueue: IQueue;

  constructor(scope: Construct, id: string, props: KinesisStageProps) {
    super(scope, id);
    validateTarget(this.node.path, props.target);
    const timeout = props.timeout ?? Duration.minutes(5);
    const retention = props.retention ?? Duration.hours(24);
    const maxRecordAge = props.maxRecordAge ?? Duration.hours(6);
    if (maxRecordAge.toSeconds() >= retention.toSeconds()) {
      // A record must still be in the stream when its failure is handled, or it cannot be backed up.
      throw new Error(`${this.node.path}: maxRecordAge (${maxRecordAge.toHumanString()}) must be shorter than the stream retention (${retention.toHumanString()})`);
    }
    const stream = new Stream(this, 'Stream', {
      encryption: StreamEncryption.MANAGED,
      retentionPeriod: retention,
      ...(props.shards ? { streamMode: StreamMode.PROVISIONED, shardCount: props.shards } : { streamMode: StreamMode.ON_DEMAND }),
    });
    this.stream = stream;

    this.fn = indexingFunction(this, 'Function', {
      handlerName: 'kinesis-process',
      description: `Logtong ${props.pipelineName}: parse log lines from the Kinesis buffer and bulk-index them into OpenSearch`,
      pipelineName: props.pipelineName,
      pipelineConfig: props.pipelineConfig,
      target: props.target,
      backupBucket: props.backupBucket,
      timeout,
      memoryMiB: props.memoryMiB,
    });

    const failures = new WorkQueue(this, 'FailureQueue', { consumerTimeout: timeout });
    this.failureQueue = failures.queue;
    this.deadLetterQueue = failures.deadLetterQueue;
    this.fn.addEventSource(
      new KinesisEventSource(stream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 500,
        maxBatchingWindow: Duration.seconds(5),
        parallelizationFactor: props.parallelizationFactor ?? 1,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 5,
        maxRecordAge,
        onFailure: new SqsDlq(failures.queue),
      }),
    );

    this.failureFn = new LogtongFunction(this, 'FailureFunction', {
      pipelineName: props.pipelineName,
      handlerName: 'kinesis-failure',
      description: `Logtong ${props.pipelineName}: read batches the processor gave up on back from the stream into the backup bucket`,
      timeout,
      memoryMiB: 512,
      environment: {
        BACKUP_BUCKET: props.backupBucket.bucketName,
      },
    });
    this.failureFn.addScopedPolicy({
      actions: ['kinesis:GetShardIterator', 'kinesis:GetRecords'],
      resources: [stream.streamArn],
      reason: 'Reads back the records of a batch the processor gave up on (the failure message holds only sequence numbers), from this stream only.',
    });
    stream.encryptionKey?.grantDecrypt(this.failureFn);
    this.failureFn.addScopedPolicy({
      actions: ['s3:PutObject'],
      resources: [props.backupBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: 'Writes failed records of this pipeline only: every key under the backup bucket prefix <pipeline>/.',
    });
    props.backupBucket.encryptionKey?.grantEncrypt(this.failureFn);
    this.failureFn.addEventSource(new SqsEventSource(failures.queue, { batchSize: 10, reportBatchItemFailures: true }));
  }
}
