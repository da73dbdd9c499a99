/**
 * The Light Engine's table shape: one list of columns derived from a parser's field types, used for the Parquet
 * schema the converter writes and for the Glue table Athena reads, so the two cannot drift apart.
 */
import { TIMESTAMP_FIELD, type FieldType, type FieldTypes } from '../fields';

/** Physical/logical type of a column, named after the Glue/Athena type it becomes. */
export type ColumnType = 'string' | 'int' | 'bigint' | 'float' | 'double' | 'boolean' | 'timestamp';

export interface Column {
  /** Athena-safe column name: lowercase letters, digits and `_` (Athena/Glue reject anything else unquoted). */
  readonly name: string;
  /** Key of the value in a parsed document (`@timestamp`, `request_uri`, `kubernetes.pod` for a kept nested path…). */
  readonly source: string;
  readonly type: ColumnType;
  /** Field type it came from; `object` values are written as JSON text. */
  readonly fieldType: FieldType;
}

/** Column of the record's own time (`@timestamp` in documents): a UTC timestamp in milliseconds. */
export const TIME_COLUMN = 'event_time';

/** Hive partition keys, in path order: `event_hour=YYYYMMDDHH/region=<region>/`. */
export const PARTITION_KEYS = ['event_hour', 'region'] as const;

const COLUMN_TYPE: Record<FieldType, ColumnType> = {
  keyword: 'string',
  text: 'string',
  ip: 'string',
  object: 'string',
  integer: 'int',
  long: 'bigint',
  float: 'float',
  double: 'double',
  boolean: 'boolean',
  date: 'timestamp',
};

/** `Request-URI.Path` → `request_uri_path`; a leading digit or empty name gets a `f_` prefix. */
export function columnName(field: string): string {
  const name = field.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[a-z_]/.test(name) ? name : `f_${name}`;
}

/**
 * Columns for a parser's field types: the time column first, then the others sorted by name. Names that collide after
 * sanitising get `_2`, `_3`… in that order, and the partition keys are never column names (they live in the path).
 */
export function tableColumns(fields: FieldTypes): Column[] {
  const taken = new Set<string>(PARTITION_KEYS);
  taken.add(TIME_COLUMN);
  const columns: Column[] = [{ name: TIME_COLUMN, source: TIMESTAMP_FIELD, type: 'timestamp', fieldType: 'date' }];
  for (const source of Object.keys(fields).filter((f) => f !== TIMESTAMP_FIELD).sort()) {
    const base = columnName(source);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    const fieldType = fields[source];
    columns.push({ name, source, type: COLUMN_TYPE[fieldType], fieldType });
  }
  return columns;
}
