import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LogtongFunction } from './logtong-function';

export interface DeadLetterBackupProps {
  /** Pipeline name: the key prefix in the backup bucket. */
  readonly pipelineName: string;

  /**
   * Dead-letter queues to drain. Their visibility timeout must be at least 6× `timeout`
   * (`WorkQueue` gives its DLQ 6 minutes).
   */
  readonly deadLetterQueues: readonly IQueue[];

  /** Messages are written to `<pipelineName>/…` here. */
  readonly backupBucket: IBucket;

  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
}

/**
 * Drains dead-letter queues into the backup bucket (`lambda/handlers/backup.ts`), so a message that exhausted its
 * retries is kept for the backup retention instead of disappearing when the DLQ's 14 days run out.
 */
export class DeadLetterBackup extends Construct {
  readonly fn: LogtongFunction;

  constructor(scope: Construct, id: string, props: DeadLetterBackupProps) {
    super(scope, id);
    this.fn = new LogtongFunction(this, 'Function', {
      handlerName: 'backup',
      description: `Logtong ${props.pipelineName}: write dead-lettered messages to the backup bucket`,
      timeout: props.timeout ?? Duration.minutes(1),
      environment: {
        BACKUP_BUCKET: props.backupBucket.bucketName,
        PIPELINE_NAME: props.pipelineName,
      },
    });
    this.fn.addScopedPolicy({
      actions: ['s3:PutObject'],
      resources: [props.backupBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: 'Writes dead-lettered messages of this pipeline only: every key under the backup bucket prefix <pipeline>/.',
    });
    props.backupBucket.encryptionKey?.grantEncrypt(this.fn);
    for (const queue of props.deadLetterQueues) {
      this.fn.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));
    }
  }
}
