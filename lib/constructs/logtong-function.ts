import * as path from 'node:path';
import { AssetHashType, DockerImage, Duration } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, Code, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { METRICS_NAMESPACE, serviceName } from '../../lambda/core/metric-catalog';
import { lambdaEsbuildOptions } from '../build/lambda-esbuild';
import { acknowledgeWildcardResources, wildcardResources } from './private/nag';
import type { ScopedGrant } from './scoped-grant';
import { projectRoot } from '../build/project-root';

/** Repository root: entries and tsconfig are resolved from here, never from the caller's cwd. */
const PROJECT_ROOT = projectRoot();
const HANDLERS_DIR = path.join(PROJECT_ROOT, 'lambda', 'handlers');

/**
 * Network placement for a function (or task) that must reach a private endpoint: an OpenSearch domain in a VPC, or S3
 * and SQS from private subnets.
 */
export interface FunctionNetwork {
  /** The VPC; an imported reference is enough. */
  readonly vpc: IVpc;
  /** Subnets the ENIs go in. */
  readonly subnets: readonly ISubnet[];
  /** Security groups of the ENIs. */
  readonly securityGroups: readonly ISecurityGroup[];
}

export interface LogtongFunctionProps {
  /**
   * Handler module in `lambda/handlers/`, without extension: `copy` bundles `lambda/handlers/copy.ts`,
   * whose export `handler` is the entry point.
   */
  readonly handlerName: string;

  /**
   * The pipeline it serves: `PIPELINE_NAME` in its environment, which its handler reads and Powertools adds to every
   * metric as the `pipeline` dimension, so each pipeline's dashboard and alarms see its own functions only.
   */
  readonly pipelineName: string;

  /** @default - none */
  readonly description?: string;

  /** @default 256 */
  readonly memoryMiB?: number;

  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;

  /** Handler-specific variables; the Powertools variables are added on top. @default - none */
  readonly environment?: Record<string, string>;

  /**
   * Powertools service name: the `service` key of every log line and the `service` metric dimension.
   * @default serviceName(handlerName), `logtong-<handlerName>`
   */
  readonly serviceName?: string;

  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;

  /** @default - not attached to a VPC */
  readonly network?: FunctionNetwork;
}

/**
 * A Node.js Lambda function with Logtong's defaults set once: latest Node.js runtime on ARM64, JSON logs in a log
 * group with bounded retention, Powertools environment, in-process esbuild bundling (no Docker, no child process)
 * and its own execution role that starts with write access to its log group and nothing else.
 *
 * The log group and role are created beside the function (`<id>LogGroup`, `<id>Role`) because a subclass cannot
 * create children before calling `super`.
 */
export class LogtongFunction extends NodejsFunction {
  /** Runtime of every Logtong function: the newest one cdk-nag's AwsSolutions-L1 accepts. */
  static readonly RUNTIME = Runtime.NODEJS_24_X;

  /** The execution role; exposed as `IRole` so grants and acknowledgements can target it. */
  readonly executionRole: IRole;

  /** The `service` dimension of its custom metrics. */
  readonly serviceName: string;

  /** The `pipeline` dimension of its custom metrics. */
  readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: LogtongFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.handlerName} (${scope.node.path}/${id})`.slice(0, 1000),
      // Inline rather than AWSLambdaBasicExecutionRole / AWSLambdaVPCAccessExecutionRole: the managed policies
      // allow creating and writing every log group in the account. Inline also means the ENI permissions exist
      // before the function is created, which Lambda checks for a VPC function.
      inlinePolicies: {
        Logging: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
        ...(props.network ? { VpcAccess: vpcAccessPolicy() } : {}),
      },
    });

    super(scope, id, {
      code: bundle(props.handlerName),
      handler: 'index.handler',
      description: props.description,
      runtime: LogtongFunction.RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB ?? 256,
      timeout: props.timeout ?? Duration.minutes(1),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? serviceName(props.handlerName),
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        PIPELINE_NAME: props.pipelineName,
        // Stack traces in the logs point into the TypeScript sources, not the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      vpc: props.network?.vpc,
      vpcSubnets: props.network && { subnets: [...props.network.subnets] },
      securityGroups: props.network && [...props.network.securityGroups],
    });
    this.executionRole = role;
    this.serviceName = props.serviceName ?? serviceName(props.handlerName);
    this.pipelineName = props.pipelineName;
    if (props.network) {
      // On the CfnRole (which carries the inline policies) so a wildcard added later elsewhere is still reported.
      acknowledgeWildcardResources(
        role.node.defaultChild as Construct,
        ['*'],
        'Lambda VPC networking: the EC2 network-interface actions Lambda uses to attach the function to its subnets do not support resource-level permissions (the same statement as AWSLambdaVPCAccessExecutionRole).',
      );
    }
  }

  /**
   * Adds a statement to the execution role. A wildcard resource's AwsSolutions-IAM5 finding is acknowledged with the
   * grant's reason, for exactly that resource.
   */
  addScopedPolicy(grant: ScopedGrant): void {
    this.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: [...grant.actions], resources: [...grant.resources] }));
    const wildcard = wildcardResources(this, grant.resources);
    if (wildcard.length === 0) return;
    acknowledgeWildcardResources(this.executionRole.node.tryFindChild('DefaultPolicy') ?? this.executionRole, wildcard, grant.reason);
  }
}

/**
 * `lambda/handlers/<name>.ts` bundled in-process with esbuild's API (lambdaEsbuildOptions: the options NodejsFunction
 * would pass), without the `npx esbuild` process NodejsFunction starts per function, which costs over a second each. The asset hash is the bundle's, so
 * only a change in what is deployed changes the template.
 */
function bundle(handlerName: string): Code {
  const entry = path.join(HANDLERS_DIR, `${handlerName}.ts`);
  return Code.fromAsset(HANDLERS_DIR, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: tryBundle either produces the bundle or throws with esbuild's message.
      image: DockerImage.fromRegistry('scratch'),
      // Unused by local bundling, but part of CDK's asset cache key, which does not see the closure below: without
      // it every handler in the directory would get the first one's bundle.
      environment: { LOGTONG_HANDLER: handlerName },
      local: {
        tryBundle(outputDir: string): boolean {
          buildSync(lambdaEsbuildOptions({ entry, outfile: path.join(outputDir, 'index.js'), projectRoot: PROJECT_ROOT }));
          return true;
        },
      },
    },
  });
}

/** The permissions of AWSLambdaVPCAccessExecutionRole, inline. */
function vpcAccessPolicy(): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    ],
  });
}
