import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { ConvertResult } from '../core/light/batches';
import type { ObjectCounts } from '../core/process-object';

/** The counts that must balance (`RecordsIn = Indexed + Duplicates + Filtered + BackedUp + Deferred`), as metrics. */
export function addIndexingMetrics(metrics: Metrics, counts: ObjectCounts): void {
  metrics.addMetric('RecordsIn', MetricUnit.Count, counts.recordsIn);
  metrics.addMetric('Indexed', MetricUnit.Count, counts.indexed);
  metrics.addMetric('Duplicates', MetricUnit.Count, counts.duplicates);
  metrics.addMetric('Filtered', MetricUnit.Count, counts.filtered);
  metrics.addMetric('BackedUp', MetricUnit.Count, counts.backedUp);
  metrics.addMetric('Deferred', MetricUnit.Count, counts.deferred);
}

/** A converted Light Engine batch: `RecordsIn = Written + Filtered + BackedUp`. */
export function addConvertMetrics(metrics: Metrics, r: ConvertResult): void {
  metrics.addMetric('RecordsIn', MetricUnit.Count, r.recordsIn);
  metrics.addMetric('Written', MetricUnit.Count, r.written);
  metrics.addMetric('Filtered', MetricUnit.Count, r.filtered);
  metrics.addMetric('BackedUp', MetricUnit.Count, r.failed);
}
