/** AWS SDK clients built once per container. Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables. */
import { S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';

let s3: S3Client | undefined;
let sourceS3: S3Client | undefined;

export function s3Client(): S3Client {
  // Path-style only for S3-compatible endpoints (emulators, MinIO) that have no virtual-host DNS.
  s3 ??= new S3Client({ forcePathStyle: process.env.LOGTONG_S3_FORCE_PATH_STYLE === 'true' });
  return s3;
}

/** The source bucket's role of another account, when the deployment set one (SOURCE_ROLE_ARN). */
export function sourceRole(env: NodeJS.ProcessEnv = process.env): { roleArn: string; externalId?: string } | undefined {
  const roleArn = env.SOURCE_ROLE_ARN;
  if (!roleArn) return undefined;
  return { roleArn, ...(env.SOURCE_EXTERNAL_ID ? { externalId: env.SOURCE_EXTERNAL_ID } : {}) };
}

/**
 * The client that reads the source bucket: for a bucket of another account one signing with that account's role
 * (STS AssumeRole with the external ID, from the function's own credentials; the provider renews them before they
 * expire), otherwise `s3Client()`. Only source reads use it: staging, checkpoint and queue writes keep the function's
 * own credentials, which the source role could not use.
 */
export function sourceS3Client(): S3Client {
  const role = sourceRole();
  if (!role) return s3Client();
  sourceS3 ??= new S3Client({
    forcePathStyle: process.env.LOGTONG_S3_FORCE_PATH_STYLE === 'true',
    credentials: fromTemporaryCredentials({
      params: {
        RoleArn: role.roleArn,
        ...(role.externalId ? { ExternalId: role.externalId } : {}),
        // Shows in the source account's CloudTrail which pipeline read its bucket.
        RoleSessionName: `logtong-${process.env.PIPELINE_NAME ?? 'source'}`.slice(0, 64),
      },
    }),
  });
  return sourceS3;
}

/** Lambda's env values are strings; a missing one is a deployment bug worth a clear message. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}
