/** AWS SDK clients built once per container. Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables. */
import { S3Client } from '@aws-sdk/client-s3';

let s3: S3Client | undefined;

export function s3Client(): S3Client {
  // Path-style only for S3-compatible endpoints (emulators, MinIO) that have no virtual-host DNS.
  s3 ??= new S3Client({ forcePathStyle: process.env.LOGTONG_S3_FORCE_PATH_STYLE === 'true' });
  return s3;
}

/** Lambda's env values are strings; a missing one is a deployment bug worth a clear message. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}
