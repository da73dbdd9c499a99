/**
 * What the user owns, referenced by ID or ARN: no lookups, so synth needs neither credentials nor network, and nothing
 * of theirs is created or changed.
 */
import { Fn, Validations } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc, type ISubnet, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { OpenSearchEngineConfig, VpcRef } from '../config/schema';
import type { FunctionNetwork } from '../constructs/logtong-function';
import type { OpenSearchTarget } from '../constructs/opensearch-target';

export function importVpc(scope: Construct, id: string, vpcId: string): IVpc {
  const vpc = Vpc.fromVpcAttributes(scope, id, {
    vpcId,
    // Unknown offline, and only consulted when selecting subnets by type; the subnets are always named.
    availabilityZones: Fn.getAzs(),
  });
  Validations.of(vpc).acknowledge({
    id: 'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
    reason: 'Subnets are always selected by ID, never by type or zone, so the zones are not needed at synth.',
  });
  return vpc;
}

/** `placed`: what goes into the subnets (`Lambda ENIs`), the reason no route table is needed. */
export function importSubnets(scope: Construct, idPrefix: string, subnetIds: readonly string[], placed: string): ISubnet[] {
  return subnetIds.map((subnetId) => {
    const subnet = Subnet.fromSubnetId(scope, `${idPrefix}Subnet-${subnetId}`, subnetId);
    Validations.of(subnet).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      reason: `Only ${placed} are placed in the subnet; nothing reads or adds routes.`,
    });
    return subnet;
  });
}

/**
 * A VPC placement: the VPC, its subnets and the user's security groups. A stack imports at most two (the domain's,
 * id `Vpc`, and the scanner's, `ScannerVpc`); the subnets' and groups' ids start with the VPC's id, except under the
 * default `Vpc`.
 */
export function importNetwork(scope: Construct, ref: VpcRef, placed: string, id = 'Vpc'): FunctionNetwork {
  const prefix = id === 'Vpc' ? '' : id;
  return {
    vpc: importVpc(scope, id, ref.vpcId),
    subnets: importSubnets(scope, prefix, ref.subnetIds, placed),
    securityGroups: ref.securityGroupIds.map((sg) =>
      // Immutable: the groups belong to the user; CDK must not add rules to them.
      SecurityGroup.fromSecurityGroupId(scope, `${prefix}SecurityGroup-${sg}`, sg, { mutable: false }),
    ),
  };
}

/**
 * A complete secret ARN ends in `-` and six random characters; IAM must then match it exactly. A partial ARN
 * (without the suffix) is matched by CDK with `-??????`.
 */
export function importSecret(scope: Construct, id: string, arn: string): ISecret {
  return /-[A-Za-z0-9]{6}$/.test(arn) ? Secret.fromSecretCompleteArn(scope, id, arn) : Secret.fromSecretPartialArn(scope, id, arn);
}

/** The engine's domain or cluster as its functions reach it: endpoint, auth (the secret imported), VPC placement. */
export function openSearchTarget(scope: Construct, engine: OpenSearchEngineConfig): OpenSearchTarget {
  const { domain } = engine;
  const network = domain.vpc && importNetwork(scope, domain.vpc, 'Lambda ENIs');
  if (domain.type === 'aws') {
    return { endpoint: domain.endpoint, auth: 'sigv4', flavor: 'aws', domainArn: domain.arn, network };
  }
  return {
    endpoint: domain.url,
    auth: domain.auth,
    flavor: 'self-managed',
    basicAuthSecret: domain.basicAuthSecretArn ? importSecret(scope, 'BasicAuthSecret', domain.basicAuthSecretArn) : undefined,
    network,
  };
}
