import * as path from 'node:path';
import { AssetHashType, DockerImage, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, Code, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { lambdaEsbuildOptions } from '../build/lambda-esbuild';
import { toRuntimeConfig } from '../config/runtime-config';
import type { Pipeline } from '../config/schema';

/** Repository root: entries and tsconfig are resolved from here, never from the caller's cwd. */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const HANDLERS_DIR = path.join(PROJECT_ROOT, 'lambda', 'handlers');

/** Network placement for a function that must reach a private endpoint (an OpenSearch domain in a VPC). */
export interface FunctionNetwork {
  /** The VPC; an imported reference is enough. */
  readonly vpc: IVpc;
  /** Subnets the function's ENIs go in. */
  readonly vpcSubnets: SubnetSelection;
  /** Security groups of the ENIs. */
  readonly securityGroups: ISecurityGroup[];
}

export interface LogtongFunctionProps {
  /**
   * Handler module in `lambda/handlers/`, without extension: `copy` bundles `lambda/handlers/copy.ts`,
   * whose export `handler` is the entry point.
   */
  readonly handlerName: string;

  /** @default - none */
  readonly description?: string;

  /** @default 256 */
  readonly memorySize?: number;

  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;

  /** Handler-specific variables; the Powertools variables are added on top. @default - none */
  readonly environment?: Record<string, string>;

  /**
   * Powertools service name: the `service` key of every log line and the `service` metric dimension.
   * @default `logtong-<handlerName>`
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
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(1),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? `logtong-${props.handlerName}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Logtong',
        // Stack traces in the logs point into the TypeScript sources, not the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.vpcSubnets,
      securityGroups: props.network?.securityGroups,
    });
    this.executionRole = role;
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
   * Adds a statement to the execution role. When a resource contains a wildcard (object keys under a prefix,
   * paths under a domain) the AwsSolutions-IAM5 finding for exactly that resource is acknowledged with `reason`,
   * so the justification lives next to the grant that needs it and any other wildcard still fails cdk-nag.
   */
  addScopedPolicy(statement: { actions: string[]; resources: string[]; reason?: string }): void {
    const wildcard = statement.resources.filter((r) => flattenForNag(Stack.of(this).resolve(r)).includes('*'));
    if (wildcard.length > 0 && !statement.reason) {
      throw new Error(`${this.node.path}: a statement with a wildcard resource needs a reason (${wildcard.join(', ')})`);
    }
    this.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: statement.actions, resources: statement.resources }));
    if (wildcard.length > 0) {
      const policy = this.executionRole.node.tryFindChild('DefaultPolicy') ?? this.executionRole;
      acknowledgeWildcardResources(policy, wildcard, statement.reason!);
    }
  }
}

/**
 * Lambda allows 4 KiB for all environment variables together; the parsing settings travel in one of them, and the
 * rest (endpoint, bucket, Powertools) needs well under 1 KiB.
 */
const MAX_RUNTIME_CONFIG_BYTES = 3 * 1024;

/**
 * The runtime's part of the pipeline (toRuntimeConfig) as the `RUNTIME_CONFIG` variable handlers read; too big a
 * config is a synth error.
 */
export function runtimeConfigVariable(pipeline: Pipeline): string {
  const json = JSON.stringify(toRuntimeConfig(pipeline));
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_RUNTIME_CONFIG_BYTES) {
    throw new Error(
      `${pipeline.name}: the parsing settings are ${bytes} bytes as JSON, over the ${MAX_RUNTIME_CONFIG_BYTES} bytes that fit in a Lambda environment variable (shorten logFormat: fields, filters, regex)`,
    );
  }
  return json;
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

/**
 * Acknowledges `AwsSolutions-IAM5[Resource::<resource>]` on `scope` for each resource. cdk-nag 3 matches findings by
 * exact id, so the id is built the way cdk-nag flattens a resolved ARN (`arn:<AWS::Partition>:s3:::b/p/*`).
 */
export function acknowledgeWildcardResources(scope: Construct, resources: string[], reason: string): void {
  for (const resource of resources) {
    const flat = flattenForNag(Stack.of(scope).resolve(resource));
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
  }
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
