import { Fn, type Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LogtongFunction } from './logtong-function';
import { DEAD_LETTER_CONSUMER_TIMEOUT, WorkQueue, type QueuedObjects } from './work-queue';

export interface DeadLetterBackupProps {
  /** Pipeline name: the key prefix in the backup bucket. */
  readonly pipelineName: string;

  /**
   * Dead-letter queues to drain. A `WorkQueue`'s dead-letter queue declares what its messages name (`objects`): those
   * objects are copied whole into the backup bucket beside the message. Its visibility timeout must be at least 6×
   * `timeout`, which `WorkQueue` guarantees for the timeout it was given (checked here).
   */
  readonly deadLetterQueues: readonly IQueue[];

  /** Messages, and the objects they name, are written to `<pipelineName>/dead-letters/…` here. */
  readonly backupBucket: IBucket;

  /** @default DEAD_LETTER_CONSUMER_TIMEOUT (15 minutes: a server-side copy of a multi-GiB object takes minutes) */
  readonly timeout?: Duration;
}

/**
 * Drains dead-letter queues into the backup bucket (`lambda/handlers/backup.ts`): a message that exhausted its
 * retries is kept for the backup retention with its context, and so are the objects it names (copied server-side,
 * whole), so the lines outlive the queue's 14 days and the staging or buffer bucket; the pipeline's own objects are
 * then marked done. An object it cannot keep is recorded as such in the message's document.
 */
export class DeadLetterBackup extends Construct {
  readonly fn: LogtongFunction;

  constructor(scope: Construct, id: string, props: DeadLetterBackupProps) {
    super(scope, id);
    const timeout = props.timeout ?? DEAD_LETTER_CONSUMER_TIMEOUT;
    const sources: QueuedObjects[] = [];
    for (const queue of props.deadLetterQueues) {
      const work = WorkQueue.ofDeadLetterQueue(queue);
      if (work && work.deadLetterConsumerTimeout.toSeconds() < timeout.toSeconds()) {
        // A message still being copied would become visible again and be handled twice at once.
        throw new Error(
          `${this.node.path}: timeout (${timeout.toHumanString()}) is longer than ${work.node.path} allows its dead-letter consumer (${work.deadLetterConsumerTimeout.toHumanString()})`,
        );
      }
      if (work?.objects) sources.push(work.objects);
    }
    const owned = sources.filter((s) => s.owned);

    this.fn = new LogtongFunction(this, 'Function', {
      pipelineName: props.pipelineName,
      handlerName: 'backup',
      description: `Logtong ${props.pipelineName}: write dead-lettered messages and the objects they name to the backup bucket`,
      timeout,
      environment: {
        BACKUP_BUCKET: props.backupBucket.bucketName,
        ...(owned.length > 0 ? { MARK_DONE_BUCKETS: Fn.join(',', owned.map((s) => s.bucket.bucketName)) } : {}),
      },
    });
    this.fn.addScopedPolicy({
      // PutObject covers the multipart steps of a copy over 5 GiB; AbortMultipartUpload cleans up a failed one.
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [props.backupBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: 'Writes dead-lettered messages of this pipeline and copies of the objects they name: every key under the backup bucket prefix <pipeline>/.',
    });
    props.backupBucket.encryptionKey?.grantEncryptDecrypt(this.fn);
    for (const s of sources) this.grantRead(s);
    for (const queue of props.deadLetterQueues) {
      this.fn.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));
    }
  }

  /** Read (to copy) the objects a dead letter may name; for the pipeline's own bucket, also tell missing and mark done. */
  private grantRead(s: QueuedObjects): void {
    const objects = s.bucket.arnForObjects(`${s.prefix ?? ''}*`);
    this.fn.addScopedPolicy({
      // GetObjectVersion: a user's versioned bucket names the exact version in its events.
      actions: s.owned ? ['s3:GetObject'] : ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [objects],
      reason: 'Copies the objects a dead-lettered message of this pipeline names into the backup bucket: keys under the prefix its queue receives events for.',
    });
    s.encryptionKey?.grantDecrypt(this.fn);
    if (!s.owned) return;
    this.fn.addScopedPolicy({
      actions: ['s3:ListBucket'],
      resources: [s.bucket.bucketArn],
      // Not granted on a user's bucket: listing it is more than copying the objects its events named.
      reason: 'Lets S3 answer 404, not 403, for a missing object of this pipeline’s own bucket, so the backup records it as missing.',
    });
    this.fn.addScopedPolicy({
      actions: ['s3:PutObjectTagging'],
      resources: [objects],
      reason: 'Marks an object of this pipeline done (the tag its bucket lifecycle rule expires on) once the backup holds its copy: keys under the prefix its queue receives events for.',
    });
  }
}
