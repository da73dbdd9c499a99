import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { compileParser } from '../../../lambda/core/formats';
import { lightTable } from '../../../lambda/core/light/table';
import { lightDatabaseName, lightProjection, lightTableName, type LightEngineConfig, type Pipeline } from '../../config/schema';
import { Compaction } from '../../constructs/compaction';
import { DeadLetterBackup } from '../../constructs/dlq-backup';
import type { PipelineMonitor } from '../../constructs/pipeline-monitor';
import { GlueTable } from '../../constructs/glue-table';
import { LightEngineBatch } from '../../constructs/light-engine-batch';
import { CentralBucket } from '../../constructs/log-buckets';
import type { StagedObjects } from './staged-ingest';

export interface LightEngineProps {
  readonly pipeline: Pipeline;
  readonly config: LightEngineConfig;

  /** The objects the batch converts, from the staged ingest. */
  readonly staged: StagedObjects;

  /** Failed records and dead letters go here. */
  readonly backup: IBucket;

  /** Receives the central bucket's server access logs. */
  readonly accessLogs: IBucket;

  /** Gets the rows and alarms of the batch, compaction and dead-letter backup. */
  readonly monitor: PipelineMonitor;

  /** The batch and compaction runs report their failures there. */
  readonly failureTopic: ITopic;
}

/**
 * The Light Engine side of a pipeline: the central bucket of Parquet files, the scheduled batch that converts staged
 * objects into it, daily compaction, the Glue table Athena queries, the failure topic both jobs report to, and the
 * backup of the ingest's dead letters.
 *
 * Not a Construct: its parts are the stack's own children (see PipelineStack).
 */
export class LightEngine {
  constructor(scope: Construct, props: LightEngineProps) {
    const { pipeline, config, staged, backup, monitor } = props;
    const deadLetters = new DeadLetterBackup(scope, 'DeadLetterBackup', {
      pipelineName: pipeline.name,
      deadLetterQueues: staged.deadLetterQueues,
      backupBucket: backup,
    });
    const central = new CentralBucket(scope, 'CentralBucket', {
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'central/',
      retention: Duration.days(config.retentionDays),
    });
    const tableName = lightTableName(pipeline);
    const databaseName = lightDatabaseName(pipeline);
    const region = config.region ?? Stack.of(scope).region;
    const topic = props.failureTopic;
    const batch = new LightEngineBatch(scope, 'LightEngine', {
      pipelineName: pipeline.name,
      pipelineConfig: pipeline,
      stagingBucket: staged.staging,
      centralBucket: central,
      backupBucket: backup,
      tableName,
      partitionRegion: region,
      failureTopic: topic,
      schedule: config.schedule,
      batchMaxMiB: config.batchMaxMb,
      batchMaxObjects: config.batchMaxObjects,
      maxConcurrency: config.maxConcurrency,
      convertMemoryMiB: config.convertMemoryMb,
      convertTimeout: Duration.seconds(config.convertTimeoutSeconds),
    });
    const compaction = new Compaction(scope, 'Compaction', {
      pipelineName: pipeline.name,
      pipelineConfig: pipeline,
      centralBucket: central,
      stagingBucket: staged.staging,
      tableName,
      failureTopic: topic,
      schedule: config.compaction.schedule,
      minAgeHours: config.compaction.minAgeHours,
      targetFileMiB: config.compaction.targetFileMb,
    });
    const projection = lightProjection(config);
    new GlueTable(scope, 'Table', {
      databaseName,
      tableName,
      bucket: central,
      prefix: `${tableName}/`,
      columns: lightTable(pipeline.logFormat, compileParser(pipeline.logFormat).fields).columns,
      regions: [region],
      logType: pipeline.logFormat.type,
      // The Convert function checks its records against the same range (RUNTIME_CONFIG, toRuntimeConfig).
      projectionStartHour: projection.fromHour,
      projectionFutureHours: projection.futureHours,
    });
    new CfnOutput(scope, 'CentralBucketName', { value: central.bucketName });
    new CfnOutput(scope, 'GlueTable', { value: `${databaseName}.${tableName}` });
    new CfnOutput(scope, 'BatchStateMachineArn', { value: batch.stateMachine.stateMachineArn });
    new CfnOutput(scope, 'CompactionStateMachineArn', { value: compaction.stateMachine.stateMachineArn });
    monitor.watchRuns('Light Engine batch', 'Batch', batch.stateMachine);
    monitor.watchFunction('Convert', 'Convert', batch.convertFn, { throttles: true });
    monitor.watchConversion(batch.convertFn);
    monitor.watchFunction('Batch list', 'BatchList', batch.listFn);
    monitor.watchRuns('Compaction', 'Compaction', compaction.stateMachine);
    monitor.watchFunction('Compact', 'Compact', compaction.compactFn);
    monitor.watchCompaction(compaction.compactFn);
    monitor.watchFunction('Dead-letter backup', 'DeadLetterBackup', deadLetters.fn);
    monitor.watchDeadLetterBackup(deadLetters.fn);
  }
}
