/**
 * Overlapping Light Engine runs and compactions, interleaved step by step (the memory store's beforeOp hook places
 * one step exactly between two operations of another; the clock moves only when a waiter sleeps). Every case ends
 * with each input row exactly once in the table, by its sequence number.
 */
import { parquetReadObjects } from 'hyparquet';
import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import { compileFilters } from '../../../../lambda/core/filters';
import { compileParser } from '../../../../lambda/core/formats';
import { convertManifest, listBatches, type BatchRef, type ConvertManifestOptions, type ListOptions, type ListResult } from '../../../../lambda/core/light/batches';
import { compactPartition, pendingBatchIds, type CompactPartitionOptions } from '../../../../lambda/core/light/compaction';
import { LEASE_MARGIN_MS, type LeaseClock } from '../../../../lambda/core/light/lease';
import { MANIFEST_PREFIX, batchOfFile, manifestIdOf, type BatchManifest } from '../../../../lambda/core/light/layout';
import { lightTable } from '../../../../lambda/core/light/table';
import { memoryStore } from './memory-store';

const PIPELINE = 'web';
const FORMAT = LogFormatSchema.parse({ type: 'json', timeKey: 't', timeFormat: 'epoch_s', fields: { seq: 'integer' } });
const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z: rows in hours 2023111422 and 2023111423
const H1 = 't/event_hour=2023111422/region=r/';
const H2 = 't/event_hour=2023111423/region=r/';
const parser = compileParser(FORMAT);
const table = lightTable(FORMAT, parser.fields);

function fakeClock(): LeaseClock & { t: number; sleeps: number[]; onSleep?: () => Promise<void> | void } {
  const c = {
    t: Date.UTC(2024, 0, 2, 12),
    sleeps: [] as number[],
    onSleep: undefined as (() => Promise<void> | void) | undefined,
    now: () => c.t,
    async sleep(ms: number) {
      c.sleeps.push(ms);
      c.t += ms;
      await c.onSleep?.();
    },
  };
  return c;
}

function world() {
  const staging = memoryStore('staging');
  const central = memoryStore('central');
  const clock = fakeClock();
  const expected: number[] = [];
  let seq = 0;
  const w = {
    staging,
    central,
    clock,
    /** A staged object of `n` lines, half of them in each of two hours, each line with its own sequence number. */
    stage(name: string, n = 4) {
      const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ t: T0 + (i % 2) * 3600, seq: ++seq }));
      expected.push(...lines.map((_, i) => seq - n + 1 + i));
      staging.put(`${PIPELINE}/src/${name}.log`, lines.join('\n'));
    },
    list: (o: Partial<ListOptions> = {}): Promise<ListResult> =>
      listBatches(staging, { pipeline: PIPELINE, maxBytes: 1 << 20, maxObjects: 2, maxBatches: 10, clock, deadline: clock.t + 300_000, ...o }),
    convert: (ref: BatchRef, o: Partial<ConvertManifestOptions> = {}) =>
      convertManifest(staging, {
        manifestKey: ref.manifestKey,
        run: ref.run,
        pipeline: PIPELINE,
        clock,
        deadline: clock.t + 900_000,
        convert: {
          parser,
          filter: compileFilters(FORMAT.filters),
          columns: table.columns,
          toRow: table.toRow,
          table: 't',
          region: 'r',
          maxLineBytes: FORMAT.maxLineBytes,
          openFile: (k) => central.create(k),
          backup: async () => undefined,
        },
        ...o,
      }),
    compact: (prefix: string, o: Partial<CompactPartitionOptions> = {}) =>
      compactPartition(central, {
        prefix,
        columns: table.columns,
        minAgeMs: 0,
        targetBytes: 1 << 20,
        now: Date.now() + 1_000,
        clock,
        pendingBatches: () => pendingBatchIds(staging, PIPELINE),
        ...o,
      }),
    /** Which manifests hold each staged key. */
    manifestsOf(): Map<string, string[]> {
      const m = new Map<string, string[]>();
      for (const key of staging.keys(MANIFEST_PREFIX).filter((k) => manifestIdOf(k))) {
        for (const o of (JSON.parse(staging.text(key)) as BatchManifest).objects) m.set(o.key, [...(m.get(o.key) ?? []), key]);
      }
      return m;
    },
    /** Every row's sequence number, over every Parquet file of the table. */
    async rows(): Promise<number[]> {
      const out: number[] = [];
      for (const key of central.keys('t/')) {
        const body = central.objects.get(key)!.body;
        const rows = await parquetReadObjects({ file: body.buffer.slice(body.byteOffset, body.byteOffset + body.length) as ArrayBuffer, columns: ['seq'] });
        out.push(...rows.map((r) => Number(r.seq)));
      }
      return out.sort((a, b) => a - b);
    },
    /** Each input row exactly once: the same sequence numbers, none twice, none missing. */
    async expectEachRowOnce() {
      expect(await w.rows()).toEqual([...expected].sort((a, b) => a - b));
    },
    async convertAll(refs: readonly BatchRef[]) {
      for (const ref of refs) await w.convert(ref);
    },
  };
  return w;
}

/** A promise and its resolve, to hold one step until another says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  return { promise: new Promise<void>((resolve) => (open = resolve)), open };
}

describe('two List runs', () => {
  it('the second waits for the first one’s lock, then sees its manifests: no staged object is in two manifests', async () => {
    const w = world();
    for (const k of ['b', 'c', 'd', 'e']) w.stage(k);
    let second: Promise<ListResult> | undefined;
    const waiting = gate();
    const firstDone = gate();
    // The first List has planned [b c] [d e] and is about to write its first manifest. Meanwhile `a` is staged (it
    // sorts first: planned afresh, the groups would shift) and a second List starts: it finds the lock and waits.
    w.staging.beforeOp(async (op, key) => {
      if (op !== 'createJson' || !manifestIdOf(key)) return;
      w.staging.beforeOp(undefined);
      w.stage('a');
      w.clock.onSleep = async () => {
        waiting.open();
        await firstDone.promise;
      };
      second = w.list();
      await waiting.promise;
    });
    const first = await w.list();
    firstDone.open();
    const again = await second!;

    expect(w.clock.sleeps).toEqual([1_000]);
    expect(first).toMatchObject({ resumed: 0, busy: 0 });
    expect(again).toMatchObject({ resumed: 2, busy: 0 });
    expect(again.batches.slice(0, 2).map((b) => b.manifestKey).sort()).toEqual(first.batches.map((b) => b.manifestKey).sort());
    const held = w.manifestsOf();
    expect([...held.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e'].map((k) => `${PIPELINE}/src/${k}.log`));
    expect([...held.values()].every((m) => m.length === 1)).toBe(true);
    expect(w.staging.keys(MANIFEST_PREFIX).filter((k) => !manifestIdOf(k))).toEqual([]); // the lock is gone

    // Both runs' Converts, in any order: every row once.
    await w.convertAll([...again.batches, ...first.batches]);
    await w.expectEachRowOnce();
    expect(w.staging.keys(MANIFEST_PREFIX)).toEqual([]);
  });
});

describe('two Converts of one batch', () => {
  it('another run’s Convert finds the batch held and leaves it; a List meanwhile neither offers it nor plans its objects', async () => {
    const w = world();
    for (const k of ['a', 'b', 'c', 'd']) w.stage(k);
    const run1 = await w.list();
    const [m1, m2] = run1.batches;
    let busy: unknown;
    let run2: ListResult | undefined;
    // The first Convert of m1 is closing its first Parquet file when the second run lists and converts.
    w.central.beforeOp(async (op) => {
      if (op !== 'create') return;
      w.central.beforeOp(undefined);
      run2 = await w.list();
      busy = await w.convert({ manifestKey: m1.manifestKey, run: run2.batches[0].run });
    });
    const done = await w.convert(m1);

    expect(busy).toEqual(expect.objectContaining({ busy: true, written: 0, files: 0 }));
    expect(done).toMatchObject({ objects: 2, written: 8, files: 2 });
    expect(run2).toMatchObject({ resumed: 1, busy: 1, batches: [{ manifestKey: m2.manifestKey, run: expect.any(String) }] });
    // The second Convert wrote nothing: every file was created by the holder, once each.
    expect(w.central.ops.filter(([op]) => op === 'create').map(([, k]) => k)).toEqual([`${H1}${manifestIdOf(m1.manifestKey)}-0.parquet`, `${H2}${manifestIdOf(m1.manifestKey)}-0.parquet`]);

    // Run 2 converts m2; run 1's late offer of m2 finds it done.
    await w.convert(run2!.batches[0]);
    expect(await w.convert(m2)).toMatchObject({ alreadyConverted: true });
    await w.expectEachRowOnce();
  });

  it('a retry of the same run waits out its timed-out predecessor’s lease, then converts; another run leaves it until it ends', async () => {
    const w = world();
    for (const k of ['a', 'b']) w.stage(k);
    const [m] = (await w.list()).batches;
    // Attempt 1 is stopped while writing (its Lambda timed out): it never releases its lease.
    const deadline = w.clock.t + 900_000;
    let replaces = 0;
    w.staging.failWhen((op) => op === 'replaceJson' && ++replaces === 2);
    w.central.failWhen((op) => op === 'create');
    await expect(w.convert(m, { deadline })).rejects.toThrow(/injected failure: create/);
    w.staging.failWhen(undefined);
    w.central.failWhen(undefined);
    const lease = (JSON.parse(w.staging.text(m.manifestKey)) as BatchManifest).lease!;
    expect(lease).toEqual({ holder: expect.any(String), run: m.run, until: new Date(deadline + LEASE_MARGIN_MS).toISOString() });

    // Its deadline passed 10 s ago. Another run's Convert leaves the batch to it; the List of that run neither offers it.
    w.clock.t = deadline + 10_000;
    expect(await w.convert({ manifestKey: m.manifestKey, run: 'run-2' })).toMatchObject({ busy: true });
    expect(await w.list()).toMatchObject({ batches: [], busy: 1 });
    // The same run's retry (Step Functions) waits the 50 s left, then converts.
    expect(await w.convert(m)).toMatchObject({ objects: 2, written: 8 });
    expect(w.clock.sleeps).toEqual([LEASE_MARGIN_MS - 10_000]);
    await w.expectEachRowOnce();
  });

  it('a failed Convert releases its lease: the next run converts at once', async () => {
    const w = world();
    for (const k of ['a', 'b']) w.stage(k);
    const [m] = (await w.list()).batches;
    w.staging.failWhen((op, key) => op === 'move' && key.endsWith('b.log'));
    await expect(w.convert(m)).rejects.toThrow(/injected failure: move/);
    w.staging.failWhen(undefined);
    expect((JSON.parse(w.staging.text(m.manifestKey)) as BatchManifest).lease).toBeUndefined();
    const next = await w.list();
    expect(next).toMatchObject({ resumed: 1, busy: 0 });
    expect(await w.convert(next.batches[0])).toMatchObject({ objects: 2, written: 8 });
    expect(w.clock.sleeps).toEqual([]);
    await w.expectEachRowOnce();
  });
});

describe('compaction and pending batches', () => {
  /** Batches 1 and 2 finished; batch 3 wrote its files, then crashed while archiving: pending, to be retried. */
  async function withPendingBatch() {
    const w = world();
    for (const k of ['a', 'b', 'c', 'd']) w.stage(k);
    await w.convertAll((await w.list()).batches);
    for (const k of ['e', 'f']) w.stage(k);
    const [pending] = (await w.list()).batches;
    w.staging.failWhen((op, key) => op === 'move' && key.endsWith('f.log'));
    await expect(w.convert(pending)).rejects.toThrow(/injected failure: move/);
    w.staging.failWhen(undefined);
    const id = manifestIdOf(pending.manifestKey)!;
    expect(w.central.keys(H1).filter((k) => batchOfFile(k) === id)).toHaveLength(1);
    return { w, id };
  }

  it('never merges a file of a batch still pending; once the retry finished, merges it; every row once', async () => {
    const { w, id } = await withPendingBatch();
    const r = await w.compact(H1);
    expect(r).toMatchObject({ merges: 1, filesIn: 2, rows: 8, pendingFiles: 1 });
    expect(w.central.keys(H1).filter((k) => batchOfFile(k) === id)).toHaveLength(1);

    // The next run retries the batch: it rewrites the same file (same key), then finishes.
    const retry = await w.list();
    expect(retry).toMatchObject({ resumed: 1 });
    await w.convertAll(retry.batches);
    await w.expectEachRowOnce();
    expect(await w.compact(H1)).toMatchObject({ merges: 1, filesIn: 2, rows: 12, pendingFiles: 0 });
    expect(await w.compact(H2)).toMatchObject({ merges: 1, filesIn: 3, rows: 12, pendingFiles: 0 });
    expect(w.central.keys('t/')).toHaveLength(2);
    await w.expectEachRowOnce();
  });

  it('a compaction running while the batch is retried leaves the files the retry is rewriting', async () => {
    const { w, id } = await withPendingBatch();
    const retry = await w.list();
    let during: unknown;
    // The retry is closing its rewrite of its first file when a compaction of both hours runs to its end.
    w.central.beforeOp(async (op, key) => {
      if (op !== 'create' || batchOfFile(key) !== id) return;
      w.central.beforeOp(undefined);
      during = [await w.compact(H1), await w.compact(H2)];
    });
    await w.convertAll(retry.batches);
    expect(during).toEqual([expect.objectContaining({ merges: 1, filesIn: 2, pendingFiles: 1 }), expect.objectContaining({ merges: 1, filesIn: 2, pendingFiles: 1 })]);
    await w.expectEachRowOnce();
    expect(await w.compact(H1)).toMatchObject({ merges: 1, filesIn: 2, pendingFiles: 0 });
    await w.expectEachRowOnce();
  });

  it('reads which batches are pending after listing the files: a batch that wrote files meanwhile is seen', async () => {
    const w = world();
    for (const k of ['a', 'b', 'c', 'd']) w.stage(k);
    await w.convertAll((await w.list()).batches);
    let id: string | undefined;
    // Just before the compaction lists the partition, a new batch writes its files and crashes while archiving.
    w.central.beforeOp(async (op, key) => {
      if (op !== 'list' || key !== H1) return;
      w.central.beforeOp(undefined);
      w.stage('e');
      const [b] = (await w.list()).batches;
      id = manifestIdOf(b.manifestKey);
      w.staging.failWhen((o) => o === 'move');
      await expect(w.convert(b)).rejects.toThrow(/injected failure: move/);
      w.staging.failWhen(undefined);
    });
    expect(await w.compact(H1)).toMatchObject({ merges: 1, filesIn: 2, pendingFiles: 1 });
    expect(w.central.keys(H1).filter((k) => batchOfFile(k) === id)).toHaveLength(1);
    await w.convertAll((await w.list()).batches);
    await w.expectEachRowOnce();
  });

  it('two compactions of one partition: the second finds it locked and leaves it', async () => {
    const w = world();
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) w.stage(k);
    await w.convertAll((await w.list()).batches);
    let second: unknown;
    w.central.beforeOp(async (op, key) => {
      if (op !== 'create' || !key.includes('compacted-')) return;
      w.central.beforeOp(undefined);
      second = await w.compact(H1, { run: 'run-2' });
    });
    expect(await w.compact(H1, { run: 'run-1' })).toMatchObject({ merges: 1, filesIn: 3, rows: 12 });
    expect(second).toEqual({ prefix: H1, merges: 0, filesIn: 0, rows: 0, resumed: 0, pendingFiles: 0, busy: true });
    await w.expectEachRowOnce();
  });
});
