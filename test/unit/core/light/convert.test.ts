import { Readable } from 'node:stream';
import { parquetMetadata } from 'hyparquet';
import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import { convertAccountedFor, convertBatch, type ConvertBatchOptions } from '../../../../lambda/core/light/convert';
import type { FailedRecord } from '../../../../lambda/core/process-object';
import { formatOptions, memoryFiles } from './convert-fixtures';


function setup(format: Record<string, unknown>, text: string, extra: Partial<ConvertBatchOptions> = {}) {
  const logFormat = LogFormatSchema.parse(format);
  const { files, openFile } = memoryFiles();
  const failed: FailedRecord[] = [];
  const opts: ConvertBatchOptions = {
    batchId: 'b1',
    objects: [{ bucket: 'src', key: 'k.log', objectId: 'obj', body: Readable.from([Buffer.from(text)]) }],
    ...formatOptions(logFormat),
    openFile,
    backup: async (_id, _part, records) => void failed.push(...records),
    ...extra,
  };
  const rowsOf = (key: string) => {
    const bytes = Buffer.concat(files.get(key)!.chunks);
    return Number(parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer).num_rows);
  };
  return { opts, files, failed, rowsOf };
}

const json = (t: number, level = 'INFO') => JSON.stringify({ t, level, msg: `at ${t}` });
const H = 3600;

describe('convertBatch', () => {
  it('writes each record to the file of its own event hour; hours beyond maxOpenFiles start new files, nothing lost', async () => {
    // Alternating hours with one file open at a time: every switch finishes a file and the next one gets -<n+1>.
    const ts = [0, H, 0, H, 2 * H, 0].map((d) => 1_700_000_000 + d);
    const { opts, files, rowsOf } = setup({ type: 'json', timeKey: 't', timeFormat: 'epoch_s' }, ts.map((t) => json(t)).join('\n'), { maxOpenFiles: 1 });
    const counts = await convertBatch(opts);
    expect(convertAccountedFor(counts)).toBe(true);
    expect(counts).toMatchObject({ recordsIn: 6, written: 6, failed: 0 });
    expect([...files.keys()].sort()).toEqual([
      't/event_hour=2023111422/region=r/b1-0.parquet',
      't/event_hour=2023111422/region=r/b1-1.parquet',
      't/event_hour=2023111422/region=r/b1-2.parquet',
      't/event_hour=2023111423/region=r/b1-0.parquet',
      't/event_hour=2023111423/region=r/b1-1.parquet',
      't/event_hour=2023111500/region=r/b1-0.parquet',
    ]);
    expect([...files.values()].every((f) => f.state === 'closed')).toBe(true);
    expect([...files.keys()].reduce((n, k) => n + rowsOf(k), 0)).toBe(6);
    for (const f of counts.files) expect(rowsOf(f.key)).toBe(f.rows);
  });

  it('counts filtered records, backs up failures with raw text and line, and fails records without a time', async () => {
    const text = [json(1_700_000_000), json(1_700_000_001, 'DEBUG'), 'not json', JSON.stringify({ level: 'INFO' })].join('\n');
    const { opts, failed } = setup({ type: 'json', timeKey: 't', timeFormat: 'epoch_s', filters: { exclude: [{ field: 'level', regex: '^DEBUG$' }] } }, text);
    const counts = await convertBatch(opts);
    expect(counts).toMatchObject({ recordsIn: 4, written: 1, filtered: 1, failed: 2 });
    expect(convertAccountedFor(counts)).toBe(true);
    expect(failed.map((f) => [f.line, f.raw])).toEqual([
      [3, 'not json'],
      [4, '{"level":"INFO"}'],
    ]);
    expect(failed[1].reason).toMatch(/time key t is missing/);
    // A format without any time key: the Light Engine cannot place the record, and says what to set.
    const noTime = setup({ type: 'json' }, json(1));
    await convertBatch(noTime.opts);
    expect(noTime.failed[0].reason).toMatch(/no record time: set logFormat.timeKey/);
  });

  it('aborts every open file when the batch fails, so no partial file appears', async () => {
    const { opts, files } = setup({ type: 'json', timeKey: 't', timeFormat: 'epoch_s' }, `${json(1_700_000_000)}\nbad\n`, {
      backup: async () => {
        throw new Error('backup bucket unreachable');
      },
    });
    await expect(convertBatch(opts)).rejects.toThrow('backup bucket unreachable');
    expect([...files.values()].map((f) => f.state)).toEqual(['aborted']);
  });
});
