import { Duration } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { listLockKey } from '../../lambda/core/light/layout';
import type { Pipeline } from '../config/schema';
import type { LoggedStateMachine } from './logged-state-machine';
import { LogtongFunction } from './logtong-function';
import { runtimeConfigVariable } from './private/runtime-config-variable';
import { scheduledFanOut } from './private/state-machine-steps';

export interface LightEngineBatchProps {
  /** Pipeline name: staging prefix `<name>/`, manifests `_batches/<name>/`, archive `archive/<name>/`. */
  readonly pipelineName: string;

  /** The validated pipeline; its runtime part (log format, filters) is the Convert function's `RUNTIME_CONFIG`. */
  readonly pipelineConfig: Pipeline;

  /** Raw objects staged by the copy stage. */
  readonly stagingBucket: IBucket;

  /** Parquet goes to `<tableName>/event_hour=…/region=…/` here. */
  readonly centralBucket: IBucket;

  /** Failed records go to `<pipelineName>/failed-records/…` here. */
  readonly backupBucket: IBucket;

  /** Glue table name, also the key prefix of its files. */
  readonly tableName: string;

  /** Value of the `region` partition. */
  readonly partitionRegion: string;

  /** Failure notifications. */
  readonly failureTopic: ITopic;

  /** EventBridge Scheduler expression. @default 'rate(5 minutes)' */
  readonly schedule?: string;

  /** Raw bytes of staged objects one Convert invocation takes, at most. @default 512 */
  readonly batchMaxMiB?: number;

  /** @default 1000 */
  readonly batchMaxObjects?: number;

  /** Convert invocations in parallel. @default 4 */
  readonly maxConcurrency?: number;

  /** @default 2048 */
  readonly convertMemoryMiB?: number;

  /** @default Duration.minutes(15) */
  readonly convertTimeout?: Duration;
}

/**
 * Schedule → state machine: guard (skips a run while another is running) → List (batch manifests) → Map of Convert
 * (Parquet), each task retried with backoff; any failure notifies the topic and fails the execution, leaving the
 * unconverted objects and their manifests staged for the next run. The guard is check-then-act, so overlapping runs
 * are made safe in S3 itself: one List at a time per pipeline (its lock) and one Convert per batch (the manifest's
 * lease), both taken with conditional writes (lambda/core/light/lease.ts). Nothing of a pending batch expires: staged
 * objects and manifests are never marked done, and archived objects only once their batch's manifest is deleted
 * (lambda/adapters/archive-done.ts).
 */
export class LightEngineBatch extends Construct {
  readonly listFn: LogtongFunction;
  readonly convertFn: LogtongFunction;
  readonly stateMachine: LoggedStateMachine;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: LightEngineBatchProps) {
    super(scope, id);
    const { pipelineName: name, stagingBucket: staging } = props;
    const convertTimeout = props.convertTimeout ?? Duration.minutes(15);

    this.listFn = new LogtongFunction(this, 'ListFunction', {
      pipelineName: name,
      handlerName: 'light-list',
      description: `Logtong ${name}: group staged log files into batch manifests`,
      timeout: Duration.minutes(5),
      memoryMiB: 512,
      environment: {
        STAGING_BUCKET: staging.bucketName,
        BATCH_MAX_BYTES: String((props.batchMaxMiB ?? 512) * 1024 ** 2),
        BATCH_MAX_OBJECTS: String(props.batchMaxObjects ?? 1000),
      },
    });
    this.listFn.addScopedPolicy({
      actions: ['s3:ListBucket'],
      resources: [staging.bucketArn],
      reason: 'Lists what this pipeline staged (and its manifests); ListBucket has no key-level resource, only the bucket.',
    });
    this.listFn.addScopedPolicy({
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [staging.arnForObjects(`_batches/${name}/*`)],
      reason:
        'Reads and writes the batch manifests of this pipeline only, and its List lock beside them (created with If-None-Match, taken over with If-Match, which needs GetObject too): keys under _batches/<pipeline>/.',
    });
    this.listFn.addScopedPolicy({
      actions: ['s3:DeleteObject'],
      resources: [staging.arnForObjects(listLockKey(name))],
      reason: 'Releases its List lock (a delete with If-Match): that one key only.',
    });
    this.listFn.addScopedPolicy({
      actions: ['s3:GetObject'],
      resources: [staging.arnForObjects(`archive/${name}/*`)],
      reason: 'Looks up (HEAD) the archived twin of a staged object of this pipeline: keys under archive/<pipeline>/.',
    });
    this.listFn.addScopedPolicy({
      actions: ['s3:DeleteObject'],
      resources: [staging.arnForObjects(`${name}/*`)],
      reason: 'Drops staged objects of this pipeline whose identical copy was already converted and archived: keys under <pipeline>/.',
    });
    staging.encryptionKey?.grantEncryptDecrypt(this.listFn);

    this.convertFn = new LogtongFunction(this, 'ConvertFunction', {
      pipelineName: name,
      handlerName: 'light-convert',
      description: `Logtong ${name}: convert a batch of staged log files into partitioned Parquet`,
      timeout: convertTimeout,
      memoryMiB: props.convertMemoryMiB ?? 2048,
      environment: {
        STAGING_BUCKET: staging.bucketName,
        CENTRAL_BUCKET: props.centralBucket.bucketName,
        BACKUP_BUCKET: props.backupBucket.bucketName,
        TABLE_NAME: props.tableName,
        PARTITION_REGION: props.partitionRegion,
        RUNTIME_CONFIG: runtimeConfigVariable(props.pipelineConfig),
      },
    });
    this.convertFn.addScopedPolicy({
      actions: ['s3:GetObject'],
      resources: [staging.arnForObjects(`${name}/*`), staging.arnForObjects(`archive/${name}/*`), staging.arnForObjects(`_batches/${name}/*`)],
      reason: 'Reads the staged objects, their archived copies and the batch manifests of this pipeline only.',
    });
    this.convertFn.addScopedPolicy({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [staging.arnForObjects(`archive/${name}/*`)],
      reason: 'Moves converted objects of this pipeline to its archive prefix only: keys under archive/<pipeline>/.',
    });
    this.convertFn.addScopedPolicy({
      actions: ['s3:DeleteObject'],
      resources: [staging.arnForObjects(`${name}/*`), staging.arnForObjects(`_batches/${name}/*`)],
      reason: 'Removes converted objects (after archiving) and finished manifests of this pipeline only.',
    });
    this.convertFn.addScopedPolicy({
      actions: ['s3:PutObject'],
      resources: [staging.arnForObjects(`_batches/${name}/*`)],
      reason:
        'Takes and releases the lease of the batch it converts, written into its manifest with If-Match (compare-and-swap on the ETag it read; a manifest already deleted is not recreated): keys under _batches/<pipeline>/.',
    });
    this.convertFn.addScopedPolicy({
      actions: ['s3:PutObjectTagging'],
      resources: [staging.arnForObjects(`archive/${name}/*`)],
      reason: 'Marks the archived objects of a finished batch of this pipeline done (the tag the staging lifecycle rule expires on): keys under archive/<pipeline>/.',
    });
    this.convertFn.addScopedPolicy({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [props.centralBucket.arnForObjects(`${props.tableName}/*`)],
      reason: 'Writes Parquet files of this pipeline table only: keys under <table>/ of the centralized bucket.',
    });
    this.convertFn.addScopedPolicy({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [props.backupBucket.arnForObjects(`${name}/*`)],
      reason:
        'Writes failed records of this pipeline only: every key under the backup bucket prefix <pipeline>/; an over-long line is streamed there as a multipart upload, which a failed stream aborts.',
    });
    staging.encryptionKey?.grantEncryptDecrypt(this.convertFn);
    // Decrypt too: S3 reads the encrypted parts back to complete a multipart upload (Parquet files, over-long lines).
    props.centralBucket.encryptionKey?.grantEncryptDecrypt(this.convertFn);
    props.backupBucket.encryptionKey?.grantEncryptDecrypt(this.convertFn);

    ({ stateMachine: this.stateMachine, schedule: this.schedule } = scheduledFanOut(this, {
      stateMachineName: `Logtong-${name}-batch`,
      description: `Logtong ${name}: convert staged logs to Parquet`,
      schedule: props.schedule ?? 'rate(5 minutes)',
      // Enough for a backlog of maxBatches Convert runs at maxConcurrency, each with its retries.
      timeout: Duration.hours(6),
      listFn: this.listFn,
      listState: 'List',
      itemFn: this.convertFn,
      itemState: 'Convert',
      mapState: 'ConvertBatches',
      itemsField: 'batches',
      resultPath: '$.converted',
      maxConcurrency: props.maxConcurrency ?? 4,
      failureTopic: props.failureTopic,
      failureSubject: `Logtong ${name}: Light Engine batch failed`,
    }));
  }
}
