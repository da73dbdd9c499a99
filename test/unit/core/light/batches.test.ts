import { parquetMetadata } from 'hyparquet';
import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import { compileFilters } from '../../../../lambda/core/filters';
import { compileParser } from '../../../../lambda/core/formats';
import { convertManifest, listBatches, type ConvertManifestOptions, type ListOptions } from '../../../../lambda/core/light/batches';
import { manifestKey, type BatchManifest } from '../../../../lambda/core/light/layout';
import type { StepLog } from '../../../../lambda/core/light/store';
import { lightTable } from '../../../../lambda/core/light/table';
import type { FailedRecord } from '../../../../lambda/core/process-object';
import { memoryStore, type MemoryStore } from './memory-store';

const PIPELINE = 'web';
const LIMITS: ListOptions = { pipeline: PIPELINE, maxBytes: 1024 * 1024, maxObjects: 2, maxBatches: 10 };

function recordingLog(): StepLog & { lines: Array<[string, string, Record<string, unknown>]> } {
  const lines: Array<[string, string, Record<string, unknown>]> = [];
  return {
    lines,
    info: (m, a) => void lines.push(['info', m, a]),
    warn: (m, a) => void lines.push(['warn', m, a]),
    error: (m, a) => void lines.push(['error', m, a]),
  };
}

function manifestOf(store: MemoryStore, key: string): BatchManifest {
  return JSON.parse(store.text(key)) as BatchManifest;
}

describe('listBatches', () => {
  it('groups staged objects into manifests named by their members, in key order, and leaves other prefixes alone', async () => {
    const staging = memoryStore();
    for (const k of ['e', 'c', 'a', 'd', 'b']) staging.put(`${PIPELINE}/src/${k}.log`, `line of ${k}\n`);
    staging.put('webx/src/a.log', 'another pipeline\n');
    staging.put(`archive/${PIPELINE}/src/old.log`, 'converted long ago\n');

    const r = await listBatches(staging, LIMITS);
    expect(r).toMatchObject({ staged: 5, stagedBytes: 5 * 'line of a\n'.length, resumed: 0, alreadyConverted: 0 });
    expect(r.batches).toHaveLength(3);
    const members = r.batches.map((b) => manifestOf(staging, b.manifestKey).objects.map((o) => o.key.slice(`${PIPELINE}/src/`.length)));
    expect(members).toEqual([['a.log', 'b.log'], ['c.log', 'd.log'], ['e.log']]);
    for (const { manifestKey: key } of r.batches) {
      const m = manifestOf(staging, key);
      expect(key).toBe(manifestKey(PIPELINE, m.id));
      expect(m.pipeline).toBe(PIPELINE);
      expect(m.objects.every((o) => o.etag === staging.objects.get(o.key)!.etag)).toBe(true);
    }
  });

  it('offers the manifests of a failed run first, unchanged, and never plans their objects again', async () => {
    const staging = memoryStore();
    for (const k of ['a', 'b', 'c']) staging.put(`${PIPELINE}/src/${k}.log`, `${k}\n`);
    const first = await listBatches(staging, LIMITS);
    staging.put(`${PIPELINE}/src/d.log`, 'd\n');

    const again = await listBatches(staging, LIMITS);
    expect(again.resumed).toBe(2);
    expect(again.batches.slice(0, 2).map((b) => b.manifestKey).sort()).toEqual(first.batches.map((b) => b.manifestKey).sort());
    expect(again.batches).toHaveLength(3);
    expect(manifestOf(staging, again.batches[2].manifestKey).objects.map((o) => o.key)).toEqual([`${PIPELINE}/src/d.log`]);
    expect(again.staged).toBe(4);
  });

  it('counts pending manifests against maxBatches: a full run plans nothing new', async () => {
    const staging = memoryStore();
    for (const k of ['a', 'b', 'c', 'd', 'e']) staging.put(`${PIPELINE}/src/${k}.log`, `${k}\n`);
    const one = await listBatches(staging, { ...LIMITS, maxBatches: 1 });
    expect(one.batches).toHaveLength(1);
    const next = await listBatches(staging, { ...LIMITS, maxBatches: 1 });
    // The same manifest, offered by this run.
    expect(next).toMatchObject({ batches: [{ manifestKey: one.batches[0].manifestKey, run: expect.any(String) }], resumed: 1, busy: 0 });
    expect(next.batches[0].run).not.toBe(one.batches[0].run);
    expect(staging.keys('_batches/')).toHaveLength(1);
  });

  it('drops an object staged again after its batch was archived (same key and ETag); new content under the key is planned', async () => {
    const staging = memoryStore();
    const log = recordingLog();
    staging.put(`archive/${PIPELINE}/src/same.log`, 'converted\n');
    staging.put(`${PIPELINE}/src/same.log`, 'converted\n');
    staging.put(`archive/${PIPELINE}/src/changed.log`, 'old content\n');
    staging.put(`${PIPELINE}/src/changed.log`, 'new content\n');

    const r = await listBatches(staging, { ...LIMITS, log });
    expect(r.alreadyConverted).toBe(1);
    expect(staging.keys(`${PIPELINE}/`)).toEqual([`${PIPELINE}/src/changed.log`]);
    expect(r.batches.flatMap((b) => manifestOf(staging, b.manifestKey).objects.map((o) => o.key))).toEqual([`${PIPELINE}/src/changed.log`]);
    expect(log.lines.filter(([, m]) => m.startsWith('staged again'))).toEqual([['info', expect.any(String), expect.objectContaining({ key: `${PIPELINE}/src/same.log` })]]);
  });
});

// ---- convertManifest ----------------------------------------------------------------------------------------------

const FORMAT = LogFormatSchema.parse({ type: 'json', timeKey: 't', timeFormat: 'epoch_s', filters: { exclude: [{ field: 'level', regex: '^DEBUG$' }] } });
const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z
const line = (t: number, level = 'INFO') => JSON.stringify({ t, level, msg: `at ${t}` });

function setup() {
  const staging = memoryStore('staging');
  const central = memoryStore('central');
  const failed: Array<{ objectId: string; records: FailedRecord[] }> = [];
  const log = recordingLog();
  const parser = compileParser(FORMAT);
  const table = lightTable(FORMAT, parser.fields);
  const options = (key: string): ConvertManifestOptions => ({
    manifestKey: key,
    pipeline: PIPELINE,
    convert: {
      parser,
      filter: compileFilters(FORMAT.filters),
      columns: table.columns,
      toRow: table.toRow,
      table: 't',
      region: 'r',
      maxLineBytes: FORMAT.maxLineBytes,
      openFile: (k) => central.create(k),
      backup: async (objectId, _part, records) => void failed.push({ objectId, records }),
    },
    log,
  });
  const rows = () => central.keys('t/').reduce((n, k) => n + Number(parquetMetadata(new Uint8Array(central.objects.get(k)!.body).buffer).num_rows), 0);
  return { staging, central, failed, log, options, rows };
}

/** Three staged objects in one manifest: 4 records written over two hours, one filtered, one failed. */
async function oneBatch(s: ReturnType<typeof setup>): Promise<string> {
  s.staging.put(`${PIPELINE}/src/a.log`, [line(T0), line(T0 + 3600)].join('\n'));
  s.staging.put(`${PIPELINE}/src/b.log`, [line(T0 + 1, 'DEBUG'), 'not json'].join('\n'));
  s.staging.put(`${PIPELINE}/src/c.log`, [line(T0 + 2), line(T0 + 3)].join('\n'));
  const { batches } = await listBatches(s.staging, { ...LIMITS, maxObjects: 10 });
  expect(batches).toHaveLength(1);
  return batches[0].manifestKey;
}

describe('convertManifest', () => {
  it('writes the Parquet, then archives every object and deletes the manifest; the counts balance', async () => {
    const s = setup();
    const key = await oneBatch(s);
    const id = manifestOf(s.staging, key).id;

    const r = await convertManifest(s.staging, s.options(key));
    expect(r).toEqual({ batchId: id, objects: 3, missing: 0, recordsIn: 6, written: 4, filtered: 1, failed: 1, outOfProjection: 0, files: 2 });
    expect(s.central.keys()).toEqual([`t/event_hour=2023111422/region=r/${id}-0.parquet`, `t/event_hour=2023111423/region=r/${id}-0.parquet`]);
    expect(s.rows()).toBe(4);
    // Failed records name the source object (from the staging key), not the staged copy.
    expect(s.failed).toEqual([{ objectId: expect.any(String), records: [expect.objectContaining({ bucket: 'src', key: 'b.log', line: 2, raw: 'not json' })] }]);
    expect(s.staging.keys()).toEqual(['a', 'b', 'c'].map((k) => `archive/${PIPELINE}/src/${k}.log`));
    // The archive step comes only after every file exists.
    const firstMove = s.staging.ops.findIndex(([op]) => op === 'move');
    expect(s.central.ops.filter(([op]) => op === 'create')).toHaveLength(2);
    expect(s.staging.ops.slice(firstMove).map(([op]) => op)).toEqual(['move', 'move', 'move', 'delete']);
    expect(s.log.lines.at(-1)).toEqual(['info', 'batch converted', expect.objectContaining({ balanced: true, written: 4 })]);
  });

  it('a retry after a crash while archiving reads the moved objects from the archive and writes the same files again', async () => {
    const s = setup();
    const key = await oneBatch(s);
    s.staging.failWhen((op, k) => op === 'move' && k.endsWith('b.log'));
    await expect(convertManifest(s.staging, s.options(key))).rejects.toThrow(/injected failure: move/);
    expect(s.staging.keys('_batches/')).toEqual([key]);
    expect(s.staging.keys(`archive/`)).toEqual([`archive/${PIPELINE}/src/a.log`]);
    const files = s.central.keys();

    s.staging.failWhen(undefined);
    const r = await convertManifest(s.staging, s.options(key));
    expect(r).toMatchObject({ missing: 0, recordsIn: 6, written: 4 });
    expect(s.central.keys()).toEqual(files);
    expect(s.rows()).toBe(4);
    expect(s.staging.keys()).toEqual(['a', 'b', 'c'].map((k) => `archive/${PIPELINE}/src/${k}.log`));
  });

  it('a retry whose manifest is gone (only the reply was lost) does nothing', async () => {
    const s = setup();
    const key = await oneBatch(s);
    await convertManifest(s.staging, s.options(key));
    const files = s.central.keys();
    const id = key.replace(/^.*\//, '').replace(/\.json$/, '');

    const again = await convertManifest(s.staging, s.options(key));
    expect(again).toEqual({ batchId: id, objects: 0, missing: 0, recordsIn: 0, written: 0, filtered: 0, failed: 0, outOfProjection: 0, files: 0, alreadyConverted: true });
    expect(s.central.keys()).toEqual(files);
    expect(s.log.lines.at(-1)).toEqual(['warn', 'manifest already gone: batch converted by an earlier attempt', { manifestKey: key }]);
  });

  it('counts a member that is gone from staging and archive as missing and converts the others', async () => {
    const s = setup();
    const key = await oneBatch(s);
    const id = manifestOf(s.staging, key).id;
    s.staging.objects.delete(`${PIPELINE}/src/c.log`);
    const r = await convertManifest(s.staging, s.options(key));
    expect(r).toMatchObject({ objects: 3, missing: 1, recordsIn: 4, written: 2 });
    expect(s.log.lines).toContainEqual(['error', 'staged object is gone; nothing to convert', { key: `${PIPELINE}/src/c.log`, batch: id }]);
    expect(s.staging.keys('_batches/')).toEqual([]);
  });

  it('a failure while converting archives nothing and leaves no file behind', async () => {
    const s = setup();
    const key = await oneBatch(s);
    const opts = s.options(key);
    const failing: ConvertManifestOptions = {
      ...opts,
      convert: {
        ...opts.convert,
        backup: async () => {
          throw new Error('backup bucket unreachable');
        },
      },
    };
    await expect(convertManifest(s.staging, failing)).rejects.toThrow('backup bucket unreachable');
    expect(s.central.keys()).toEqual([]);
    expect(s.staging.keys(`${PIPELINE}/`)).toHaveLength(3);
    expect(s.staging.keys('_batches/')).toEqual([key]);
    expect(s.staging.ops.some(([op]) => op === 'move')).toBe(false);
  });
});
