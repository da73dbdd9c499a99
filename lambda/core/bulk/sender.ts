/**
 * Sends one `_bulk` body and accounts for every item: indexed, already there (409 on `create` with a
 * deterministic _id), or failed with a reason. Retries what is worth retrying, within bounds; marks as transient (for
 * a later delivery) what no retry now would change: the request refused for its credentials, a write-blocked index.
 * The transport is injected so the same logic runs against Amazon OpenSearch (SigV4), a self-managed node, or a test.
 */

export interface BulkResponse {
  readonly status: number;
  /** Response body text (JSON for 2xx). */
  readonly body: string;
}

/**
 * POST `/_bulk` with an NDJSON body, giving up after `timeoutMs` when given. Throws on network errors and timeouts
 * (treated as retryable).
 */
export type BulkTransport = (body: Buffer, opts?: { readonly timeoutMs?: number }) => Promise<BulkResponse>;

export interface BulkRequest<T> {
  /** NDJSON (UTF-8): per item an action line and a document line, in item order. */
  readonly body: Buffer;
  readonly count: number;
  /** Item i's ref, made when asked for: only the items that do not go in need one. */
  ref(i: number): T;
}

export interface FailedItem<T> {
  readonly ref: T;
  readonly reason: string;
  /**
   * True when a later delivery may succeed: retries exhausted (429, 5xx, network), or a refusal no retry within the
   * invocation would change (credentials or permissions, a write-blocked or closed index).
   */
  readonly transient: boolean;
}

export interface BulkOutcome<T> {
  /** Items created. */
  indexed: number;
  /** Items whose `create` answered 409: a document with this deterministic _id exists (redelivery). */
  duplicates: number;
  failed: FailedItem<T>[];
  /** HTTP requests made, including retries and splits. */
  requests: number;
}

export interface RetryPolicy {
  /** Attempts per request, first one included. @default 6 */
  readonly maxAttempts?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 10000 */
  readonly maxDelayMs?: number;
  /** Injected for tests. @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
  /**
   * Epoch ms by which every attempt must have ended (the invocation's end, less the time its backups need): a
   * request gets at most the time left as its timeout, and no attempt or backoff starts that could not end in
   * time. Items then fail as transient ("no time left"), never silently. @default no deadline
   */
  readonly deadline?: number;
  /** Attempts that would get less time than this are not started. @default 1000 */
  readonly minAttemptMs?: number;
  /** Injected for tests. @default Date.now */
  readonly now?: () => number;
}

/** Whole-request answers worth another attempt: busy or briefly unavailable. */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_ITEM_STATUS = new Set([429, 503]);
/**
 * The whole request refused for its credentials or permissions (a role not mapped yet, expired keys, a policy being
 * changed): nothing a retry seconds later would change, but nothing wrong with the lines either, so they are left to
 * a later delivery (transient) rather than backed up at once or retried to the end of the budget.
 */
const AUTH_STATUS = new Set([401, 403]);
/**
 * Items refused because of the index's state, not their content: a write block (`index.blocks.write`, or the
 * read-only-allow-delete block of the flood-stage disk watermark, answered 429) or a closed index. They are lifted by
 * an operator or freed disk, minutes away rather than seconds, so the items are left to a later delivery without
 * spending the retry budget on them.
 */
const INDEX_STATE_ERRORS = new Set(['cluster_block_exception', 'index_closed_exception']);

/** Full-jitter exponential backoff (AWS Architecture Blog): delay ∈ [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, policy: RetryPolicy = {}): number {
  const base = policy.baseDelayMs ?? 200;
  const cap = policy.maxDelayMs ?? 10_000;
  return Math.floor((policy.random ?? Math.random)() * Math.min(cap, base * 2 ** attempt));
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Where each item's NDJSON pair starts in the body (and, at [count], where the last one ends): JSON escapes
 * newlines, so the body splits cleanly on them. Needed only to resend part of a request.
 */
function itemStarts(body: Buffer, count: number): Int32Array {
  const starts = new Int32Array(count + 1);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    starts[i] = pos;
    pos = body.indexOf(10, body.indexOf(10, pos) + 1) + 1;
  }
  starts[count] = pos;
  return starts;
}

/** The body of some of a request's items (indices into it, in order). */
function bodyOf(body: Buffer, starts: Int32Array, items: number[]): Buffer {
  return Buffer.concat(items.map((i) => body.subarray(starts[i], starts[i + 1])));
}

interface ItemResult {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { reason?: string } };
}

function itemReason(r: ItemResult): string {
  const e = r.error;
  if (!e) return `status ${r.status}`;
  const cause = e.caused_by?.reason ? ` (${e.caused_by.reason})` : '';
  return `${r.status} ${e.type ?? 'error'}: ${e.reason ?? ''}${cause}`;
}

export async function sendBulk<T>(request: BulkRequest<T>, transport: BulkTransport, policy: RetryPolicy = {}): Promise<BulkOutcome<T>> {
  const outcome: BulkOutcome<T> = { indexed: 0, duplicates: 0, failed: [], requests: 0 };
  if (request.count === 0) return outcome;
  let starts: Int32Array | undefined;
  const part = (items: number[]) => bodyOf(request.body, (starts ??= itemStarts(request.body, request.count)), items);
  const all = Array.from({ length: request.count }, (_, i) => i);
  await sendPending(request, all, request.body, part, transport, policy, outcome);
  return outcome;
}

/** Sends the items (indices into the request) whose body is `body`; `part` makes the body of a subset. */
async function sendPending<T>(
  request: BulkRequest<T>,
  items: number[],
  body: Buffer,
  part: (items: number[]) => Buffer,
  transport: BulkTransport,
  policy: RetryPolicy,
  outcome: BulkOutcome<T>,
): Promise<void> {
  const maxAttempts = policy.maxAttempts ?? 6;
  const sleep = policy.sleep ?? defaultSleep;
  const now = policy.now ?? Date.now;
  const deadline = policy.deadline ?? Infinity;
  const minAttemptMs = policy.minAttemptMs ?? 1000;
  let current = items;
  let currentBody = body;
  let lastProblem = '';
  let attempts = 0;
  for (let attempt = 0; attempt < maxAttempts && current.length > 0; attempt++) {
    const delay = attempt > 0 ? backoffDelay(attempt, policy) : 0;
    const left = deadline - now() - delay;
    if (left < minAttemptMs) {
      lastProblem = `${lastProblem ? `${lastProblem}; ` : ''}no time left in this invocation for ${attempt > 0 ? 'another' : 'an'} attempt`;
      break;
    }
    if (delay > 0) await sleep(delay);
    let res: BulkResponse;
    outcome.requests++;
    attempts++;
    try {
      res = await (deadline === Infinity ? transport(currentBody) : transport(currentBody, { timeoutMs: Math.floor(left) }));
    } catch (e) {
      lastProblem = `bulk request failed: ${(e as Error).message}`;
      continue;
    }
    if (res.status === 413) {
      if (current.length === 1) {
        outcome.failed.push({ ref: request.ref(current[0]), reason: '413 request entity too large: the document alone exceeds the domain limit', transient: false });
        return;
      }
      // Halve and send each half on its own; each half gets a fresh retry budget.
      const mid = current.length >> 1;
      for (const half of [current.slice(0, mid), current.slice(mid)]) {
        await sendPending(request, half, part(half), part, transport, policy, outcome);
      }
      return;
    }
    if (RETRYABLE_STATUS.has(res.status)) {
      lastProblem = `bulk request answered HTTP ${res.status}`;
      continue;
    }
    if (AUTH_STATUS.has(res.status)) {
      const reason = `bulk request refused: HTTP ${res.status} ${res.body.slice(0, 500)}`;
      for (const i of current) outcome.failed.push({ ref: request.ref(i), reason, transient: true });
      return;
    }
    if (res.status < 200 || res.status >= 300) {
      const reason = `bulk request rejected: HTTP ${res.status} ${res.body.slice(0, 500)}`;
      for (const i of current) outcome.failed.push({ ref: request.ref(i), reason, transient: false });
      return;
    }
    let parsed: { errors?: boolean; items?: Array<Record<string, ItemResult>> };
    try {
      parsed = JSON.parse(res.body);
    } catch {
      lastProblem = 'bulk response is not JSON';
      continue;
    }
    const results = parsed.items ?? [];
    if (results.length !== current.length) {
      lastProblem = `bulk response has ${results.length} items for ${current.length} sent`;
      continue;
    }
    const retry: number[] = [];
    for (let k = 0; k < current.length; k++) {
      const r = Object.values(results[k])[0];
      if (r.status >= 200 && r.status < 300) outcome.indexed++;
      else if (r.status === 409) outcome.duplicates++;
      // Checked before the status: the flood-stage block answers 429 like a busy node, but does not clear in seconds.
      else if (INDEX_STATE_ERRORS.has(r.error?.type ?? '')) outcome.failed.push({ ref: request.ref(current[k]), reason: itemReason(r), transient: true });
      else if (RETRYABLE_ITEM_STATUS.has(r.status)) {
        retry.push(current[k]);
        lastProblem = itemReason(r);
      } else outcome.failed.push({ ref: request.ref(current[k]), reason: itemReason(r), transient: false });
    }
    current = retry;
    if (retry.length > 0) currentBody = part(retry);
  }
  for (const i of current) {
    outcome.failed.push({ ref: request.ref(i), reason: `${lastProblem} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`, transient: true });
  }
}

/** The outcome of a request that is not sent: every item failed for good with `reason` (backed up by the caller). */
export function refuseAll<T>(request: BulkRequest<T>, reason: string): BulkOutcome<T> {
  return { indexed: 0, duplicates: 0, requests: 0, failed: Array.from({ length: request.count }, (_, i) => ({ ref: request.ref(i), reason, transient: false })) };
}
