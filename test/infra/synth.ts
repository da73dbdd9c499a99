/**
 * Shared by the infra suites: builds the app the way `cdk synth` does (cdk.json's context, the example config), so
 * what the tests check is what the CLI synthesizes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp, type BuildAppOptions } from '../../lib/app';
import { loadConfig, parseConfig } from '../../lib/config/load';
import type { Config, ConfigInput } from '../../lib/config/schema';
import type { PipelineStack } from '../../lib/stacks/pipeline-stack';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLE_CONFIG = path.join(ROOT, 'pipelines.yaml');

/** The feature flags the CLI passes from cdk.json; without them the app would synthesize differently. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;

export function exampleConfig(): Config {
  return loadConfig(EXAMPLE_CONFIG);
}

/** A config from an inline object, with the schema's defaults applied (as loadConfig would). */
export function configOf(input: ConfigInput): Config {
  return parseConfig(input, 'test config');
}

export interface Built {
  readonly app: App;
  readonly stacks: PipelineStack[];
}

/**
 * A fresh app in a temp outdir. The built-in CloudFormation schema check is off: cfn-lint.test.ts lints every
 * template with the full rule set, and the built-in pass alone costs seconds per synth.
 */
export function build(config: Config = exampleConfig(), options: BuildAppOptions = {}): Built {
  const app = new App({
    context: CDK_CONTEXT,
    outdir: mkdtempSync(path.join(tmpdir(), 'logtong-synth-')),
    builtinCloudFormationValidation: false,
  });
  return { app, stacks: buildApp(app, config, options) };
}

/**
 * Asset hashes change whenever handler code or a dependency changes; the snapshot is about the infrastructure, so
 * they are replaced by a placeholder.
 */
export function normaliseAssets(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}(\.zip|\.json)?/g, (_m, ext: string | undefined) => `<asset-hash>${ext ?? ''}`));
}

/**
 * Combinations the example file does not show: basic auth (complete and partial secret ARNs), a self-managed
 * cluster in a VPC, a source without prefix/suffix, a Light Engine table of JSON lines with its own names.
 */
export function variantConfig(): Config {
  return configOf({
    pipelines: [
      {
        name: 'basic-in-vpc',
        source: { type: 's3', bucketName: 'example-everything-bucket' },
        logFormat: { type: 'regex', regex: '^(?<level>\\w+) (?<message>.*)$' },
        engine: {
          type: 'opensearch',
          domain: {
            type: 'self-managed',
            url: 'https://10.0.12.34:9200',
            auth: 'basic',
            basicAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:logtong/os-admin-AbC123',
            vpc: { vpcId: 'vpc-11112222', subnetIds: ['subnet-33334444'], securityGroupIds: ['sg-55556666', 'sg-77778888'] },
          },
          indexPrefix: 'basic',
        },
      },
      {
        name: 'partial-secret',
        source: { type: 's3', bucketName: 'example-other-bucket', suffix: '.log' },
        logFormat: { type: 'json' },
        engine: {
          type: 'opensearch',
          domain: {
            type: 'self-managed',
            url: 'http://opensearch.internal:9200',
            auth: 'basic',
            basicAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:logtong/opensearch',
          },
          indexPrefix: 'partial',
        },
      },
      {
        name: 'json-parquet',
        source: {
          type: 's3',
          bucketName: 'example-json-bucket',
          kmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
        },
        logFormat: { type: 'json', timeKey: 'ts', timeFormat: 'epoch_ms', fields: { level: 'keyword', latencyMs: 'integer' } },
        engine: {
          type: 'light',
          region: 'eu-central-1',
          table: 'orders',
          database: 'shop_logs',
          schedule: 'rate(15 minutes)',
          notificationEmail: 'ops@example.com',
          maxConcurrency: 2,
        },
      },
    ],
  });
}
