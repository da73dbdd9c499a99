import { CfnOutput, Stack, Token, type Environment, type StackProps } from 'aws-cdk-lib';
import { ArnPrincipal, CompositePrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Bucket, EventType, type NotificationKeyFilter } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Pipeline } from '../config/schema';
import { acknowledgeBucketNotificationsHandler, acknowledgeWildcardResources } from '../constructs/private/nag';

/** Stack a source account deploys for pipeline `name`. */
export const sourceStackName = (pipelineName: string) => `LogtongSource-${pipelineName}`;

type S3SourceConfig = Extract<Pipeline['source'], { type: 's3' }>;

/**
 * A source bucket of another account, and every physical name both stacks agree on. The two stacks are deployed
 * with different credentials, so neither can read the other's outputs: the names are derived from the pipeline name
 * alone (IAM role names are per account, so two regions of one pipeline name in one account would clash).
 */
export interface CrossAccountSource {
  readonly pipelineName: string;
  /** The account that owns the bucket. */
  readonly sourceAccount: string;
  /** The account of the pipeline stack. */
  readonly pipelineAccount: string;
  readonly source: S3SourceConfig;
  /** Role in the source account that reads the bucket: `source.roleArn`, or the one the source stack creates. */
  readonly roleName?: string;
  /** `source.roleArn` as configured. @default - the source stack's role, `roleName` */
  readonly existingRoleArn?: string;
  /** The `sts:ExternalId` condition: `source.externalId`, default `logtong-<pipeline>`. */
  readonly externalId: string;
  /** Physical names in the pipeline account. */
  readonly copyRoleName: string;
  readonly scannerRoleName?: string;
  /** The copy queue, subscribed to the bucket (mode ongoing). */
  readonly queueName?: string;
}

/**
 * The cross-account part of a pipeline, or undefined for a same-account one (whose stack stays as it always was). A
 * source `account` equal to the pipeline's is the same account; an unknown pipeline account (env-agnostic stack)
 * with a source `account` is treated as another account, which `buildApp` then refuses (the trust policies must
 * name it).
 */
export function crossAccountSource(pipeline: Pipeline, pipelineAccount: string | undefined): CrossAccountSource | undefined {
  const source = pipeline.source;
  if (source.type !== 's3' || !source.account) return undefined;
  const known = pipelineAccount !== undefined && !Token.isUnresolved(pipelineAccount);
  if (known && source.account === pipelineAccount) return undefined;
  const name = pipeline.name;
  return {
    pipelineName: name,
    sourceAccount: source.account,
    pipelineAccount: known ? pipelineAccount : '',
    source,
    ...(source.roleArn ? { existingRoleArn: source.roleArn } : { roleName: `Logtong-${name}-source-read` }),
    externalId: source.externalId ?? `logtong-${name}`,
    copyRoleName: `Logtong-${name}-copy`,
    ...(source.mode === 'one-time' ? { scannerRoleName: `Logtong-${name}-scanner` } : { queueName: `Logtong-${name}-copy` }),
  };
}

/** ARN of the source role, as the pipeline stack assumes it. */
export function sourceRoleArn(scope: Construct, x: CrossAccountSource): string {
  return x.existingRoleArn ?? Stack.of(scope).formatArn({ service: 'iam', region: '', account: x.sourceAccount, resource: 'role', resourceName: x.roleName });
}

export interface SourceAccountStackProps extends StackProps {
  readonly source: CrossAccountSource;
  /** Account = the source account, region = the pipeline's (S3 notifies a queue of its own region only). */
  readonly env: Environment;
}

/**
 * What the account that owns a pipeline's source bucket deploys (`LogtongSource-<pipeline>`), after the pipeline
 * stack (whose roles its trust policy names and whose queue its notification targets):
 * - unless `roleArn` names an existing one, the read role: trusted by the pipeline's copy function and scanner roles
 *   only (exact ARNs, `sts:ExternalId`), GetObject under the prefix, ListBucket under the prefix (scanner), kms:Decrypt
 *   of an SSE-KMS bucket's key;
 * - mode ongoing: the bucket's ObjectCreated notification to the pipeline's copy queue (CDK's notification handler
 *   adds it beside the bucket's other notifications). With `roleArn` this is all the stack holds: only the bucket's
 *   account may configure its notifications.
 */
export class SourceAccountStack extends Stack {
  /** The read role created here. @default - none (`roleArn` given) */
  readonly readRole?: Role;

  constructor(scope: Construct, id: string, props: SourceAccountStackProps) {
    super(scope, id, { description: `Logtong ${props.source.pipelineName}: access of the pipeline to its source bucket in this account`, ...props });
    const x = props.source;
    const s = x.source;
    const prefix = s.prefix;
    const bucket = Bucket.fromBucketName(this, 'SourceBucket', s.bucketName);
    const pipelineArn = (service: 'iam' | 'sqs', resource: string) =>
      service === 'iam' ? `arn:${this.partition}:iam::${x.pipelineAccount}:role/${resource}` : `arn:${this.partition}:sqs:${this.region}:${x.pipelineAccount}:${resource}`;

    if (x.roleName) {
      const readers = [pipelineArn('iam', x.copyRoleName), ...(x.scannerRoleName ? [pipelineArn('iam', x.scannerRoleName)] : [])];
      const role = new Role(this, 'ReadRole', {
        roleName: x.roleName,
        description: `Logtong ${x.pipelineName} (account ${x.pipelineAccount}): reads s3://${s.bucketName}/${prefix}`.slice(0, 1000),
        // Exact role ARNs, not the account root: no other principal of the pipeline account may assume it.
        assumedBy: new CompositePrincipal(...readers.map((arn) => new ArnPrincipal(arn))),
        externalIds: [x.externalId],
      });
      const objects = bucket.arnForObjects(`${prefix}*`);
      role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objects] }));
      acknowledgeWildcardResources(
        role.node.tryFindChild('DefaultPolicy') ?? role,
        [objects],
        'Reads the objects the pipeline copies: every key under the configured prefix of this bucket, nothing else.',
      );
      if (x.scannerRoleName) {
        role.addToPolicy(
          new PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [bucket.bucketArn],
            ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
          }),
        );
      }
      if (s.kmsKeyArn) role.addToPolicy(new PolicyStatement({ actions: ['kms:Decrypt'], resources: [s.kmsKeyArn] }));
      new CfnOutput(this, 'SourceRoleArn', { value: role.roleArn, description: 'The role the pipeline assumes to read the bucket.' });
      this.readRole = role;
    }

    if (x.queueName) {
      const queueArn = pipelineArn('sqs', x.queueName);
      const queue = Queue.fromQueueArn(this, 'CopyQueue', queueArn);
      // No filter at all for a whole-bucket source: CDK rejects an empty one.
      const filters: NotificationKeyFilter[] = prefix || s.suffix ? [{ ...(prefix ? { prefix } : {}), ...(s.suffix ? { suffix: s.suffix } : {}) }] : [];
      bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(queue), ...filters);
      acknowledgeBucketNotificationsHandler(this);
    }
  }
}
