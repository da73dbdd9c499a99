/** What the convert tests hand convertBatch: Parquet files kept in memory, and the options a log format gives. */
import { compileFilters } from '../../../../lambda/core/filters';
import { compileParser } from '../../../../lambda/core/formats';
import type { ConvertBatchOptions, FileSink } from '../../../../lambda/core/light/convert';
import { lightTable } from '../../../../lambda/core/light/table';
import type { LogFormat } from '../../../../lambda/core/config/log-format';

/** The options of a batch that a log format decides (table `t`, region `r`). */
export function formatOptions(logFormat: LogFormat): Pick<ConvertBatchOptions, 'parser' | 'filter' | 'columns' | 'toRow' | 'table' | 'region' | 'maxLineBytes'> {
  const parser = compileParser(logFormat);
  const table = lightTable(logFormat, parser.fields);
  return { parser, filter: compileFilters(logFormat.filters), columns: table.columns, toRow: table.toRow, table: 't', region: 'r', maxLineBytes: logFormat.maxLineBytes };
}

/** Parquet files of convertBatch kept in memory (the convert tests' openFile), with what became of each. */
export interface MemFile {
  chunks: Uint8Array[];
  state: 'open' | 'closed' | 'aborted';
}

export function memoryFiles(): { files: Map<string, MemFile>; openFile: (key: string) => FileSink } {
  const files = new Map<string, MemFile>();
  return {
    files,
    openFile(key) {
      const f: MemFile = { chunks: [], state: 'open' };
      files.set(key, f);
      return {
        write: (c) => void f.chunks.push(Uint8Array.from(c)),
        close: async () => void (f.state = 'closed'),
        abort: async () => void (f.state = 'aborted'),
      };
    },
  };
}
