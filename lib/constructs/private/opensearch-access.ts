/** What a function needs to reach an OpenSearchTarget: checked once, passed as variables, granted in IAM. */
import { Arn, ArnFormat, Token } from 'aws-cdk-lib';
import type { LogtongFunction } from '../logtong-function';
import type { OpenSearchTarget } from '../opensearch-target';

/** Checks the combination once, so constructs can rely on `domainArn` for sigv4 and `basicAuthSecret` for basic. */
export function validateTarget(where: string, target: OpenSearchTarget): void {
  if (target.auth === 'sigv4' && !target.domainArn) throw new Error(`${where}: auth sigv4 needs domainArn`);
  if (target.auth === 'basic' && !target.basicAuthSecret) throw new Error(`${where}: auth basic needs basicAuthSecret`);
}

/**
 * Variables a handler needs to open a client: `OPENSEARCH_ENDPOINT`, `OPENSEARCH_AUTH`, and `OPENSEARCH_REGION`
 * (sigv4: the domain's region, which need not be the function's) or `OPENSEARCH_SECRET_ARN` (basic).
 */
export function targetEnvironment(target: OpenSearchTarget): Record<string, string> {
  const env: Record<string, string> = { OPENSEARCH_ENDPOINT: target.endpoint, OPENSEARCH_AUTH: target.auth };
  if (target.auth === 'sigv4' && target.domainArn) {
    const region = Token.isUnresolved(target.domainArn) ? undefined : Arn.split(target.domainArn, ArnFormat.SLASH_RESOURCE_NAME).region;
    if (region) env.OPENSEARCH_REGION = region;
  }
  if (target.auth === 'basic' && target.basicAuthSecret) env.OPENSEARCH_SECRET_ARN = target.basicAuthSecret.secretArn;
  return env;
}

/** HTTP methods the processor and the bootstrap use: bulk (POST), templates/policies/indices (PUT), reads (GET/HEAD). */
const HTTP_ACTIONS = ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut'];

/** Grants what `fn` needs to talk to the target: es:ESHttp* on that domain only (sigv4), or reading the secret (basic). */
export function grantTargetAccess(fn: LogtongFunction, target: OpenSearchTarget): void {
  if (target.auth === 'sigv4' && target.domainArn) {
    fn.addScopedPolicy({
      actions: HTTP_ACTIONS,
      resources: [target.domainArn, `${target.domainArn}/*`],
      reason: 'OpenSearch HTTP permissions are granted per path; the wildcard covers the paths (/_bulk, /<index>…) of this one domain.',
    });
  }
  if (target.auth === 'basic' && target.basicAuthSecret) target.basicAuthSecret.grantRead(fn);
}
