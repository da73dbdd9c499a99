/**
 * Delivery pins: which concrete index a delivered unit (one S3 object, one Kinesis shard's records) was written to,
 * so that its redelivery goes to that same index.
 *
 * Why: documents get deterministic `_id`s and are written with `create`, so a redelivered line answers 409, but
 * `_id`s are unique per index only. Written through the write alias, a redelivery after a rollover (daily by
 * default) would land in the new index and index every line a second time. So each unit is pinned, before its
 * first bulk, to the index the alias wrote to then; a redelivery reads the pin and writes there.
 *
 * The pins live in one small ledger index per pipeline, `<prefix>.ledger` (outside the template's and the ISM
 * policy's `<prefix>-*`, inside the `<prefix>*` a fine-grained role mapping grants). Reads and conditional writes
 * by `_id` are realtime in OpenSearch (no refresh needed), which is all this uses.
 *
 * Pure: the HTTP function is injected.
 */
import type { BulkTransport } from '../bulk/sender';
import { compareSequence } from '../kinesis';
import type { OpenSearchHttp } from './index-layout';

export const ledgerIndex = (prefix: string) => `${prefix}.ledger`;

/** How long an object's pin is kept: longer than any redelivery (SQS keeps a message at most 14 days). */
export const OBJECT_PIN_DAYS = 30;

/**
 * A Kinesis shard's segments: records with sequence numbers from `from` (inclusive) up to the next segment's `from`
 * went to `index`; `high` is the highest sequence number ever pinned.
 */
export interface ShardPin {
  readonly segments: ReadonlyArray<{ readonly from: string; readonly index: string; readonly at: string }>;
  readonly high: string;
}

/** What one Kinesis batch does under its shard's pin. */
export interface ShardPlan {
  readonly index: string;
  /**
   * Records from this sequence number on belong to a later segment (another index): they are left to the retry
   * (batchItemFailures), whose batch then starts in that segment. Undefined: the whole batch goes to `index`.
   */
  readonly cutAt?: string;
  /** The pin to store before anything is sent; undefined when the batch holds no record beyond `high`. */
  readonly update?: ShardPin;
  /** True when the batch starts at or below `high`: a redelivery, written to an index that may be gone. */
  readonly redelivery: boolean;
}

/** Segments are dropped once the next one began longer ago than Kinesis keeps any record (365 days at most). */
const SEGMENT_KEEP_MS = 366 * 24 * 3600 * 1000;

/**
 * The index of a batch whose sequence numbers run from `first` to `last`. A batch that starts beyond `high` is new:
 * it goes to `writeIndex` (a new segment when that differs from the last one). A batch that starts at or below
 * `high` is a redelivery: it goes where its first record went, and stops where the next segment begins.
 */
export function planShardBatch(pin: ShardPin | undefined, first: string, last: string, writeIndex: string, now: Date): ShardPlan {
  if (pin && pin.segments.length > 0 && compareSequence(first, pin.high) <= 0) {
    let i = pin.segments.length - 1;
    while (i > 0 && compareSequence(pin.segments[i].from, first) > 0) i--;
    const next = pin.segments[i + 1];
    if (next && compareSequence(last, next.from) >= 0) return { index: pin.segments[i].index, cutAt: next.from, redelivery: true };
    const grows = compareSequence(last, pin.high) > 0;
    return { index: pin.segments[i].index, redelivery: true, ...(grows ? { update: { segments: pin.segments, high: last } } : {}) };
  }
  const segments = pin?.segments ?? [];
  const tail = segments[segments.length - 1];
  if (tail && tail.index === writeIndex) return { index: writeIndex, redelivery: false, update: { segments, high: last } };
  const cutoff = now.getTime() - SEGMENT_KEEP_MS;
  const kept = segments.filter((_s, k) => k === segments.length - 1 || Date.parse(segments[k + 1].at) >= cutoff);
  return { index: writeIndex, redelivery: false, update: { segments: [...kept, { from: first, index: writeIndex, at: now.toISOString() }], high: last } };
}

/** The index the write alias `prefix` writes to now. */
export async function writeIndexOf(http: OpenSearchHttp, prefix: string): Promise<string> {
  const res = await http('GET', `/_alias/${encodeURIComponent(prefix)}`);
  if (res.status !== 200) throw new Error(`read write alias ${prefix}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  const indices = Object.entries(JSON.parse(res.body) as Record<string, { aliases: Record<string, { is_write_index?: boolean }> }>);
  const write = indices.find(([, v]) => v.aliases[prefix]?.is_write_index === true) ?? (indices.length === 1 ? indices[0] : undefined);
  if (!write) throw new Error(`alias ${prefix} has no write index (${indices.map(([k]) => k).join(', ')})`);
  return write[0];
}

interface StoredPin<T> {
  readonly source: T;
  readonly seqNo: number;
  readonly primaryTerm: number;
}

async function readPin<T>(http: OpenSearchHttp, ledger: string, id: string): Promise<StoredPin<T> | undefined> {
  const res = await http('GET', `/${ledger}/_doc/${encodeURIComponent(id)}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`read pin ${id}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  const doc = JSON.parse(res.body) as { found: boolean; _source: T; _seq_no: number; _primary_term: number };
  return doc.found ? { source: doc._source, seqNo: doc._seq_no, primaryTerm: doc._primary_term } : undefined;
}

/** Creates (no `current`) or replaces `current` of the pin; false when another writer got there first. */
async function writePin(http: OpenSearchHttp, ledger: string, id: string, body: unknown, current?: StoredPin<unknown>): Promise<boolean> {
  const path = current
    ? `/${ledger}/_doc/${encodeURIComponent(id)}?if_seq_no=${current.seqNo}&if_primary_term=${current.primaryTerm}`
    : `/${ledger}/_create/${encodeURIComponent(id)}`;
  const res = await http('PUT', path, body);
  if (res.status === 409) return false;
  if (res.status >= 300) throw new Error(`write pin ${id}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return true;
}

const exists = async (http: OpenSearchHttp, index: string) => (await http('HEAD', `/${encodeURIComponent(index)}`)).status === 200;

const ATTEMPTS = 5;

export interface PinContext {
  readonly http: OpenSearchHttp;
  /** The pipeline's write alias. */
  readonly prefix: string;
  readonly now?: () => Date;
}

/**
 * The index for one S3 object (`unit`: its deterministic id prefix): where an earlier delivery pinned it, or the
 * write index, pinned now. A pin whose index is gone (deleted by the lifecycle policy) is moved to the write index:
 * its documents went with the index, so writing them again duplicates nothing.
 */
export async function pinObject(c: PinContext, unit: string): Promise<string> {
  const ledger = ledgerIndex(c.prefix);
  const now = c.now ?? (() => new Date());
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await readPin<{ index: string }>(c.http, ledger, unit);
    if (current && (await exists(c.http, current.source.index))) return current.source.index;
    const index = await writeIndexOf(c.http, c.prefix);
    if (await writePin(c.http, ledger, unit, { index, at: now().toISOString() }, current)) return index;
  }
  throw new Error(`pin ${unit}: still contended after ${ATTEMPTS} attempts`);
}

/** Pins a Kinesis batch of one shard (`unit`: the shard's id prefix) and says where it goes (planShardBatch). */
export async function pinShardBatch(c: PinContext, unit: string, first: string, last: string): Promise<ShardPlan> {
  const ledger = ledgerIndex(c.prefix);
  const now = c.now ?? (() => new Date());
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await readPin<ShardPin & { at: string }>(c.http, ledger, unit);
    const pin = current?.source;
    const redelivery = pin !== undefined && compareSequence(first, pin.high) <= 0;
    // Only a new batch needs the write index; a redelivery goes where its records went.
    const plan = planShardBatch(pin, first, last, redelivery ? '' : await writeIndexOf(c.http, c.prefix), now());
    if (plan.redelivery && !(await exists(c.http, plan.index))) {
      // Its records went with the deleted index: send them to the write index, and pin nothing new.
      return { index: await writeIndexOf(c.http, c.prefix), redelivery: true, ...(plan.cutAt ? { cutAt: plan.cutAt } : {}) };
    }
    if (!plan.update) return plan;
    if (await writePin(c.http, ledger, unit, { ...plan.update, at: now().toISOString() }, current)) return plan;
  }
  throw new Error(`pin ${unit}: still contended after ${ATTEMPTS} attempts`);
}

/** Settings of the ledger: a handful of small documents read and written by id. */
export function ledgerIndexBody(replicas: number): Record<string, unknown> {
  return {
    settings: { number_of_shards: 1, number_of_replicas: replicas },
    mappings: { dynamic: false, properties: { index: { type: 'keyword' }, at: { type: 'date' } } },
  };
}

/**
 * Deletes up to `max` pins not written for OBJECT_PIN_DAYS (a shard's pin is rewritten by each new batch). Search and
 * bulk delete rather than `_delete_by_query`, which needs the reindex module that a minimal node lacks; called once
 * per container, it keeps up with any realistic rate of new objects.
 */
export async function expireObjectPins(http: OpenSearchHttp, bulk: BulkTransport, prefix: string, max = 1000): Promise<number> {
  const ledger = ledgerIndex(prefix);
  const found = await http('POST', `/${ledger}/_search?filter_path=hits.hits._id`, { query: { range: { at: { lt: `now-${OBJECT_PIN_DAYS}d` } } }, size: max, _source: false });
  if (found.status >= 300) throw new Error(`find expired pins: HTTP ${found.status} ${found.body.slice(0, 300)}`);
  const ids = ((JSON.parse(found.body) as { hits?: { hits?: Array<{ _id: string }> } }).hits?.hits ?? []).map((h) => h._id);
  if (ids.length === 0) return 0;
  const body = ids.map((id) => `${JSON.stringify({ delete: { _index: ledger, _id: id } })}\n`).join('');
  const res = await bulk(Buffer.from(body));
  if (res.status >= 300 || (JSON.parse(res.body) as { errors?: boolean }).errors) throw new Error(`expire pins: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return ids.length;
}
