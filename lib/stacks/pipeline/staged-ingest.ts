import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Pipeline } from '../../config/schema';
import { CopyStage, type CrossAccountRead } from '../../constructs/copy-stage';
import { BufferBucket, StagingBucket } from '../../constructs/log-buckets';
import { S3Scanner } from '../../constructs/s3-scanner';
import type { PipelineMonitor } from '../../constructs/pipeline-monitor';
import { importNetwork } from '../imports';
import { crossAccountSource, sourceRoleArn, type CrossAccountSource } from '../source-account-stack';
import { agentsToBufferBucket, type AgentOutput } from './agent-config-props';
import type { AgentSource, S3Source, StagedIntake } from './plan';

/**
 * How long a staged or buffered object is kept once marked done (every line delivered or backed up), counted from
 * its creation: two weeks leaves room to replay after an outage. An object not marked done never expires.
 */
const DONE_RETENTION = Duration.days(14);

/** Objects in the staging bucket under `<pipeline>/`, which an engine reads. */
export interface StagedObjects {
  /** Tells staged objects from the intakes that bypass staging (plan.ts). */
  readonly type: 'staged';
  readonly staging: IBucket;
  /** Dead-letter queues of the stages that brought the objects, drained into the backup bucket with the engine's. */
  readonly deadLetterQueues: readonly IQueue[];
}

export interface StagedIngestProps {
  readonly pipeline: Pipeline;

  /** The user's bucket, or the buffer bucket the agents write to. */
  readonly intake: StagedIntake;

  /** Receives the server access logs of the buckets created here. */
  readonly accessLogs: IBucket;

  /** Gets the rows and alarms of the scanner and the copy stage. */
  readonly monitor: PipelineMonitor;
}

/** The bucket the copy stage reads, and which of its objects. */
interface CopySource {
  readonly bucket: IBucket;
  readonly prefix: string;
  readonly suffix: string;
  readonly key?: IKey;
  /** Subscribe to the bucket's notifications (not when a scanner sends the same messages). */
  readonly notify: boolean;
  /** The pipeline's own bucket: its objects expire only once marked done, which the copy stage does. */
  readonly owned: boolean;
  /** Buffer bucket: what the agents write to it and may do there. */
  readonly agentOutput?: AgentOutput;
}

/**
 * Everything that brings logs into the staging bucket, where either engine reads them: the buffer bucket of agent
 * sources, the staging bucket, the copy stage from the source or buffer bucket, and the one-time scanner of a source
 * bucket.
 *
 * Not a Construct: its parts are the stack's own children (see PipelineStack).
 */
export class StagedIngest implements StagedObjects {
  readonly type = 'staged';
  readonly staging: IBucket;
  readonly deadLetterQueues: readonly IQueue[];
  /** Buffer bucket intake: what the agents write to it and may do there. @default - none (a source bucket) */
  readonly agentOutput?: AgentOutput;

  constructor(scope: Construct, props: StagedIngestProps) {
    const { pipeline, intake, accessLogs } = props;
    // A source bucket of another account is read through a role there (LogtongSource-<pipeline>); undefined otherwise.
    const cross = crossAccountSource(pipeline, Stack.of(scope).account);
    const from = intake.type === 'source-bucket' ? sourceBucket(scope, intake.source) : bufferBucket(scope, props, intake.agents);
    const staging = new StagingBucket(scope, 'StagingBucket', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'staging/',
      doneRetention: DONE_RETENTION,
    });
    const copy = new CopyStage(scope, 'Copy', {
      pipelineName: pipeline.name,
      sourceBucket: from.bucket,
      prefix: from.prefix,
      suffix: from.suffix,
      sourceKey: from.key,
      stagingBucket: staging,
      notifyOnObjectCreated: from.notify,
      markSourceDone: from.owned,
      ...(cross ? { crossAccount: crossRead(scope, cross, cross.copyRoleName, cross.queueName) } : {}),
    });
    new CfnOutput(scope, 'StagingBucketName', { value: staging.bucketName });
    new CfnOutput(scope, 'CopyQueueUrl', { value: copy.queue.queueUrl });
    new CfnOutput(scope, 'CopyDeadLetterQueueUrl', { value: copy.deadLetterQueue.queueUrl });
    // The schema requires a scanner for mode one-time and allows it nowhere else.
    if (intake.type === 'source-bucket' && intake.source.scanner) {
      scan(scope, {
        pipelineName: pipeline.name,
        source: intake.source,
        settings: intake.source.scanner,
        sourceBucket: from.bucket,
        copyQueue: copy.queue,
        checkpointBucket: staging,
        ...(cross?.scannerRoleName ? { crossAccount: crossRead(scope, cross, cross.scannerRoleName) } : {}),
      });
      props.monitor.watchScanner();
    }
    props.monitor.watchQueue(`Copy queue (${intake.type === 'source-bucket' ? 'source' : 'buffer'} bucket objects to stage)`, 'Copy', copy);
    props.monitor.watchFunction('Copy', 'Copy', copy.fn);

    this.staging = staging;
    this.deadLetterQueues = [copy.deadLetterQueue];
    this.agentOutput = from.agentOutput;
  }
}

function crossRead(scope: Construct, x: CrossAccountSource, readerRoleName: string, queueName?: string): CrossAccountRead {
  return { account: x.sourceAccount, roleArn: sourceRoleArn(scope, x), externalId: x.externalId, readerRoleName, ...(queueName ? { queueName } : {}) };
}

function sourceBucket(scope: Construct, source: S3Source): CopySource {
  return {
    bucket: Bucket.fromBucketName(scope, 'SourceBucket', source.bucketName),
    prefix: source.prefix,
    suffix: source.suffix,
    key: source.kmsKeyArn ? Key.fromKeyArn(scope, 'SourceKey', source.kmsKeyArn) : undefined,
    notify: source.mode === 'ongoing',
    owned: false,
  };
}

function bufferBucket(scope: Construct, props: StagedIngestProps, agents: AgentSource): CopySource {
  const bucket = new BufferBucket(scope, 'BufferBucket', {
    serverAccessLogsBucket: props.accessLogs,
    serverAccessLogsPrefix: 'buffer/',
    doneRetention: DONE_RETENTION,
  });
  new CfnOutput(scope, 'BufferBucketName', { value: bucket.bucketName });
  return {
    bucket,
    // The agents' S3 output writes `<pipeline>/…/<time>-<uuid>.log.gz`; nothing else there is a log chunk.
    prefix: `${props.pipeline.name}/`,
    suffix: '.log.gz',
    notify: true,
    owned: true,
    agentOutput: agentsToBufferBucket(scope, props.pipeline, agents, bucket),
  };
}

/** One-time load: a Fargate task lists the bucket and sends the copy queue what its notifications would have. */
function scan(
  scope: Construct,
  props: {
    pipelineName: string;
    source: S3Source;
    settings: NonNullable<S3Source['scanner']>;
    sourceBucket: IBucket;
    copyQueue: IQueue;
    checkpointBucket: IBucket;
    crossAccount?: CrossAccountRead;
  },
): void {
  const { source, settings } = props;
  const network = importNetwork(scope, settings.vpc, 'the scanner task’s ENIs', 'ScannerVpc');
  const scanner = new S3Scanner(scope, 'Scanner', {
    pipelineName: props.pipelineName,
    sourceBucket: props.sourceBucket,
    prefix: source.prefix,
    suffix: source.suffix,
    copyQueue: props.copyQueue,
    checkpointBucket: props.checkpointBucket,
    vpc: network.vpc,
    subnets: network.subnets,
    securityGroups: network.securityGroups,
    cpu: settings.cpu,
    memoryMiB: settings.memoryMb,
    // Another account's role cannot trust this stack's roles before they exist, so at this stack's creation it cannot
    // be assumed yet: the scan is started by hand (ScannerRunTaskCommand) once LogtongSource-<pipeline> is deployed.
    startOnDeploy: settings.startOnDeploy && !props.crossAccount,
    ...(props.crossAccount ? { crossAccount: props.crossAccount } : {}),
  });
  new CfnOutput(scope, 'ScannerRunTaskCommand', {
    description: 'Starts the scan by hand (again after a stop it resumes from its checkpoint; delete the checkpoint object to rescan).',
    value: scanner.runTaskCommand,
  });
}
