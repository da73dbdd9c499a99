/**
 * An HTTP proxy on 127.0.0.1 in front of an OpenSearch node, to give the real client faults the node itself would only
 * give under load or misconfiguration: whole requests answered with a status (429, 503, 401/403 …) a set number of
 * times, then passed through; and a hold, which stops requests at an exact point (every earlier one answered) while
 * the test changes the node (a write block, a stop), then lets them go on. tcp-proxy.ts only cuts bytes; this one
 * reads requests.
 *
 * Every request is read whole before it is answered, as a server does, so a client never sees a reset where it
 * expects a status. A request the node cannot take (stopped: connection refused or reset) has its client connection
 * destroyed, which is what the client would see from a node that went away under it.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query string, as sent. */
  readonly path: string;
}

export interface FaultRule {
  /** The requests the rule applies to (isBulk, isPin …); every request when absent. */
  readonly match?: (r: ProxiedRequest) => boolean;
  /** Matching requests let through before the rule applies. @default 0 */
  readonly skip?: number;
  /** Matching requests it applies to, after `skip`. @default Infinity */
  readonly times?: number;
  /** Answer with this status instead of forwarding (the body read whole first). */
  readonly status?: number;
  /** The answer's body; default: an OpenSearch-shaped error for the status. */
  readonly body?: string;
  /**
   * Instead of a status: hold the request, and every request that arrives after it, until each request forwarded
   * before it has been answered; then run `hold` (change the node) and forward them all, in order.
   */
  readonly hold?: () => Promise<void>;
}

export interface Fault {
  /** Requests the rule answered (or held) so far. */
  readonly hits: number;
}

export interface LoggedRequest extends ProxiedRequest {
  /** The status the client got, or `failed` when its connection was destroyed (the node was unreachable). */
  readonly status: number | 'failed';
  /** True when the proxy answered instead of the node. */
  readonly injected: boolean;
}

export interface HttpFaultProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Adds a rule; rules are tried in the order they were added, the first that applies takes the request. */
  fault(rule: FaultRule): Fault;
  /** Removes every rule (requests already held go on as decided). */
  clear(): void;
  /** Every request answered so far, in the order the answers ended. */
  readonly log: readonly LoggedRequest[];
  /** Holds that threw (their request was answered 502 instead of forwarded): a test should find none. */
  readonly holdErrors: readonly Error[];
  close(): Promise<void>;
}

/** `POST /_bulk` (the client adds a filter_path). */
export const isBulk = (r: ProxiedRequest): boolean => r.method === 'POST' && /^\/_bulk(\?|$)/.test(r.path);

/**
 * The delivery-pin requests of a pipeline (core/opensearch/pins.ts): reads and writes of a pin in its ledger, the read
 * of the write alias, whether a pinned index exists. Not what a cold start sends besides (the index-layout check's
 * HEAD of the ledger and of the alias, the search for expired pins), which may run beside the first pin.
 */
export const isPin =
  (prefix: string) =>
  (r: ProxiedRequest): boolean =>
    r.path.startsWith(`/${prefix}.ledger/_doc/`) ||
    r.path.startsWith(`/${prefix}.ledger/_create/`) ||
    (r.method === 'GET' && r.path.startsWith(`/_alias/${prefix}`)) ||
    (r.method === 'HEAD' && r.path.startsWith(`/${prefix}-`));

const REASONS: Record<number, [string, string]> = {
  401: ['security_exception', 'missing authentication credentials for REST request [/_bulk]'],
  403: ['security_exception', 'no permissions for [indices:data/write/bulk] and User [name=arn:aws:iam::000000000000:role/processor, backend_roles=[], requestedTenant=null]'],
  429: ['rejected_execution_exception', 'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=0, max_coordinating_and_primary_bytes=0]'],
  503: ['cluster_manager_not_discovered_exception', 'injected by the test proxy'],
};

/** What OpenSearch answers with an error status: `{"error":{"root_cause":[…],"type","reason"},"status"}`. */
export function openSearchError(status: number): string {
  const [type, reason] = REASONS[status] ?? ['exception', `HTTP ${status} (injected by the test proxy)`];
  return JSON.stringify({ error: { root_cause: [{ type, reason }], type, reason }, status });
}

export async function startHttpFaultProxy(target: string): Promise<HttpFaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const rules: Array<{ rule: FaultRule; seen: number; hits: number }> = [];
  const log: LoggedRequest[] = [];
  const holdErrors: Error[] = [];
  const sockets = new Set<Socket>();
  // Requests are decided in arrival order: each waits for the decision of the one before (a hold may take a while).
  let admission: Promise<void> = Promise.resolve();
  // Requests decided to pass and not answered yet.
  const forwarded = new Set<Promise<void>>();

  function decide(r: ProxiedRequest): { kind: 'pass' } | { kind: 'answer'; status: number; body: string } | { kind: 'hold'; hold: () => Promise<void> } {
    for (const e of rules) {
      if (e.rule.match && !e.rule.match(r)) continue;
      e.seen++;
      if (e.seen <= (e.rule.skip ?? 0) || e.hits >= (e.rule.times ?? Infinity)) continue;
      e.hits++;
      if (e.rule.hold) return { kind: 'hold', hold: e.rule.hold };
      const status = e.rule.status ?? 503;
      return { kind: 'answer', status, body: e.rule.body ?? openSearchError(status) };
    }
    return { kind: 'pass' };
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, r: ProxiedRequest): Promise<void> {
    return new Promise<void>((resolve) => {
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', () => {
          log.push({ ...r, status: up.statusCode ?? 502, injected: false });
          resolve();
        });
        up.on('error', () => {
          log.push({ ...r, status: 'failed', injected: false });
          res.destroy();
          resolve();
        });
      });
      out.on('error', () => {
        // The node is not there (stopped, or went away mid-request): the client's connection goes the same way.
        log.push({ ...r, status: 'failed', injected: false });
        req.socket.destroy();
        resolve();
      });
      out.end(body);
    });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    const r: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/' };
    // false: the client went away before its request was whole
    const arrived = new Promise<boolean>((resolve) => {
      req.on('end', () => resolve(true));
      req.on('close', () => resolve(req.complete));
    });
    const turn = admission.then(async () => {
      const d = decide(r);
      if (d.kind === 'hold') {
        await Promise.all(forwarded);
        try {
          await d.hold();
        } catch (e) {
          holdErrors.push(e as Error);
          return { kind: 'answer' as const, status: 502, body: `the test's hold failed: ${(e as Error).message}` };
        }
      }
      if (d.kind === 'answer') return d;
      // Counted from its decision on, so that a hold decided after it waits for its answer.
      let done!: () => void;
      const answered = new Promise<void>((resolve) => (done = resolve));
      forwarded.add(answered);
      void answered.then(() => forwarded.delete(answered));
      return { kind: 'pass' as const, done };
    });
    // Later requests wait for this one's decision (and its hold), not for its answer.
    admission = turn.then(
      () => undefined,
      () => undefined,
    );
    void turn.then(async (d) => {
      const whole = await arrived;
      if (d.kind === 'answer') {
        if (!whole) return;
        res.writeHead(d.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(d.body) });
        res.end(d.body, () => log.push({ ...r, status: d.status, injected: true }));
        return;
      }
      if (whole) await forward(req, res, Buffer.concat(chunks), r);
      d.done();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    fault(rule) {
      const e = { rule, seen: 0, hits: 0 };
      rules.push(e);
      return {
        get hits() {
          return e.hits;
        },
      };
    },
    clear() {
      rules.length = 0;
    },
    log,
    holdErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
