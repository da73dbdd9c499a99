/**
 * Leases: which invocation may do one piece of Light Engine work right now, held in S3 itself with conditional writes
 * (If-None-Match: * to create, If-Match: <ETag> to take over or release), so that two invocations can never both
 * believe they hold it, whatever the timing. The Step Functions guard (ListExecutions) only avoids most overlaps; it
 * is check-then-act, and a run's Lambda invocations outlive a stopped or timed-out execution anyway.
 *
 * A lease ends at its holder's Lambda deadline plus a margin: past it the holder is certainly dead (Lambda stops an
 * invocation at its timeout), and its last S3 requests have landed. So an expired lease can be taken over without
 * asking anyone, and a live one is never broken.
 *
 * Where a lease lives is the caller's choice (LeaseSlot): a lock object of its own (the List step, a compaction of one
 * partition), or a field of the object it guards (a batch manifest, so the lease goes when the batch is done).
 */
import { randomUUID } from 'node:crypto';
import type { BucketStore } from './store';

export interface Lease {
  /** The invocation holding it: unique per attempt. */
  readonly holder: string;
  /**
   * The run it works for (the List step's id, carried by each batch): the Step Functions retries of one task share
   * it, so a retry knows the live lease it meets is its own dead predecessor's, not another run's.
   */
  readonly run: string;
  /** ISO time after which the holder is certainly gone: its Lambda deadline + LEASE_MARGIN_MS. */
  readonly until: string;
}

/**
 * Added to a holder's Lambda deadline: requests it sent just before Lambda stopped it (a CompleteMultipartUpload, a
 * PutObject) may still complete at S3 for a few seconds, and the clocks of two invocations differ by a little.
 */
export const LEASE_MARGIN_MS = 60_000;

export interface LeaseClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: LeaseClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** A new lease for this invocation, ending `marginMs` after its deadline (epoch ms). */
export function newLease(o: { readonly run?: string; readonly deadline: number; readonly marginMs?: number; readonly holder?: string }): Lease {
  const holder = o.holder ?? randomUUID();
  return { holder, run: o.run ?? holder, until: new Date(o.deadline + (o.marginMs ?? LEASE_MARGIN_MS)).toISOString() };
}

export const leaseLive = (l: Lease | undefined, now: number): l is Lease => l !== undefined && Date.parse(l.until) > now;

/** What to do about a live lease of another run: wait for it (a short critical section) or leave the work to it. */
export type OthersHeld = 'wait' | 'skip';

export type LeaseVerdict = { readonly take: true } | { readonly waitMs: number } | { readonly busy: Lease };

/** The decision alone, pure: what `me` does about the lease `found` at `now`. */
export function leaseVerdict(found: Lease | undefined, me: Lease, now: number, othersHeld: OthersHeld, pollMs: number): LeaseVerdict {
  if (!leaseLive(found, now) || found.holder === me.holder) return { take: true };
  const left = Date.parse(found.until) - now;
  // An earlier attempt of this very run: it failed or timed out (that is why this retry runs) without releasing, and
  // its last writes may be in flight until its lease ends. Wait them out, then do the work: skipping would leave the
  // run "successful" with its batch undone, and a batch that always times out would never be reported.
  if (found.run === me.run) return { waitMs: left };
  return othersHeld === 'wait' ? { waitMs: Math.min(pollMs, left) } : { busy: found };
}

/** The lease is held longer than this invocation may wait: thrown, so Step Functions retries the task later. */
export class LeaseHeldError extends Error {
  constructor(key: string, lease: Lease) {
    super(`${key} is leased to ${lease.holder} (run ${lease.run}) until ${lease.until}`);
    this.name = 'LeaseHeld';
  }
}

/** Where a lease is kept, and how a value holds one. */
export interface LeaseSlot<T> {
  readonly key: string;
  leaseOf(value: T): Lease | undefined;
  /** The value to write so that it holds `lease` (undefined: release). `current` is undefined only when creating. */
  holding(current: T | undefined, lease: Lease | undefined): T;
  /** A lock object is created when absent; a guarded object that is absent means its work is `gone` (done). */
  readonly createIfAbsent: boolean;
}

export interface AcquireOptions {
  readonly clock: LeaseClock;
  readonly othersHeld: OthersHeld;
  /** Epoch ms: a lease still held then is not waited for (LeaseHeldError). */
  readonly waitUntil: number;
  /** How often a live holder of another run is looked at again while waiting. @default 1000 */
  readonly pollMs?: number;
}

export type Acquired<T> =
  | { readonly state: 'held'; readonly etag: string; readonly value: T }
  | { readonly state: 'busy'; readonly lease: Lease }
  | { readonly state: 'gone' };

/** Consecutive lost compare-and-swaps before giving up: each one means another writer made progress. */
const MAX_CONFLICTS = 20;

/**
 * Takes the lease in `slot` for `me`: free or expired → a conditional write; held → the verdict (wait, or busy).
 * Every write is conditional on what was read, so of two invocations that read the same state only one succeeds; the
 * other reads again and sees the winner's lease.
 */
export async function acquireLease<T>(store: BucketStore, slot: LeaseSlot<T>, me: Lease, o: AcquireOptions): Promise<Acquired<T>> {
  let conflicts = 0;
  for (;;) {
    const body = await store.get(slot.key);
    if (!body && !slot.createIfAbsent) return { state: 'gone' };
    const current = body ? (JSON.parse(await body.text()) as T) : undefined;
    const now = o.clock.now();
    const verdict = leaseVerdict(current === undefined ? undefined : slot.leaseOf(current), me, now, o.othersHeld, o.pollMs ?? 1000);
    if ('busy' in verdict) return { state: 'busy', lease: verdict.busy };
    if ('waitMs' in verdict) {
      const found = slot.leaseOf(current as T)!;
      if (now + verdict.waitMs > o.waitUntil) throw new LeaseHeldError(slot.key, found);
      await o.clock.sleep(verdict.waitMs);
      conflicts = 0;
      continue;
    }
    const value = slot.holding(current, me);
    const written = body ? await store.replaceJson(slot.key, value, body.etag) : await store.createJson(slot.key, value);
    if ('etag' in written) return { state: 'held', etag: written.etag, value };
    if (written.conflict === 'gone' && !slot.createIfAbsent) return { state: 'gone' };
    if (++conflicts >= MAX_CONFLICTS) throw new Error(`${slot.key}: lost ${conflicts} compare-and-swaps in a row`);
  }
}

/** A lock object: the whole value is the lease. Released by deleting it, only if it is still this holder's. */
export const lockSlot = (key: string): LeaseSlot<Lease> => ({
  key,
  leaseOf: (v) => v,
  holding: (_current, lease) => lease!,
  createIfAbsent: true,
});

/** Deletes the lock if it is still the one written with `etag`; false when it was taken over (after it expired). */
export function releaseLock(store: BucketStore, key: string, etag: string): Promise<boolean> {
  return store.deleteIfUnchanged(key, etag);
}
