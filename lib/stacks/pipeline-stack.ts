import { CfnOutput, Duration, Fn, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { compileParser } from '../../lambda/core/formats';
import { lightTable } from '../../lambda/core/light/table';
import { lightDatabaseName, lightTableName, type LightEngineConfig, type OpenSearchEngineConfig, type Pipeline, type VpcRef } from '../config/schema';
import { Compaction } from '../constructs/compaction';
import { CopyStage } from '../constructs/copy-stage';
import { DeadLetterBackup } from '../constructs/dlq-backup';
import { IndexBootstrap } from '../constructs/index-bootstrap';
import { FailureTopic } from '../constructs/failure-topic';
import { GlueTable } from '../constructs/glue-table';
import { LightEngineBatch } from '../constructs/light-engine-batch';
import { AccessLogBucket, BackupBucket, CentralBucket, StagingBucket } from '../constructs/log-buckets';
import type { FunctionNetwork } from '../constructs/logtong-function';
import type { OpenSearchConnection } from '../constructs/opensearch-connection';
import { ProcessorStage } from '../constructs/processor-stage';

/** A source × engine combination the schema accepts but no construct implements yet; synth fails with it. */
export class NotImplementedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotImplementedError';
  }
}

export interface PipelineStackProps extends StackProps {
  /** The validated pipeline (defaults applied by `loadConfig`). */
  readonly pipeline: Pipeline;

  /** Position in `pipelines`, so errors point at `pipelines[i] (name)` like config errors do. */
  readonly pipelineIndex: number;
}

type S3Source = Extract<Pipeline['source'], { type: 's3' }>;

/** Objects in the staging bucket are copies read once; two weeks leaves room to replay after an outage. */
const STAGING_RETENTION = Duration.days(14);

/**
 * One pipeline: picks the constructs for its source × engine. Implemented: S3 (ongoing) → OpenSearch.
 * Light Engine will reuse `CopyStage` and the staging bucket; Fluent Bit and Syslog sources will reuse
 * `ProcessorStage` over their S3 buffer.
 */
export class PipelineStack extends Stack {
  readonly pipeline: Pipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { pipeline, pipelineIndex, ...stackProps } = props;
    super(scope, id, {
      description: pipeline.description ?? `Logtong pipeline ${pipeline.name}: ${pipeline.source.type} → ${pipeline.engine.type}`,
      ...stackProps,
    });
    this.pipeline = pipeline;
    Tags.of(this).add('logtong:pipeline', pipeline.name);

    const where = `pipelines[${pipelineIndex}] (${pipeline.name})`;
    const { source, engine } = pipeline;
    if (source.type === 's3') {
      if (source.mode !== 'ongoing') {
        throw new NotImplementedError(`${where}: source s3 with mode ${source.mode} and engine ${engine.type} is not implemented yet`);
      }
      if (engine.type === 'opensearch') this.s3ToOpenSearch(pipeline, source, engine);
      else this.s3ToLight(pipeline, source, engine);
      return;
    }
    throw new NotImplementedError(`${where}: source ${source.type} with engine ${engine.type} is not implemented yet`);
  }

  /** Buckets and the copy stage every S3 source has, whatever the engine. */
  private s3Ingest(pipeline: Pipeline, source: S3Source) {
    const accessLogs = new AccessLogBucket(this, 'AccessLogBucket');
    const staging = new StagingBucket(this, 'StagingBucket', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'staging/',
      retention: STAGING_RETENTION,
    });
    const backup = new BackupBucket(this, 'BackupBucket', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'backup/',
      retention: Duration.days(pipeline.backupRetentionDays),
    });

    const copy = new CopyStage(this, 'Copy', {
      pipelineName: pipeline.name,
      sourceBucket: Bucket.fromBucketName(this, 'SourceBucket', source.bucketName),
      prefix: source.prefix,
      suffix: source.suffix,
      sourceKey: source.kmsKeyArn ? Key.fromKeyArn(this, 'SourceKey', source.kmsKeyArn) : undefined,
      stagingBucket: staging,
    });
    this.acknowledgeBucketNotificationsHandler();
    new CfnOutput(this, 'StagingBucketName', { value: staging.bucketName });
    new CfnOutput(this, 'BackupBucketName', { value: backup.bucketName });
    new CfnOutput(this, 'AccessLogBucketName', { value: accessLogs.bucketName });
    new CfnOutput(this, 'CopyQueueUrl', { value: copy.queue.queueUrl });
    new CfnOutput(this, 'CopyDeadLetterQueueUrl', { value: copy.deadLetterQueue.queueUrl });
    return { accessLogs, staging, backup, copy };
  }

  private s3ToLight(pipeline: Pipeline, source: S3Source, engine: LightEngineConfig): void {
    const { accessLogs, staging, backup, copy } = this.s3Ingest(pipeline, source);
    new DeadLetterBackup(this, 'DeadLetterBackup', {
      pipelineName: pipeline.name,
      deadLetterQueues: [copy.deadLetterQueue],
      backupBucket: backup,
    });
    const central = new CentralBucket(this, 'CentralBucket', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'central/',
      retention: Duration.days(engine.retentionDays),
    });
    const tableName = lightTableName(pipeline);
    const region = engine.region ?? this.region;
    const topic = new FailureTopic(this, 'FailureTopic', { pipelineName: pipeline.name, email: engine.notificationEmail });
    const batch = new LightEngineBatch(this, 'LightEngine', {
      pipelineName: pipeline.name,
      pipelineConfig: pipeline,
      stagingBucket: staging,
      centralBucket: central,
      backupBucket: backup,
      tableName,
      partitionRegion: region,
      failureTopic: topic,
      schedule: engine.schedule,
      batchMaxBytes: engine.batchMaxMb * 1024 * 1024,
      batchMaxObjects: engine.batchMaxObjects,
      maxConcurrency: engine.maxConcurrency,
      convertMemoryMb: engine.convertMemoryMb,
      convertTimeout: Duration.seconds(engine.convertTimeoutSeconds),
    });
    const compaction = new Compaction(this, 'Compaction', {
      pipelineName: pipeline.name,
      pipelineConfig: pipeline,
      centralBucket: central,
      tableName,
      failureTopic: topic,
      schedule: engine.compaction.schedule,
      minAgeHours: engine.compaction.minAgeHours,
      targetFileBytes: engine.compaction.targetFileMb * 1024 * 1024,
    });
    new GlueTable(this, 'Table', {
      databaseName: lightDatabaseName(pipeline),
      tableName,
      bucket: central,
      prefix: `${tableName}/`,
      columns: lightTable(pipeline.logFormat, compileParser(pipeline.logFormat).fields).columns,
      regions: [region],
      logType: pipeline.logFormat.type,
    });
    new CfnOutput(this, 'CentralBucketName', { value: central.bucketName });
    new CfnOutput(this, 'GlueTable', { value: `${lightDatabaseName(pipeline)}.${tableName}` });
    new CfnOutput(this, 'BatchStateMachineArn', { value: batch.stateMachine.stateMachineArn });
    new CfnOutput(this, 'CompactionStateMachineArn', { value: compaction.stateMachine.stateMachineArn });
    new CfnOutput(this, 'FailureTopicArn', { value: topic.topicArn });
  }

  private s3ToOpenSearch(pipeline: Pipeline, source: S3Source, engine: OpenSearchEngineConfig): void {
    const { staging, backup, copy } = this.s3Ingest(pipeline, source);
    const connection = this.openSearchConnection(engine);
    const processor = new ProcessorStage(this, 'Processor', {
      pipelineName: pipeline.name,
      stagingBucket: staging,
      backupBucket: backup,
      connection,
      pipelineConfig: pipeline,
      timeout: Duration.seconds(pipeline.processorTimeoutSeconds),
      memorySize: pipeline.processorMemoryMb,
    });

    new DeadLetterBackup(this, 'DeadLetterBackup', {
      pipelineName: pipeline.name,
      deadLetterQueues: [copy.deadLetterQueue, processor.deadLetterQueue],
      backupBucket: backup,
    });

    const bootstrap = new IndexBootstrap(this, 'IndexBootstrap', {
      pipelineName: pipeline.name,
      connection,
      indexPrefix: engine.indexPrefix,
      logFormat: pipeline.logFormat,
      index: engine.index,
    });
    // Nothing should be indexed before the template and write alias exist, or OpenSearch would auto-create an index
    // named like the alias with guessed mappings.
    processor.fn.node.addDependency(bootstrap.resource);

    new CfnOutput(this, 'ProcessorQueueUrl', { value: processor.queue.queueUrl });
    new CfnOutput(this, 'ProcessorDeadLetterQueueUrl', { value: processor.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ProcessorRoleArn', {
      value: processor.fn.executionRole.roleArn,
      description: 'Map as a backend role in OpenSearch (fine-grained access control) so the processor may index.',
    });
    new CfnOutput(this, 'IndexBootstrapRoleArn', {
      value: bootstrap.fn.executionRole.roleArn,
      description: 'Map as a backend role in OpenSearch (fine-grained access control) so templates and ISM policies can be created.',
    });
  }

  private openSearchConnection(engine: OpenSearchEngineConfig): OpenSearchConnection {
    const { domain } = engine;
    if (domain.type === 'aws') {
      return {
        endpoint: domain.endpoint,
        auth: 'sigv4',
        flavor: 'aws',
        domainArn: domain.arn,
        network: domain.vpc && this.network(domain.vpc),
      };
    }
    return {
      endpoint: domain.url,
      auth: domain.auth,
      flavor: 'self-managed',
      basicAuthSecret: domain.basicAuthSecretArn ? this.importSecret(domain.basicAuthSecretArn) : undefined,
      network: domain.vpc && this.network(domain.vpc),
    };
  }

  /** Imports subnets and security groups by ID: no lookups, so synth needs neither credentials nor network. */
  private network(ref: VpcRef): FunctionNetwork {
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: ref.vpcId,
      // Unknown offline, and only consulted when selecting subnets by type; the subnets are named explicitly below.
      availabilityZones: Fn.getAzs(),
    });
    Validations.of(vpc).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
      reason: 'Subnets are always selected by ID, never by type or zone, so the zones are not needed at synth.',
    });
    const subnets = ref.subnetIds.map((id) => {
      const subnet = Subnet.fromSubnetId(this, `Subnet-${id}`, id);
      Validations.of(subnet).acknowledge({
        id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason: 'Only Lambda ENIs are placed in the subnet; nothing reads or adds routes.',
      });
      return subnet;
    });
    return {
      vpc,
      vpcSubnets: { subnets },
      securityGroups: ref.securityGroupIds.map((id) =>
        // Immutable: the groups belong to the user; CDK must not add rules to them.
        SecurityGroup.fromSecurityGroupId(this, `SecurityGroup-${id}`, id, { mutable: false }),
      ),
    };
  }

  /**
   * A complete secret ARN ends in `-` and six random characters; IAM must then match it exactly. A partial ARN
   * (without the suffix) is matched by CDK with `-??????`.
   */
  private importSecret(arn: string): ISecret {
    return /-[A-Za-z0-9]{6}$/.test(arn)
      ? Secret.fromSecretCompleteArn(this, 'BasicAuthSecret', arn)
      : Secret.fromSecretPartialArn(this, 'BasicAuthSecret', arn);
  }

  /**
   * S3 notifications are configured by CDK's singleton BucketNotificationsHandler (a Lambda at stack level, shared by
   * every `addEventNotification` in the stack); its role and runtime are CDK's, so its findings are acknowledged here.
   */
  private acknowledgeBucketNotificationsHandler(): void {
    const handler = this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (!handler) return;
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'CDK-owned BucketNotificationsHandler: aws-s3 creates its role with the basic execution managed policy and offers no way to replace it.',
    });
  }
}
