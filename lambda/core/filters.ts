/**
 * Record filters from `logFormat.filters`, compiled once.
 *
 * - include: a record is kept only if every condition matches;
 * - exclude: a record is dropped if any condition matches;
 * - a condition matches when its field is present (not undefined or null) and its regex matches the value as a
 *   string (numbers and booleans via String(), objects via JSON); for an array, when any element matches;
 * - a missing field matches nothing: an include condition on it drops the record, an exclude condition keeps it.
 * Fields are dotted paths: an own key with that exact name first (flattened JSON), else nested objects.
 */
import type { LogFormat } from './config/log-format';
import { getPath } from './formats/json';

export type RecordFilter = (doc: Record<string, unknown>) => boolean;

type Condition = { field: string; regex: string };

const keepAll: RecordFilter = () => true;

function compileCondition(c: Condition): RecordFilter {
  let re: RegExp;
  try {
    re = new RegExp(c.regex);
  } catch (e) {
    throw new Error(`filter on ${c.field}: invalid regex ${JSON.stringify(c.regex)} (${(e as Error).message})`);
  }
  const test = (v: unknown): boolean => {
    if (v === undefined || v === null) return false;
    if (typeof v === 'string') return re.test(v);
    if (Array.isArray(v)) return v.some(test);
    return re.test(typeof v === 'object' ? JSON.stringify(v) : String(v));
  };
  const field = c.field;
  return (doc) => test(getPath(doc, field));
}

/** `(doc) => keep?`; with no conditions the same always-true function (`isKeepAll` tells it apart). */
export function compileFilters(filters: LogFormat['filters'] | undefined): RecordFilter {
  const include = (filters?.include ?? []).map(compileCondition);
  const exclude = (filters?.exclude ?? []).map(compileCondition);
  if (include.length === 0 && exclude.length === 0) return keepAll;
  return (doc) => {
    for (let i = 0; i < include.length; i++) if (!include[i](doc)) return false;
    for (let i = 0; i < exclude.length; i++) if (exclude[i](doc)) return false;
    return true;
  };
}

/** True for the filter of an empty configuration: callers may skip calling it. */
export function isKeepAll(filter: RecordFilter): boolean {
  return filter === keepAll;
}
