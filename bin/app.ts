#!/usr/bin/env node
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { ConfigError, loadConfig } from '../lib/config/load';
import type { Config } from '../lib/config/schema';
import { buildApp, SYSLOG_SHARED_STACK } from '../lib/app';
import type { PipelineStack } from '../lib/stacks/pipeline-stack';
import { sourceStackName } from '../lib/stacks/source-account-stack';
import { formatSummary, summaryRow, type SynthesizedStack } from '../lib/synth-summary';

// Context: `cdk synth -c config=path/to/pipelines.yaml -c nag=true -c summary=false`.
// The built-in CloudFormation schema pass is off: it only warns, takes about half of synth, and test/infra lints
// every template with cfn-lint's full rule set instead.
const app = new App({ builtinCloudFormationValidation: false });
const configPath = String(app.node.tryGetContext('config') ?? 'pipelines.yaml');
const nag = String(app.node.tryGetContext('nag')) === 'true';
const summary = String(app.node.tryGetContext('summary')) !== 'false';

try {
  const config = loadConfig(configPath);
  const stacks = buildApp(app, config, {
    nag,
    defaultEnv: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  // Synthesized here rather than by the App at exit, so the table describes what was written. stderr: the CLI prints
  // a single stack's template on stdout (`cdk synth Logtong-x > t.yaml`), and the app runs once per CLI command.
  const assembly = app.synth();
  if (summary) process.stderr.write(formatSummary(synthesizedStacks(assembly, config, stacks).map(summaryRow), shown(assembly.directory)));
} catch (e) {
  // A user's mistake, already phrased for them: the message is the whole story, a stack trace would bury it.
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  throw e;
}

/** In the order the app made them (config order), which the assembly does not keep. */
function synthesizedStacks(assembly: CloudAssembly, config: Config, stacks: readonly PipelineStack[]): SynthesizedStack[] {
  const pipelines = new Map(stacks.map((s) => [s.stackName, s.pipeline]));
  const syslogPipelines = stacks.filter((s) => s.pipeline.source.type === 'syslog').length;
  return app.node.children.filter(Stack.isStack).map((stack): SynthesizedStack => {
    const artifact = assembly.getStackArtifact(stack.artifactId);
    const { stackName } = artifact;
    if (stackName === SYSLOG_SHARED_STACK) return { kind: 'syslog-shared', stackName, receivers: syslogPipelines };
    const source = config.pipelines.find((p) => sourceStackName(p.name) === stackName);
    if (source) return { kind: 'source-account', stackName, account: artifact.environment.account };
    const pipeline = pipelines.get(stackName);
    if (!pipeline) throw new Error(`synth summary: stack ${stackName} is of no pipeline`);
    const manifest = path.join(assembly.directory, `${stackName}.fluent-bit.yaml`);
    return { kind: 'pipeline', stackName, pipeline, template: artifact.template, ...(existsSync(manifest) ? { agentManifest: shown(manifest) } : {}) };
  });
}

/** As the user would type it from where they ran `cdk synth`. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
