import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  AlarmWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  Row,
  TextWidget,
  TreatMissingData,
  type IAlarm,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SCANNER_SERVICE, metricDimensions, type MetricName } from '../../lambda/core/metric-catalog';
import { ALARMS, type AlarmName, type AlarmSetting, type AlarmsConfig } from '../config/alarms';
import type { AgentMetricsSource } from './private/agent-metrics-source';
import type { LogtongFunction } from './logtong-function';

export interface PipelineMonitorProps {
  /** Names the dashboard (`Logtong-<name>`) and its alarms, and is the `pipeline` dimension of the custom metrics. */
  readonly pipelineName: string;

  /** One line at the top of the dashboard: what flows where. */
  readonly summary: string;

  /** Which alarms, with which thresholds (`alarms` of the pipeline, defaults applied). */
  readonly alarms: AlarmsConfig;
}

/** A work queue with its dead-letter queue (WorkQueue, or a stage that exposes both). */
export interface WatchedQueues {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
}

const GRAPH = { width: 6, height: 6 } as const;

/**
 * Rows laid out when the dashboard body is rendered (at synth), not when the section is made: a part of the stack
 * created late (the syslog receivers, made after the engine they forward to) still gets its row where its data
 * enters the path. CloudWatch's Column measures its widgets when it is made, hence this one.
 */
class Section implements IWidget {
  readonly warnings = undefined;
  readonly warningsV2 = undefined;
  private readonly rows: IWidget[] = [];

  get width(): number {
    return Math.max(0, ...this.rows.map((r) => r.width));
  }

  get height(): number {
    return this.rows.reduce((sum, r) => sum + r.height, 0);
  }

  add(row: IWidget): void {
    this.rows.push(row);
  }

  position(x: number, y: number): void {
    let top = y;
    for (const r of this.rows) {
      r.position(x, top);
      top += r.height;
    }
  }

  toJson(): any[] {
    return this.rows.flatMap((r) => r.toJson());
  }
}

/**
 * The pipeline's CloudWatch dashboard and alarms. The parts of the stack call `watch…` in the order data flows
 * through them, so the dashboard reads from top to bottom as the data path of the pipeline's scenario: one row per
 * stage, a title line, then its graphs. Each stage's alarms are made here from the pipeline's `alarms` settings, and
 * every custom metric comes from lambda/core/metric-catalog.ts, the names the handlers emit.
 *
 * Notifications are not set here: NotifyAlarms sends every alarm of the stack to the failure topic.
 */
export class PipelineMonitor extends Construct {
  readonly dashboard: Dashboard;
  /** Console address of the dashboard. */
  readonly dashboardUrl: string;
  /** Every alarm made so far, in data-path order (the dashboard's status widget lists them as they are added). */
  readonly alarms: IAlarm[] = [];

  private readonly pipelineName: string;
  private readonly settings: AlarmsConfig;
  /** Where logs enter: agents, receivers. */
  private readonly source = new Section();
  /** Everything after, in the order the parts are composed. */
  private readonly path = new Section();

  constructor(scope: Construct, id: string, props: PipelineMonitorProps) {
    super(scope, id);
    this.pipelineName = props.pipelineName;
    this.settings = props.alarms;
    const dashboardName = `Logtong-${props.pipelineName}`;
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName, defaultInterval: Duration.hours(3) });
    this.dashboardUrl = `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboardName}`;
    this.dashboard.addWidgets(
      new TextWidget({ markdown: `# Logtong pipeline ${props.pipelineName}\n${props.summary}`, width: 18, height: 3 }),
      // The array is read when the dashboard body is rendered (at synth), so it lists the alarms the stages add later.
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 6, height: 3 }),
    );
    this.dashboard.addWidgets(this.source);
    this.dashboard.addWidgets(this.path);
  }

  /** Fluent Bit's own counters, from the agents on the user's hosts or from the syslog receivers. */
  watchAgents(title: string, agents: AgentMetricsSource): void {
    const m = (name: string, dims: Record<string, string>) =>
      new Metric({ namespace: agents.namespace, metricName: name, dimensionsMap: dims, statistic: 'Maximum', period: Duration.minutes(5) });
    const out = agents.outputDimensions;
    const counters = agents.metrics;
    this.row(this.source, `${title} (Fluent Bit counters since each agent started; the fleet maximum)`, [
      graph('Records in / out', [m(counters.inputRecords, agents.inputDimensions), m(counters.outputProcRecords, out)]),
      graph('Retries', [m(counters.outputRetries, out), m(counters.outputRetriesFailed, out)]),
      graph('Dropped records and errors', [m(counters.outputDroppedRecords, out), m(counters.outputErrors, out)]),
    ]);
    // The counters are cumulative per agent process: DIFF of the fleet maximum is what it grew by in the period.
    const growth = (metric: Metric, label: string) => new MathExpression({ expression: 'DIFF(m)', usingMetrics: { m: metric }, label });
    this.alarm('AgentRetriesFailed', 'agentRetriesFailed', growth(m(counters.outputRetriesFailed, out), 'retries failed'), title);
    this.alarm('AgentDropped', 'agentDropped', growth(m(counters.outputDroppedRecords, out), 'dropped records'), title);
  }

  /**
   * The syslog receivers' health. They run in the shared syslog stack (so that removing a pipeline from the config
   * removes them with the next deploy), which makes their alarm: here it is found by name and graphed.
   */
  watchReceivers(): void {
    if (!this.settings.receiversUnhealthy.enabled) return;
    const stack = Stack.of(this);
    const arn = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: pipelineAlarmName(this.pipelineName, RECEIVERS_ALARM_ID), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const alarm = Alarm.fromAlarmArn(this, 'ReceiversAlarm', arn);
    this.row(this.source, 'Syslog receivers (ECS tasks behind the load balancer, in the shared syslog stack)', [
      new AlarmWidget({ title: 'Unhealthy receiver tasks', alarm, width: 12, height: GRAPH.height }),
    ]);
    this.alarms.push(alarm);
  }

  /** The one-time scanner: what it sent to the copy queue, and a failed scan. */
  watchScanner(): void {
    const scanner = (name: MetricName, statistic = 'Sum') => this.custom(SCANNER_SERVICE, name, statistic);
    this.row(this.path, 'One-time scanner (lists the source bucket into the copy queue)', [
      graph('Objects sent', [scanner(METRIC.ObjectsSent)]),
      graph('Bytes sent', [scanner(METRIC.BytesSent)]),
      graph('Failed scans', [scanner(METRIC.ScanFailed, 'Maximum')]),
    ]);
    this.alarm('ScannerFailed', 'scannerFailed', scanner(METRIC.ScanFailed, 'Maximum'), 'One-time scanner');
  }

  /** A work queue and its dead-letter queue. */
  watchQueue(title: string, id: string, q: WatchedQueues): void {
    const visible = (queue: IQueue, label: string) => queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label });
    const age = (queue: IQueue, label: string) => queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', label });
    this.row(this.path, title, [
      graph('Messages waiting', [visible(q.queue, 'queue'), q.queue.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum', label: 'in flight' })]),
      graph('Oldest message (s)', [age(q.queue, 'queue'), age(q.deadLetterQueue, 'dead-letter queue')]),
      graph('Dead letters waiting', [visible(q.deadLetterQueue, 'dead-letter queue')]),
    ]);
    const minutes = 60;
    const unlabelled = (queue: IQueue) => queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' });
    this.alarm(`${id}OldestMessage`, 'oldestMessage', unlabelled(q.queue), title, minutes);
    this.alarm(`${id}DeadLetterAge`, 'oldestMessage', unlabelled(q.deadLetterQueue), `${title}, its dead-letter queue`, minutes);
  }

  /** A Lambda function: invocations, errors, throttles, duration, concurrency; its error-rate (and throttle) alarm. */
  watchFunction(title: string, id: string, fn: LogtongFunction, opts: { readonly throttles?: boolean } = {}): void {
    const sum = { statistic: 'Sum' };
    this.row(this.path, `${title} (function)`, [
      graph('Invocations, errors, throttles', [fn.metricInvocations(sum), fn.metricErrors(sum), fn.metricThrottles(sum)]),
      graph('Duration (ms)', [fn.metricDuration({ statistic: 'p50', label: 'p50' }), fn.metricDuration({ statistic: 'p99', label: 'p99' }), fn.metricDuration({ statistic: 'Maximum', label: 'max' })]),
      graph('Concurrent executions', [fn.metric('ConcurrentExecutions', { statistic: 'Maximum' })]),
    ]);
    const rate = new MathExpression({
      expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
      usingMetrics: { errors: fn.metricErrors(sum), invocations: fn.metricInvocations(sum) },
      label: 'error rate (%)',
    });
    this.alarm(`${id}ErrorRate`, 'errorRate', rate, `${title} (function)`);
    if (opts.throttles) this.alarm(`${id}Throttles`, 'throttles', fn.metricThrottles(sum), `${title} (function)`);
  }

  /** The OpenSearch processor's accounting: every record indexed, a duplicate, filtered, backed up or deferred. */
  watchIndexing(fn: LogtongFunction): void {
    const m = (name: MetricName) => this.custom(fn.serviceName, name, 'Sum', name);
    this.row(this.path, 'Records (RecordsIn = Indexed + Duplicates + Filtered + BackedUp + Deferred)', [
      graph('Records in and indexed', [m(METRIC.RecordsIn), m(METRIC.Indexed), m(METRIC.Duplicates)], 12),
      graph('Filtered, backed up, deferred', [m(METRIC.Filtered), m(METRIC.BackedUp), m(METRIC.Deferred)]),
      graph('Unbalanced units', [this.custom(fn.serviceName, METRIC.Unbalanced, 'Maximum')]),
    ]);
    this.accountingAlarms(fn, 'Processor');
  }

  /** The Light Engine convert's accounting and the Parquet files it writes. */
  watchConversion(fn: LogtongFunction): void {
    const m = (name: MetricName) => this.custom(fn.serviceName, name, 'Sum', name);
    this.row(this.path, 'Records (RecordsIn = Written + Filtered + BackedUp)', [
      graph('Records in and written', [m(METRIC.RecordsIn), m(METRIC.Written)]),
      graph('Filtered, backed up (out of projection)', [m(METRIC.Filtered), m(METRIC.BackedUp), m(METRIC.OutOfProjection)]),
      graph('Parquet files written', [m(METRIC.FilesWritten)]),
      graph('Unbalanced batches', [this.custom(fn.serviceName, METRIC.Unbalanced, 'Maximum')]),
    ]);
    this.accountingAlarms(fn, 'Light Engine convert');
  }

  /** Compaction: files merged and written. */
  watchCompaction(fn: LogtongFunction): void {
    const m = (name: MetricName) => this.custom(fn.serviceName, name, 'Sum', name);
    this.row(this.path, 'Compaction (small Parquet files merged per partition)', [graph('Files merged and written', [m(METRIC.FilesCompacted), m(METRIC.CompactedFilesWritten)], 12)]);
  }

  /** A Step Functions state machine's runs; failed, timed-out and aborted runs alarm. */
  watchRuns(title: string, id: string, stateMachine: IStateMachine): void {
    const sum = { statistic: 'Sum' };
    const failed = stateMachine.metricFailed(sum);
    const timedOut = stateMachine.metricTimedOut(sum);
    const aborted = stateMachine.metricAborted(sum);
    this.row(this.path, `${title} (Step Functions runs)`, [
      graph('Runs', [stateMachine.metricStarted(sum), stateMachine.metricSucceeded(sum)]),
      graph('Failed, timed out, aborted', [failed, timedOut, aborted]),
      graph('Run time (ms)', [stateMachine.metricTime({ statistic: 'Maximum' })]),
    ]);
    const bad = new MathExpression({ expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)', usingMetrics: { failed, timedOut, aborted }, label: 'runs not succeeded' });
    this.alarm(`${id}Failed`, 'lightEngineFailed', bad, title);
  }

  /** The agents' Kinesis stream and the processor reading it. */
  watchStream(stream: IStream, fn: LogtongFunction): void {
    const sum = { statistic: 'Sum' };
    const writeThrottled = stream.metricWriteProvisionedThroughputExceeded(sum);
    const iteratorAge = fn.metric('IteratorAge', { statistic: 'Maximum', label: 'processor iterator age (ms)' });
    this.row(this.path, 'Kinesis buffer (the agents write, the processor reads)', [
      graph('Incoming records', [stream.metricIncomingRecords(sum)]),
      graph('Processor lag (ms)', [iteratorAge, stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum' })]),
      graph('Throttled writes and reads', [writeThrottled, stream.metricReadProvisionedThroughputExceeded(sum)]),
    ]);
    this.alarm('IteratorAge', 'iteratorAge', fn.metric('IteratorAge', { statistic: 'Maximum' }), 'Kinesis processor', 60_000);
    this.alarm('StreamWriteThrottles', 'throttles', writeThrottled, 'Kinesis buffer');
  }

  /** The dead-letter backup: messages that exhausted their deliveries, now in the backup bucket. */
  watchDeadLetterBackup(fn: LogtongFunction): void {
    const deadLetters = this.custom(fn.serviceName, METRIC.DeadLetters, 'Sum');
    this.row(this.path, 'Dead letters (messages that exhausted their deliveries, written to the backup bucket)', [graph('Dead letters backed up', [deadLetters], 12)]);
    this.alarm('DeadLetters', 'deadLetters', deadLetters, 'Dead-letter backup');
  }

  private accountingAlarms(fn: LogtongFunction, subject: string): void {
    this.alarm('RecordsBackedUp', 'backedUp', this.custom(fn.serviceName, METRIC.BackedUp, 'Sum'), subject);
    this.alarm('Unbalanced', 'unbalanced', this.custom(fn.serviceName, METRIC.Unbalanced, 'Maximum'), subject);
  }

  private custom(service: string, name: MetricName, statistic: string, label?: string): Metric {
    return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: metricDimensions(service, this.pipelineName), statistic, period: Duration.minutes(5), label });
  }

  private row(section: Section, title: string, graphs: IWidget[]): void {
    section.add(new TextWidget({ markdown: `### ${title}`, width: 24, height: 1 }));
    section.add(new Row(...graphs));
  }

  /**
   * An alarm from the pipeline's `alarms.<name>` settings, unless disabled. `scale` converts the configured threshold
   * into the metric's unit (minutes into seconds or milliseconds).
   */
  private alarm(id: string, name: AlarmName, metric: IMetric, subject: string, scale = 1): Alarm | undefined {
    const alarm = configuredAlarm(this, { id, pipelineName: this.pipelineName, name, setting: this.settings[name], metric, subject, scale });
    if (alarm) this.alarms.push(alarm);
    return alarm;
  }
}

/** The name of a pipeline's alarm `id`: what an operator sees in a notification, and how another stack finds it. */
export function pipelineAlarmName(pipelineName: string, id: string): string {
  return `Logtong-${pipelineName}-${id}`;
}

/** Id (and name suffix) of the syslog receivers' health alarm, made beside the receivers in the shared syslog stack. */
export const RECEIVERS_ALARM_ID = 'ReceiversUnhealthy';

export interface ConfiguredAlarmOptions {
  readonly id: string;
  readonly pipelineName: string;
  readonly name: AlarmName;
  /** The pipeline's `alarms.<name>`. */
  readonly setting: AlarmSetting;
  readonly metric: IMetric;
  /** The stage it watches, first words of its description. */
  readonly subject: string;
  /** Converts the configured threshold into the metric's unit (minutes into seconds or milliseconds). @default 1 */
  readonly scale?: number;
}

/** An alarm from a pipeline's `alarms.<name>` settings, described from lib/config/alarms.ts; none when disabled. */
export function configuredAlarm(scope: Construct, o: ConfiguredAlarmOptions): Alarm | undefined {
  if (!o.setting.enabled) return undefined;
  const spec = ALARMS[o.name];
  return new Alarm(scope, o.id, {
    alarmName: pipelineAlarmName(o.pipelineName, o.id),
    alarmDescription: `${o.subject}: ${spec.meaning} ${spec.action} (pipelines.yaml: alarms.${o.name})`.slice(0, 1024),
    metric: withPeriod(o.metric, Duration.minutes(o.setting.periodMinutes)),
    threshold: o.setting.threshold * (o.scale ?? 1),
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: o.setting.evaluationPeriods,
    // Idle stages publish no datapoints: no data is no problem.
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

function graph(title: string, left: IMetric[], width: number = GRAPH.width): GraphWidget {
  return new GraphWidget({ title, left, width, height: GRAPH.height });
}

function withPeriod(metric: IMetric, period: Duration): IMetric {
  return metric instanceof MathExpression || metric instanceof Metric ? metric.with({ period }) : metric;
}
