/**
 * Streaming Parquet writer for the Light Engine: documents go in one at a time, a row group is encoded and handed to
 * the sink every `rowGroupRows` rows, and `close()` writes the footer. Memory is one row group of column values plus
 * the encoded bytes of that row group, whatever the size of the input.
 *
 * Encoding: our own row-group encoder on hyparquet-writer's low-level pieces (page headers, footer thrift, RLE/bit
 * packing, Snappy: pure JS, no native code). Per column chunk: a dictionary (strings, INT32) built while rows are
 * appended and kept when it is smaller than plain encoding (low-cardinality strings get it; it is given up past
 * 64k distinct values / 1 MiB), V1 data pages of ~1 MiB (the page version every reader, Athena's included, reads),
 * Snappy, min/max + null-count statistics (strings truncated to 64 bytes), no page indexes. Chosen by benchmark over
 * hyparquet-writer's own ParquetWriter, parquet-wasm and parquetjs-lite (bench/light-engine.ts).
 *
 * Pieces: schema.ts (columns → Parquet schema), values.ts (a document's values → column values), column-buffer.ts
 * (one column's values of the row group being filled, with its dictionary), column-chunk.ts + page-bytes.ts (a
 * column chunk's pages, encoded), and here the file: row groups to the sink, then the footer.
 */
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { ColumnBuffer } from './column-buffer';
import { writeChunk } from './column-chunk';
import type { Column } from './columns';
import { PageBytes } from './page-bytes';
import { parquetSchema, type ColumnChunk, type FileMetaData, type RowGroup } from './schema';

export interface ParquetSink {
  write(chunk: Uint8Array): void | Promise<void>;
}

export interface ParquetWriterOptions {
  /** rows per row group */
  rowGroupRows?: number;
}

export interface RowWriter {
  /** Adds one parsed document (values read under Column.source); returns a promise only when it flushed a row group to the sink (await it then). */
  append(doc: Record<string, unknown>): void | Promise<void>;
  readonly rows: number;
  /** Writes the last row group and the footer; no appends after. */
  close(): Promise<{ rows: number; bytes: number }>;
}

/**
 * Default rows per row group. 128k nginx rows is ~30 MiB raw and ~1 MiB of Parquet; the writer's buffers for it
 * (typed arrays + dictionaries) stay small, and a 2 GiB object streams at < 200 MB RSS (bench/light-engine.ts).
 * Compaction rewrites partitions into ~128 MiB files with bigger row groups (pass rowGroupRows).
 */
export const DEFAULT_ROW_GROUP_ROWS = 131_072;

/** `created_by` in the footer. Must parse as `<app> version <v> (build <b>)`: parquet-mr/Trino ignore the string
 * statistics of files whose `created_by` does not parse. */
export const CREATED_BY = 'logtong version 0.1.0 (build hyparquet-writer 0.17)';

/** Byte-array min/max statistics are truncated to this many bytes (rounded up for max). */
const STATS_TRUNCATE = 64;

/**
 * hyparquet-writer's ByteWriter whose bytes go to the sink after each row group (`flush`) and at the end (`finish`)
 * instead of growing one buffer for the whole file. `offset` stays the absolute file offset.
 */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: ParquetSink) {
    super(1 << 20);
  }

  flush(): void | Promise<void> {
    if (this.index === 0) return;
    // A copy: the sink may keep the chunk (multipart upload parts) while this buffer is reused.
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.sink.write(chunk);
  }

  finish(): void | Promise<void> {
    return this.flush();
  }
}

export function createParquetWriter(columns: readonly Column[], sink: ParquetSink, opts: ParquetWriterOptions = {}): RowWriter {
  const rowGroupRows = opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1) throw new Error(`rowGroupRows must be a positive integer, got ${rowGroupRows}`);
  if (columns.length === 0) throw new Error('a Parquet file needs at least one column');
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) throw new Error(`duplicate column name ${c.name}`);
    names.add(c.name);
  }

  const schema = parquetSchema(columns);
  const out = new SinkWriter(sink);
  const page = new PageBytes(1 << 16);
  // buffers start small and double up to a row group: a file of a few rows (an hour with little traffic, one of
  // many files open at once) holds little memory
  let capacity = Math.min(rowGroupRows, 1024);
  const buffers = columns.map((c, j) => new ColumnBuffer(c, schema[j + 1], capacity));
  // One generated function per file: named property loads and direct calls per column, where a loop over
  // doc[sources[j]] would be a megamorphic keyed load per value.
  const addRow = new Function(
    'B',
    `"use strict";\nreturn function addRow(doc, row) {\n${columns.map((c, j) => `  B[${j}].${buffers[j].adder}(row, doc[${JSON.stringify(c.source)}]);`).join('\n')}\n};`,
  )(buffers) as (doc: Record<string, unknown>, row: number) => void;
  const rowGroups: RowGroup[] = [];
  let pending = 0;
  let rows = 0;
  let closed = false;
  out.appendUint32(0x31524150); // PAR1

  const flushGroup = (): void | Promise<void> => {
    const start = out.offset;
    const chunks: ColumnChunk[] = [];
    let totalBytes = 0n;
    for (const b of buffers) {
      const chunk = writeChunk(out, page, b, pending);
      totalBytes += chunk.meta_data!.total_uncompressed_size;
      chunks.push(chunk);
      b.reset(chunk.meta_data!.dictionary_page_offset !== undefined);
    }
    rowGroups.push({
      columns: chunks,
      total_byte_size: totalBytes,
      num_rows: BigInt(pending),
      file_offset: BigInt(start),
      total_compressed_size: BigInt(out.offset - start),
    });
    pending = 0;
    return out.flush();
  };

  return {
    append(doc: Record<string, unknown>): void | Promise<void> {
      if (closed) throw new Error('append after close');
      const row = pending;
      if (row === capacity) {
        capacity = Math.min(rowGroupRows, capacity * 2);
        for (const b of buffers) b.grow(capacity);
      }
      addRow(doc, row);
      rows++;
      if (++pending >= rowGroupRows) return flushGroup();
    },
    get rows() {
      return rows;
    },
    async close() {
      if (closed) throw new Error('close called twice');
      closed = true;
      if (pending > 0) await flushGroup();
      const metadata: FileMetaData = {
        version: 1,
        schema,
        num_rows: BigInt(rows),
        row_groups: rowGroups,
        created_by: CREATED_BY,
        metadata_length: 0,
      };
      delete (metadata as Partial<FileMetaData>).metadata_length;
      writeMetadata(out, metadata, STATS_TRUNCATE);
      out.appendUint32(0x31524150); // PAR1
      await out.finish();
      return { rows, bytes: out.offset };
    },
  };
}
