/** Parquet files of convertBatch kept in memory (the convert tests' openFile), with what became of each. */
import type { FileSink } from '../../../../lambda/core/light/convert';

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
