/**
 * The `event_hour` partitions Athena projects, and the converter's side of the same range. A record written to an hour
 * the projection does not cover exists in S3 yet no query ever returns it, so the converter backs such a record up with
 * a reason instead of writing it (convertBatch, `projection`). Both sides compute from here: the Glue table parameters
 * (lib/constructs/glue-table.ts) and the converter's check, from the one `engine.projection` of the pipeline.
 *
 * The range is a fixed first hour and a relative end, `<fromHour>,NOW+<futureHours>HOURS`:
 * - The start is never relative. `NOW-10YEARS` moves forward every hour, so a row written inside it would drop out of
 *   every query later while its file still exists — the invisibility this range exists to prevent.
 * - The end is always relative: a fixed end would hide every hour after it. Athena evaluates NOW when a query runs
 *   (in UTC), never earlier than the conversion, so a record accepted because its hour is at most
 *   `conversion time + futureHours` stays inside the range of every later query.
 *
 * Athena's syntax for a relative bound (partition projection, "Supported types for partition projection", date type):
 * `\s*NOW\s*(([\+\-])\s*([0-9]+)\s*(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?)\s*)?`, e.g. `NOW+24HOURS`.
 */

/** Partition projection format of `event_hour`: the converter writes `event_hour=YYYYMMDDHH` (UTC). */
export const EVENT_HOUR_FORMAT = 'yyyyMMddHH';

export interface ProjectionRange {
  /** First projected hour, UTC `YYYYMMDDHH`. */
  readonly fromHour: string;
  /** Hours after the query's NOW that are projected too: clock skew, lines stamped in a later time zone. */
  readonly futureHours: number;
}

/**
 * From 2000: any archive a user is likely to load (the integration corpus is from 2015), and about 236,000 hourly
 * partitions at the end of 2026, under MAX_PARTITIONS_PER_QUERY until 2114. 1970 would be twice as many, and
 * pre-2000 times are mostly broken clocks (epoch 0), which the backup bucket reports better than a 1970 partition.
 * Up to 24 hours ahead: the widest time-zone offset (+14:00) of a local time read as UTC, plus skew.
 */
export const DEFAULT_PROJECTION: ProjectionRange = { fromHour: '2000010100', futureHours: 24 };

/**
 * "Although Athena supports querying AWS Glue tables that have 10 million partitions, Athena cannot read more than
 * 1 million partitions in a single scan" (Athena User Guide, Service Quotas, "Databases, tables, and partitions").
 * Projection generates partition values when a query runs, from "the conditions on the partition key in combination
 * with the range" (Athena User Guide, partition projection, "How to use the date type"): a query that restricts
 * `event_hour` reads only those hours, one without (a whole-table scan) every projected hour × region.
 */
export const MAX_PARTITIONS_PER_QUERY = 1_000_000;

/** A year ahead is already far beyond any clock skew; more only adds empty partitions to every whole-table query. */
export const MAX_FUTURE_HOURS = 8760;

/** How far ahead the partition count is checked: a table valid today must not break unfiltered queries soon after. */
export const PROJECTION_HEADROOM_YEARS = 10;

const HOUR_MS = 3_600_000;
const EVENT_HOUR = /^(\d{4})(\d{2})(\d{2})(\d{2})$/;

/** `projection.event_hour.range` of the Glue table. */
export function athenaRange(r: ProjectionRange): string {
  return `${r.fromHour},${r.futureHours === 0 ? 'NOW' : `NOW+${r.futureHours}HOURS`}`;
}

/** A real UTC hour written `YYYYMMDDHH` (no 24th hour, no 30 February). */
export function isEventHour(value: string): boolean {
  const m = EVENT_HOUR.exec(value);
  if (!m) return false;
  const [y, mo, d, h] = m.slice(1).map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCHours() === h;
}

/** The UTC hour of an instant, `YYYYMMDDHH`. */
export function hourOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');
}

function hourStartMs(hour: string): number {
  const [y, mo, d, h] = EVENT_HOUR.exec(hour)!.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h);
}

/** The hours a query at `nowMs` projects, first and last inclusive. */
export interface ProjectionWindow {
  readonly first: string;
  readonly last: string;
  /** The configured range, for messages: `2000010100,NOW+24HOURS`. */
  readonly range: string;
}

export function projectionWindow(r: ProjectionRange, nowMs: number): ProjectionWindow {
  return { first: r.fromHour, last: hourOf(nowMs + r.futureHours * HOUR_MS), range: athenaRange(r) };
}

/**
 * Why a record of `hour` would be invisible to Athena, or undefined when the window covers it. Hours are fixed-width
 * digit strings, so string order is time order; anything else (a year past 9999 gives `+010000-…` ISO text) is not an
 * hour Athena could project at all.
 */
export function projectionMiss(hour: string, w: ProjectionWindow): string | undefined {
  const setting = `(engine.projection; the table projects ${w.range})`;
  if (!EVENT_HOUR.test(hour)) return `record time has no projectable hour "${hour}": Athena would never return it ${setting}`;
  if (hour < w.first) return `event hour ${hour} is before the first projected hour ${w.first}: Athena would never return it ${setting}`;
  if (hour > w.last) return `event hour ${hour} is after the last projected hour ${w.last} at conversion: Athena would not return it ${setting}`;
  return undefined;
}

/** Partitions a query without an `event_hour` restriction reads at `atMs`: projected hours × regions. */
export function projectedPartitions(r: ProjectionRange, atMs: number, regions = 1): number {
  const w = projectionWindow(r, atMs);
  const hours = (hourStartMs(w.last) - hourStartMs(w.first)) / HOUR_MS + 1;
  return Math.max(0, hours) * regions;
}

/**
 * The partition limit, checked PROJECTION_HEADROOM_YEARS after `nowMs`: a message when a whole-table query would read
 * more partitions than Athena allows by then, else undefined.
 */
export function partitionLimitProblem(r: ProjectionRange, nowMs: number, regions = 1): string | undefined {
  const at = nowMs + PROJECTION_HEADROOM_YEARS * 365.25 * 24 * HOUR_MS;
  const n = projectedPartitions(r, at, regions);
  if (n <= MAX_PARTITIONS_PER_QUERY) return undefined;
  const per = regions === 1 ? 'hourly partitions' : `hourly partitions × ${regions} regions`;
  // The first whole day from which the count stays within the limit.
  const lastMs = hourStartMs(projectionWindow(r, at).last);
  const earliest = new Date(lastMs - (Math.floor(MAX_PARTITIONS_PER_QUERY / regions) - 1) * HOUR_MS + 24 * HOUR_MS - 1).toISOString().slice(0, 10);
  return (
    `projects ${n} ${per} by ${hourOf(at).slice(0, 4)}, and a query without an event_hour filter reads every one: ` +
    `Athena reads at most ${MAX_PARTITIONS_PER_QUERY} partitions per query; start on ${earliest} or later`
  );
}
