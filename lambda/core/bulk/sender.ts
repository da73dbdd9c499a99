/**
 * Sends one `_bulk` body and accounts for every item: indexed, already there (409 on `create` with a
 * deterministic _id), or failed with a reason. Retries what is worth retrying, within bounds.
 * The transport is injected so the same logic runs against Amazon OpenSearch (SigV4), a self-managed node, or a test.
 */

export interface BulkResponse {
  readonly status: number;
  /** Response body text (JSON for 2xx). */
  readonly body: string;
}

/** POST `/_bulk`. Throws on network errors and timeouts (treated as retryable). */
export type BulkTransport = (body: string) => Promise<BulkResponse>;

export interface BulkRequest<T> {
  readonly body: string;
  readonly items: ReadonlyArray<{ readonly id: string; readonly ref: T }>;
}

export interface FailedItem<T> {
  readonly ref: T;
  readonly reason: string;
  /** True when the failure was transient (retries exhausted): redelivery may succeed. */
  readonly transient: boolean;
}

export interface BulkOutcome<T> {
  indexed: T[];
  /** `create` answered 409: a document with this deterministic _id exists (redelivery). */
  duplicates: T[];
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
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_ITEM_STATUS = new Set([429, 503]);

/** Full-jitter exponential backoff (AWS Architecture Blog): delay ∈ [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, policy: RetryPolicy = {}): number {
  const base = policy.baseDelayMs ?? 200;
  const cap = policy.maxDelayMs ?? 10_000;
  return Math.floor((policy.random ?? Math.random)() * Math.min(cap, base * 2 ** attempt));
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One NDJSON pair per item: JSON escapes newlines, so the body splits cleanly on '\n'. */
function itemChunks(body: string, count: number): string[] {
  const lines = body.split('\n');
  const chunks: string[] = new Array(count);
  for (let i = 0; i < count; i++) chunks[i] = `${lines[2 * i]}\n${lines[2 * i + 1]}\n`;
  return chunks;
}

interface Pending<T> {
  readonly chunk: string;
  readonly id: string;
  readonly ref: T;
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
  const outcome: BulkOutcome<T> = { indexed: [], duplicates: [], failed: [], requests: 0 };
  if (request.items.length === 0) return outcome;
  const chunks = itemChunks(request.body, request.items.length);
  const pending = request.items.map((it, i) => ({ chunk: chunks[i], id: it.id, ref: it.ref }));
  await sendPending(pending, request.body, transport, policy, outcome);
  return outcome;
}

async function sendPending<T>(
  items: Pending<T>[],
  body: string,
  transport: BulkTransport,
  policy: RetryPolicy,
  outcome: BulkOutcome<T>,
): Promise<void> {
  const maxAttempts = policy.maxAttempts ?? 6;
  const sleep = policy.sleep ?? defaultSleep;
  let current = items;
  let currentBody = body;
  let lastProblem = '';
  for (let attempt = 0; attempt < maxAttempts && current.length > 0; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt, policy));
    let res: BulkResponse;
    outcome.requests++;
    try {
      res = await transport(currentBody);
    } catch (e) {
      lastProblem = `bulk request failed: ${(e as Error).message}`;
      continue;
    }
    if (res.status === 413) {
      if (current.length === 1) {
        outcome.failed.push({ ref: current[0].ref, reason: '413 request entity too large: the document alone exceeds the domain limit', transient: false });
        return;
      }
      // Halve and send each half on its own; each half gets a fresh retry budget.
      const mid = current.length >> 1;
      for (const half of [current.slice(0, mid), current.slice(mid)]) {
        await sendPending(half, half.map((p) => p.chunk).join(''), transport, policy, outcome);
      }
      return;
    }
    if (RETRYABLE_STATUS.has(res.status)) {
      lastProblem = `bulk request answered HTTP ${res.status}`;
      continue;
    }
    if (res.status < 200 || res.status >= 300) {
      const reason = `bulk request rejected: HTTP ${res.status} ${res.body.slice(0, 500)}`;
      for (const p of current) outcome.failed.push({ ref: p.ref, reason, transient: false });
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
    const retry: Pending<T>[] = [];
    for (let i = 0; i < current.length; i++) {
      const r = Object.values(results[i])[0];
      if (r.status >= 200 && r.status < 300) outcome.indexed.push(current[i].ref);
      else if (r.status === 409) outcome.duplicates.push(current[i].ref);
      else if (RETRYABLE_ITEM_STATUS.has(r.status)) {
        retry.push(current[i]);
        lastProblem = itemReason(r);
      } else outcome.failed.push({ ref: current[i].ref, reason: itemReason(r), transient: false });
    }
    current = retry;
    currentBody = retry.map((p) => p.chunk).join('');
  }
  for (const p of current) {
    outcome.failed.push({ ref: p.ref, reason: `${lastProblem} (gave up after ${maxAttempts} attempts)`, transient: true });
  }
}
