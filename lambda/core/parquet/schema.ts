/**
 * The Parquet schema of a table's columns (every column OPTIONAL):
 *   string    BYTE_ARRAY UTF8 (logical STRING)       int     INT32
 *   bigint    INT64                                   float   FLOAT         double  DOUBLE
 *   boolean   BOOLEAN
 *   timestamp INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true) (+ converted type TIMESTAMP_MILLIS for older readers)
 */
import type { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { Column } from './columns';

// hyparquet-writer pins its own hyparquet (types differ in detail from the reader's): take its types.
export type FileMetaData = Parameters<typeof writeMetadata>[1];
export type RowGroup = FileMetaData['row_groups'][number];
export type ColumnChunk = RowGroup['columns'][number];
export type SchemaElement = FileMetaData['schema'][number];
export type Encoding = ColumnChunk extends { meta_data?: { encodings: (infer E)[] } } ? E : never;
export type Statistics = NonNullable<NonNullable<ColumnChunk['meta_data']>['statistics']>;

/** The Parquet schema element of a column. */
export function schemaElement(column: Column): SchemaElement {
  const name = column.name;
  const repetition_type = 'OPTIONAL' as const;
  switch (column.type) {
    case 'string':
      return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type };
    case 'int':
      return { name, type: 'INT32', repetition_type };
    case 'bigint':
      return { name, type: 'INT64', repetition_type };
    case 'float':
      return { name, type: 'FLOAT', repetition_type };
    case 'double':
      return { name, type: 'DOUBLE', repetition_type };
    case 'boolean':
      return { name, type: 'BOOLEAN', repetition_type };
    case 'timestamp':
      return {
        name,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type,
      };
  }
}

/** The whole file schema: root + one element per column. */
export function parquetSchema(columns: readonly Column[]): SchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.map(schemaElement)];
}
