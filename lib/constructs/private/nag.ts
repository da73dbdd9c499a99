/**
 * cdk-nag acknowledgements that are not one construct's own: wildcard resources of a grant, and the findings on the
 * singletons CDK adds at stack level. Every acknowledgement names exactly what it excuses, so anything else still
 * fails the AwsSolutions checks.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Acknowledges `AwsSolutions-IAM5[Resource::<resource>]` on `scope` for each resource. cdk-nag 3 matches findings by
 * exact id, so the id is built the way cdk-nag flattens a resolved ARN (`arn:<AWS::Partition>:s3:::b/p/*`).
 */
export function acknowledgeWildcardResources(scope: Construct, resources: readonly string[], reason: string): void {
  for (const resource of resources) {
    const flat = flattenForNag(Stack.of(scope).resolve(resource));
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
  }
}

/** The resources of `resources` that contain a wildcard once resolved (keys under a prefix, paths under a domain). */
export function wildcardResources(scope: Construct, resources: readonly string[]): string[] {
  return resources.filter((r) => flattenForNag(Stack.of(scope).resolve(r)).includes('*'));
}

/** Mirrors cdk-nag's flattenCfnReference (not exported by the package): intrinsics become `<Ref>` / `<Id.Attr>`. */
export function flattenForNag(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenForNag).join(delimiter);
    }
    if (o['Fn::Sub']) return flattenForNag(o['Fn::Sub']);
    if (o['Fn::GetAtt']) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenForNag(resource)}.${flattenForNag(attribute)}>`;
    }
    if (o['Fn::ImportValue']) return flattenForNag(o['Fn::ImportValue']);
    if (o.Ref) return `<${flattenForNag(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** CDK's basic-execution managed policy, which its singleton handlers' roles carry. */
const CDK_HANDLER_MANAGED_POLICY =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

/**
 * S3 notifications are configured by CDK's singleton BucketNotificationsHandler (a Lambda at stack level, shared by
 * every `addEventNotification` in the stack); its role and runtime are CDK's. Call once the stack is complete:
 * whichever stage subscribed a bucket first created the handler.
 */
export function acknowledgeBucketNotificationsHandler(stack: Stack): void {
  const handler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (!handler) return;
  Validations.of(handler).acknowledge({
    id: CDK_HANDLER_MANAGED_POLICY,
    reason: 'CDK-owned BucketNotificationsHandler: aws-s3 creates its role with the basic execution managed policy and offers no way to replace it.',
  });
}

/** CDK's singleton AwsCustomResource provider (stack level): its runtime and role are CDK's own. */
export function acknowledgeAwsCustomResourceProvider(stack: Stack): void {
  const provider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (!provider) return;
  Validations.of(provider).acknowledge({
    id: CDK_HANDLER_MANAGED_POLICY,
    reason: 'CDK-owned AwsCustomResource provider: aws-cdk-lib creates its role with the basic execution managed policy and offers no way to replace it.',
  });
}
