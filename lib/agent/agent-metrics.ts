/**
 * The agents' own counters in CloudWatch: every generated Fluent Bit configuration (EC2 and EKS agents, the ECS syslog
 * receivers) scrapes Fluent Bit's internal metrics (`fluentbit_metrics` input) and writes them with the
 * `cloudwatch_logs` output as plain JSON log events into one log group per pipeline; the pipeline stack's metric
 * filters on that group (AgentConfig, `agentMetricFilters`) turn them into CloudWatch metrics in Logtong's namespace.
 * Pure: the CDK side (log group, filters, grants, dashboards, alarms) and the generator all read the names from here,
 * so what the dashboards and alarms ask for is what the filters publish from what the agents write.
 *
 * Why metric filters and not the events' embedded-metric-format (EMF) directive: Fluent Bit's EMF encoder writes
 * `"Unit":"Counter"` (cmetrics' CMT_EMF_UNIT_COUNTER), which is not a CloudWatch unit, so CloudWatch would most likely
 * refuse to extract those metrics (AWS/Logs EMFValidationErrors) and an alarm on them would never fire. The output
 * therefore sends no `log_format` (no `x-amzn-logs-format` header). The events still carry the `_aws` directive: the
 * output encodes metrics as EMF whatever log_format says (plugins/out_cloudwatch_logs/cloudwatch_api.c,
 * process_metric_events), and CloudWatch may still try to extract from it, since AWS documents the header as optional:
 * the group's AWS/Logs EMFValidationErrors may count them, or (should CloudWatch accept the unit after all) metrics
 * appear in namespace `fluentbit`. Neither touches the events the filters read, and nothing of Logtong's reads
 * namespace `fluentbit`.
 *
 * What Fluent Bit 4.2.2 writes, measured on the real binary (test/integration/fluent-bit-metrics.test.ts): one event
 * per counter and instance, with the counter's value under its full name, `name` (the plugin instance's alias) and
 * `pipeline` (a static label the generated config adds); orders-agent with its stream unreachable, 7 lines dropped:
 *   {"_aws":{"Timestamp":1796477744078,"CloudWatchMetrics":[{"Namespace":"fluentbit","Dimensions":[["name","pipeline"]],
 *    "Metrics":[{"Name":"fluentbit_output_dropped_records_total","Unit":"Counter","StorageResolution":60}]}]},
 *    "name":"logtong_out","pipeline":"orders-agent","prom_metric_type":"counter","fluentbit_output_dropped_records_total":7.0}
 * The filters keep the input(s) that read the pipeline's logs and the output into its buffer or domain, and publish
 * one metric per counter (AGENT_METRIC_NAMES) with the only dimension `pipeline`: no host or instance dimension, so the
 * number of CloudWatch metrics is six per pipeline, whatever the number of hosts, nodes or tasks.
 *
 * Reading them (for dashboards and alarms):
 * - The values are CUMULATIVE: each datapoint is the counter's total since that agent process started, not a count per
 *   period, and it starts again from 0 when the agent restarts. All agents of a pipeline publish into the same series,
 *   one datapoint per agent and scrape. Use Maximum (the fleet maximum) and its growth, DIFF of the Maximum over
 *   consecutive periods; never Sum or Average (the same total is sent every scrape).
 * - A datapoint's time is its log event's timestamp, which is the time the output put the scrape's chunk (flb_time_get
 *   in process_metric_events: the scrape plus at most one flush interval, later when the chunk was retried), NOT the
 *   `_aws.Timestamp`, which is the time the counter last changed (cmetrics keeps one timestamp per series). So every
 *   scrape adds a datapoint to the current period, also for a counter that has not changed.
 * - A syslog receiver with protocol tcp_udp has two inputs (`logtong_in_tcp`, `logtong_in_udp`) whose totals both go to
 *   AgentInputRecords: its Maximum is the larger of the two, not their sum.
 */
import { METRICS_NAMESPACE } from '../../lambda/core/metric-catalog';

/** The CloudWatch namespace the agent-metrics filters publish into: Logtong's own (its functions' metrics too). */
export const AGENT_METRICS_NAMESPACE = METRICS_NAMESPACE;

/** How often the agents scrape their counters (seconds): each scrape, one datapoint per metric and agent (per input for AgentInputRecords). */
export const AGENT_METRICS_SCRAPE_SECONDS = 60;

/**
 * The Fluent Bit counters the agents write (full names: the events' field holding the value). Nothing else is written;
 * the keys are those of AGENT_METRIC_NAMES.
 */
export const AGENT_COUNTER = {
  /** Records an input instance read (lines tailed, syslog frames received). */
  inputRecords: 'fluentbit_input_records_total',
  /** Records an output instance delivered. */
  outputProcRecords: 'fluentbit_output_proc_records_total',
  /** Flushes of an output that failed and were scheduled again. */
  outputRetries: 'fluentbit_output_retries_total',
  /** Chunks an output gave up on after its retry limit. */
  outputRetriesFailed: 'fluentbit_output_retries_failed_total',
  /** Records an output gave up on (kept on the host under storage.path/rejected, see fluent-bit-config.ts). */
  outputDroppedRecords: 'fluentbit_output_dropped_records_total',
  /** Flushes an output refused for good without retrying. */
  outputErrors: 'fluentbit_output_errors_total',
} as const;

/** The CloudWatch metric names the filters publish, one per counter of AGENT_COUNTER (same keys). */
export const AGENT_METRIC_NAMES = {
  inputRecords: 'AgentInputRecords',
  outputProcRecords: 'AgentOutputRecords',
  outputRetries: 'AgentRetries',
  outputRetriesFailed: 'AgentRetriesFailed',
  outputDroppedRecords: 'AgentDroppedRecords',
  outputErrors: 'AgentErrors',
} as const;

export type AgentCounterKey = keyof typeof AGENT_METRIC_NAMES;

/**
 * The aliases the generated configuration gives its instances: Fluent Bit's default names (`tail.0`, `s3.1`) depend
 * on the plugin and on how many instances come before, which differs by buffer and source; the filters must not.
 */
export const AGENT_INSTANCE = {
  /** The input that reads the pipeline's logs (tail, or the syslog listener). */
  input: 'logtong_in',
  /** The output into the pipeline's buffer or domain. */
  output: 'logtong_out',
  /** buffer none: the output that keeps lines the agent cannot parse in the backup bucket. */
  failed: 'logtong_failed',
  /** The metrics path itself (its input and its output). */
  metrics: 'logtong_metrics',
} as const;

/**
 * The alias of the input that reads the logs. A syslog source with protocol tcp_udp has one input per protocol, each
 * with its own name (two instances with one name would overwrite each other's counters when Fluent Bit gathers them).
 */
export function agentInputAlias(protocol?: 'tcp' | 'udp'): string {
  return protocol ? `${AGENT_INSTANCE.input}_${protocol}` : AGENT_INSTANCE.input;
}

/** The log group the agents of a pipeline write their metrics to; the pipeline stack creates it. */
export function agentMetricsLogGroupName(pipelineName: string): string {
  return `/logtong/${pipelineName}/agent-metrics`;
}

/** The exact dimensions of every agent metric of a pipeline: the pipeline only (all agents in one series). */
export function agentMetricDimensions(pipelineName: string): Record<string, string> {
  return { pipeline: pipelineName };
}

/** One CloudWatch Logs metric filter on the agent-metrics log group: one metric. */
export interface AgentMetricFilterSpec {
  /** Construct id of the filter. */
  readonly id: string;
  /** Of AGENT_METRIC_NAMES. */
  readonly metricName: string;
  /** CloudWatch Logs JSON filter pattern. */
  readonly filterPattern: string;
  /** The counter's field (`$.<counter>`). */
  readonly metricValue: string;
  /** Dimension name → the event field it takes its value from. */
  readonly dimensions: Record<string, string>;
  readonly unit: 'Count';
}

/**
 * The metric filters of a pipeline's agent-metrics log group, one per counter. Each pattern (CloudWatch Logs JSON
 * filter syntax, FilterAndPatternSyntax) requires:
 * - `$.pipeline` equal to the pipeline: CloudWatch takes the dimension's value from that field, so every datapoint
 *   lands in the series the alarms read (`agentMetricDimensions`), and an event without it publishes nothing;
 * - `$.name` one of the instances the counter is read from, by exact alias (no wildcard: `logtong_in*` would also take
 *   a buffer-none pipeline's rewrite_tag emitter, an input named `logtong_<pipeline>_failed`, when the pipeline's name
 *   starts with `in`): the input counter from every input that reads the logs (`logtong_in`, or `logtong_in_tcp` and
 *   `logtong_in_udp`), the output counters from the output into the buffer or domain only;
 * - the counter's field present (`= *`, as CloudWatch documents for a field the metric value takes).
 */
export function agentMetricFilters(pipelineName: string): AgentMetricFilterSpec[] {
  const inputs = [agentInputAlias(), agentInputAlias('tcp'), agentInputAlias('udp')];
  return (Object.keys(AGENT_METRIC_NAMES) as AgentCounterKey[]).map((key) => {
    const counter = AGENT_COUNTER[key];
    const names = key === 'inputRecords' ? inputs : [AGENT_INSTANCE.output];
    const name = names.map((n) => `$.name = "${n}"`).join(' || ');
    return {
      id: AGENT_METRIC_NAMES[key],
      metricName: AGENT_METRIC_NAMES[key],
      filterPattern: `{ ($.pipeline = "${pipelineName}") && (${name}) && ($.${counter} = *) }`,
      metricValue: `$.${counter}`,
      dimensions: { pipeline: '$.pipeline' },
      unit: 'Count',
    };
  });
}

/** The tag of the metrics records: outside `logtong.<pipeline>*` and `failed.<pipeline>`, so no log filter or output matches it. */
export function agentMetricsTag(pipelineName: string): string {
  return `metrics.${pipelineName}`;
}

type PluginValue = string | number | boolean;

/**
 * The metrics path of a pipeline's Fluent Bit configuration: its input and its output. It must never hold up the log
 * path, and does not:
 * - its own tag, matched by its output only, and memory storage: it never takes a place in the filesystem buffer, its
 *   chunks, or the chunks up in memory (chunkio counts only file chunks against storage.max_chunks_up);
 * - bounded: a metrics chunk is retried twice, then dropped (a lost scrape; the next one carries the totals again), and
 *   mem_buf_limit pauses the scrapes rather than holding more while CloudWatch Logs cannot be reached; net.io_timeout
 *   ends a request that hangs;
 * - the health endpoint: Fluent Bit reports unhealthy past 5 failed retries (hc_retry_failure_count) in 60 s across all
 *   outputs; with one scrape a minute, an unreachable CloudWatch Logs adds at most about one, leaving the log outputs
 *   their margin;
 * - the agents only write: the log group exists (the stack creates it, auto_create_group stays off), and streams are
 *   named by host, so agents do not write into one another's;
 * - no `log_format`: plain JSON events for the metric filters, not EMF extraction (see the module comment).
 */
export function agentMetricsPlugins(pipelineName: string, region: string): { input: Record<string, PluginValue | { metrics: Array<Record<string, string>> }>; output: Record<string, PluginValue> } {
  const tag = agentMetricsTag(pipelineName);
  const names = Object.values(AGENT_COUNTER);
  return {
    input: {
      name: 'fluentbit_metrics',
      alias: AGENT_INSTANCE.metrics,
      tag,
      scrape_interval: AGENT_METRICS_SCRAPE_SECONDS,
      'storage.type': 'memory',
      mem_buf_limit: '1MB',
      processors: {
        metrics: [
          // Only the counters the filters read: Fluent Bit has a hundred more (per filter, storage, uptime with a
          // hostname label), each an event per scrape to ingest and, should CloudWatch extract the EMF directive
          // anyway, a metric of its own.
          { name: 'metrics_selector', metric_name: `/^(${names.join('|')})$/`, action: 'include' },
          { name: 'labels', insert: `pipeline ${pipelineName}` },
        ],
      },
    },
    output: {
      name: 'cloudwatch_logs',
      alias: AGENT_INSTANCE.metrics,
      match: tag,
      region,
      log_group_name: agentMetricsLogGroupName(pipelineName),
      // Fluent Bit fills ${HOSTNAME} itself (gethostname) when the variable is not set.
      log_stream_name: '${HOSTNAME}',
      retry_limit: 2,
      'net.io_timeout': '30s',
    },
  };
}
