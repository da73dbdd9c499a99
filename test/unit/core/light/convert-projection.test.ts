/**
 * convertBatch against the Glue table's event_hour projection: a record of an hour Athena would never return is backed
 * up with the reason and counted, not written where no query sees it.
 */
import { Readable } from 'node:stream';
import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import { convertAccountedFor, convertBatch, type ConvertBatchOptions, type FileSink } from '../../../../lambda/core/light/convert';
import { DEFAULT_PROJECTION, type ProjectionRange } from '../../../../lambda/core/light/projection';
import type { FailedRecord } from '../../../../lambda/core/process-object';
import { formatOptions } from './convert-fixtures';

const NOW = Date.parse('2026-12-05T10:24:33Z');
const s = (iso: string) => Date.parse(iso) / 1000;
const line = (t: number, level = 'INFO') => JSON.stringify({ t, level });

function run(text: string, projection: ProjectionRange | undefined, now: () => number = () => NOW) {
  const logFormat = LogFormatSchema.parse({ type: 'json', timeKey: 't', timeFormat: 'epoch_s', filters: { exclude: [{ field: 'level', regex: '^DEBUG$' }] } });
  const failed: FailedRecord[] = [];
  const opts: ConvertBatchOptions = {
    batchId: 'b1',
    objects: [{ bucket: 'src', key: 'k.log', objectId: 'obj', body: Readable.from([Buffer.from(text)]) }],
    ...formatOptions(logFormat),
    projection,
    now,
    openFile: (): FileSink => ({ write: () => undefined, close: async () => undefined, abort: async () => undefined }),
    backup: async (_id, _part, records) => void failed.push(...records),
  };
  return { opts, failed };
}

describe('convertBatch with the event_hour projection', () => {
  // Lines 1-3 and 5 inside the default window (2000010100 … the hour of NOW+24h = 2026120610), 4 and 6 before it,
  // 7 after it, 8 filtered (the filter comes first, whatever its hour), 9 unparseable.
  const text = [
    line(s('2015-05-17T10:05:03Z')),
    line(s('2015-05-17T10:59:59Z')),
    line(s('2000-01-01T00:00:00Z')),
    line(s('1999-12-31T23:59:59Z')),
    line(s('2026-12-06T10:59:59Z')),
    line(0),
    line(s('2026-12-06T11:00:00Z')),
    line(s('1980-01-01T00:00:00Z'), 'DEBUG'),
    'not json',
  ].join('\n');

  it('backs up every record outside the window with its line, raw text and reason; counts are exact', async () => {
    const { opts, failed } = run(text, DEFAULT_PROJECTION);
    const counts = await convertBatch(opts);
    expect(convertAccountedFor(counts)).toBe(true);
    expect({ ...counts, files: undefined }).toEqual({ recordsIn: 9, written: 4, filtered: 1, failed: 4, outOfProjection: 3, files: undefined });
    expect(counts.files.map((f) => [f.eventHour, f.rows])).toEqual([
      ['2015051710', 2],
      ['2000010100', 1],
      ['2026120610', 1],
    ]);
    const range = '(engine.projection; the table projects 2000010100,NOW+24HOURS)';
    expect(failed.map((f) => [f.line, f.raw, f.reason])).toEqual([
      [4, line(s('1999-12-31T23:59:59Z')), `event hour 1999123123 is before the first projected hour 2000010100: Athena would never return it ${range}`],
      [6, line(0), `event hour 1970010100 is before the first projected hour 2000010100: Athena would never return it ${range}`],
      [7, line(s('2026-12-06T11:00:00Z')), `event hour 2026120611 is after the last projected hour 2026120610 at conversion: Athena would not return it ${range}`],
      [9, 'not json', expect.any(String)],
    ]);
  });

  it('reads the clock once per batch, so one batch applies one window', async () => {
    const now = jest.fn(() => NOW);
    const { opts } = run(text, DEFAULT_PROJECTION, now);
    await convertBatch(opts);
    expect(now).toHaveBeenCalledTimes(1);
  });

  it('a narrower range moves exactly the records it no longer covers', async () => {
    const { opts, failed } = run(text, { fromHour: '2015051710', futureHours: 0 });
    const counts = await convertBatch(opts);
    expect(convertAccountedFor(counts)).toBe(true);
    // Inside 2015051710 … 2026120510: the two 2015 lines only.
    expect(counts).toMatchObject({ recordsIn: 9, written: 2, filtered: 1, failed: 6, outOfProjection: 5 });
    expect(failed.map((f) => f.line)).toEqual([3, 4, 5, 6, 7, 9]);
  });

  it('without a projection (the CLI on its own) every record with a time is written', async () => {
    const { opts } = run(text, undefined);
    const counts = await convertBatch(opts);
    expect(counts).toMatchObject({ recordsIn: 9, written: 7, filtered: 1, failed: 1, outOfProjection: 0 });
    expect(counts.files.map((f) => f.eventHour).sort()).toEqual(['1970010100', '1999123123', '2000010100', '2015051710', '2026120610', '2026120611']);
  });
});
