import { createHash } from 'node:crypto';
import { CustomResource, Duration } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { LogFormat, OpenSearchEngineConfig } from '../config/schema';
import { compileParser } from '../../lambda/core/formats';
import { pipelineSavedObjects, toNdjson } from '../../lambda/core/opensearch/saved-objects';
import { LogtongFunction } from './logtong-function';
import type { OpenSearchTarget } from './opensearch-target';
import { acknowledgeWildcardResources } from './private/nag';
import { grantTargetAccess, targetEnvironment, validateTarget } from './private/opensearch-access';

/**
 * Bump when the handler's idea of what it creates changes (template layout, ISM policy shape), so every stack re-runs
 * the bootstrap on its next deploy even though its settings did not change.
 */
export const INDEX_BOOTSTRAP_VERSION = 1;

export type IndexSettings = OpenSearchEngineConfig['index'];

export interface IndexBootstrapProps {
  /** Pipeline name, for descriptions and the handler's logs. */
  readonly pipelineName: string;

  /** The domain or cluster; the function gets the same network placement and permissions as the processor. */
  readonly target: OpenSearchTarget;

  /** Write alias; indices are `<indexPrefix>-<yyyy.MM.dd>-000001`. */
  readonly indexPrefix: string;

  /** Drives the index template's mappings (field types, time field). */
  readonly logFormat: LogFormat;

  /** Shards, replicas, rollover and the warm/cold/delete phases of the ISM policy. */
  readonly index: IndexSettings;

  /**
   * OpenSearch Dashboards base URL the pipeline's saved objects (index pattern, access-log dashboard, saved searches)
   * are imported into, with the target's auth; `''`: none. A failed import is logged and reported, never fails the
   * deploy.
   * @default - `<endpoint>/_dashboards` for Amazon OpenSearch Service; none for a self-managed cluster
   */
  readonly dashboardsUrl?: string;

  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;
}

/**
 * Creates, at deploy time and idempotently, the index template, the ISM policy, and the first index with its write
 * alias (`lambda/handlers/index-bootstrap.ts` behind the CDK Provider framework, which reports the outcome to
 * CloudFormation so a failing handler fails the deploy instead of hanging it); then imports the pipeline's OpenSearch
 * Dashboards saved objects (`lambda/core/opensearch/saved-objects.ts`), whose failure only shows as
 * `SavedObjects: failed` in the resource's data and a warning in the function's log.
 *
 * Resource properties (CloudFormation turns scalars into strings, so structured values are JSON strings):
 * `pipelineName`, `endpoint`, `auth`, `flavor`, `indexPrefix`, `logFormat` (JSON), `index` (JSON), `dashboardsUrl`
 * (`''` for none), `configHash`.
 * The target is also in the function's environment (`OPENSEARCH_*`, as for the processor).
 */
export class IndexBootstrap extends Construct {
  readonly fn: LogtongFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: IndexBootstrapProps) {
    super(scope, id);
    validateTarget(this.node.path, props.target);

    this.fn = new LogtongFunction(this, 'Function', {
      pipelineName: props.pipelineName,
      handlerName: 'index-bootstrap',
      description: `Logtong ${props.pipelineName}: create the index template, ISM policy and write alias`,
      timeout: props.timeout ?? Duration.minutes(5),
      network: props.target.network,
      environment: targetEnvironment(props.target),
    });
    grantTargetAccess(this.fn, props.target);

    // The framework function gets its own bounded log group and a role with nothing but logging and invoke, instead
    // of the Provider's default role (AWSLambdaBasicExecutionRole: logs on every log group).
    const providerLogGroup = new LogGroup(this, 'ProviderLogGroup', { retention: RetentionDays.ONE_MONTH });
    const providerRole = new Role(this, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        Logging: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [providerLogGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.fn,
      logGroup: providerLogGroup,
      frameworkOnEventRole: providerRole,
    });
    // Provider calls fn.grantInvoke, which also allows the function's versions and aliases (`<arn>:*`).
    acknowledgeWildcardResources(
      providerRole.node.tryFindChild('DefaultPolicy') ?? providerRole,
      [`${this.fn.functionArn}:*`],
      'The CDK Provider framework grants invoke on the bootstrap function and its versions (<function arn>:*); one function only.',
    );

    const settings = {
      pipelineName: props.pipelineName,
      endpoint: props.target.endpoint,
      auth: props.target.auth,
      flavor: props.target.flavor,
      indexPrefix: props.indexPrefix,
      logFormat: JSON.stringify(props.logFormat),
      index: JSON.stringify(props.index),
      dashboardsUrl: props.dashboardsUrl ?? (props.target.flavor === 'aws' ? `${props.target.endpoint}/_dashboards` : ''),
    };
    // The objects' content is code, not settings: hashing it re-runs the import on the deploy that changes them.
    const savedObjects = toNdjson(
      pipelineSavedObjects({ pipelineName: props.pipelineName, indexPrefix: props.indexPrefix, logFormat: props.logFormat, fields: compileParser(props.logFormat).fields }),
    );
    const configHash = createHash('sha256')
      .update(JSON.stringify({ version: INDEX_BOOTSTRAP_VERSION, ...settings, savedObjects }))
      .digest('hex')
      .slice(0, 16);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::LogtongIndexBootstrap',
      properties: { ...settings, configHash },
    });
  }
}
