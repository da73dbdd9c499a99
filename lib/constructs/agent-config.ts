import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, CfnOutput, Stack, Stage } from 'aws-cdk-lib';
import { CfnInstanceProfile, FederatedPrincipal, ManagedPolicy, PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { ParameterDataType, ParameterTier, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources, flattenForNag } from './logtong-function';

/** SSM standard parameters hold 4 KB; a config with a long regex or many filters needs the advanced tier. */
const STANDARD_PARAMETER_BYTES = 4096;

export interface AgentConfigProps {
  /** Pipeline name: parameter path, role descriptions, manifest file name. */
  readonly pipelineName: string;

  /** Where the agents run; `ecs`: Logtong's own syslog receivers, whose task role takes the policy. */
  readonly platform: 'ec2' | 'eks' | 'ecs';

  /** The Fluent Bit YAML configuration (may hold tokens: bucket and stream names resolved at deploy time). */
  readonly configYaml: string;

  /** EKS: the cluster's IAM OIDC provider and the ServiceAccount the DaemonSet runs as. @default - platform ec2 */
  readonly eks?: {
    readonly oidcProviderArn: string;
    readonly namespace: string;
    readonly serviceAccountName: string;
    /**
     * The DaemonSet manifest (Namespace, ServiceAccount, ConfigMap, DaemonSet), written to
     * `<cdk.out>/<stack>.fluent-bit.yaml` at synth; `logtong agent-config --outputs` fills in what deploy decides.
     */
    readonly manifest?: string;
  };
}

/**
 * What the agents of one pipeline need from AWS: their configuration in SSM Parameter Store, and one customer-managed
 * policy with exactly the permissions their outputs use (put into the buffer, read the parameter). On EC2 the policy
 * comes with a role and instance profile, or is attached to the instances' own role; on EKS it backs an IRSA role
 * that only the pipeline's ServiceAccount in its namespace can assume.
 */
export class AgentConfig extends Construct {
  readonly parameter: StringParameter;
  readonly policy: ManagedPolicy;
  /** The role agents run as (none for `ecs`: the receivers' task role attaches `policy`). */
  readonly role?: IRole;

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

    if (props.platform === 'eks') {
      if (!props.eks) throw new Error(`${this.node.path}: platform eks needs the OIDC provider and ServiceAccount`);
      const { oidcProviderArn, namespace, serviceAccountName } = props.eks;
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
      if (props.eks.manifest) writeManifest(this, props.eks.manifest);
    } else if (props.platform === 'ec2') {
      this.role = new Role(this, 'Role', {
        description: `Instance role for hosts running the Fluent Bit agent of Logtong pipeline ${props.pipelineName}`,
        assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
        managedPolicies: [this.policy],
      });
      const profile = new CfnInstanceProfile(this, 'InstanceProfile', { roles: [this.role.roleName] });
      new CfnOutput(stack, 'AgentInstanceProfileName', {
        value: profile.ref,
        description: 'Instance profile for new hosts; for existing ones attach AgentPolicyArn to their role instead.',
      });
    }
    if (this.role) new CfnOutput(stack, 'AgentRoleArn', { value: this.role.roleArn });
    new CfnOutput(stack, 'AgentPolicyArn', { value: this.policy.managedPolicyArn });
    new CfnOutput(stack, 'AgentConfigParameterName', { value: this.parameter.parameterName });
  }

  /**
   * Lets the agents do what their output needs (put records into the stream, objects into the buffer). A wildcard
   * resource (keys under a prefix) needs its reason, acknowledged for exactly that resource.
   */
  addToPolicy(statement: { actions: string[]; resources: string[]; reason?: string }): void {
    this.policy.addStatements(new PolicyStatement({ actions: statement.actions, resources: statement.resources }));
    const wildcard = statement.resources.filter((r) => flattenForNag(Stack.of(this).resolve(r)).includes('*'));
    if (wildcard.length === 0) return;
    if (!statement.reason) throw new Error(`${this.node.path}: a statement with a wildcard resource needs a reason (${wildcard.join(', ')})`);
    acknowledgeWildcardResources(this.policy, wildcard, statement.reason);
  }
}

function writeManifest(scope: Construct, manifest: string): void {
  const outdir = Stage.of(scope)?.outdir;
  if (!outdir) return;
  mkdirSync(outdir, { recursive: true });
  writeFileSync(path.join(outdir, `${Stack.of(scope).stackName}.fluent-bit.yaml`), manifest);
}
