import { backoffDelay, sendBulk, type BulkResponse } from '../../../../lambda/core/bulk/sender';

/** n items, item i's ref is i (and its document `{"n":i}`; one with a `中` to check byte offsets). */
const request = (n: number) => ({
  body: Buffer.from(Array.from({ length: n }, (_, i) => `{"create":{"_index":"x","_id":"id${i}"}}\n{"n":${i},"s":"中"}\n`).join('')),
  count: n,
  ref: (i: number) => i,
});
const ids = (body: Buffer) => [...body.toString().matchAll(/"_id":"(id\d+)"/g)].map((m) => m[1]);
const ok = (statuses: number[], errors: Record<number, object> = {}): BulkResponse => ({
  status: 200,
  body: JSON.stringify({ errors: statuses.some((s) => s >= 300), items: statuses.map((status, i) => ({ create: { status, ...(errors[i] ? { error: errors[i] } : {}) } })) }),
});
const noSleep = { sleep: async () => undefined };

describe('sendBulk', () => {
  it('accounts every item: created, duplicate, mapping error', async () => {
    const out = await sendBulk(request(3), async () => ok([201, 409, 400], { 2: { type: 'mapper_parsing_exception', reason: 'failed to parse field [status]', caused_by: { reason: 'For input string: "abc"' } } }), noSleep);
    expect(out.indexed).toBe(1);
    expect(out.duplicates).toBe(1);
    expect(out.failed).toEqual([{ ref: 2, transient: false, reason: '400 mapper_parsing_exception: failed to parse field [status] (For input string: "abc")' }]);
  });

  it('retries only the items that answered 429/503', async () => {
    const bodies: Buffer[] = [];
    const out = await sendBulk(request(4), async (body) => {
      bodies.push(body);
      return bodies.length === 1 ? ok([201, 429, 201, 503]) : ok([201, 201]);
    }, noSleep);
    expect(ids(bodies[1])).toEqual(['id1', 'id3']);
    expect(bodies[1].toString()).toBe('{"create":{"_index":"x","_id":"id1"}}\n{"n":1,"s":"中"}\n{"create":{"_index":"x","_id":"id3"}}\n{"n":3,"s":"中"}\n');
    expect(out.indexed).toBe(4);
    expect(out.requests).toBe(2);
  });

  it('backs off on 429/5xx and network errors, then gives up with a transient failure', async () => {
    const delays: number[] = [];
    let calls = 0;
    const out = await sendBulk(request(2), async () => {
      calls++;
      if (calls % 2) throw new Error('connect ECONNREFUSED 127.0.0.1:9200');
      return { status: 503, body: 'unavailable' };
    }, { maxAttempts: 4, sleep: async (ms) => void delays.push(ms), random: () => 0.5, baseDelayMs: 100, maxDelayMs: 250 });
    expect(calls).toBe(4);
    expect(delays).toEqual([100, 125, 125]);
    expect(out.failed.map((f) => f.transient)).toEqual([true, true]);
    expect(out.failed[0].reason).toBe('bulk request answered HTTP 503 (gave up after 4 attempts)');
  });

  it('keeps every attempt and backoff inside the deadline: each request times out at the time left, items fail transient', async () => {
    let clock = 1_000_000;
    const timeouts: Array<number | undefined> = [];
    const policy = {
      maxAttempts: 6,
      baseDelayMs: 1000,
      maxDelayMs: 1000,
      random: () => 1,
      now: () => clock,
      sleep: async (ms: number) => void (clock += ms),
      deadline: 1_000_000 + 25_000,
    };
    // a hung domain: every request runs into its timeout
    const out = await sendBulk(request(3), async (_body, opts) => {
      timeouts.push(opts?.timeoutMs);
      clock += opts!.timeoutMs!;
      throw new Error('Request timed out');
    }, policy);
    expect(timeouts).toEqual([25_000]);
    expect(clock).toBe(1_025_000);
    expect(out.failed).toEqual([0, 1, 2].map((ref) => ({
      ref,
      transient: true,
      reason: 'bulk request failed: Request timed out; no time left in this invocation for another attempt (gave up after 1 attempt)',
    })));
    // refused connections fail fast: attempts go on while backoff and a second of request still fit
    clock = 1_000_000;
    timeouts.length = 0;
    const refused = await sendBulk(request(1), async (_body, opts) => {
      timeouts.push(opts?.timeoutMs);
      clock += 10;
      throw new Error('connect ECONNREFUSED');
    }, { ...policy, deadline: 1_000_000 + 3_500 });
    expect(timeouts).toEqual([3_500, 2_490, 1_480]);
    expect(refused.failed[0].reason).toBe('bulk request failed: connect ECONNREFUSED; no time left in this invocation for another attempt (gave up after 3 attempts)');
    // past the deadline already: nothing is sent, the items are transient failures all the same
    let sent = 0;
    const late = await sendBulk(request(2), async () => (sent++, ok([201, 201])), { ...policy, deadline: clock - 1 });
    expect(sent).toBe(0);
    expect(late.failed.map((f) => [f.ref, f.transient, f.reason])).toEqual([
      [0, true, 'no time left in this invocation for an attempt (gave up after 0 attempts)'],
      [1, true, 'no time left in this invocation for an attempt (gave up after 0 attempts)'],
    ]);
  });

  it('recovers when the cluster comes back within the budget', async () => {
    let calls = 0;
    const out = await sendBulk(request(2), async () => (++calls < 3 ? { status: 502, body: '' } : ok([201, 201])), noSleep);
    expect(out.indexed).toBe(2);
    expect(out.failed).toEqual([]);
  });

  it('splits on 413 until the halves fit; a lone oversized document fails', async () => {
    const sizes: number[] = [];
    const out = await sendBulk(request(5), async (body) => {
      const n = ids(body);
      sizes.push(n.length);
      expect(body.toString()).toBe(n.map((id) => `{"create":{"_index":"x","_id":"${id}"}}\n{"n":${id.slice(2)},"s":"中"}\n`).join(''));
      // id4 alone is over the limit; so is any request of more than two documents.
      return n.includes('id4') || n.length > 2 ? { status: 413, body: '' } : ok(n.map(() => 201));
    }, noSleep);
    expect(sizes).toEqual([5, 2, 3, 1, 2, 1, 1]);
    expect(out.indexed).toBe(4);
    expect(out.failed).toEqual([{ ref: 4, transient: false, reason: expect.stringMatching(/^413/) }]);
  });

  it('fails the batch without retry on a 4xx such as 400', async () => {
    let calls = 0;
    const out = await sendBulk(request(2), async () => (calls++, { status: 400, body: '{"error":{"type":"illegal_argument_exception","reason":"Malformed action/metadata line [1]"}}' }), noSleep);
    expect(calls).toBe(1);
    expect(out.failed).toEqual([0, 1].map((ref) => ({ ref, transient: false, reason: 'bulk request rejected: HTTP 400 {"error":{"type":"illegal_argument_exception","reason":"Malformed action/metadata line [1]"}}' })));
  });

  it('leaves a request refused for its credentials or permissions (401, 403) to a later delivery, without retrying it now', async () => {
    for (const status of [401, 403]) {
      let calls = 0;
      const body = '{"error":{"type":"security_exception","reason":"no permissions for [indices:data/write/bulk]"},"status":403}';
      const out = await sendBulk(request(2), async () => (calls++, { status, body }), noSleep);
      expect(calls).toBe(1);
      expect(out).toMatchObject({ indexed: 0, duplicates: 0, requests: 1 });
      expect(out.failed).toEqual([0, 1].map((ref) => ({ ref, transient: true, reason: `bulk request refused: HTTP ${status} ${body}` })));
    }
  });

  it('leaves items refused by the index state (write block, flood-stage block, closed index) to a later delivery, without retrying them now', async () => {
    const write = { type: 'cluster_block_exception', reason: 'index [web-1] blocked by: [FORBIDDEN/8/index write (api)];' };
    const flood = { type: 'cluster_block_exception', reason: 'index [web-1] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];' };
    const closed = { type: 'index_closed_exception', reason: 'closed' };
    const bodies: Buffer[] = [];
    const out = await sendBulk(request(5), async (body) => {
      bodies.push(body);
      // the busy node's item 429 is retried; the blocks are not
      return bodies.length === 1 ? ok([201, 403, 429, 400, 429], { 1: write, 2: flood, 3: closed, 4: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } }) : ok([201]);
    }, noSleep);
    expect(bodies.map(ids)).toEqual([['id0', 'id1', 'id2', 'id3', 'id4'], ['id4']]);
    expect(out).toMatchObject({ indexed: 2, duplicates: 0, requests: 2 });
    expect(out.failed).toEqual([
      { ref: 1, transient: true, reason: '403 cluster_block_exception: index [web-1] blocked by: [FORBIDDEN/8/index write (api)];' },
      { ref: 2, transient: true, reason: '429 cluster_block_exception: index [web-1] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];' },
      { ref: 3, transient: true, reason: '400 index_closed_exception: closed' },
    ]);
  });

  it('asks for the refs of the items that did not go in only', async () => {
    const asked: number[] = [];
    const req = { ...request(4), ref: (i: number) => (asked.push(i), i) };
    const out = await sendBulk(req, async () => ok([201, 409, 400, 201]), noSleep);
    expect(out).toMatchObject({ indexed: 2, duplicates: 1, requests: 1 });
    expect(out.failed.map((f) => f.ref)).toEqual([2]);
    expect(asked).toEqual([2]);
  });

  it('sends the request body itself when nothing is retried', async () => {
    const req = request(3);
    const sent: Buffer[] = [];
    await sendBulk(req, async (body) => (sent.push(body), ok([201, 201, 201])), noSleep);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBe(req.body);
  });

  it('jitters within the exponential cap', () => {
    expect(backoffDelay(3, { random: () => 0.999, baseDelayMs: 100, maxDelayMs: 10_000 })).toBe(799);
    expect(backoffDelay(20, { random: () => 0.999, baseDelayMs: 100, maxDelayMs: 10_000 })).toBe(9990);
    expect(backoffDelay(2, { random: () => 0 })).toBe(0);
  });
});
