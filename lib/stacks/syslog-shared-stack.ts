import { CfnOutput, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import { SecurityGroup, type ISecurityGroup, type ISubnet, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights, type ICluster } from 'aws-cdk-lib/aws-ecs';
import { NetworkLoadBalancer, type INetworkLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { Config } from '../config/schema';
import { importSubnets, importVpc } from './imports';

/** What the syslog pipelines' receivers stand on. */
export interface SyslogShared {
  /** The stack that holds them; its LoadBalancerDnsName output is where clients send. */
  readonly stackName: string;
  readonly vpc: IVpc;
  readonly subnets: readonly ISubnet[];
  readonly loadBalancer: INetworkLoadBalancer;
  /** The load balancer's group: client CIDRs are allowed per listener port by the pipeline stacks. */
  readonly loadBalancerSecurityGroup: ISecurityGroup;
  readonly cluster: ICluster;
}

export interface SyslogSharedStackProps extends StackProps {
  /** Where the load balancer and the receivers run (config `syslog`). */
  readonly network: NonNullable<Config['syslog']>;
}

/**
 * What every syslog pipeline shares: one internal Network Load Balancer (each pipeline adds its listener) and the ECS
 * cluster its receivers run in. `bin/app.ts` creates this stack only while the config has a syslog pipeline; it is
 * deployed before them (they reference it) and destroyed after the last of them.
 */
export class SyslogSharedStack extends Stack implements SyslogShared {
  readonly vpc: IVpc;
  readonly subnets: readonly ISubnet[];
  readonly loadBalancer: INetworkLoadBalancer;
  readonly loadBalancerSecurityGroup: ISecurityGroup;
  readonly cluster: ICluster;

  constructor(scope: Construct, id: string, props: SyslogSharedStackProps) {
    super(scope, id, { description: 'Logtong: internal load balancer and cluster shared by the syslog pipelines', ...props });
    Tags.of(this).add('logtong:shared', 'syslog');
    this.vpc = importVpc(this, 'Vpc', props.network.vpcId);
    this.subnets = importSubnets(this, '', props.network.subnetIds, 'load balancer nodes and task ENIs');

    this.loadBalancerSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'Logtong syslog load balancer: each pipeline opens its port to its client CIDRs only',
      allowAllOutbound: false,
    });
    const nlb = new NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      vpcSubnets: { subnets: [...this.subnets] },
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [this.loadBalancerSecurityGroup],
    });
    Validations.of(nlb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'NLB access logs record TLS listeners only; the syslog listeners are plain TCP/UDP, so there is nothing they could log (VPC flow logs are the record for those).',
    });
    this.loadBalancer = nlb;

    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ContainerInsights.ENABLED });

    new CfnOutput(this, 'LoadBalancerDnsName', {
      value: nlb.loadBalancerDnsName,
      description: 'Point syslog clients here (inside the VPC or a connected network), at their pipeline’s port.',
    });
  }
}
