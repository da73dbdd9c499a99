import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { ConvertResult } from '../core/light/batches';
import type { CompactResult } from '../core/light/compaction';
import { METRIC, type MetricName } from '../core/metric-catalog';
import { UnbalancedCounts } from '../core/accounting';
import type { ObjectCounts } from '../core/process-object';

/** Counts, each as a metric of its name. */
function addCounts(metrics: Metrics, counts: Partial<Record<MetricName, number>>): void {
  for (const [name, value] of Object.entries(counts)) metrics.addMetric(name, MetricUnit.Count, value);
}

/** The counts that must balance (`RecordsIn = Indexed + Duplicates + Filtered + BackedUp + Deferred`), as metrics. */
export function addIndexingMetrics(metrics: Metrics, c: ObjectCounts): void {
  addCounts(metrics, { RecordsIn: c.recordsIn, Indexed: c.indexed, Duplicates: c.duplicates, Filtered: c.filtered, BackedUp: c.backedUp, Deferred: c.deferred });
}

/**
 * A converted Light Engine batch: `RecordsIn = Written + Filtered + BackedUp`. `OutOfProjection` is part of `BackedUp`:
 * records Athena's partition projection would never return, so they were backed up (widen engine.projection).
 */
export function addConvertMetrics(metrics: Metrics, r: ConvertResult): void {
  addCounts(metrics, { RecordsIn: r.recordsIn, Written: r.written, Filtered: r.filtered, BackedUp: r.failed, OutOfProjection: r.outOfProjection, FilesWritten: r.files });
}

/** A compacted partition: the small files merged and the files that replaced them. */
export function addCompactionMetrics(metrics: Metrics, r: CompactResult): void {
  addCounts(metrics, { FilesCompacted: r.filesIn, CompactedFilesWritten: r.merges });
}

/**
 * The invariant, enforced: `Unbalanced` (0 or 1 per unit, so an alarm sees both) is emitted, and an unbalanced unit
 * throws, which keeps its message or batch for a retry (and, in the end, the dead-letter backup) instead of letting
 * it count as done.
 */
export function enforceBalance(metrics: Metrics, what: string, counts: object, balanced: boolean): void {
  metrics.addMetric(METRIC.Unbalanced, MetricUnit.Count, balanced ? 0 : 1);
  if (!balanced) throw new UnbalancedCounts(what, counts);
}

/** For a step whose core enforces the balance itself (the Light Engine's convert): `Unbalanced` from its outcome. */
export async function countingUnbalanced<T>(metrics: Metrics, step: () => Promise<T>): Promise<T> {
  try {
    const r = await step();
    metrics.addMetric(METRIC.Unbalanced, MetricUnit.Count, 0);
    return r;
  } catch (e) {
    if (e instanceof UnbalancedCounts) metrics.addMetric(METRIC.Unbalanced, MetricUnit.Count, 1);
    throw e;
  }
}
