import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { FunctionNetwork } from './logtong-function';

/** How the Lambdas authenticate to OpenSearch: SigV4 (Amazon OpenSearch Service), none, or HTTP basic auth. */
export type OpenSearchAuth = 'sigv4' | 'none' | 'basic';

/**
 * The domain or cluster a pipeline indexes into, as the functions that talk to it are deployed: endpoint, auth,
 * placement. Shared by ProcessorStage, KinesisStage and IndexBootstrap. (The runtime's client for it is
 * `OpenSearchConnection` in lambda/adapters/opensearch.ts, opened from the variables this becomes.)
 */
export interface OpenSearchTarget {
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
