import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { AccountPrincipal, CfnInstanceProfile, FederatedPrincipal, ManagedPolicy, PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { Unit } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ParameterDataType, ParameterTier, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { AGENT_METRICS_NAMESPACE, agentMetricFilters, agentMetricsLogGroupName } from '../agent/agent-metrics';
import { acknowledgeWildcardResources, wildcardResources } from './private/nag';
import type { ScopedGrant } from './scoped-grant';

/** SSM standard parameters hold 4 KB; a config with a long regex or many filters needs the advanced tier. */
const STANDARD_PARAMETER_BYTES = 4096;

export interface AgentConfigProps {
  /** Pipeline name: parameter path, role descriptions, manifest file name. */
  readonly pipelineName: string;

  /** Where the agents run; `ecs`: Logtong's own syslog receivers, whose task role takes the policy. */
  readonly platform: 'ec2' | 'eks' | 'ecs';

  /** The Fluent Bit YAML configuration (may hold tokens: bucket and stream names resolved at deploy time). */
  readonly configYaml: string;

  /** EKS: the cluster's IAM OIDC provider, which the IRSA role trusts. Required for platform eks. @default - none */
  readonly eksOidcProviderArn?: string;

  /** EKS: namespace of the DaemonSet's ServiceAccount. Required for platform eks. @default - none */
  readonly eksNamespace?: string;

  /** EKS: the ServiceAccount the DaemonSet runs as, the only one that may assume the role. Required for platform eks. @default - none */
  readonly eksServiceAccountName?: string;

  /**
   * EKS: the DaemonSet manifest (Namespace, ServiceAccount, ConfigMap, DaemonSet), written to
   * `<cdk.out>/<stack>.fluent-bit.yaml` at synth; `logtong agent-config --outputs` fills in what deploy decides.
   * @default - no manifest is written
   */
  readonly eksManifest?: string;

  /**
   * Agents in another account (ec2 or eks there): instead of an instance or IRSA role of this account, a role named
   * `roleName` that `account` may assume with `externalId`, holding the policy. @default - agents of this account
   */
  readonly crossAccount?: { readonly account: string; readonly externalId: string; readonly roleName: string };
}

/**
 * What the agents of one pipeline need from AWS: their configuration in SSM Parameter Store, the log group their own
 * counters go to with the metric filters that publish them (agent-metrics.ts), and one customer-managed policy with
 * exactly the permissions their outputs use (put into the buffer, write their metrics, read the parameter). On EC2 the
 * policy comes with a role and instance profile, or is attached to the instances' own role; on EKS it backs an IRSA
 * role that only the pipeline's ServiceAccount in its namespace can assume.
 */
export class AgentConfig extends Construct {
  readonly parameter: StringParameter;
  readonly policy: ManagedPolicy;
  /** Where the agents' counters arrive as JSON events (`agentMetricsLogGroupName`). */
  readonly metricsLogGroup: LogGroup;
  /** One per agent metric (`agentMetricFilters`): what the dashboard and alarms read. */
  readonly metricFilters: MetricFilter[];
  /** The role agents run as (none for `ecs`: the receivers' task role attaches `policy`). */
  readonly role?: IRole;
  /** ec2: the instance profile of `role`, for new hosts. */
  readonly instanceProfile?: CfnInstanceProfile;

  constructor(scope: Construct, id: string, props: AgentConfigProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.parameter = new StringParameter(this, 'Config', {
      parameterName: `/logtong/${props.pipelineName}/fluent-bit.yaml`,
      description: `Fluent Bit configuration of Logtong pipeline ${props.pipelineName}`,
      stringValue: props.configYaml,
      dataType: ParameterDataType.TEXT,
      // Tokens count as their placeholder length here; bucket and stream names add well under the margin.
      tier: Buffer.byteLength(props.configYaml) > STANDARD_PARAMETER_BYTES - 512 ? ParameterTier.ADVANCED : ParameterTier.STANDARD,
    });
    this.policy = new ManagedPolicy(this, 'Policy', {
      description: `Logtong ${props.pipelineName}: what its Fluent Bit agents may do`,
      statements: [new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [this.parameter.parameterArn] })],
    });
    // Named, not generated: the configuration names it, and `logtong agent-config` prints it without stack outputs.
    this.metricsLogGroup = new LogGroup(this, 'MetricsLogGroup', {
      logGroupName: agentMetricsLogGroupName(props.pipelineName),
      // The filters publish the metrics as the events arrive, and CloudWatch keeps them (15 months) apart from the
      // log group; a month is for reading an agent's raw counters back.
      retention: RetentionDays.ONE_MONTH,
      // Nothing of record: kept, it would block a stack of the same pipeline created again (the name is taken).
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Metric filters, not the events' EMF directive: Fluent Bit's EMF unit (`Counter`) is not a CloudWatch unit.
    this.metricFilters = agentMetricFilters(props.pipelineName).map(
      (spec) =>
        new MetricFilter(this, spec.id, {
          logGroup: this.metricsLogGroup,
          filterPattern: FilterPattern.literal(spec.filterPattern),
          metricNamespace: AGENT_METRICS_NAMESPACE,
          metricName: spec.metricName,
          metricValue: spec.metricValue,
          dimensions: spec.dimensions,
          // the spec's unit is a CloudWatch standard unit name ('Count'), the enum's value
          unit: spec.unit as Unit,
        }),
    );
    this.addToPolicy({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.metricsLogGroup.logGroupArn],
      reason:
        'Agents write their own counters into this pipeline’s agent-metrics log group only, one stream per host (the group ARN with `:*` covers its streams). No CreateLogGroup: the stack creates the group; no DescribeLogStreams: Fluent Bit’s cloudwatch_logs output creates its stream and puts events without it.',
    });

    if (props.crossAccount) {
      const { account, externalId, roleName } = props.crossAccount;
      // The other account decides which of its principals may call sts:AssumeRole on it (the agents' instance or IRSA
      // role); the external ID keeps a third party that knows the ARN from having the account assume it for them.
      this.role = new Role(this, 'CrossAccountRole', {
        roleName,
        description: `Assumed by the Fluent Bit agents of Logtong pipeline ${props.pipelineName} in account ${account}`,
        assumedBy: new AccountPrincipal(account).withConditions({ StringEquals: { 'sts:ExternalId': externalId } }),
        managedPolicies: [this.policy],
      });
      if (props.platform === 'eks' && props.eksManifest) writeManifest(this, props.eksManifest);
    } else if (props.platform === 'eks') {
      const { eksOidcProviderArn: oidcProviderArn, eksNamespace: namespace, eksServiceAccountName: serviceAccountName } = props;
      if (!oidcProviderArn || !namespace || !serviceAccountName) {
        throw new Error(`${this.node.path}: platform eks needs the OIDC provider, namespace and ServiceAccount`);
      }
      const issuer = stack.splitArn(oidcProviderArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName!;
      this.role = new Role(this, 'Role', {
        description: `IRSA role of the Fluent Bit DaemonSet of Logtong pipeline ${props.pipelineName}`,
        assumedBy: new FederatedPrincipal(
          oidcProviderArn,
          {
            StringEquals: {
              [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccountName}`,
              [`${issuer}:aud`]: 'sts.amazonaws.com',
            },
          },
          'sts:AssumeRoleWithWebIdentity',
        ),
        managedPolicies: [this.policy],
      });
      if (props.eksManifest) writeManifest(this, props.eksManifest);
    } else if (props.platform === 'ec2') {
      this.role = new Role(this, 'Role', {
        description: `Instance role for hosts running the Fluent Bit agent of Logtong pipeline ${props.pipelineName}`,
        assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
        managedPolicies: [this.policy],
      });
      this.instanceProfile = new CfnInstanceProfile(this, 'InstanceProfile', { roles: [this.role.roleName] });
    }
  }

  /**
   * Lets the agents do what their output needs (put records into the stream, objects into the buffer). A wildcard
   * resource (keys under a prefix) is acknowledged with the grant's reason, for exactly that resource.
   */
  addToPolicy(grant: ScopedGrant): void {
    this.policy.addStatements(new PolicyStatement({ actions: [...grant.actions], resources: [...grant.resources] }));
    const wildcard = wildcardResources(this, grant.resources);
    if (wildcard.length > 0) acknowledgeWildcardResources(this.policy, wildcard, grant.reason);
  }
}

function writeManifest(scope: Construct, manifest: string): void {
  const outdir = Stage.of(scope)?.outdir;
  if (!outdir) return;
  mkdirSync(outdir, { recursive: true });
  writeFileSync(path.join(outdir, `${Stack.of(scope).stackName}.fluent-bit.yaml`), manifest);
}
