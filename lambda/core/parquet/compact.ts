/**
 * Compaction of one partition's small Parquet files into few large ones (pure: no S3 here).
 *
 * - planCompaction: which files to merge into which output (deterministic names, so a retried run overwrites the
 *   same output instead of creating a second copy of the rows).
 * - compactParquet: merge the inputs of one group into one file through createParquetWriter, reading each input row
 *   group by row group with hyparquet. Memory: the input being read (or only the byte ranges it fetches, for an
 *   AsyncBuffer over S3 ranged GETs), one decoded input row group, one output row group.
 */
import { createHash } from 'node:crypto';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import type { Column } from './columns';
import { createParquetWriter, type ParquetSink, type ParquetWriterOptions } from './writer';

const MiB = 1024 * 1024;

/** One input file: its bytes, or hyparquet's AsyncBuffer (`{ byteLength, slice(start, end) }`) for ranged reads. */
export type ParquetInput = Uint8Array | ArrayBuffer | AsyncBuffer;

export interface CompactionResult {
  /** input files read */
  files: number;
  /** rows in the inputs' footers */
  rowsIn: number;
  /** rows written to the output (equal to rowsIn) */
  rowsOut: number;
  /** bytes of the output file */
  bytes: number;
}

function asAsyncBuffer(input: ParquetInput): AsyncBuffer {
  if (input instanceof ArrayBuffer) return input;
  if (input instanceof Uint8Array) {
    return {
      byteLength: input.byteLength,
      slice: (start: number, end?: number) => input.buffer.slice(input.byteOffset + start, input.byteOffset + (end ?? input.byteLength)) as ArrayBuffer,
    };
  }
  return input;
}

/**
 * Merges Parquet files into one, written to `sink` with the columns given (the table's current columns): a column
 * an input lacks is null, a column the table no longer has is dropped, values are converted to the column type as
 * the writer converts parsed documents (what cannot convert is null). Inputs are read one at a time, in order, so an
 * async generator can fetch each file only when its turn comes.
 */
export async function compactParquet(
  inputs: Iterable<ParquetInput> | AsyncIterable<ParquetInput>,
  columns: readonly Column[],
  sink: ParquetSink,
  opts: ParquetWriterOptions = {},
): Promise<CompactionResult> {
  // Rows read back are keyed by column name, not by the parsed document's field name.
  const byName = columns.map((c) => ({ ...c, source: c.name }));
  const writer = createParquetWriter(byName, sink, opts);
  const wanted = new Set(columns.map((c) => c.name));
  let files = 0;
  let rowsIn = 0;
  for await (const input of inputs) {
    const file = asAsyncBuffer(input);
    const metadata = await parquetMetadataAsync(file);
    files++;
    rowsIn += Number(metadata.num_rows);
    const present = metadata.schema.slice(1).filter((e) => !e.num_children && wanted.has(e.name)).map((e) => e.name);
    let rowStart = 0;
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      if (rowEnd > rowStart) {
        const rows = present.length
          ? await parquetReadObjects({ file, metadata, columns: present, rowStart, rowEnd, utf8: true })
          : Array.from({ length: rowEnd - rowStart }, () => ({}));
        for (const row of rows) {
          const p = writer.append(row);
          if (p) await p;
        }
      }
      rowStart = rowEnd;
    }
  }
  const { rows, bytes } = await writer.close();
  if (rows !== rowsIn) throw new Error(`compaction wrote ${rows} rows, inputs hold ${rowsIn}`);
  return { files, rowsIn, rowsOut: rows, bytes };
}

export interface CompactionFile {
  key: string;
  size: number;
}

export interface CompactionGroup {
  /** key of the merged file: the inputs' common directory + `compacted-<hash of the input keys>.parquet` */
  output: string;
  /** files to merge, sorted by key (delete them once the output is written) */
  inputs: CompactionFile[];
  /** sum of the input sizes */
  bytes: number;
}

export const COMPACTED_PREFIX = 'compacted-';

/** Output key of a merge: same directory as the inputs (their longest common `/`-prefix), name from their keys. */
export function compactionOutputKey(keys: readonly string[]): string {
  const sorted = [...keys].sort();
  let prefix = sorted[0] ?? '';
  for (const k of sorted) {
    while (!k.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  prefix = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const hash = createHash('sha256').update(sorted.join('\n')).digest('hex').slice(0, 16);
  return `${prefix}${COMPACTED_PREFIX}${hash}.parquet`;
}

/**
 * Groups the files of one partition for merging: files of `targetBytes` or more stay as they are; the others, in key
 * order, fill groups until a group reaches `targetBytes`; a last group that would stay under it joins the one before
 * (so every output is ≥ targetBytes, at most ~2× it), or, when the partition's small files together stay under
 * `targetBytes`, they form one group (the whole partition). A group of one file is no merge and is not returned.
 * Same files → same groups and output keys.
 */
export function planCompaction(files: readonly CompactionFile[], targetBytes = 128 * MiB): CompactionGroup[] {
  if (!(targetBytes > 0)) throw new Error(`targetBytes must be positive, got ${targetBytes}`);
  const seen = new Set<string>();
  const small = files
    .filter((f) => f.size < targetBytes && !seen.has(f.key) && seen.add(f.key))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const groups: CompactionFile[][] = [];
  let current: CompactionFile[] = [];
  let bytes = 0;
  for (const f of small) {
    current.push(f);
    bytes += f.size;
    if (bytes >= targetBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) {
    if (groups.length > 0) groups[groups.length - 1].push(...current);
    else groups.push(current);
  }
  return groups
    .filter((g) => g.length > 1)
    .map((inputs) => ({
      output: compactionOutputKey(inputs.map((f) => f.key)),
      inputs,
      bytes: inputs.reduce((s, f) => s + f.size, 0),
    }));
}
