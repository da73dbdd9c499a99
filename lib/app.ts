import { Validations, type App, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Config } from './config/schema';
import { PipelineStack } from './stacks/pipeline-stack';
import { ConfigError } from './config/load';
import { crossAccountSource, SourceAccountStack, sourceStackName } from './stacks/source-account-stack';
import { SYSLOG_SHARED_STACK, SyslogSharedStack } from './stacks/syslog-shared-stack';

export { SYSLOG_SHARED_STACK };

export interface BuildAppOptions {
  /** Run the cdk-nag AwsSolutions pack at synth; unacknowledged errors fail synthesis. @default false */
  readonly nag?: boolean;

  /**
   * Account and region for a config that names none (`bin/app.ts` passes the CLI's CDK_DEFAULT_ACCOUNT/REGION).
   * @default - env-agnostic stacks
   */
  readonly defaultEnv?: Environment;
}

/** Adds one `PipelineStack` (`Logtong-<name>`) per pipeline to `app`, in config order, and the shared syslog stack. */
export function buildApp(app: App, config: Config, options: BuildAppOptions = {}): PipelineStack[] {
  const account = config.account ?? options.defaultEnv?.account;
  const region = config.region ?? options.defaultEnv?.region;
  const env = account || region ? { account, region } : undefined;

  const stacks = config.pipelines.map((pipeline) => new PipelineStack(app, `Logtong-${pipeline.name}`, { pipeline, env }));
  // Always in the app, so the deploy after the last syslog pipeline is removed also removes the load balancer and
  // cluster (SyslogSharedStack says why the receivers live there too). The name cannot clash with `Logtong-<name>`.
  new SyslogSharedStack(app, SYSLOG_SHARED_STACK, {
    network: config.syslog,
    env,
    receivers: stacks
      .filter((s) => s.pipeline.source.type === 'syslog')
      .map((s) => ({ pipeline: s.pipeline, config: s.agentConfig!.parameter, policy: s.agentConfig!.policy, failureTopic: s.failureTopic })),
  });
  // Cross-account S3 sources: the stack the source account deploys (after the pipeline's), named by pipeline.
  for (const [i, pipeline] of config.pipelines.entries()) {
    const cross = crossAccountSource(pipeline, account);
    if (!cross) continue;
    if (!cross.pipelineAccount) {
      throw new ConfigError('pipelines.yaml', [`pipelines[${i}] (${pipeline.name}).source.account: a bucket in another account needs the pipeline's account known at synth: set \`account\` at the top level or synthesize with credentials of that account`]);
    }
    new SourceAccountStack(app, sourceStackName(pipeline.name), { source: cross, env: { account: cross.sourceAccount, region } });
  }
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stacks;
}
