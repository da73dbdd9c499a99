import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Lambda rejects an event source mapping whose queue's visibility timeout is shorter than the function timeout, and
 * AWS recommends 6× so a message is not redelivered while the Lambda service still retries a throttled batch.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** SQS's longest retention: a message is dropped 14 days after it was first sent, received or not. */
export const MAX_RETENTION = Duration.days(14);

/**
 * How long a message may wait unreceived (a backlog, throttling, a disabled event source mapping) and still use up
 * its deliveries — reaching the dead-letter queue and so the backup bucket — before SQS drops it. A configuration
 * whose redrive takes longer than `retention − BACKLOG_HEADROOM` is refused.
 */
export const BACKLOG_HEADROOM = Duration.days(7);

/**
 * Timeout of the function that drains the dead-letter queues (`DeadLetterBackup`): it copies the objects a message
 * names into the backup bucket server-side, which for a multi-GiB object takes minutes.
 */
export const DEAD_LETTER_CONSUMER_TIMEOUT = Duration.minutes(15);

/** Objects the queue's messages name (S3 event notifications), so that a dead letter's objects can be backed up. */
export interface QueuedObjects {
  readonly bucket: IBucket;

  /** Key prefix of every object a message may name. @default '' (any key) */
  readonly prefix?: string;

  /** KMS key of an SSE-KMS bucket. @default - SSE-S3 or unencrypted */
  readonly encryptionKey?: IKey;

  /**
   * The pipeline created the bucket (staging, buffer): it is unversioned, listable by the pipeline, and its objects
   * expire only once tagged `logtong:state=done`, so whoever backs a dead letter's object up marks it done. Never for
   * a user's bucket, which Logtong only reads.
   * @default false
   */
  readonly owned?: boolean;
}

export interface WorkQueueProps {
  /** Timeout of the function that consumes the queue; the visibility timeout is 6× this. */
  readonly consumerTimeout: Duration;

  /** Deliveries before a message moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;

  /**
   * How long SQS keeps a message. Must leave `BACKLOG_HEADROOM` (7 days) beyond the redrive time
   * (`maxReceiveCount` × visibility timeout).
   * @default Duration.days(14), the SQS maximum
   */
  readonly retentionPeriod?: Duration;

  /**
   * Timeout of the function that consumes the dead-letter queue; its visibility timeout is 6× this.
   * @default DEAD_LETTER_CONSUMER_TIMEOUT (15 minutes)
   */
  readonly deadLetterConsumerTimeout?: Duration;

  /** What the messages name, for the dead-letter backup. @default - not S3 objects (nothing to copy) */
  readonly objects?: QueuedObjects;
}

/**
 * An SQS queue with its dead-letter queue: SQS-managed encryption, TLS-only policies, the maximum retention on both,
 * and a redrive that moves a message that cannot be processed to the dead-letter queue (whose consumer writes it to
 * the backup bucket) long before SQS could drop it. Its alarms are the pipeline monitor's (`watchQueue`).
 */
export class WorkQueue extends Construct {
  /** The WorkQueue whose dead-letter queue `queue` is, if any: what `DeadLetterBackup` learns its messages from. */
  static ofDeadLetterQueue(queue: IQueue): WorkQueue | undefined {
    const owner = queue.node.scope;
    return owner instanceof WorkQueue && owner.deadLetterQueue === queue ? owner : undefined;
  }

  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** Deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** The longest the dead-letter queue's consumer may run (its visibility timeout is 6× this). */
  readonly deadLetterConsumerTimeout: Duration;
  /** What the messages name. @default - not S3 objects */
  readonly objects?: QueuedObjects;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    this.deadLetterConsumerTimeout = props.deadLetterConsumerTimeout ?? DEAD_LETTER_CONSUMER_TIMEOUT;
    this.objects = props.objects;
    const retention = props.retentionPeriod ?? MAX_RETENTION;
    const visibility = Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
    validateRedrive(this.node.path, { retention, visibility, maxReceiveCount: this.maxReceiveCount });

    const deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The maximum: SQS keeps a redriven message's first enqueue time, so the dead-letter queue must keep messages
      // at least as long as the queue, or a late redrive would expire at once.
      retentionPeriod: MAX_RETENTION,
      visibilityTimeout: Duration.seconds(this.deadLetterConsumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
    });
    this.deadLetterQueue = deadLetterQueue;
    const queue = new Queue(this, 'Queue', {
      // SQS-managed rather than KMS: S3 event notifications cannot publish to a queue under the AWS-managed
      // aws/sqs key, and a customer key per pipeline would add cost without a reader outside this stack.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: retention,
      visibilityTimeout: visibility,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
    this.queue = queue;
  }
}

/**
 * A message that fails every delivery must reach the dead-letter queue — and so the backup bucket — while SQS still
 * keeps it, even after waiting `BACKLOG_HEADROOM` unreceived; otherwise it would expire with no trace.
 */
function validateRedrive(path: string, r: { retention: Duration; visibility: Duration; maxReceiveCount: number }): void {
  const retention = r.retention.toSeconds();
  if (retention > MAX_RETENTION.toSeconds()) {
    throw new Error(`${path}: retentionPeriod (${r.retention.toHumanString()}) exceeds the SQS maximum of 14 days`);
  }
  if (!Number.isInteger(r.maxReceiveCount) || r.maxReceiveCount < 1) {
    throw new Error(`${path}: maxReceiveCount must be a positive integer, got ${r.maxReceiveCount}`);
  }
  const redrive = r.maxReceiveCount * r.visibility.toSeconds();
  const latest = retention - BACKLOG_HEADROOM.toSeconds();
  if (redrive > latest) {
    throw new Error(
      `${path}: a message that keeps failing could expire before reaching the dead-letter queue: maxReceiveCount ` +
        `(${r.maxReceiveCount}) × visibility timeout (${r.visibility.toHumanString()}, ${VISIBILITY_TIMEOUT_FACTOR}× the consumer timeout) ` +
        `= ${Duration.seconds(redrive).toHumanString()}, more than the retention (${r.retention.toHumanString()}) minus ` +
        `${BACKLOG_HEADROOM.toHumanString()} of backlog headroom. Lower maxReceiveCount or the consumer timeout, or raise the retention.`,
    );
  }
}
