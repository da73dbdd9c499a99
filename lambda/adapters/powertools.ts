/**
 * What every handler shares, created once per cold start as in Powertools' example app: the Logger, the Metrics and
 * the two shapes of entry point Logtong has (an SQS batch with per-message failures; one event in, one result out).
 *
 * No pipeline config here: the functions deployed without RUNTIME_CONFIG (copy, backup, the list steps, the Kinesis
 * on-failure handler) import this module alone, which keeps zod and the parsers out of their bundles
 * (pipeline-runtime.ts brings those, and re-exports all of this).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { METRICS_NAMESPACE, PIPELINE_DIMENSION } from '../core/metric-catalog';

export const logger = new Logger();
/**
 * The pipeline is a default dimension of every metric, beside Powertools' `service`: each pipeline's dashboard and
 * alarms watch its own functions, which share their service names with every other pipeline's (metric-catalog.ts).
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  ...(process.env.PIPELINE_NAME ? { defaultDimensions: { [PIPELINE_DIMENSION]: process.env.PIPELINE_NAME } } : {}),
});

export interface EntryOptions {
  /** Publish the metrics the invocation stored, whatever its outcome. @default false */
  readonly metrics?: boolean;
}

/** One event in, one result out (Step Functions tasks, the Kinesis mapping), with the invocation's context logged. */
export function entryPoint<E, R>(fn: (event: E, context: Context) => Promise<R>, opts: EntryOptions = {}): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.addContext(context);
    try {
      return await fn(event, context);
    } finally {
      if (opts.metrics) metrics.publishStoredMetrics();
    }
  };
}

/**
 * An SQS-triggered handler that answers per message (ReportBatchItemFailures): a message whose `onRecord` throws
 * comes back alone after its visibility timeout, the others are done.
 */
export function sqsEntryPoint(onRecord: (record: SQSRecord, context?: Context) => Promise<void>, opts: EntryOptions = {}): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return entryPoint((event: SQSEvent, context) => processPartialResponse(event, onRecord, processor, { context }), opts);
}
