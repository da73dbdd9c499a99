import { LEASE_MARGIN_MS, LeaseHeldError, acquireLease, leaseVerdict, lockSlot, newLease, releaseLock, type Lease, type LeaseClock } from '../../../../lambda/core/light/lease';
import { memoryStore } from './memory-store';

const T0 = Date.UTC(2024, 0, 2, 12);
const KEY = '_batches/web/list.lock';

/** A clock that only moves when a waiter sleeps (or the test says so): every wait is scripted, none is real. */
function fakeClock(start = T0): LeaseClock & { t: number; sleeps: number[]; onSleep?: (ms: number) => Promise<void> | void } {
  const c = {
    t: start,
    sleeps: [] as number[],
    onSleep: undefined as ((ms: number) => Promise<void> | void) | undefined,
    now: () => c.t,
    async sleep(ms: number) {
      c.sleeps.push(ms);
      c.t += ms;
      await c.onSleep?.(ms);
    },
  };
  return c;
}

const lease = (holder: string, run: string, until: number): Lease => ({ holder, run, until: new Date(until).toISOString() });

describe('leaseVerdict', () => {
  const me = lease('me', 'run-1', T0 + 600_000);
  it.each([
    ['no lease', undefined, 'skip', { take: true }],
    ['an expired lease of another run', lease('x', 'run-2', T0), 'skip', { take: true }],
    ['its own lease', lease('me', 'run-1', T0 + 5_000), 'skip', { take: true }],
    ['a live lease of an earlier attempt of its run: waited out to the end', lease('x', 'run-1', T0 + 5_000), 'skip', { waitMs: 5_000 }],
    ['a live lease of another run, skipping', lease('x', 'run-2', T0 + 5_000), 'skip', { busy: lease('x', 'run-2', T0 + 5_000) }],
    ['a live lease of another run, waiting: polled', lease('x', 'run-2', T0 + 5_000), 'wait', { waitMs: 1_000 }],
    ['a live lease of another run ending sooner than the poll', lease('x', 'run-2', T0 + 300), 'wait', { waitMs: 300 }],
  ] as const)('%s', (_name, found, othersHeld, verdict) => {
    expect(leaseVerdict(found, me, T0, othersHeld, 1_000)).toEqual(verdict);
  });

  it('a new lease ends the margin after the deadline and names its run (or itself as one)', () => {
    expect(newLease({ run: 'r', deadline: T0, holder: 'h' })).toEqual({ holder: 'h', run: 'r', until: new Date(T0 + LEASE_MARGIN_MS).toISOString() });
    expect(newLease({ deadline: T0, holder: 'h' }).run).toBe('h');
  });
});

describe('acquireLease on a lock object', () => {
  it('creates the lock, refuses it to another run while live, and lets it be taken over once expired', async () => {
    const store = memoryStore();
    const clock = fakeClock();
    const a = lease('a', 'run-a', T0 + 10_000);
    const held = await acquireLease(store, lockSlot(KEY), a, { clock, othersHeld: 'skip', waitUntil: T0 });
    expect(held).toMatchObject({ state: 'held', value: a });
    expect(store.ops.map(([op]) => op)).toEqual(['get', 'createJson']);

    const b = lease('b', 'run-b', T0 + 20_000);
    expect(await acquireLease(store, lockSlot(KEY), b, { clock, othersHeld: 'skip', waitUntil: T0 })).toEqual({ state: 'busy', lease: a });

    clock.t = T0 + 10_000;
    const taken = await acquireLease(store, lockSlot(KEY), b, { clock, othersHeld: 'skip', waitUntil: T0 });
    expect(taken).toMatchObject({ state: 'held', value: b });
    // The first holder's release (it would be long dead by then) does not remove the new holder's lock.
    expect(await releaseLock(store, KEY, (held as { etag: string }).etag)).toBe(false);
    expect(JSON.parse(store.text(KEY))).toEqual(b);
    expect(await releaseLock(store, KEY, (taken as { etag: string }).etag)).toBe(true);
    expect(store.keys()).toEqual([]);
  });

  it('of two invocations that both read "free", exactly one holds it: the other sees the winner', async () => {
    const store = memoryStore();
    const clock = fakeClock();
    const a = lease('a', 'run-a', T0 + 10_000);
    const b = lease('b', 'run-b', T0 + 10_000);
    let bResult: unknown;
    // a has read (nothing there) and is about to create: b runs all the way in between.
    store.beforeOp(async (op) => {
      if (op !== 'createJson' || bResult) return;
      store.beforeOp(undefined);
      bResult = await acquireLease(store, lockSlot(KEY), b, { clock, othersHeld: 'skip', waitUntil: T0 });
    });
    const aResult = await acquireLease(store, lockSlot(KEY), a, { clock, othersHeld: 'skip', waitUntil: T0 });
    expect(bResult).toMatchObject({ state: 'held', value: b });
    expect(aResult).toEqual({ state: 'busy', lease: b });
    expect(JSON.parse(store.text(KEY))).toEqual(b);
  });

  it('the same race on an expired lock (If-Match on the ETag both read): one takes it over', async () => {
    const store = memoryStore();
    const clock = fakeClock(T0 + 60_000);
    store.put(KEY, JSON.stringify(lease('dead', 'run-0', T0)));
    const a = lease('a', 'run-a', T0 + 600_000);
    const b = lease('b', 'run-b', T0 + 600_000);
    let bResult: unknown;
    store.beforeOp(async (op) => {
      if (op !== 'replaceJson' || bResult) return;
      store.beforeOp(undefined);
      bResult = await acquireLease(store, lockSlot(KEY), b, { clock, othersHeld: 'skip', waitUntil: clock.t });
    });
    const aResult = await acquireLease(store, lockSlot(KEY), a, { clock, othersHeld: 'skip', waitUntil: clock.t });
    expect(bResult).toMatchObject({ state: 'held', value: b });
    expect(aResult).toEqual({ state: 'busy', lease: b });
  });

  it('waiting for another run: polls until the holder releases, then takes it', async () => {
    const store = memoryStore();
    const clock = fakeClock();
    const a = lease('a', 'run-a', T0 + 300_000);
    const held = (await acquireLease(store, lockSlot(KEY), a, { clock, othersHeld: 'wait', waitUntil: T0 })) as { etag: string };
    // The holder finishes while the waiter sleeps its third poll.
    clock.onSleep = async () => {
      if (clock.sleeps.length === 3) await releaseLock(store, KEY, held.etag);
    };
    const b = lease('b', 'run-b', T0 + 400_000);
    expect(await acquireLease(store, lockSlot(KEY), b, { clock, othersHeld: 'wait', waitUntil: T0 + 60_000, pollMs: 1_000 })).toMatchObject({ state: 'held', value: b });
    expect(clock.sleeps).toEqual([1_000, 1_000, 1_000]);
  });

  it('an earlier attempt of the same run is waited out to its lease end; longer than allowed → LeaseHeld', async () => {
    const store = memoryStore();
    const clock = fakeClock();
    store.put(KEY, JSON.stringify(lease('attempt-1', 'run-a', T0 + 45_000)));
    const retry = lease('attempt-2', 'run-a', T0 + 900_000);
    await expect(acquireLease(store, lockSlot(KEY), retry, { clock, othersHeld: 'skip', waitUntil: T0 + 30_000 })).rejects.toThrow(LeaseHeldError);
    expect(clock.sleeps).toEqual([]);
    expect(await acquireLease(store, lockSlot(KEY), retry, { clock, othersHeld: 'skip', waitUntil: T0 + 120_000 })).toMatchObject({ state: 'held', value: retry });
    expect(clock.sleeps).toEqual([45_000]);
  });
});
