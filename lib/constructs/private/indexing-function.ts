import type { Duration } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { Pipeline } from '../../config/schema';
import { LogtongFunction } from '../logtong-function';
import type { OpenSearchTarget } from '../opensearch-target';
import { grantTargetAccess, targetEnvironment } from './opensearch-access';
import { runtimeConfigVariable } from './runtime-config-variable';

export interface IndexingFunctionProps {
  /** Handler module in `lambda/handlers/` (`process`, `kinesis-process`). */
  readonly handlerName: string;

  readonly description: string;

  /** Key prefix of what it reads from staging and writes to backup. */
  readonly pipelineName: string;

  /** The pipeline: its runtime part (log format, filters, index settings) becomes `RUNTIME_CONFIG`. */
  readonly pipelineConfig: Pipeline;

  readonly target: OpenSearchTarget;

  /** Failed records go under `<pipelineName>/` here. */
  readonly backupBucket: IBucket;

  /** Staged objects it reads: `<pipelineName>/` of this bucket. @default - none (records arrive in the event) */
  readonly stagingBucket?: IBucket;

  readonly timeout: Duration;

  /** @default 1024 */
  readonly memoryMiB?: number;

  /** Handler-specific variables on top of the target, backup bucket and runtime config. @default - none */
  readonly environment?: Record<string, string>;
}

/**
 * A processor: parses lines with the pipeline's format and bulk-indexes them into `target` (in the domain's VPC when
 * it has one), writing what fails to the backup bucket. What feeds it (SQS of staged objects, a Kinesis stream) is the
 * caller's.
 */
export function indexingFunction(scope: Construct, id: string, props: IndexingFunctionProps): LogtongFunction {
  const fn = new LogtongFunction(scope, id, {
    pipelineName: props.pipelineName,
    handlerName: props.handlerName,
    description: props.description,
    timeout: props.timeout,
    memoryMiB: props.memoryMiB ?? 1024,
    network: props.target.network,
    environment: {
      ...targetEnvironment(props.target),
      BACKUP_BUCKET: props.backupBucket.bucketName,
      RUNTIME_CONFIG: runtimeConfigVariable(props.pipelineConfig),
      ...props.environment,
    },
  });
  grantTargetAccess(fn, props.target);
  if (props.stagingBucket) {
    fn.addScopedPolicy({
      actions: ['s3:GetObject'],
      resources: [props.stagingBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: 'Reads staged objects of this pipeline only: every key under the staging bucket prefix <pipeline>/.',
    });
    props.stagingBucket.encryptionKey?.grantDecrypt(fn);
  }
  fn.addScopedPolicy({
    actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
    resources: [props.backupBucket.arnForObjects(`${props.pipelineName}/*`)],
    reason:
      'Writes failed records of this pipeline only: every key under the backup bucket prefix <pipeline>/; an over-long line is streamed there as a multipart upload, which a failed stream aborts.',
  });
  // Decrypt too: S3 reads the encrypted parts back to complete a multipart upload (over-long lines, broken objects).
  props.backupBucket.encryptionKey?.grantEncryptDecrypt(fn);
  return fn;
}
