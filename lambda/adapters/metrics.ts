import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { ConvertResult } from '../core/light/batches';
import { UnbalancedCounts } from '../core/accounting';
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

/** A converted Light Engine batch: `RecordsIn = Written + Filtered + BackedUp`; `OutOfProjection` is part of `BackedUp`. */
export function addConvertMetrics(metrics: Metrics, r: ConvertResult): void {
  metrics.addMetric('RecordsIn', MetricUnit.Count, r.recordsIn);
  metrics.addMetric('Written', MetricUnit.Count, r.written);
  metrics.addMetric('Filtered', MetricUnit.Count, r.filtered);
  metrics.addMetric('BackedUp', MetricUnit.Count, r.failed);
  // Records Athena's partition projection would never return, so they were backed up: widen engine.projection.
  metrics.addMetric('OutOfProjection', MetricUnit.Count, r.outOfProjection);
}

/**
 * The invariant, enforced: `Unbalanced` (0 or 1 per unit, so an alarm sees both) is emitted, and an unbalanced unit
 * throws, which keeps its message or batch for a retry (and, in the end, the dead-letter backup) instead of letting
 * it count as done.
 */
export function enforceBalance(metrics: Metrics, what: string, counts: object, balanced: boolean): void {
  metrics.addMetric('Unbalanced', MetricUnit.Count, balanced ? 0 : 1);
  if (!balanced) throw new UnbalancedCounts(what, counts);
}

/** For a step whose core enforces the balance itself (the Light Engine's convert): `Unbalanced` from its outcome. */
export async function countingUnbalanced<T>(metrics: Metrics, step: () => Promise<T>): Promise<T> {
  try {
    const r = await step();
    metrics.addMetric('Unbalanced', MetricUnit.Count, 0);
    return r;
  } catch (e) {
    if (e instanceof UnbalancedCounts) metrics.addMetric('Unbalanced', MetricUnit.Count, 1);
    throw e;
  }
}
