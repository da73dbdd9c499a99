import { Duration } from 'aws-cdk-lib';
import { CfnRole, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType, type IBucket, type NotificationKeyFilter } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { CfnQueue, IQueue } from 'aws-cdk-lib/aws-sqs';
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

  /**
   * The source bucket is in another account: the function reads it only through `roleArn` there (STS AssumeRole
   * with the external ID), and that account's stack (`LogtongSource-<pipeline>`) subscribes the bucket to the queue.
   * @default - same account: the function's own role reads the bucket and this stage subscribes the queue
   */
  readonly crossAccount?: CrossAccountRead;

  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;

  /** @default 512 */
  readonly memoryMiB?: number;

  /** @default 10 */
  readonly batchSize?: number;
}

/** How a stage reads a bucket of another account, and the physical names that account's stack refers to. */
export interface CrossAccountRead {
  /** The account that owns the bucket. */
  readonly account: string;
  /** Role in that account to assume for every read of the bucket. */
  readonly roleArn: string;
  /** The `sts:ExternalId` the role's trust policy requires. */
  readonly externalId: string;
  /** Physical name of the reader's own role, which the source role's trust policy names. */
  readonly readerRoleName: string;
  /** Physical name of the copy queue, which the bucket's notification names (copy stage only). @default - generated */
  readonly queueName?: string;
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
    const cross = props.crossAccount;
    if (cross && markSourceDone) throw new Error(`${this.node.path}: a bucket of another account is never the pipeline's own (markSourceDone)`);

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
        ...(cross ? { SOURCE_ROLE_ARN: cross.roleArn, SOURCE_EXTERNAL_ID: cross.externalId } : {}),
      },
    });
    if (cross) {
      // The source role's trust policy names this role by ARN, and that stack is deployed apart: the name is fixed.
      (this.fn.executionRole.node.defaultChild as CfnRole).roleName = cross.readerRoleName;
      // Everything it may do in the source account is the source role's policy; here only the right to become it.
      this.fn.addScopedPolicy({
        actions: ['sts:AssumeRole'],
        resources: [cross.roleArn],
        reason: 'Reads the source bucket of another account through the one role that account grants this pipeline.',
      });
    } else {
      this.fn.addScopedPolicy({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [props.sourceBucket.arnForObjects(`${prefix}*`)],
        reason: 'Reads the source objects this pipeline watches: every key under the configured prefix of the source bucket.',
      });
    }
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
    // Another account's key is the source role's to use (its policy there), not this function's.
    if (!cross) props.sourceKey?.grantDecrypt(this.fn);
    props.stagingBucket.encryptionKey?.grantEncryptDecrypt(this.fn);

    const work = new WorkQueue(this, 'Queue', {
      consumerTimeout: timeout,
      // A dead letter names source objects: the backup keeps them whole, and marks the pipeline's own ones done.
      // Not another account's: the backup function may not read it, and records those objects as unreadable (the
      // dead letter itself, naming them, is kept; the objects stay in their owner's bucket).
      ...(cross ? {} : { objects: { bucket: props.sourceBucket, prefix, encryptionKey: props.sourceKey, owned: markSourceDone } }),
    });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;
    if (cross) {
      // The source account's stack names the queue by ARN in the bucket's notification: the name is fixed.
      if (cross.queueName) (work.queue.node.defaultChild as CfnQueue).queueName = cross.queueName;
      // CDK cannot configure another account's bucket (its stack does); here only the queue admits that one bucket.
      if (props.notifyOnObjectCreated ?? true) {
        work.queue.addToResourcePolicy(
          new PolicyStatement({
            principals: [new ServicePrincipal('s3.amazonaws.com')],
            actions: ['sqs:SendMessage'],
            resources: [work.queue.queueArn],
            conditions: {
              StringEquals: { 'aws:SourceAccount': cross.account },
              ArnEquals: { 'aws:SourceArn': props.sourceBucket.bucketArn },
            },
          }),
        );
      }
    } else if (props.notifyOnObjectCreated ?? true) {
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
