import { Duration } from 'aws-cdk-lib';
import { CfnSecurityGroupEgress, CfnSecurityGroupIngress, SecurityGroup, type ISecurityGroup, type ISubnet, type IVpc } from 'aws-cdk-lib/aws-ec2';
import {
  ContainerImage,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  Protocol as EcsProtocol,
  Secret,
  type ICluster,
} from 'aws-cdk-lib/aws-ecs';
import {
  NetworkListener,
  NetworkTargetGroup,
  Protocol,
  TargetType,
  type INetworkLoadBalancer,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { AWS_FOR_FLUENT_BIT_IMAGE } from '../agent/eks-manifest';
import { AGENT_STATE_DIR } from '../agent/fluent-bit-config';
import { SYSLOG_HEALTH_PORT } from '../config/schema';

export interface SyslogReceiverProps {
  readonly pipelineName: string;
  /** tcp_udp: one listener and target group for both, on the same port. */
  readonly protocol: 'tcp' | 'udp' | 'tcp_udp';
  readonly port: number;
  /** Only these networks reach the listener. */
  readonly clientCidrs: readonly string[];

  /** The shared load balancer, its security group, cluster and network (`SyslogSharedStack`). */
  readonly loadBalancer: INetworkLoadBalancer;
  readonly loadBalancerSecurityGroup: ISecurityGroup;
  readonly cluster: ICluster;
  readonly vpc: IVpc;
  readonly subnets: readonly ISubnet[];

  /** The Fluent Bit configuration (its HTTP server on SYSLOG_HEALTH_PORT answers the health checks). */
  readonly config: IStringParameter;
  /** What the receivers may do (the agent policy: put into the buffer). */
  readonly policy: IManagedPolicy;

  /** @default 2 */
  readonly minTasks?: number;
  /** @default 6 */
  readonly maxTasks?: number;
  /** @default 512 */
  readonly cpu?: number;
  /** @default 1024 */
  readonly memoryMiB?: number;
}

/**
 * One syslog pipeline's receivers: Fluent Bit on Fargate behind a listener of the shared internal NLB, scaled on CPU.
 * Only the configured client CIDRs reach the listener port; only the load balancer reaches the tasks. The security
 * group rules on the shared load balancer group are resources of this construct, so they go with the pipeline's
 * receivers (made per syslog pipeline by SyslogSharedStack).
 */
export class SyslogReceiver extends Construct {
  readonly service: FargateService;
  readonly securityGroup: SecurityGroup;
  /** The tasks behind the listener: its healthy and unhealthy host counts are the receivers' health. */
  readonly targetGroup: NetworkTargetGroup;

  constructor(scope: Construct, id: string, props: SyslogReceiverProps) {
    super(scope, id);
    const udp = props.protocol === 'udp';
    const both = props.protocol === 'tcp_udp';
    const lbProtocol = both ? Protocol.TCP_UDP : udp ? Protocol.UDP : Protocol.TCP;
    const ipProtocols: Array<'tcp' | 'udp'> = both ? ['tcp', 'udp'] : [udp ? 'udp' : 'tcp'];
    const task = new FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryMiB ?? 1024,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    // The root filesystem is read-only: the config file and Fluent Bit's chunk store (AGENT_STATE_DIR) live on task
    // storage.
    task.addVolume({ name: 'work' });
    task.addVolume({ name: 'state' });
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    const container = task.addContainer('FluentBit', {
      image: ContainerImage.fromRegistry(AWS_FOR_FLUENT_BIT_IMAGE),
      readonlyRootFilesystem: true,
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: props.pipelineName }),
      secrets: { FLUENT_BIT_CONFIG: Secret.fromSsmParameter(props.config) },
      // The image reads its config from a file; the parameter arrives as a variable.
      entryPoint: ['/bin/sh', '-c'],
      command: ['printf "%s" "$FLUENT_BIT_CONFIG" > /work/fluent-bit.yaml && exec /fluent-bit/bin/fluent-bit -c /work/fluent-bit.yaml'],
      portMappings: [
        ...ipProtocols.map((p) => ({ containerPort: props.port, protocol: p === 'udp' ? EcsProtocol.UDP : EcsProtocol.TCP })),
        { containerPort: SYSLOG_HEALTH_PORT, protocol: EcsProtocol.TCP },
      ],
    });
    container.addMountPoints(
      { containerPath: '/work', sourceVolume: 'work', readOnly: false },
      { containerPath: AGENT_STATE_DIR, sourceVolume: 'state', readOnly: false },
    );
    task.taskRole.addManagedPolicy(props.policy);

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Logtong ${props.pipelineName} syslog receivers: reached by the load balancer only`,
      // Outbound to the buffer (S3 / Kinesis / OpenSearch) and ECR over HTTPS; their addresses are AWS's.
      allowAllOutbound: true,
    });
    const lbGroupId = props.loadBalancerSecurityGroup.securityGroupId;
    for (const [i, cidr] of props.clientCidrs.entries()) {
      for (const proto of ipProtocols) {
        new CfnSecurityGroupIngress(this, `ClientIngress${i}${both ? proto.toUpperCase() : ''}`, {
          groupId: lbGroupId,
          ipProtocol: proto,
          fromPort: props.port,
          toPort: props.port,
          cidrIp: cidr,
          description: `syslog clients of ${props.pipelineName}`,
        });
      }
    }
    const paths: Array<[string, string, number]> = [
      ...ipProtocols.map((proto): [string, string, number] => [both ? `Traffic${proto.toUpperCase()}` : 'Traffic', proto, props.port]),
      ['Health', 'tcp', SYSLOG_HEALTH_PORT],
    ];
    for (const [name, proto, port] of paths) {
      new CfnSecurityGroupEgress(this, `LoadBalancer${name}Egress`, {
        groupId: lbGroupId,
        ipProtocol: proto,
        fromPort: port,
        toPort: port,
        destinationSecurityGroupId: this.securityGroup.securityGroupId,
        description: `to the ${props.pipelineName} receivers`,
      });
      new CfnSecurityGroupIngress(this, `Task${name}Ingress`, {
        groupId: this.securityGroup.securityGroupId,
        ipProtocol: proto,
        fromPort: port,
        toPort: port,
        sourceSecurityGroupId: lbGroupId,
        description: 'from the syslog load balancer',
      });
    }

    this.service = new FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: props.minTasks ?? 2,
      vpcSubnets: { subnets: [...props.subnets] },
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true },
    });
    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.minTasks ?? 2, maxCapacity: props.maxTasks ?? 6 });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });

    const targets = new NetworkTargetGroup(this, 'Targets', {
      vpc: props.vpc,
      port: props.port,
      protocol: lbProtocol,
      targetType: TargetType.IP,
      deregistrationDelay: Duration.seconds(30),
      // Fluent Bit's own health endpoint: a UDP port cannot be probed, and it also fails when outputs keep failing.
      healthCheck: { protocol: Protocol.HTTP, port: String(SYSLOG_HEALTH_PORT), path: '/api/v1/health', interval: Duration.seconds(10) },
    });
    this.targetGroup = targets;
    targets.addTarget(
      // the task's IP is what an IP target group registers; for tcp_udp its TCP mapping names it
      this.service.loadBalancerTarget({ containerName: container.containerName, containerPort: props.port, protocol: udp ? EcsProtocol.UDP : EcsProtocol.TCP }),
    );
    new NetworkListener(this, 'Listener', {
      loadBalancer: props.loadBalancer,
      port: props.port,
      protocol: lbProtocol,
      defaultTargetGroups: [targets],
    });
  }
}
