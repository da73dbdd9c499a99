import { Aspects, CfnOutput, Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { Pipeline } from '../config/schema';
import { AgentConfig } from '../constructs/agent-config';
import { FailureTopic } from '../constructs/failure-topic';
import { AccessLogBucket, BackupBucket } from '../constructs/log-buckets';
import { PipelineMonitor } from '../constructs/pipeline-monitor';
import { agentMetricsSource } from '../constructs/private/agent-metrics-source';
import { NotifyAlarms } from '../constructs/private/notify-alarms';
import { acknowledgeBucketNotificationsHandler } from '../constructs/private/nag';
import { agentConfigProps, crossAccountAgents, type AgentOutput } from './pipeline/agent-config-props';
import { LightEngine } from './pipeline/light-engine';
import { OpenSearchEngine } from './pipeline/opensearch-engine';
import { isStaged, pipelineSummary, planPipeline, type LightEnginePlan, type OpenSearchEnginePlan } from './pipeline/plan';
import { StagedIngest } from './pipeline/staged-ingest';
import { SYSLOG_SHARED_STACK } from './syslog-shared-stack';

export interface PipelineStackProps extends StackProps {
  /** The validated pipeline (defaults applied by `loadConfig`). */
  readonly pipeline: Pipeline;
}

/**
 * One pipeline, composed of the parts its plan (`planPipeline`) names: the staged ingest when logs are copied into the
 * staging bucket, the OpenSearch engine or the Light Engine, and for sources that run Fluent Bit the agents'
 * configuration and permissions (for a syslog source, the receivers that run them are in SyslogSharedStack).
 *
 * The parts (lib/stacks/pipeline/) are not Constructs: what they create are children of this stack, under the ids they
 * had when the stack created everything itself. A scope of their own would change every logical ID below it, and the
 * construct paths that role descriptions quote, so each deployed pipeline would have its buckets, queues and roles
 * replaced.
 */
export class PipelineStack extends Stack {
  readonly pipeline: Pipeline;
  /** The dashboard and alarms; every part adds the rows and alarms of what it creates. */
  readonly monitor: PipelineMonitor;
  /** Alarms and failed jobs notify it. */
  readonly failureTopic: ITopic;
  /** Sources that run Fluent Bit: their configuration and policy. @default - none (an S3 source) */
  agentConfig?: AgentConfig;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { pipeline, ...stackProps } = props;
    super(scope, id, {
      description: pipeline.description ?? `Logtong pipeline ${pipeline.name}: ${pipeline.source.type} → ${pipeline.engine.type}`,
      ...stackProps,
    });
    this.pipeline = pipeline;
    Tags.of(this).add('logtong:pipeline', pipeline.name);

    const plan = planPipeline(pipeline);
    this.failureTopic = new FailureTopic(this, 'FailureTopic', { pipelineName: pipeline.name, email: plan.config.notificationEmail });
    // Every alarm of the stack, wherever a part made it, notifies the topic.
    Aspects.of(this).add(new NotifyAlarms(this.failureTopic));
    new CfnOutput(this, 'FailureTopicArn', { value: this.failureTopic.topicArn });
    this.monitor = new PipelineMonitor(this, 'Monitor', { pipelineName: pipeline.name, summary: pipelineSummary(pipeline, plan), alarms: pipeline.alarms });
    new CfnOutput(this, 'DashboardUrl', { value: this.monitor.dashboardUrl, description: 'The CloudWatch dashboard of this pipeline.' });
    const accessLogs = new AccessLogBucket(this, 'AccessLogBucket');
    new CfnOutput(this, 'AccessLogBucketName', { value: accessLogs.bucketName });
    const agents = plan.engine === 'light' ? this.lightEngine(plan, accessLogs) : this.openSearchEngine(plan, accessLogs);
    if (agents) this.agents(agents);
    // Last: whichever stage subscribed a bucket first created the handler.
    acknowledgeBucketNotificationsHandler(this);
  }

  /** Returns what the agents of an agent source write to. */
  private lightEngine(plan: LightEnginePlan, accessLogs: IBucket): AgentOutput | undefined {
    const ingest = new StagedIngest(this, { pipeline: this.pipeline, intake: plan.intake, accessLogs, monitor: this.monitor });
    const backup = this.backupBucket(accessLogs);
    new LightEngine(this, { pipeline: this.pipeline, config: plan.config, staged: ingest, backup, accessLogs, monitor: this.monitor, failureTopic: this.failureTopic });
    return ingest.agentOutput;
  }

  /** Returns what the agents of an agent source write to. */
  private openSearchEngine(plan: OpenSearchEnginePlan, accessLogs: IBucket): AgentOutput | undefined {
    const { intake, config } = plan;
    if (!isStaged(intake)) {
      // Kinesis or the domain itself: the engine holds what the agents write to
      return new OpenSearchEngine(this, { pipeline: this.pipeline, config, backup: this.backupBucket(accessLogs), indexes: intake, monitor: this.monitor }).agentOutput;
    }
    const ingest = new StagedIngest(this, { pipeline: this.pipeline, intake, accessLogs, monitor: this.monitor });
    new OpenSearchEngine(this, { pipeline: this.pipeline, config, backup: this.backupBucket(accessLogs), indexes: ingest, monitor: this.monitor });
    return ingest.agentOutput;
  }

  /**
   * Created after the staged ingest's buckets: the access-log bucket's policy lists the buckets that log to it in the
   * order they are created, and a different order would be a change to deploy.
   */
  private backupBucket(accessLogs: IBucket): IBucket {
    const backup = new BackupBucket(this, 'BackupBucket', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'backup/',
      retention: Duration.days(this.pipeline.backupRetentionDays),
    });
    new CfnOutput(this, 'BackupBucketName', { value: backup.bucketName });
    return backup;
  }

  /** The agents' configuration and policy (for a syslog source, what its receivers in SyslogSharedStack run). */
  private agents(output: AgentOutput): void {
    const agent = new AgentConfig(this, 'Agent', agentConfigProps(this.pipeline, output, crossAccountAgents(this, this.pipeline)));
    this.agentConfig = agent;
    this.monitor.watchAgents(output.source.type === 'syslog' ? 'Syslog receivers' : 'Agents', agentMetricsSource(this.pipeline.name));
    for (const grant of output.grants) agent.addToPolicy(grant);
    if (agent.instanceProfile) {
      new CfnOutput(this, 'AgentInstanceProfileName', {
        value: agent.instanceProfile.ref,
        description: 'Instance profile for new hosts; for existing ones attach AgentPolicyArn to their role instead.',
      });
    }
    if (agent.role) new CfnOutput(this, 'AgentRoleArn', { value: agent.role.roleArn });
    new CfnOutput(this, 'AgentPolicyArn', { value: agent.policy.managedPolicyArn });
    new CfnOutput(this, 'AgentConfigParameterName', { value: agent.parameter.parameterName });
    if (output.source.type !== 'syslog') return;
    const source = output.source;
    this.monitor.watchReceivers();
    new CfnOutput(this, 'SyslogPort', {
      value: `${source.port}/${source.protocol}`,
      description: `Where this pipeline's syslog clients send (from the configured client CIDRs): this port of the LoadBalancerDnsName output of stack ${SYSLOG_SHARED_STACK}, which runs the receivers.`,
    });
  }
}
