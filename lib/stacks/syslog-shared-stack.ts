import { CfnOutput, CfnWaitConditionHandle, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import { NetworkLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IManagedPolicy } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { Config, Pipeline } from '../config/schema';
import { configuredAlarm, RECEIVERS_ALARM_ID } from '../constructs/pipeline-monitor';
import { SyslogReceiver } from '../constructs/syslog-receiver';
import { importSubnets, importVpc } from './imports';

/** Stack of the load balancer, cluster and receivers of the syslog pipelines (always in the app). */
export const SYSLOG_SHARED_STACK = 'LogtongSyslog';

/** One syslog pipeline's receivers, from its stack: what they run and report to. */
export interface SyslogPipelineReceivers {
  /** A pipeline whose source is syslog. */
  readonly pipeline: Pipeline;
  /** Its generated Fluent Bit configuration (AgentConfig's parameter). */
  readonly config: IStringParameter;
  /** What the receivers may do (the agent policy: put into the buffer, write the agent metrics). */
  readonly policy: IManagedPolicy;
  /** The pipeline's failure topic: the receivers' health alarm notifies it. */
  readonly failureTopic: ITopic;
}

export interface SyslogSharedStackProps extends StackProps {
  /** Where the load balancer and the receivers run (config `syslog`); required when there are receivers. @default - none */
  readonly network?: Config['syslog'];

  /** Every syslog pipeline of the config, in config order. None: the stack holds a placeholder only. */
  readonly receivers: readonly SyslogPipelineReceivers[];
}

/**
 * The syslog side of every syslog pipeline: one internal Network Load Balancer, the ECS cluster, and each pipeline's
 * receivers (listener, target group, Fargate service, security groups, health alarm).
 *
 * Always part of the app, so that it lives exactly as long as its pipelines: with none in the config it holds only
 * a placeholder (CloudFormation needs one resource), and the deploy after the last syslog pipeline is removed deletes
 * the load balancer, its security group and the cluster. The receivers are here rather than in the pipeline stacks
 * for the same reason: the stack of a pipeline removed from the config is no longer deployed (CDK never deletes a stack
 * that drops out of the app), so anything of it that uses the load balancer, its security group or the cluster (a
 * listener, a task security group allowed from the load balancer's, a service in the cluster) would keep them from
 * being deleted. Here, the deploy that drops a pipeline's receivers is the one that drops its listener and port; what
 * the receivers take from the pipeline stack (its configuration parameter, policy and topic) only makes that stack
 * deploy first, and once this stack no longer uses them, `cdk destroy` of the removed pipeline stack can delete them.
 */
export class SyslogSharedStack extends Stack {
  /** Each pipeline's receivers, by pipeline name. */
  readonly receivers: ReadonlyMap<string, SyslogReceiver>;

  constructor(scope: Construct, id: string, props: SyslogSharedStackProps) {
    super(scope, id, { description: 'Logtong: internal load balancer, cluster and receivers of the syslog pipelines', ...props });
    Tags.of(this).add('logtong:shared', 'syslog');
    const receivers = new Map<string, SyslogReceiver>();
    this.receivers = receivers;
    const network = props.network;
    if (props.receivers.length === 0 || !network) {
      if (props.receivers.length > 0) throw new Error(`${id}: syslog pipelines need the config's syslog network`);
      // No syslog pipeline: nothing that costs anything, and the next one's deploy creates the rest.
      new CfnWaitConditionHandle(this, 'Placeholder');
      return;
    }
    const vpc = importVpc(this, 'Vpc', network.vpcId);
    const subnets = importSubnets(this, '', network.subnetIds, 'load balancer nodes and task ENIs');

    const loadBalancerSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'Logtong syslog load balancer: each pipeline opens its port to its client CIDRs only',
      allowAllOutbound: false,
    });
    const nlb = new NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc,
      vpcSubnets: { subnets: [...subnets] },
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [loadBalancerSecurityGroup],
    });
    Validations.of(nlb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'NLB access logs record TLS listeners only; the syslog listeners are plain TCP/UDP, so there is nothing they could log (VPC flow logs are the record for those).',
    });
    const cluster = new Cluster(this, 'Cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });
    new CfnOutput(this, 'LoadBalancerDnsName', {
      value: nlb.loadBalancerDnsName,
      description: 'Point syslog clients here (inside the VPC or a connected network), at their pipeline’s port.',
    });

    for (const r of props.receivers) {
      const { pipeline } = r;
      if (pipeline.source.type !== 'syslog') throw new Error(`${id}: pipeline ${pipeline.name} has no syslog source`);
      const source = pipeline.source;
      // Ids by pipeline name: removing one pipeline changes no other pipeline's resources.
      const receiver = new SyslogReceiver(this, pipeline.name, {
        pipelineName: pipeline.name,
        protocol: source.protocol,
        port: source.port,
        clientCidrs: source.clientCidrs,
        loadBalancer: nlb,
        loadBalancerSecurityGroup,
        cluster,
        vpc,
        subnets,
        config: r.config,
        policy: r.policy,
        minTasks: source.minTasks,
        maxTasks: source.maxTasks,
        cpu: source.cpu,
        memoryMiB: source.memoryMb,
      });
      receivers.set(pipeline.name, receiver);
      // Named as the pipeline's other alarms; its dashboard finds it by that name (PipelineMonitor.watchReceivers).
      configuredAlarm(receiver, {
        id: RECEIVERS_ALARM_ID,
        pipelineName: pipeline.name,
        name: 'receiversUnhealthy',
        setting: pipeline.alarms.receiversUnhealthy,
        metric: receiver.targetGroup.metrics.unHealthyHostCount({ statistic: 'Maximum' }),
        subject: 'Syslog receivers',
      })?.addAlarmAction(new SnsAction(r.failureTopic));
    }
  }
}
