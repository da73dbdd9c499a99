import { Duration, Fn, IgnoreMode, Stack, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { CfnRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { CrossAccountRead } from './copy-stage';
import { acknowledgeAwsCustomResourceProvider, acknowledgeWildcardResources } from './private/nag';
import { projectRoot } from '../build/project-root';

const PROJECT_ROOT = projectRoot();

/**
 * What the scanner image's build (`lambda/scanner/Dockerfile`, context = repository root) reads: the lock file for
 * `npm ci` and the sources esbuild bundles. Everything else (node_modules, cdk.out, tests, .git) stays out of the
 * asset, so synth copies little and the asset hash changes only with what the image contains.
 */
export const SCANNER_IMAGE_FILES = ['*', '!package.json', '!package-lock.json', '!tsconfig.json', '!lambda/**'];

export interface S3ScannerProps {
  /** Pipeline name: names the checkpoint object and the log stream prefix. */
  readonly pipelineName: string;

  /** The bucket listed once. */
  readonly sourceBucket: IBucket;

  /** Only keys under this prefix. @default '' */
  readonly prefix?: string;

  /** Only keys ending with this. @default '' */
  readonly suffix?: string;

  /** The copy stage's queue: the scanner sends it the S3 events the bucket would have sent. */
  readonly copyQueue: IQueue;

  /**
   * Holds the scanner's checkpoint under `_logtong/scanner/<pipeline>.json`. Its lifecycle must not expire the
   * checkpoint, which is never marked done: a `StagingBucket` expires nothing else, so an unfinished scan resumes
   * however long it was stopped, and a finished one is never sent again.
   */
  readonly checkpointBucket: IBucket;

  /** Network of the task: private subnets with a route to S3 and SQS. */
  readonly vpc: IVpc;
  readonly subnets: readonly ISubnet[];
  readonly securityGroups: readonly ISecurityGroup[];

  /** KMS key of an SSE-KMS checkpoint bucket. @default - none */
  readonly checkpointKey?: IKey;

  /** @default 256 */
  readonly cpu?: number;

  /** @default 512 */
  readonly memoryMiB?: number;

  /**
   * The bucket is in another account: the task lists it only through `roleArn` there (STS AssumeRole with the
   * external ID); its own credentials keep the checkpoint and the queue.
   * @default - same account: the task role lists the bucket
   */
  readonly crossAccount?: CrossAccountRead;

  /** Run the task once when the stack is created. @default true */
  readonly startOnDeploy?: boolean;
}

/**
 * One-time load of logs already in a bucket: an ECS Fargate task (`lambda/scanner/main.ts`) lists the bucket by
 * prefix and feeds the copy queue with S3-event-shaped messages, so the rest of the pipeline cannot tell a scanned
 * object from a notified one. It checkpoints in the staging bucket: a stopped or restarted task resumes where it was.
 */
export class S3Scanner extends Construct {
  readonly cluster: Cluster;
  readonly taskDefinition: FargateTaskDefinition;
  readonly checkpointKey: string;
  /** The `aws ecs run-task …` command line that starts the scan by hand. */
  readonly runTaskCommand: string;

  constructor(scope: Construct, id: string, props: S3ScannerProps) {
    super(scope, id);
    const prefix = props.prefix ?? '';
    this.checkpointKey = `_logtong/scanner/${props.pipelineName}.json`;

    this.cluster = new Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 256,
      memoryLimitMiB: props.memoryMiB ?? 512,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    this.taskDefinition.addContainer('Scanner', {
      // Staged by synth (a copy of the listed files), built by `cdk deploy`: synth needs no Docker.
      image: ContainerImage.fromAsset(PROJECT_ROOT, {
        file: 'lambda/scanner/Dockerfile',
        exclude: SCANNER_IMAGE_FILES,
        ignoreMode: IgnoreMode.DOCKER,
        platform: Platform.LINUX_ARM64,
      }),
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: props.pipelineName }),
      readonlyRootFilesystem: true,
      // On SIGTERM the scanner lets its in-flight batches finish and writes its checkpoint; a minute is ample.
      stopTimeout: Duration.seconds(60),
      environment: {
        SOURCE_BUCKET: props.sourceBucket.bucketName,
        SOURCE_PREFIX: prefix,
        SOURCE_SUFFIX: props.suffix ?? '',
        COPY_QUEUE_URL: props.copyQueue.queueUrl,
        CHECKPOINT_BUCKET: props.checkpointBucket.bucketName,
        CHECKPOINT_KEY: this.checkpointKey,
        PROGRESS_INTERVAL_SECONDS: '5',
        // The `pipeline` dimension of its progress and outcome metrics.
        PIPELINE_NAME: props.pipelineName,
        ...(props.crossAccount ? { SOURCE_ROLE_ARN: props.crossAccount.roleArn, SOURCE_EXTERNAL_ID: props.crossAccount.externalId } : {}),
      },
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The variables are bucket names, a prefix, a queue URL and an interval: configuration, no secret among them.',
    });

    const role = this.taskDefinition.taskRole;
    const cross = props.crossAccount;
    if (cross) {
      // The source role's trust policy names this role by ARN, and that stack is deployed apart: the name is fixed.
      (role.node.defaultChild as CfnRole).roleName = cross.readerRoleName;
      // Listing another account's bucket is the source role's right (scoped there to the prefix), not this role's.
      role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [cross.roleArn] }));
    } else {
      // Lists the source under the configured prefix only; it reads no object (the copy stage does).
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [props.sourceBucket.bucketArn],
          ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
        }),
      );
    }
    props.copyQueue.grantSendMessages(role);
    // Its own checkpoint object only, nothing else in the bucket.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.checkpointBucket.arnForObjects(this.checkpointKey)],
      }),
    );
    // Without it, reading a checkpoint that does not exist yet (the first run) is a 403 instead of a 404, which the
    // scanner must treat as an error: it cannot tell "no checkpoint" from "no permission".
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.checkpointBucket.bucketArn] }));
    props.checkpointKey?.grantEncryptDecrypt(role);

    const network = {
      awsvpcConfiguration: {
        subnets: props.subnets.map((s) => s.subnetId),
        securityGroups: props.securityGroups.map((g) => g.securityGroupId),
        assignPublicIp: 'DISABLED',
      },
    };
    this.runTaskCommand = Fn.join('', [
      'aws ecs run-task --launch-type FARGATE --cluster ',
      this.cluster.clusterName,
      ' --task-definition ',
      this.taskDefinition.taskDefinitionArn,
      ` --network-configuration 'awsvpcConfiguration={subnets=[${props.subnets.map((s) => s.subnetId).join(',')}],securityGroups=[${props.securityGroups.map((g) => g.securityGroupId).join(',')}],assignPublicIp=DISABLED}'`,
    ]);

    if (props.startOnDeploy ?? true) {
      const start = new AwsCustomResource(this, 'StartOnDeploy', {
        // Create only: an update of the stack must not start a second scan beside a running one.
        onCreate: {
          service: 'ECS',
          action: 'runTask',
          parameters: {
            cluster: this.cluster.clusterArn,
            taskDefinition: this.taskDefinition.taskDefinitionArn,
            launchType: 'FARGATE',
            count: 1,
            networkConfiguration: network,
            startedBy: `logtong-${props.pipelineName}`.slice(0, 36),
          },
          physicalResourceId: PhysicalResourceId.of(`logtong-${props.pipelineName}-scan`),
          outputPaths: ['tasks.0.taskArn'],
        },
        installLatestAwsSdk: false,
        policy: AwsCustomResourcePolicy.fromStatements([
          new PolicyStatement({ actions: ['ecs:RunTask'], resources: [this.taskDefinition.taskDefinitionArn] }),
          new PolicyStatement({
            actions: ['iam:PassRole'],
            resources: [this.taskDefinition.taskRole.roleArn, this.taskDefinition.obtainExecutionRole().roleArn],
          }),
        ]),
      });
      // The queue's consumer and the task's permissions must exist before the first message is sent.
      start.node.addDependency(this.taskDefinition);
      acknowledgeAwsCustomResourceProvider(Stack.of(this));
    }
    acknowledgeWildcardResources(
      this.taskDefinition.obtainExecutionRole().node.tryFindChild('DefaultPolicy') ?? this.taskDefinition.obtainExecutionRole(),
      ['*'],
      'ECS task execution role: ecr:GetAuthorizationToken has no resource-level permissions (CDK grants it for the image asset).',
    );
  }
}
