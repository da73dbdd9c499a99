import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType, type IBucket, type NotificationKeyFilter } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LogtongFunction } from './logtong-function';
import { WorkQueue } from './work-queue';

export interface CopyStageProps {
  /** Pipeline name: the key prefix in the staging bucket. */
  readonly pipelineName: string;

  /** Bucket that holds the logs; usually imported with `Bucket.fromBucketName`. */
  readonly sourceBucket: IBucket;

  /** Only objects under this key prefix are copied and readable. @default '' (the whole bucket) */
  readonly prefix?: string;

  /** Only objects whose key ends with this are copied. @default '' (any key) */
  readonly suffix?: string;

  /** KMS key of the source bucket when it uses SSE-KMS. @default - SSE-S3 or unencrypted source */
  readonly sourceKey?: IKey;

  /** Copies go to `<pipelineName>/<source bucket>/<source key>` here. */
  readonly stagingBucket: IBucket;

  /**
   * Subscribe the queue to the source bucket's object-created events. Off for sources that enqueue objects
   * themselves (a one-time scan of an existing bucket).
   * @default true
   */
  readonly notifyOnObjectCreated?: boolean;

  /**
   * The source is the pipeline's own bucket (the agents' buffer bucket), whose lifecycle expires only objects tagged
   * `logtong:state=done`: the copy function tags each object once its copy is staged, and the dead-letter backup
   * once it has kept it. Never for a user's bucket, which Logtong only reads.
   * @default false
   */
  readonly markSourceDone?: boolean;

  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;

  /** @default 512 */
  readonly memoryMiB?: number;

  /** @default 10 */
  readonly batchSize?: number;
}

/**
 * Source bucket → SQS (+ DLQ) → `lambda/handlers/copy.ts`, which copies each new object into the staging bucket
 * under the pipeline's prefix. Shared by every engine: the OpenSearch processor and the Light Engine batch both read
 * from staging, so neither needs access to the user's bucket.
 */
export class CopyStage extends Construct {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly fn: LogtongFunction;

  constructor(scope: Construct, id: string, props: CopyStageProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.minutes(5);
    const prefix = props.prefix ?? '';
    const suffix = props.suffix ?? '';
    const markSourceDone = props.markSourceDone ?? false;

    this.fn = new LogtongFunction(this, 'Function', {
      pipelineName: props.pipelineName,
      handlerName: 'copy',
      description: `Logtong ${props.pipelineName}: copy new log objects into the staging bucket`,
      timeout,
      memoryMiB: props.memoryMiB ?? 512,
      environment: {
        STAGING_BUCKET: props.stagingBucket.bucketName,
        STAGING_PREFIX: props.pipelineName,
        ...(markSourceDone ? { MARK_SOURCE_DONE: 'true' } : {}),
      },
    });
    this.fn.addScopedPolicy({
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [props.sourceBucket.arnForObjects(`${prefix}*`)],
      reason: 'Reads the source objects this pipeline watches: every key under the configured prefix of the source bucket.',
    });
    this.fn.addScopedPolicy({
      // PutObject covers CreateMultipartUpload / UploadPart(Copy) / CompleteMultipartUpload for objects over 5 GiB.
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [props.stagingBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: 'Writes copies of this pipeline only: every key under the staging bucket prefix <pipeline>/.',
    });
    if (markSourceDone) {
      this.fn.addScopedPolicy({
        actions: ['s3:PutObjectTagging'],
        resources: [props.sourceBucket.arnForObjects(`${prefix}*`)],
        reason: 'Marks a buffered object done (the tag its lifecycle rule expires on) once its copy is staged: keys under the prefix the agents of this pipeline write.',
      });
    }
    props.sourceKey?.grantDecrypt(this.fn);
    props.stagingBucket.encryptionKey?.grantEncryptDecrypt(this.fn);

    const work = new WorkQueue(this, 'Queue', {
      consumerTimeout: timeout,
      // A dead letter names source objects: the backup keeps them whole, and marks the pipeline's own ones done.
      objects: { bucket: props.sourceBucket, prefix, encryptionKey: props.sourceKey, owned: markSourceDone },
    });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;
    if (props.notifyOnObjectCreated ?? true) {
      // No filter at all for a whole-bucket source: CDK rejects an empty one.
      const filters: NotificationKeyFilter[] = prefix || suffix ? [{ ...(prefix ? { prefix } : {}), ...(suffix ? { suffix } : {}) }] : [];
      props.sourceBucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), ...filters);
    }
    this.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        reportBatchItemFailures: true,
      }),
    );
  }
}
