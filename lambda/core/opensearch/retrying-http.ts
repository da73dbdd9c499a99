/**
 * The small requests beside the bulks (delivery pins, the write alias) under the bulks' retry policy: a busy or
 * briefly unavailable domain (429, 5xx, a network error) is tried again with the same backoff and within the same
 * invocation deadline, so that one refused request does not fail a whole message or batch.
 */
import { RETRYABLE_STATUS, backoffDelay, type RetryPolicy } from '../bulk/sender';
import type { OpenSearchHttp } from './index-layout';

export function retryingHttp(http: OpenSearchHttp, policy: RetryPolicy): OpenSearchHttp {
  const maxAttempts = policy.maxAttempts ?? 6;
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = policy.now ?? Date.now;
  const deadline = policy.deadline ?? Infinity;
  return async (method, path, body) => {
    let last: unknown;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const delay = attempt > 0 ? backoffDelay(attempt, policy) : 0;
      if (now() + delay >= deadline) break;
      if (delay > 0) await sleep(delay);
      try {
        const res = await http(method, path, body);
        if (!RETRYABLE_STATUS.has(res.status)) return res;
        last = res;
      } catch (e) {
        last = e;
      }
    }
    if (last instanceof Error) throw last;
    if (last) return last as { status: number; body: string };
    throw new Error(`${method} ${path}: no time left in this invocation`);
  };
}
