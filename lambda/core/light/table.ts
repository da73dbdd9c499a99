/**
 * The Light Engine table of a log format: its columns (shared by the Parquet writer and the Glue table) and how a
 * parsed document becomes a row. Access-log, syslog and text formats have a closed set of fields; JSON lines do not,
 * so their keys outside the declared fields are kept as one JSON text column rather than dropped.
 */
import type { LogFormat } from '../config/log-format';
import { TIMESTAMP_FIELD, type FieldTypes } from '../fields';
import { flattenObject } from '../formats/json';
import { tableColumns, type Column } from '../parquet/columns';

/** Column of a JSON record's undeclared keys (flattened to dotted keys), as a JSON object text; null when none. */
export const EXTRA_COLUMN = 'extra';
const EXTRA_SOURCE = '\0extra';

export interface LightTable {
  readonly columns: readonly Column[];
  /** Row for the writer (values under Column.source); absent when the document already is one. */
  readonly toRow?: (doc: Record<string, unknown>) => Record<string, unknown>;
}

export function lightTable(format: Pick<LogFormat, 'type'>, fields: FieldTypes): LightTable {
  const columns = tableColumns(fields);
  if (format.type !== 'json') return { columns };
  let name = EXTRA_COLUMN;
  for (let n = 2; columns.some((c) => c.name === name); n++) name = `${EXTRA_COLUMN}_${n}`;
  const declared = columns.map((c) => c.source);
  const all = [...columns, { name, source: EXTRA_SOURCE, type: 'string' as const, fieldType: 'object' as const }];
  return {
    columns: all,
    toRow(doc) {
      const flat = flattenObject(doc);
      const row: Record<string, unknown> = {};
      for (const source of declared) {
        row[source] = flat[source];
        delete flat[source];
      }
      delete flat[TIMESTAMP_FIELD];
      row[EXTRA_SOURCE] = Object.keys(flat).length > 0 ? JSON.stringify(flat) : null;
      return row;
    },
  };
}
