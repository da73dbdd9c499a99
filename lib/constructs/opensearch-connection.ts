import { Arn, ArnFormat, Token } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { FunctionNetwork, LogtongFunction } from './logtong-function';

/** How the Lambdas authenticate to OpenSearch: SigV4 (Amazon OpenSearch Service), none, or HTTP basic auth. */
export type OpenSearchAuth = 'sigv4' | 'none' | 'basic';

/** Everything a function needs to reach one OpenSearch domain or cluster; shared by ProcessorStage and IndexBootstrap. */
export interface OpenSearchConnection {
  /** `https://…` (or `http://…` for a self-managed cluster without TLS), without a trailing path. */
  readonly endpoint: string;

  readonly auth: OpenSearchAuth;

  /** Amazon OpenSearch Service (UltraWarm and cold storage exist) or a self-managed cluster. */
  readonly flavor: 'aws' | 'self-managed';

  /** ARN of the Amazon OpenSearch Service domain. Required for `sigv4`: IAM is scoped to it. @default - none */
  readonly domainArn?: string;

  /** Secret with `username` and `password`. Required for `basic`. @default - none */
  readonly basicAuthSecret?: ISecret;

  /** Set when the endpoint is only reachable from a VPC. @default - functions are not VPC-attached */
  readonly network?: FunctionNetwork;
}

/** Checks the combination once, so constructs can rely on `domainArn` for sigv4 and `basicAuthSecret` for basic. */
export function validateConnection(where: string, conn: OpenSearchConnection): void {
  if (conn.auth === 'sigv4' && !conn.domainArn) throw new Error(`${where}: auth sigv4 needs domainArn`);
  if (conn.auth === 'basic' && !conn.basicAuthSecret) throw new Error(`${where}: auth basic needs basicAuthSecret`);
}

/**
 * Variables a handler needs to open a client: `OPENSEARCH_ENDPOINT`, `OPENSEARCH_AUTH`, and `OPENSEARCH_REGION`
 * (sigv4: the domain's region, which need not be the function's) or `OPENSEARCH_SECRET_ARN` (basic).
 */
export function connectionEnvironment(conn: OpenSearchConnection): Record<string, string> {
  const env: Record<string, string> = { OPENSEARCH_ENDPOINT: conn.endpoint, OPENSEARCH_AUTH: conn.auth };
  if (conn.auth === 'sigv4' && conn.domainArn) {
    const region = Token.isUnresolved(conn.domainArn) ? undefined : Arn.split(conn.domainArn, ArnFormat.SLASH_RESOURCE_NAME).region;
    if (region) env.OPENSEARCH_REGION = region;
  }
  if (conn.auth === 'basic' && conn.basicAuthSecret) env.OPENSEARCH_SECRET_ARN = conn.basicAuthSecret.secretArn;
  return env;
}

/** HTTP methods the processor and the bootstrap use: bulk (POST), templates/policies/indices (PUT), reads (GET/HEAD). */
const HTTP_ACTIONS = ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut'];

/** Grants what `fn` needs to talk to the domain: es:ESHttp* on that domain only (sigv4), or reading the secret (basic). */
export function grantConnection(fn: LogtongFunction, conn: OpenSearchConnection): void {
  if (conn.auth === 'sigv4' && conn.domainArn) {
    fn.addScopedPolicy({
      actions: HTTP_ACTIONS,
      resources: [conn.domainArn, `${conn.domainArn}/*`],
      reason: 'OpenSearch HTTP permissions are granted per path; the wildcard covers the paths (/_bulk, /<index>…) of this one domain.',
    });
  }
  if (conn.auth === 'basic' && conn.basicAuthSecret) conn.basicAuthSecret.grantRead(fn);
}
