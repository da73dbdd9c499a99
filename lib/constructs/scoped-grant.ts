/**
 * One IAM statement with the reason it is needed, written beside the grant. A resource with a wildcard (keys under a
 * prefix, paths under a domain) is acknowledged to cdk-nag with `reason`, for exactly that resource, so any other
 * wildcard still fails the AwsSolutions checks.
 */
export interface ScopedGrant {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** Why these actions on these resources, and no more. */
  readonly reason: string;
}
