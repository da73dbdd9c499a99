import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { COMPACTION_JOURNAL_PREFIX, compactPartition, journalKey, listDuePartitions, partitionLockKey, type CompactionSettings } from '../../../../lambda/core/light/compaction';
import type { Column } from '../../../../lambda/core/parquet/columns';
import { planCompaction } from '../../../../lambda/core/parquet/compact';
import { createParquetWriter } from '../../../../lambda/core/parquet/writer';
import { memoryStore, type MemoryStore } from './memory-store';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 0, 2, 12);
const OLD = new Date(NOW - 5 * HOUR);
const SETTINGS: CompactionSettings = { minAgeMs: HOUR, targetBytes: 1024 * 1024, now: NOW, pendingBatches: async () => new Set() };

const COLUMNS: Column[] = [
  { name: 'event_time', source: '@timestamp', type: 'timestamp', fieldType: 'date' },
  { name: 'uri', source: 'uri', type: 'string', fieldType: 'keyword' },
];

const part = (hour: string) => `web/event_hour=${hour}/region=r/`;

async function parquet(seed: number, rows: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const w = createParquetWriter(COLUMNS, { write: (c) => void chunks.push(Uint8Array.from(c)) });
  for (let i = 0; i < rows; i++) {
    const p = w.append({ '@timestamp': new Date(Date.UTC(2024, 0, 1, 10) + i * 1000).toISOString(), uri: `/${seed}/${i}` });
    if (p) await p;
  }
  await w.close();
  return Buffer.concat(chunks);
}

/** `files` small files of `rows` rows each in the partition of `hour`, written long enough ago. */
async function fill(store: MemoryStore, hour: string, files: number, rows = 10, lastModified = OLD): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < files; i++) {
    const key = `${part(hour)}batch${i}-0.parquet`;
    store.put(key, await parquet(i, rows), lastModified);
    keys.push(key);
  }
  return keys;
}

const rowsOf = (store: MemoryStore, key: string) => Number(parquetMetadata(new Uint8Array(store.objects.get(key)!.body).buffer).num_rows);
const tableRows = (store: MemoryStore) => store.keys('web/').reduce((n, k) => n + rowsOf(store, k), 0);

describe('listDuePartitions', () => {
  it('returns the partitions with small files old enough to merge, and those with an interrupted merge', async () => {
    const central = memoryStore('central');
    await fill(central, '2024010110', 3);
    await fill(central, '2024010111', 1); // one file: nothing to merge
    await fill(central, '2024010212', 2); // the current hour: not yet
    await fill(central, '2024010109', 2, 10, new Date(NOW)); // files just written (a late batch): not yet
    central.put(journalKey(`${part('2024010108')}compacted-x.parquet`), '{}');
    central.put('web/_SUCCESS', '');

    const r = await listDuePartitions(central, { ...SETTINGS, table: 'web', maxPartitions: 10 });
    expect(r.partitions).toEqual([{ prefix: part('2024010108'), run: expect.any(String) }, { prefix: part('2024010110'), run: r.partitions[0].run }]);
    expect(r.scannedFiles).toBe(8);
    expect((await listDuePartitions(central, { ...SETTINGS, table: 'web', maxPartitions: 1 })).partitions).toEqual([{ prefix: part('2024010108'), run: expect.any(String) }]);
  });
});

describe('listDuePartitions and pending batches', () => {
  it('leaves out a partition whose small files are mergeable only with a pending batch’s', async () => {
    const central = memoryStore('central');
    const pendingId = 'a'.repeat(24);
    const doneId = 'b'.repeat(24);
    for (const [hour, id] of [['2024010110', pendingId], ['2024010110', doneId], ['2024010111', doneId], ['2024010111', 'c'.repeat(24)]]) {
      central.put(`${part(hour)}${id}-0.parquet`, await parquet(1, 3), OLD);
    }
    const r = await listDuePartitions(central, { ...SETTINGS, pendingBatches: async () => new Set([pendingId]), table: 'web', maxPartitions: 10 });
    expect(r.partitions.map((p) => p.prefix)).toEqual([part('2024010111')]);
  });
});

describe('compactPartition', () => {
  it('merges the small files into one with the same rows, then drops the inputs and the journal', async () => {
    const central = memoryStore('central');
    const inputs = await fill(central, '2024010110', 4, 25);
    const [group] = planCompaction(inputs.map((key) => ({ key, size: central.objects.get(key)!.body.length })), SETTINGS.targetBytes);

    const r = await compactPartition(central, { ...SETTINGS, prefix: part('2024010110'), columns: COLUMNS });
    expect(r).toEqual({ prefix: part('2024010110'), merges: 1, filesIn: 4, rows: 100, resumed: 0, pendingFiles: 0 });
    expect(central.keys()).toEqual([group.output]);
    expect(rowsOf(central, group.output)).toBe(100);
    const uris = (await parquetReadObjects({ file: new Uint8Array(central.objects.get(group.output)!.body).buffer })).map((row) => row.uri);
    expect(new Set(uris).size).toBe(100);
    // Under the partition's lock; journalled before the output was started, deleted after its inputs.
    const ops = central.ops.map(([op, key]) => `${op} ${key}`);
    expect(ops.indexOf(`putJson ${journalKey(group.output)}`)).toBeLessThan(ops.indexOf(`create ${group.output}`));
    expect(ops.slice(-2)).toEqual([`delete ${journalKey(group.output)}`, `deleteIfUnchanged ${partitionLockKey(part('2024010110'))}`]);
    expect(ops.find((o) => o.startsWith('createJson'))).toBe(`createJson ${partitionLockKey(part('2024010110'))}`);
  });

  it('finishes a merge that was killed after writing its output, never doubling rows', async () => {
    const central = memoryStore('central');
    await fill(central, '2024010110', 3);
    central.failWhen((op, key) => op === 'delete' && key.endsWith('batch1-0.parquet'));
    await expect(compactPartition(central, { ...SETTINGS, prefix: part('2024010110'), columns: COLUMNS })).rejects.toThrow(/injected failure: delete/);
    // Output and one input remain, with the journal that says which is which.
    expect(central.keys(COMPACTION_JOURNAL_PREFIX)).toHaveLength(1);
    expect(tableRows(central)).toBe(30 + 20);

    central.failWhen(undefined);
    const r = await compactPartition(central, { ...SETTINGS, prefix: part('2024010110'), columns: COLUMNS });
    expect(r).toMatchObject({ resumed: 1, merges: 0 });
    expect(central.keys(COMPACTION_JOURNAL_PREFIX)).toEqual([]);
    expect(central.keys('web/')).toHaveLength(1);
    expect(tableRows(central)).toBe(30);
  });

  it('forgets a merge whose output was never written and plans it again', async () => {
    const central = memoryStore('central');
    await fill(central, '2024010110', 2);
    central.failWhen((op) => op === 'create');
    await expect(compactPartition(central, { ...SETTINGS, prefix: part('2024010110'), columns: COLUMNS })).rejects.toThrow(/injected failure: create/);
    expect(central.keys(COMPACTION_JOURNAL_PREFIX)).toHaveLength(1);

    central.failWhen(undefined);
    const r = await compactPartition(central, { ...SETTINGS, prefix: part('2024010110'), columns: COLUMNS });
    expect(r).toMatchObject({ resumed: 0, merges: 1, filesIn: 2, rows: 20 });
    expect(central.keys(COMPACTION_JOURNAL_PREFIX)).toEqual([]);
    expect(tableRows(central)).toBe(20);
  });

  it('refuses a prefix that is not a partition', async () => {
    await expect(compactPartition(memoryStore('central'), { ...SETTINGS, prefix: 'web/', columns: COLUMNS })).rejects.toThrow(/not a partition prefix/);
  });
});
