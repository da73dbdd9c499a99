#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config/load';
import { buildApp } from '../lib/app';

// Context: `cdk synth -c config=path/to/pipelines.yaml -c nag=true`.
// The built-in CloudFormation schema pass is off: it only warns, takes about half of synth, and test/infra lints
// every template with cfn-lint's full rule set instead.
const app = new App({ builtinCloudFormationValidation: false });
const configPath = String(app.node.tryGetContext('config') ?? 'pipelines.yaml');
const nag = String(app.node.tryGetContext('nag')) === 'true';

try {
  buildApp(app, loadConfig(configPath), {
    nag,
    defaultEnv: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
} catch (e) {
  // A user's mistake, already phrased for them: the message is the whole story, a stack trace would bury it.
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
