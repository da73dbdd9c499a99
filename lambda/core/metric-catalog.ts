/**
 * The custom metrics Logtong's functions and the scanner task emit (Powertools EMF): namespace `Logtong`, one dimension
 * set `{service, pipeline}`. The emitters (lambda/adapters/metrics.ts, the scanner) and the dashboard and alarms
 * (lib/constructs/pipeline-monitor.ts) take every name from here, and test/integration/emitted-metrics.test.ts runs the
 * handlers with their synthesized environment and checks that every alarm of the stack watches a metric they emit:
 * an alarm on a metric nobody emits never fires.
 */
export const METRICS_NAMESPACE = 'Logtong';

/** Dimension keys: Powertools' service name, and the pipeline as a default dimension of every metric. */
export const SERVICE_DIMENSION = 'service';
export const PIPELINE_DIMENSION = 'pipeline';

/** The metric names, each with who emits it. */
export const METRIC = {
  /** Lines (records) a unit of work read: processors and the Light Engine convert. */
  RecordsIn: 'RecordsIn',
  /** Documents OpenSearch accepted (processors). */
  Indexed: 'Indexed',
  /** Documents OpenSearch already held under the same id: a redelivery (processors). */
  Duplicates: 'Duplicates',
  /** Records dropped by a filter rule. */
  Filtered: 'Filtered',
  /** Records written to the backup bucket with their raw text and a reason. */
  BackedUp: 'BackedUp',
  /** Records left for the next delivery (the OpenSearch processor's transient refusals). */
  Deferred: 'Deferred',
  /** 1 when a unit's counts did not balance (it failed instead of counting as done), else 0. */
  Unbalanced: 'Unbalanced',
  /** Rows written to Parquet (convert). */
  Written: 'Written',
  /** Of BackedUp: rows outside the Glue table's partition projection (convert). */
  OutOfProjection: 'OutOfProjection',
  /** Parquet files written by a convert. */
  FilesWritten: 'FilesWritten',
  /** Parquet files merged by compaction, and the files it wrote. */
  FilesCompacted: 'FilesCompacted',
  CompactedFilesWritten: 'CompactedFilesWritten',
  /** Dead letters the dead-letter backup wrote to the backup bucket. */
  DeadLetters: 'DeadLetters',
  /** One-time scanner: objects and bytes sent to the copy queue since the last report. */
  ObjectsSent: 'ObjectsSent',
  BytesSent: 'BytesSent',
  /** One-time scanner: 1 when the scan ended in an error, 0 when it completed or stopped cleanly. */
  ScanFailed: 'ScanFailed',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Powertools service name of a handler module (`lambda/handlers/<name>.ts`): the `service` dimension. */
export function serviceName(handlerName: string): string {
  return `logtong-${handlerName}`;
}

/** The service name of the scanner task (not a handler module). */
export const SCANNER_SERVICE = 'logtong-scanner';

/** The dimensions of every custom metric a service of a pipeline emits. */
export function metricDimensions(service: string, pipeline: string): Record<string, string> {
  return { [SERVICE_DIMENSION]: service, [PIPELINE_DIMENSION]: pipeline };
}
