import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Pipeline } from '../config/schema';
import { COMPACTION_JOURNAL_PREFIX } from '../../lambda/core/light/compaction';
import type { LoggedStateMachine } from './logged-state-machine';
import { LogtongFunction } from './logtong-function';
import { runtimeConfigVariable } from './private/runtime-config-variable';
import { scheduledFanOut } from './private/state-machine-steps';

export interface CompactionProps {
  readonly pipelineName: string;

  /** The validated pipeline (its runtime part is `RUNTIME_CONFIG`): the table's columns come from its log format. */
  readonly pipelineConfig: Pipeline;

  /** Bucket of the table's Parquet files. */
  readonly centralBucket: IBucket;

  /** Where the batch manifests are (`_batches/<pipeline>/`): the files of a batch still pending are never merged. */
  readonly stagingBucket: IBucket;

  /** Table name = key prefix of its files. */
  readonly tableName: string;

  readonly failureTopic: ITopic;

  /** @default 'cron(30 1 * * ? *)' */
  readonly schedule?: string;

  /** Hours after the end of an event hour before its files are merged. @default 24 */
  readonly minAgeHours?: number;

  /** Size of the merged files (the whole partition when smaller). @default 128 */
  readonly targetFileMiB?: number;

  /** Partitions merged in parallel. @default 2 */
  readonly maxConcurrency?: number;
}

/**
 * Daily: merge the small Parquet files of every partition old enough (catching up all partitions not compacted yet,
 * not only yesterday's) into files of at least the target size. Same guard, retries and failure topic as the batch.
 * Never merges a file of a batch whose manifest still exists (a retry rewrites it), and one compaction per partition
 * at a time (its lock, beside the journal): lambda/core/light/compaction.ts.
 */
export class Compaction extends Construct {
  readonly listFn: LogtongFunction;
  readonly compactFn: LogtongFunction;
  readonly stateMachine: LoggedStateMachine;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: CompactionProps) {
    super(scope, id);
    const { pipelineName: name, centralBucket: bucket, tableName: table } = props;
    const environment = {
      CENTRAL_BUCKET: bucket.bucketName,
      STAGING_BUCKET: props.stagingBucket.bucketName,
      TABLE_NAME: table,
      COMPACT_MIN_AGE_HOURS: String(props.minAgeHours ?? 24),
      COMPACT_TARGET_BYTES: String((props.targetFileMiB ?? 128) * 1024 ** 2),
    };
    const tableObjects = bucket.arnForObjects(`${table}/*`);
    const journal = bucket.arnForObjects(`${COMPACTION_JOURNAL_PREFIX}${table}/*`);

    this.listFn = new LogtongFunction(this, 'ListFunction', {
      pipelineName: name,
      handlerName: 'light-compact-list',
      description: `Logtong ${name}: find partitions with small Parquet files to merge`,
      timeout: Duration.minutes(5),
      environment,
    });
    const listTable = {
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      reason: 'Lists the table’s partitions and files; ListBucket has no key-level resource, only the bucket.',
    };
    this.listFn.addScopedPolicy(listTable);
    // Which batches are still pending: the manifest keys of this pipeline, listed (no object of the staging bucket is
    // read). ListBucket has no key-level resource, so the prefix is a condition. Without ListBucket a missing manifest
    // would be a 403, not a 404, so listing is also the least that tells "finished" from "forbidden".
    const listManifests = new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [props.stagingBucket.bucketArn],
      conditions: { StringEquals: { 's3:prefix': [`_batches/${name}/`] } },
    });

    this.compactFn = new LogtongFunction(this, 'CompactFunction', {
      pipelineName: name,
      handlerName: 'light-compact',
      description: `Logtong ${name}: merge the small Parquet files of one partition`,
      timeout: Duration.minutes(15),
      memoryMiB: 2048,
      environment: { ...environment, RUNTIME_CONFIG: runtimeConfigVariable(props.pipelineConfig) },
    });
    this.compactFn.addScopedPolicy(listTable);
    this.compactFn.addScopedPolicy({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      resources: [tableObjects, journal],
      reason:
        'Reads, writes and deletes Parquet files of this pipeline table, and its compaction journal and partition locks (conditional writes and deletes, which need GetObject too), only.',
    });
    for (const fn of [this.listFn, this.compactFn]) fn.addToRolePolicy(listManifests);
    bucket.encryptionKey?.grantEncryptDecrypt(this.compactFn);

    ({ stateMachine: this.stateMachine, schedule: this.schedule } = scheduledFanOut(this, {
      stateMachineName: `Logtong-${name}-compaction`,
      description: `Logtong ${name}: compact Parquet partitions`,
      schedule: props.schedule ?? 'cron(30 1 * * ? *)',
      timeout: Duration.hours(12),
      listFn: this.listFn,
      listState: 'ListPartitions',
      itemFn: this.compactFn,
      itemState: 'Compact',
      mapState: 'CompactPartitions',
      itemsField: 'partitions',
      resultPath: '$.compacted',
      maxConcurrency: props.maxConcurrency ?? 2,
      failureTopic: props.failureTopic,
      failureSubject: `Logtong ${name}: Light Engine compaction failed`,
    }));
  }
}
