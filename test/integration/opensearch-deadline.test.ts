/**
 * A domain that accepts connections and never answers (a hung node, a black-holed security group) must not eat the
 * invocation: the real OpenSearch client, through the adapter, gives each bulk attempt only the time left before
 * the deadline, so the items come back as transient failures in time to be deferred or backed up.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { connectOpenSearch, withInvocationDeadline } from '../../lambda/adapters/opensearch';
import { sendBulk } from '../../lambda/core/bulk/sender';

let server: Server;
const sockets: Socket[] = [];
let url = '';

beforeAll(async () => {
  server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it('a bulk to a domain that never answers ends by the deadline, its items transient failures', async () => {
  const conn = await connectOpenSearch({ OPENSEARCH_ENDPOINT: url, OPENSEARCH_AUTH: 'none' });
  const body = Buffer.from('{"create":{"_index":"x","_id":"a"}}\n{"n":1}\n{"create":{"_index":"x","_id":"b"}}\n{"n":2}\n');
  const t0 = Date.now();
  // 5 s left in the invocation: a tenth is kept for backups, so the attempt must end within 4.5 s, well before the
  // invocation would; without the deadline the request would wait for its 60 s timeout, then retry
  const policy = withInvocationDeadline({ maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 200 }, { getRemainingTimeInMillis: () => 5_000 });
  const out = await sendBulk({ body, count: 2, ref: (i) => i }, conn.bulk, policy);
  const took = Date.now() - t0;
  expect(took).toBeGreaterThanOrEqual(4_000);
  expect(took).toBeLessThan(5_000);
  expect(out.indexed).toBe(0);
  expect(out.failed.map((f) => [f.ref, f.transient])).toEqual([
    [0, true],
    [1, true],
  ]);
  expect(out.failed[0].reason).toBe('bulk request failed: Request timed out; no time left in this invocation for another attempt (gave up after 1 attempt)');
  expect(sockets.length).toBeGreaterThanOrEqual(1);
});
