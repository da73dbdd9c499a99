/**
 * What the pipeline monitor reads about the agents' and receivers' Fluent Bit counters: the metrics the agent-metrics
 * log group's metric filters publish (lib/agent/agent-metrics.ts, created by AgentConfig).
 */
import { AGENT_METRICS_NAMESPACE, AGENT_METRIC_NAMES, agentMetricDimensions } from '../../agent/agent-metrics';

export interface AgentMetricsSource {
  /** CloudWatch namespace of the counters. */
  readonly namespace: string;
  /** Metric names. */
  readonly metrics: {
    readonly inputRecords: string;
    readonly outputProcRecords: string;
    readonly outputRetries: string;
    readonly outputRetriesFailed: string;
    readonly outputDroppedRecords: string;
    readonly outputErrors: string;
  };
  /** The exact dimensions of the inputs' counters. */
  readonly inputDimensions: Record<string, string>;
  /** The exact dimensions of the main output's counters. */
  readonly outputDimensions: Record<string, string>;
}

export function agentMetricsSource(pipelineName: string): AgentMetricsSource {
  const dimensions = agentMetricDimensions(pipelineName);
  return { namespace: AGENT_METRICS_NAMESPACE, metrics: AGENT_METRIC_NAMES, inputDimensions: dimensions, outputDimensions: dimensions };
}
