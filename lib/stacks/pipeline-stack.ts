import { CfnOutput, Duration, Fn, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { compileParser } from '../../lambda/core/formats';
import { lightTable } from '../../lambda/core/light/table';
import { KINESIS_DEFAULTS, lightDatabaseName, lightTableName, type LightEngineConfig, type OpenSearchEngineConfig, type Pipeline, type VpcRef } from '../config/schema';
import { Compaction } from '../constructs/compaction';
import { CopyStage } from '../constructs/copy-stage';
import { DeadLetterBackup } from '../constructs/dlq-backup';
import { IndexBootstrap } from '../constructs/index-bootstrap';
import { FailureTopic } from '../constructs/failure-topic';
import { GlueTable } from '../constructs/glue-table';
import { LightEngineBatch } from '../constructs/light-engine-batch';
import { AccessLogBucket, BackupBucket, BufferBucket, CentralBucket, StagingBucket } from '../constructs/log-buckets';
import { AgentConfig, type AgentConfigProps } from '../constructs/agent-config';
import { AGENT_PLACEHOLDERS, AgentConfigError, fluentBitConfig, type AgentTargets } from '../agent/fluent-bit-config';
import { agentServiceAccountName, eksManifest } from '../agent/eks-manifest';
import { ConfigError } from '../config/load';
import { KinesisStage } from '../constructs/kinesis-stage';
import type { FunctionNetwork, LogtongFunction } from '../constructs/logtong-function';
import type { OpenSearchConnection } from '../constructs/opensearch-connection';
import { ProcessorStage } from '../constructs/processor-stage';
import { S3Scanner } from '../constructs/s3-scanner';
import { SyslogReceiver } from '../constructs/syslog-receiver';
import type { SyslogSharedStack } from './syslog-shared-stack';

export interface PipelineStackProps extends StackProps {
  /** The validated pipeline (defaults applied by `loadConfig`). */
  readonly pipeline: Pipeline;

  /** Position in `pipelines`, so errors point at `pipelines[i] (name)` like config errors do. */
  readonly pipelineIndex: number;

  /** The shared load balancer and cluster; required for a syslog source. @default - none */
  readonly syslog?: SyslogSharedStack;
}

type S3Source = Extract<Pipeline['source'], { type: 's3' }>;
type FluentBitSource = Extract<Pipeline['source'], { type: 'fluent-bit' }>;
type SyslogSource = Extract<Pipeline['source'], { type: 'syslog' }>;
type AgentSource = FluentBitSource | SyslogSource;

/** What reaches the staging bucket, whatever brought it there; the engine stages read from here. */
interface StagedIngest {
  readonly accessLogs: IBucket;
  readonly staging: IBucket;
  readonly backup: IBucket;
  /** The copy stage's queue (a one-time scanner feeds it). */
  readonly copyQueue: IQueue;
  /** Dead-letter queues of the ingest stages, drained into the backup bucket with the engine's. */
  readonly deadLetterQueues: IQueue[];
}

/** Objects in the staging bucket are copies read once; two weeks leaves room to replay after an outage. */
const STAGING_RETENTION = Duration.days(14);

/**
 * One pipeline: picks the constructs for its source × engine. Every source that stages files (S3 ongoing or
 * one-time, an agent or syslog S3 buffer) shares `CopyStage` and the staging bucket with both engines; agents and
 * syslog receivers with a Kinesis buffer use `KinesisStage`, without a buffer only the index layout.
 */
export class PipelineStack extends Stack {
  readonly pipeline: Pipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { pipeline, pipelineIndex, syslog, ...stackProps } = props;
    super(scope, id, {
      description: pipeline.description ?? `Logtong pipeline ${pipeline.name}: ${pipeline.source.type} → ${pipeline.engine.type}`,
      ...stackProps,
    });
    this.pipeline = pipeline;
    Tags.of(this).add('logtong:pipeline', pipeline.name);

    const where = `pipelines[${pipelineIndex}] (${pipeline.name})`;
    const { source, engine } = pipeline;
    if (source.type === 's3') {
      const ingest = this.s3Ingest(pipeline, source);
      if (engine.type === 'opensearch') this.toOpenSearch(pipeline, engine, ingest);
      else this.toLight(pipeline, engine, ingest);
    } else if (source.type === 'fluent-bit') {
      this.agentIngress(pipeline, source);
    } else {
      if (!syslog) throw new Error(`${where}: a syslog source needs the shared syslog stack`);
      this.syslog(pipeline, source, syslog);
    }
    // Last: whichever stage subscribed a bucket first created the handler.
    this.acknowledgeBucketNotificationsHandler();
  }

  /**
   * Buckets and the copy stage every S3 source has, whatever the engine. An ongoing source subscribes the copy queue
   * to the bucket's notifications; a one-time source gets a scanner task that sends the same messages instead.
   */
  private s3Ingest(pipeline: Pipeline, source: S3Source): StagedIngest {
    const accessLogs = new AccessLogBucket(this, 'AccessLogBucket');
    const sourceBucket = Bucket.fromBucketName(this, 'SourceBucket', source.bucketName);
    const ingest = this.stagedIngest(pipeline, accessLogs, {
      bucket: sourceBucket,
      prefix: source.prefix,
      suffix: source.suffix,
      kmsKey: source.kmsKeyArn ? Key.fromKeyArn(this, 'SourceKey', source.kmsKeyArn) : undefined,
      notify: source.mode === 'ongoing',
    });
    if (source.mode === 'one-time') {
      const scanner = source.scanner!;
      const network = this.network(scanner.vpc, 'ScannerVpc');
      new S3Scanner(this, 'Scanner', {
        pipelineName: pipeline.name,
        sourceBucket,
        prefix: source.prefix,
        suffix: source.suffix,
        copyQueue: ingest.copyQueue,
        checkpointBucket: ingest.staging,
        vpc: network.vpc,
        subnets: network.vpcSubnets.subnets!,
        securityGroups: network.securityGroups,
        cpu: scanner.cpu,
        memoryMiB: scanner.memoryMb,
        startOnDeploy: scanner.startOnDeploy,
      });
    }
    return ingest;
  }

  /** Staging and backup buckets and the copy stage from `from` into staging. */
  private stagedIngest(
    pipeline: Pipeline,
    accessLogs: IBucket,
    from: { bucket: IBucket; prefix: string; suffix: string; kmsKey?: IKey; notify: boolean },
  ): StagedIngest {
    const staging = new StagingBucket(this, 'StagingBucket', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'staging/',
      retention: STAGING_RETENTION,
    });
    const backup = this.backupBucket(pipeline, accessLogs);
    const copy = new CopyStage(this, 'Copy', {
      pipelineName: pipeline.name,
      sourceBucket: from.bucket,
      prefix: from.prefix,
      suffix: from.suffix,
      sourceKey: from.kmsKey,
      stagingBucket: staging,
      notifyOnObjectCreated: from.notify,
    });
    new CfnOutput(this, 'StagingBucketName', { value: staging.bucketName });
    new CfnOutput(this, 'CopyQueueUrl', { value: copy.queue.queueUrl });
    new CfnOutput(this, 'CopyDeadLetterQueueUrl', { value: copy.deadLetterQueue.queueUrl });
    return { accessLogs, staging, backup, copyQueue: copy.queue, deadLetterQueues: [copy.deadLetterQueue] };
  }

  /** The backup bucket, logging to `accessLogs`; both names are stack outputs. */
  private backupBucket(pipeline: Pipeline, accessLogs: IBucket): BackupBucket {
    const backup = new BackupBucket(this, 'BackupBucket', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'backup/',
      retention: Duration.days(pipeline.backupRetentionDays),
    });
    new CfnOutput(this, 'BackupBucketName', { value: backup.bucketName });
    new CfnOutput(this, 'AccessLogBucketName', { value: accessLogs.bucketName });
    return backup;
  }

  private processorRoleOutput(fn: LogtongFunction): void {
    new CfnOutput(this, 'ProcessorRoleArn', {
      value: fn.executionRole.roleArn,
      description: 'Map as a backend role in OpenSearch (fine-grained access control) so the processor may index.',
    });
  }

  private toLight(pipeline: Pipeline, engine: LightEngineConfig, ingest: StagedIngest): void {
    const { accessLogs, staging, backup } = ingest;
    new DeadLetterBackup(this, 'DeadLetterBackup', {
      pipelineName: pipeline.name,
      deadLetterQueues: ingest.deadLetterQueues,
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

  private toOpenSearch(pipeline: Pipeline, engine: OpenSearchEngineConfig, ingest: StagedIngest): void {
    const { staging, backup } = ingest;
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
      deadLetterQueues: [...ingest.deadLetterQueues, processor.deadLetterQueue],
      backupBucket: backup,
    });

    const bootstrap = this.indexBootstrap(pipeline, engine, connection);
    // Nothing should be indexed before the template and write alias exist, or OpenSearch would auto-create an index
    // named like the alias with guessed mappings.
    processor.fn.node.addDependency(bootstrap.resource);

    new CfnOutput(this, 'ProcessorQueueUrl', { value: processor.queue.queueUrl });
    new CfnOutput(this, 'ProcessorDeadLetterQueueUrl', { value: processor.deadLetterQueue.queueUrl });
    this.processorRoleOutput(processor.fn);
  }

  /** Template, ISM policy and write alias, created at deploy time before anything is indexed. */
  private indexBootstrap(pipeline: Pipeline, engine: OpenSearchEngineConfig, connection: OpenSearchConnection): IndexBootstrap {
    const bootstrap = new IndexBootstrap(this, 'IndexBootstrap', {
      pipelineName: pipeline.name,
      connection,
      indexPrefix: engine.indexPrefix,
      logFormat: pipeline.logFormat,
      index: engine.index,
    });
    new CfnOutput(this, 'IndexBootstrapRoleArn', {
      value: bootstrap.fn.executionRole.roleArn,
      description: 'Map as a backend role in OpenSearch (fine-grained access control) so templates and ISM policies can be created.',
    });
    return bootstrap;
  }

  /**
   * Sources that run Fluent Bit (agents on the user's hosts, or Logtong's syslog receivers). Kinesis: stream →
   * processor. S3 (and every Light Engine pipeline): a buffer bucket the stack creates, then exactly the path of an
   * ongoing S3 source. None: Fluent Bit writes to the domain itself, so only the index layout is created here.
   */
  private agentIngress(pipeline: Pipeline, source: AgentSource): AgentConfig {
    const { engine } = pipeline;
    const buffer = engine.type === 'light' ? 's3' : engine.buffer;
    let targets: AgentTargets;
    const grants: Array<{ actions: string[]; resources: string[]; reason?: string }> = [];
    if (buffer === 's3') {
      const accessLogs = new AccessLogBucket(this, 'AccessLogBucket');
      const bufferBucket = new BufferBucket(this, 'BufferBucket', {
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: 'buffer/',
        retention: STAGING_RETENTION,
      });
      // The agents' S3 output writes `<pipeline>/…/<time>-<uuid>.log.gz`; nothing else there is a log chunk.
      const ingest = this.stagedIngest(pipeline, accessLogs, { bucket: bufferBucket, prefix: `${pipeline.name}/`, suffix: '.log.gz', notify: true });
      if (engine.type === 'opensearch') this.toOpenSearch(pipeline, engine, ingest);
      else this.toLight(pipeline, engine, ingest);
      targets = { region: this.region, bucketName: bufferBucket.bucketName, keyPrefix: `${pipeline.name}/` };
      grants.push({
        actions: ['s3:PutObject'],
        resources: [bufferBucket.arnForObjects(`${pipeline.name}/*`)],
        reason: 'Agents put new chunks under this pipeline’s prefix of its buffer bucket (each key has a date and a UUID).',
      });
      new CfnOutput(this, 'BufferBucketName', { value: bufferBucket.bucketName });
    } else if (engine.type === 'opensearch' && buffer === 'kinesis') {
      const accessLogs = new AccessLogBucket(this, 'AccessLogBucket');
      const backup = this.backupBucket(pipeline, accessLogs);
      const connection = this.openSearchConnection(engine);
      const settings = engine.kinesis ?? KINESIS_DEFAULTS;
      const kinesis = new KinesisStage(this, 'Kinesis', {
        pipelineName: pipeline.name,
        pipelineConfig: pipeline,
        backupBucket: backup,
        connection,
        shards: settings.shards,
        retention: Duration.hours(settings.retentionHours),
        batchSize: settings.batchSize,
        parallelizationFactor: settings.parallelizationFactor,
        retryAttempts: settings.retryAttempts,
        maxRecordAge: Duration.seconds(settings.maxRecordAgeSeconds),
        timeout: Duration.seconds(pipeline.processorTimeoutSeconds),
        memorySize: pipeline.processorMemoryMb,
      });
      new DeadLetterBackup(this, 'DeadLetterBackup', {
        pipelineName: pipeline.name,
        deadLetterQueues: [kinesis.deadLetterQueue],
        backupBucket: backup,
      });
      const bootstrap = this.indexBootstrap(pipeline, engine, connection);
      kinesis.fn.node.addDependency(bootstrap.resource);
      targets = { region: this.region, streamName: kinesis.stream.streamName };
      grants.push({ actions: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:DescribeStream'], resources: [kinesis.stream.streamArn] });
      new CfnOutput(this, 'BufferStreamName', { value: kinesis.stream.streamName });
      this.processorRoleOutput(kinesis.fn);
    } else if (engine.type === 'opensearch') {
      const connection = this.openSearchConnection(engine);
      this.indexBootstrap(pipeline, engine, connection);
      // Lines the agent's parser rejects are kept here with the reason, as the processor would keep them.
      const accessLogs = new AccessLogBucket(this, 'AccessLogBucket');
      const backup = this.backupBucket(pipeline, accessLogs);
      targets = {
        region: this.region,
        backupBucketName: backup.bucketName,
        ...(engine.domain.type === 'self-managed' && engine.domain.auth === 'basic'
          ? { opensearch: { ...selfManagedTarget(engine.domain.url), httpUser: '${OPENSEARCH_USER}', httpPasswd: '${OPENSEARCH_PASSWORD}' } }
          : {}),
      };
      grants.push({
        actions: ['s3:PutObject'],
        resources: [backup.arnForObjects(`agent-failed/${pipeline.name}/*`)],
        reason: 'Agents keep the lines they cannot parse under agent-failed/<pipeline>/ of the backup bucket only.',
      });
      if (engine.domain.type === 'aws') {
        grants.push({
          actions: ['es:ESHttpPost', 'es:ESHttpPut'],
          resources: [`${engine.domain.arn}/_bulk`, `${engine.domain.arn}/${engine.indexPrefix}*`],
          reason: 'Agents index through the bulk API into this pipeline’s alias and the indices behind it only.',
        });
      }
    } else {
      throw new Error('unreachable: a Light Engine pipeline always buffers in S3');
    }
    const agent = new AgentConfig(this, 'Agent', agentConfigProps(pipeline, source, targets));
    for (const g of grants) agent.addToPolicy(g);
    return agent;
  }

  /** Receivers behind a listener of the shared load balancer, with the agent path of their buffer. */
  private syslog(pipeline: Pipeline, source: SyslogSource, shared: SyslogSharedStack): void {
    const agent = this.agentIngress(pipeline, source);
    new SyslogReceiver(this, 'Syslog', {
      pipelineName: pipeline.name,
      protocol: source.protocol,
      port: source.port,
      clientCidrs: source.clientCidrs,
      loadBalancer: shared.loadBalancer,
      loadBalancerSecurityGroup: shared.loadBalancerSecurityGroup,
      cluster: shared.cluster,
      vpc: shared.vpc,
      subnets: shared.subnets,
      config: agent.parameter,
      policy: agent.policy,
      minTasks: source.minTasks,
      maxTasks: source.maxTasks,
      cpu: source.cpu,
      memoryMiB: source.memoryMb,
    });
    new CfnOutput(this, 'SyslogPort', {
      value: `${source.port}/${source.protocol}`,
      description: `Where this pipeline's syslog clients send (from the configured client CIDRs): this port of the LoadBalancerDnsName output of stack ${shared.stackName}.`,
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
  private network(ref: VpcRef, id = 'Vpc'): FunctionNetwork {
    const vpc = Vpc.fromVpcAttributes(this, id, {
      vpcId: ref.vpcId,
      // Unknown offline, and only consulted when selecting subnets by type; the subnets are named explicitly below.
      availabilityZones: Fn.getAzs(),
    });
    Validations.of(vpc).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
      reason: 'Subnets are always selected by ID, never by type or zone, so the zones are not needed at synth.',
    });
    // Imported twice (scanner and domain network) under distinct ids; no resource is created either way.
    const scopeId = id === 'Vpc' ? '' : id;
    const subnets = ref.subnetIds.map((subnetId) => {
      const subnet = Subnet.fromSubnetId(this, `${scopeId}Subnet-${subnetId}`, subnetId);
      Validations.of(subnet).acknowledge({
        id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason: 'Only Lambda ENIs are placed in the subnet; nothing reads or adds routes.',
      });
      return subnet;
    });
    return {
      vpc,
      vpcSubnets: { subnets },
      securityGroups: ref.securityGroupIds.map((sg) =>
        // Immutable: the groups belong to the user; CDK must not add rules to them.
        SecurityGroup.fromSecurityGroupId(this, `${scopeId}SecurityGroup-${sg}`, sg, { mutable: false }),
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

/**
 * The agent configuration of a pipeline, pointing at what this stack created (tokens, resolved at deploy time). The
 * EKS manifest written to cdk.out cannot hold tokens: it carries the same placeholders as `logtong agent-config`
 * without `--outputs`.
 */
function agentConfigProps(pipeline: Pipeline, source: AgentSource, targets: AgentTargets): AgentConfigProps {
  const configYaml = generated(() => fluentBitConfig(pipeline, targets));
  if (source.type === 'syslog') return { pipelineName: pipeline.name, platform: 'ecs', configYaml };
  if (source.platform === 'ec2' || !source.eks) return { pipelineName: pipeline.name, platform: 'ec2', configYaml };
  const placeholders: AgentTargets = {
    region: AGENT_PLACEHOLDERS.region,
    ...(targets.bucketName ? { bucketName: AGENT_PLACEHOLDERS.bucketName, keyPrefix: targets.keyPrefix } : {}),
    ...(targets.streamName ? { streamName: AGENT_PLACEHOLDERS.streamName } : {}),
    ...(targets.backupBucketName ? { backupBucketName: AGENT_PLACEHOLDERS.backupBucketName } : {}),
  };
  const manifest = generated(() =>
    eksManifest(pipeline, { roleArn: AGENT_PLACEHOLDERS.roleArn, configYaml: fluentBitConfig(pipeline, placeholders) }),
  );
  return {
    pipelineName: pipeline.name,
    platform: 'eks',
    configYaml,
    eks: { oidcProviderArn: source.eks.oidcProviderArn, namespace: source.eks.namespace, serviceAccountName: agentServiceAccountName(pipeline.name), manifest },
  };
}

/** A format the agent cannot render is the user's to fix, like a config error. */
function generated(render: () => string): string {
  try {
    return render();
  } catch (e) {
    if (e instanceof AgentConfigError) throw new ConfigError('agent configuration', [e.message]);
    throw e;
  }
}

/** Host, port and TLS of a self-managed cluster URL, for an agent that writes to it with basic auth. */
function selfManagedTarget(url: string): { host: string; port: string; tls: boolean } {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  return { host: u.hostname, port: u.port || (tls ? '443' : '80'), tls };
}
