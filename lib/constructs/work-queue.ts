import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Lambda rejects an event source mapping whose queue's visibility timeout is shorter than the function timeout, and
 * AWS recommends 6× so a message is not redelivered while the Lambda service still retries a throttled batch.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface WorkQueueProps {
  /** Timeout of the function that consumes the queue; the visibility timeout is 6× this. */
  readonly consumerTimeout: Duration;

  /** Deliveries before a message moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;

  /** @default Duration.days(4) */
  readonly retentionPeriod?: Duration;

  /**
   * Visibility timeout of the dead-letter queue, which `DeadLetterBackup` consumes: at least 6× its timeout.
   * @default Duration.minutes(6)
   */
  readonly deadLetterVisibilityTimeout?: Duration;
}

/** An SQS queue with its dead-letter queue: SQS-managed encryption, TLS-only policies, 14-day DLQ retention. */
export class WorkQueue extends Construct {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** Deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    const deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The maximum, so an operator has two weeks to notice and redrive before SQS drops a message.
      retentionPeriod: Duration.days(14),
      visibilityTimeout: props.deadLetterVisibilityTimeout ?? Duration.minutes(6),
    });
    this.deadLetterQueue = deadLetterQueue;
    this.queue = new Queue(this, 'Queue', {
      // SQS-managed rather than KMS: S3 event notifications cannot publish to a queue under the AWS-managed
      // aws/sqs key, and a customer key per pipeline would add cost without a reader outside this stack.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
  }
}
