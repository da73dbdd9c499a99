/**
 * The OpenSearch connection from the Lambda environment: SigV4 (`es`) for Amazon OpenSearch Service, none or basic
 * for a self-managed URL. Retries are ours (lambda/core/bulk/sender.ts), so the client's own are off.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client, errors, type ClientOptions } from '@opensearch-project/opensearch';
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { BulkTransport, RetryPolicy } from '../core/bulk/sender';
import type { Indexing } from '../core/config/runtime';
import { toOpenSearchMappings, type FieldTypes } from '../core/fields';
import { ensureIndexLayout, type LayoutResult, type OpenSearchHttp } from '../core/opensearch/index-layout';
import { expireObjectPins, type PinContext } from '../core/opensearch/pins';
import type { DashboardsPost } from '../core/opensearch/saved-objects';
import { layoutSettings } from '../core/opensearch/settings';
import { logger } from './powertools';

export interface OpenSearchConnection {
  readonly http: OpenSearchHttp;
  readonly bulk: BulkTransport;
}

export interface OpenSearchEnv {
  OPENSEARCH_ENDPOINT?: string;
  OPENSEARCH_AUTH?: string;
  OPENSEARCH_SECRET_ARN?: string;
  /** The domain's region, which need not be the function's. */
  OPENSEARCH_REGION?: string;
  /** `gzip` to compress request bodies. @default uncompressed */
  OPENSEARCH_COMPRESSION?: string;
  AWS_REGION?: string;
}

async function basicAuth(secretArn: string): Promise<{ username: string; password: string }> {
  const res = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  const secret = JSON.parse(res.SecretString ?? '{}') as { username?: string; password?: string };
  if (!secret.username || !secret.password) throw new Error(`secret ${secretArn} lacks username/password`);
  return { username: secret.username, password: secret.password };
}

export async function connectOpenSearch(env: OpenSearchEnv = process.env): Promise<OpenSearchConnection> {
  const node = env.OPENSEARCH_ENDPOINT;
  if (!node) throw new Error('OPENSEARCH_ENDPOINT is not set');
  // Uncompressed by default, chosen by measurement (bench/e2e.ts): gzip at zlib's default level cost ~2.9 CPU-s per
  // million documents on the client, more than parsing them, and a function at 1 GB has a fraction of a core; the
  // bytes travel inside the VPC. OPENSEARCH_COMPRESSION=gzip turns it on where bandwidth is what is scarce.
  const client = await authenticatedClient(env, { node, maxRetries: 0, requestTimeout: BULK_REQUEST_TIMEOUT_MS, ...(env.OPENSEARCH_COMPRESSION === 'gzip' ? { compression: 'gzip' as const } : {}) });

  // Answers every HTTP status as data; only network failures and timeouts throw.
  const request = (params: { method: string; path: string; body?: unknown; bulkBody?: Buffer; querystring?: Record<string, string> }, timeoutMs?: number) =>
    answerAsData(() => client.transport.request(params as never, timeoutMs === undefined ? undefined : { requestTimeout: Math.min(timeoutMs, BULK_REQUEST_TIMEOUT_MS) }));

  // The bulk answer as the node wrote it: the sender parses it once. (Without asStream the client parses it, and
  // handing the sender text meant stringifying and parsing it again: ~0.9 CPU-s per million documents.)
  const bulk = async (body: Buffer, timeoutMs?: number) => {
    const res = await client.transport.request(
      // Only what the per-item accounting needs: keeps a 10,000-item response small.
      { method: 'POST', path: '/_bulk', bulkBody: body, querystring: { filter_path: 'errors,items.*.status,items.*.error' } } as never,
      { asStream: true, ...(timeoutMs === undefined ? {} : { requestTimeout: Math.min(timeoutMs, BULK_REQUEST_TIMEOUT_MS) }) },
    );
    return { status: res.statusCode ?? 200, body: await textOf(res.body as unknown as IncomingMessage) };
  };

  return {
    http: (method, path, body) => request({ method, path, body: body as object | undefined }),
    bulk: (body, opts) => bulk(body, opts?.timeoutMs),
  };
}

/** A response stream's text, gunzipped when the node compressed it. */
async function textOf(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  const encoding = String(res.headers['content-encoding'] ?? '');
  const stream = /gzip|deflate/.test(encoding) ? res.pipe(encoding.includes('gzip') ? createGunzip() : createInflate()) : res;
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * One connection per container, made once the index layout (template, policy, write alias) is known to exist, so
 * that nothing is indexed into an index OpenSearch would create with guessed mappings. A failed attempt is
 * forgotten, so the next invocation tries again.
 */
function layoutCheckedConnection(check: (conn: OpenSearchConnection) => Promise<void>): () => Promise<OpenSearchConnection> {
  let connection: Promise<OpenSearchConnection> | undefined;
  return () => {
    connection ??= (async () => {
      const conn = await connectOpenSearch();
      await check(conn);
      return conn;
    })().catch((e) => {
      connection = undefined;
      throw e;
    });
    return connection;
  };
}

/** Template, ISM policy, first index and write alias of a pipeline, created where missing (index-layout.ts). */
export function ensurePipelineLayout(http: OpenSearchHttp, indexing: Pick<Indexing, 'indexPrefix' | 'flavor' | 'index'>, fields: FieldTypes): Promise<LayoutResult> {
  return ensureIndexLayout(http, layoutSettings(indexing), toOpenSearchMappings(fields));
}

/**
 * The connection of a function that indexes the pipeline's records: its index layout checked first, once per
 * container, and its delivery pins (core/opensearch/pins.ts) resolved against it.
 */
export function indexingConnection(indexing: Indexing, fields: FieldTypes): () => Promise<OpenSearchConnection & { readonly pins: PinContext }> {
  const connect = layoutCheckedConnection(async (conn) => {
    const layout = await ensurePipelineLayout(conn.http, indexing, fields);
    logger.info('index layout checked', { ...layout });
    // Housekeeping, not the invocation's work: a failure is logged and tried again by the next container.
    expireObjectPins(conn.http, conn.bulk, indexing.indexPrefix).catch((e: unknown) => logger.warn('expiring old delivery pins failed', { error: (e as Error).message }));
  });
  return async () => {
    const conn = await connect();
    return { ...conn, pins: { http: conn.http, prefix: indexing.indexPrefix } };
  };
}

/** A request that has not answered after this long is abandoned (and retried, if there is time). */
export const BULK_REQUEST_TIMEOUT_MS = 60_000;

/**
 * `policy` for one invocation: every bulk attempt (request timeout included) ends before the function's time does,
 * leaving a tenth of it (at most 15 s) for the backups of what could not be indexed; so a hung domain on the last
 * delivery still ends in backed-up records with their reason, not in a timed-out invocation.
 */
export function withInvocationDeadline(policy: RetryPolicy, context: { getRemainingTimeInMillis(): number }, now = Date.now()): RetryPolicy {
  const remaining = context.getRemainingTimeInMillis();
  return { ...policy, deadline: now + remaining - Math.min(15_000, Math.floor(remaining / 10)) };
}

/** The bulk retry policy, from BULK_MAX_ATTEMPTS / BULK_BASE_DELAY_MS / BULK_MAX_DELAY_MS over the handler's defaults. */
export function bulkRetryPolicy(defaults: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number }, env: NodeJS.ProcessEnv = process.env) {
  return {
    maxAttempts: Number(env.BULK_MAX_ATTEMPTS ?? defaults.maxAttempts),
    baseDelayMs: Number(env.BULK_BASE_DELAY_MS ?? defaults.baseDelayMs),
    maxDelayMs: Number(env.BULK_MAX_DELAY_MS ?? defaults.maxDelayMs),
  };
}

/** A saved-objects import is small; one that has not answered in this long is abandoned (and retried). */
export const DASHBOARDS_REQUEST_TIMEOUT_MS = 30_000;

/**
 * POST to OpenSearch Dashboards at `baseUrl` (`<endpoint>/_dashboards` on Amazon OpenSearch Service, where SigV4 for
 * service `es` covers Dashboards too; a self-managed Dashboards URL with the cluster's none/basic auth), with the same
 * credentials as connectOpenSearch.
 */
export async function connectDashboards(baseUrl: string, env: OpenSearchEnv = process.env): Promise<DashboardsPost> {
  const client = await authenticatedClient(env, { node: baseUrl, maxRetries: 0, requestTimeout: DASHBOARDS_REQUEST_TIMEOUT_MS });
  return (pathAndQuery, body, headers) => {
    const [path, query = ''] = pathAndQuery.split('?', 2);
    // A Buffer body is sent as it is (and hashed as it is for SigV4); the client only serializes objects.
    return answerAsData(() => client.transport.request({ method: 'POST', path, body, querystring: query } as never, { headers }));
  };
}

/** A client of `options.node` with the OPENSEARCH_AUTH credentials: SigV4 (service `es`), basic from the secret, or none. */
async function authenticatedClient(env: OpenSearchEnv, options: ClientOptions & { node: string }): Promise<Client> {
  const auth = env.OPENSEARCH_AUTH ?? 'sigv4';
  if (auth === 'sigv4') {
    const region = env.OPENSEARCH_REGION ?? env.AWS_REGION;
    if (!region) throw new Error('OPENSEARCH_REGION or AWS_REGION must be set for SigV4');
    const credentials = defaultProvider();
    return new Client({ ...AwsSigv4Signer({ region, service: 'es', getCredentials: () => credentials() }), ...options });
  }
  if (auth === 'basic') {
    if (!env.OPENSEARCH_SECRET_ARN) throw new Error('OPENSEARCH_SECRET_ARN is required for basic auth');
    return new Client({ ...options, auth: await basicAuth(env.OPENSEARCH_SECRET_ARN) });
  }
  if (auth === 'none') return new Client(options);
  throw new Error(`OPENSEARCH_AUTH must be sigv4, basic or none, not ${auth}`);
}

/** Every HTTP status answered as data; only network failures and timeouts throw. */
async function answerAsData(send: () => Promise<{ statusCode?: number | null; body: unknown }>): Promise<{ status: number; body: string }> {
  try {
    const res = await send();
    return { status: res.statusCode ?? 200, body: typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? '') };
  } catch (e) {
    if (e instanceof errors.ResponseError) {
      return { status: e.statusCode ?? e.meta.statusCode ?? 500, body: typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? '') };
    }
    throw e;
  }
}
