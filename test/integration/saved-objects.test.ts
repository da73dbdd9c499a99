/**
 * The OpenSearch Dashboards saved objects, end to end: the index-bootstrap custom resource (its properties as the
 * IndexBootstrap construct synthesizes them) creates the layout on a real OpenSearch 2.19 node and imports the
 * objects into a stand-in for Dashboards' `_import` API; the real corpora are indexed through the template it made;
 * then every visualization's aggregations and every saved search's query, exactly as imported, are translated into
 * the request OpenSearch Dashboards would send (`osdSearchBody`) and run on the node, and their answers are checked
 * against counts taken from the raw lines.
 *
 * OpenSearch Dashboards itself cannot run here (no artifact), so `_import` is a small HTTP server that answers as
 * Dashboards does ({success, successCount, errors}), keeps the objects by type and id, refuses an object that exists
 * unless `overwrite=true`, one whose references are missing, a request without `osd-xsrf` or a file not named
 * `.ndjson`.
 *
 * No shared corpus is an nginx access log: the Apache `combined` corpus is read as nginx's `combined` too (nginx
 * writes that format byte for byte the same). No corpus logs a request time: the request-time question runs on the
 * corpus with a derived duration appended (see access-log-truth.ts).
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IndexBootstrap } from '../../lib/constructs/index-bootstrap';
import { LogFormatSchema, type LogFormat } from '../../lambda/core/config/log-format';
import { IndexSettingsSchema } from '../../lambda/core/config/runtime';
import { compileParser } from '../../lambda/core/formats';
import type { SavedObject } from '../../lambda/core/opensearch/saved-objects';
import { freePort } from '../../lib/local/net';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { corpusLines } from '../corpora';
import { HADOOP } from '../fixtures/formats';
import { countBy, isClientError, isServerError, rawRequests, top, withRequestTimes, type RawRequest } from '../unit/core/analytics/access-log-truth';
import { examplePipeline } from './harness/agent-path';

jest.setTimeout(300_000);

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Handler = (e: unknown) => Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }>;

const ACCESS = corpusLines('apache_combined_elastic_examples.log');
const APACHE_TIMED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" %D';
const formatOf = (name: string) => examplePipeline(name).logFormat;

/** One pipeline per log type, each with a real corpus (two with a derived request time). */
const CASES: Array<{ name: string; format: LogFormat; lines: string[]; access: boolean }> = [
  { name: 'so-nginx', format: formatOf('web-access'), lines: ACCESS, access: true },
  { name: 'so-apache', format: formatOf('apache-combined'), lines: ACCESS, access: true },
  { name: 'so-timed-nginx', format: formatOf('web-parquet'), lines: withRequestTimes(ACCESS, 's'), access: true },
  { name: 'so-timed-apache', format: LogFormatSchema.parse({ type: 'apache', format: APACHE_TIMED }), lines: withRequestTimes(ACCESS, 'us'), access: true },
  { name: 'so-syslog', format: formatOf('net-syslog'), lines: corpusLines('loghub_Linux_2k.log'), access: false },
  { name: 'so-multiline', format: LogFormatSchema.parse({ type: 'multi-line-text', format: HADOOP }), lines: corpusLines('loghub_Hadoop_2k.log'), access: false },
  {
    name: 'so-singleline',
    format: LogFormatSchema.parse({
      type: 'single-line-text',
      regex: String.raw`^(?<time>\S+ \S+) - (?<level>[A-Z]+) +\[(?<thread>.*?):(?<logger>[^:@\]]+)@(?<line>\d+)\] - (?<message>.*)$`,
      timeKey: 'time',
      timeFormat: '%Y-%m-%d %H:%M:%S,%L',
    }),
    lines: corpusLines('loghub_Zookeeper_2k.log'),
    access: false,
  },
  {
    name: 'so-json',
    format: LogFormatSchema.parse({ type: 'json', timeKey: 'timestamp', timeFormat: 'epoch_ms', fields: { address: 'keyword', nginx_version: 'keyword', pid: 'integer' } }),
    lines: corpusLines('nginxplus_status_json_elastic_examples.ndjson'),
    access: false,
  },
  {
    name: 'so-regex',
    format: LogFormatSchema.parse({ type: 'regex', regex: String.raw`^(?<time>\S+ \S+) (?<level>[A-Z]+) \[(?<thread>[^\]]*)\] (?<logger>[^:]+): (?<message>.*)$`, timeKey: 'time', timeFormat: '%Y-%m-%d %H:%M:%S,%L' }),
    lines: corpusLines('loghub_Hadoop_2k.log'),
    access: false,
  },
];

// ---------------------------------------------------------------------------------------------------------------
// A stand-in for OpenSearch Dashboards' saved-objects import API

interface Recorded {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly objects: SavedObject[];
}

interface FakeDashboards {
  readonly url: string;
  readonly requests: Recorded[];
  readonly store: Map<string, SavedObject>;
  /** `unavailable`: 503 to everything. */
  mode: 'ok' | 'unavailable';
  close(): Promise<void>;
}

const TYPES = new Set(['index-pattern', 'visualization', 'dashboard', 'search']);

async function startFakeDashboards(): Promise<FakeDashboards> {
  const fake: Omit<FakeDashboards, 'url' | 'close'> = { requests: [], store: new Map(), mode: 'ok' };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const answer = (status: number, json: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      const part = /boundary=(.+)$/.exec(headers['content-type'] ?? '');
      const file = part ? new RegExp(`--${part[1]}\\r\\nContent-Disposition: form-data; name="file"; filename="([^"]+)"\\r\\n(?:[^\\r]+\\r\\n)*\\r\\n([\\s\\S]*?)\\r\\n--${part[1]}--`).exec(body.toString()) : null;
      const objects: SavedObject[] = file ? file[2].split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
      fake.requests.push({ path: `${url.pathname}${url.search}`, headers, body, objects });
      if (fake.mode === 'unavailable') return answer(503, { statusCode: 503, error: 'Service Unavailable', message: 'OpenSearch Dashboards server is not ready yet' });
      if (req.method !== 'POST' || url.pathname.replace(/^\/_dashboards/, '') !== '/api/saved_objects/_import') return answer(404, { statusCode: 404, error: 'Not Found' });
      if (!headers['osd-xsrf']) return answer(400, { statusCode: 400, error: 'Bad Request', message: 'Request must contain a osd-xsrf header.' });
      if (!file) return answer(400, { statusCode: 400, error: 'Bad Request', message: '[request body.file]: expected value of type [Stream]' });
      if (!file[1].endsWith('.ndjson')) return answer(400, { statusCode: 400, error: 'Bad Request', message: `Invalid file extension ${file[1]}` });
      const overwrite = url.searchParams.get('overwrite') === 'true';
      const importing = new Set(objects.map((o) => `${o.type}:${o.id}`));
      const errors: Json[] = [];
      const successResults: Json[] = [];
      for (const o of objects) {
        const missing = o.references.filter((r) => !importing.has(`${r.type}:${r.id}`) && !fake.store.has(`${r.type}:${r.id}`));
        const title = o.attributes.title;
        if (!TYPES.has(o.type)) errors.push({ id: o.id, type: o.type, title, error: { type: 'unsupported_type' } });
        else if (missing.length) errors.push({ id: o.id, type: o.type, title, error: { type: 'missing_references', references: missing.map(({ type, id }) => ({ type, id })) } });
        else if (fake.store.has(`${o.type}:${o.id}`) && !overwrite) errors.push({ id: o.id, type: o.type, title, error: { type: 'conflict' } });
        else {
          fake.store.set(`${o.type}:${o.id}`, o);
          successResults.push({ id: o.id, type: o.type, ...(overwrite ? { overwrite: true } : {}) });
        }
      }
      answer(200, { success: errors.length === 0, successCount: successResults.length, ...(successResults.length ? { successResults } : {}), ...(errors.length ? { errors } : {}) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// What OpenSearch Dashboards sends for a visualization or saved search (its AggConfigs / SearchSource, for the
// aggregations and options these objects use)

/** The time picker's range as Dashboards filters on it. */
interface TimeRange {
  readonly field: string;
  readonly gte: string;
  readonly lte: string;
}

function bucketDsl(a: Json): Json {
  switch (a.type) {
    case 'date_histogram':
      // `auto` becomes the interval Dashboards picks for the range shown: the corpora span 4 days, which it buckets
      // hourly (histogram:maxBars 100). UTC stands for the browser's zone.
      if (a.params.interval !== 'auto') throw new Error(`interval ${a.params.interval}`);
      return { date_histogram: { field: a.params.field, fixed_interval: '1h', time_zone: 'UTC', min_doc_count: a.params.min_doc_count } };
    case 'terms':
      if (a.params.orderBy !== '1') throw new Error('terms ordered by another metric than the count');
      return { terms: { field: a.params.field, size: a.params.size, order: { _count: a.params.order } } };
    case 'filters':
      return {
        filters: {
          filters: Object.fromEntries(
            a.params.filters.map((f: Json) => {
              if (f.input.language !== 'lucene') throw new Error(`${f.input.language} filter`);
              return [f.label, { bool: { must: [{ query_string: { query: f.input.query, analyze_wildcard: true } }], filter: [], should: [], must_not: [] } }];
            }),
          ),
        },
      };
    default:
      throw new Error(`no translation for bucket aggregation ${a.type}`);
  }
}

function metricDsl(a: Json): Json | undefined {
  switch (a.type) {
    case 'count':
      return undefined; // every bucket's doc_count
    case 'sum':
    case 'avg':
      return { [a.type]: { field: a.params.field } };
    case 'percentiles':
      return { percentiles: { field: a.params.field, percents: a.params.percents } };
    default:
      throw new Error(`no translation for metric aggregation ${a.type}`);
  }
}

/** A lucene query of a search source as Dashboards builds it: '' is no condition. */
function luceneQuery(query: string): Json {
  return { bool: { must: query === '' ? [] : [{ query_string: { query, analyze_wildcard: true } }], filter: [], should: [], must_not: [] } };
}

/** Buckets nest in the order the visualization lists them (the first outermost); metrics sit in the innermost. */
function osdSearchBody(vis: Json, searchSourceJSON: string, range: TimeRange): Json {
  const source = JSON.parse(searchSourceJSON);
  if (source.query.language !== 'lucene') throw new Error(`${source.query.language} query`);
  const metrics = vis.aggs.filter((a: Json) => a.schema === 'metric');
  let inner: Json = Object.fromEntries(metrics.map((m: Json) => [m.id, metricDsl(m)]).filter(([, dsl]: Json) => dsl));
  for (const b of vis.aggs.filter((a: Json) => a.schema !== 'metric').reverse()) {
    inner = { [b.id]: { ...bucketDsl(b), ...(Object.keys(inner).length ? { aggs: inner } : {}) } };
  }
  const query = luceneQuery(source.query.query);
  query.bool.filter.push({ match_all: {} }, { range: { [range.field]: { gte: range.gte, lte: range.lte, format: 'strict_date_optional_time' } } });
  return { size: 0, query, aggs: inner };
}

// ---------------------------------------------------------------------------------------------------------------

let os: OpenSearchNode;
let fake: FakeDashboards;
let bootstrap: Handler;
/** Custom resource properties by pipeline, as synthesized. */
const properties = new Map<string, Record<string, unknown>>();
const savedEnv = { ...process.env };

async function node(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${os.url}${path}`, {
    method,
    headers: { 'content-type': path.includes('_bulk') ? 'application/x-ndjson' : 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return res.json();
}

const event = (RequestType: 'Create' | 'Update', props: Record<string, unknown>) => ({ RequestType, ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider', ...props } });

/** Indexes the documents the pipeline's parser makes of `lines` through its write alias; returns them. */
async function indexThroughAlias(alias: string, format: LogFormat, lines: string[]): Promise<Array<Record<string, unknown>>> {
  const parser = compileParser(format);
  const docs = lines.map((l) => parser.parse(l)).flatMap((r) => (r.ok ? [r.doc] : []));
  for (let i = 0; i < docs.length; i += 2000) {
    const body = docs.slice(i, i + 2000).map((d) => `{"index":{}}\n${JSON.stringify(d)}\n`).join('');
    const res = await node('POST', `/${alias}/_bulk`, body);
    expect(res.errors).toBe(false);
  }
  await node('POST', `/${alias}/_refresh`);
  return docs;
}

beforeAll(async () => {
  [os, fake] = await Promise.all([startOpenSearch(), startFakeDashboards()]);
  Object.assign(process.env, { OPENSEARCH_ENDPOINT: os.url, OPENSEARCH_AUTH: 'none', POWERTOOLS_DEV: 'false', POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_SERVICE_NAME: 'logtong-test' });
  bootstrap = (require('../../lambda/handlers/index-bootstrap') as { handler: Handler }).handler;

  // The construct's properties for every case, and for two targets whose Dashboards URL it derives, in one synth.
  const stack = new Stack(new App(), 'SavedObjects');
  const index = IndexSettingsSchema.parse({ shards: 1, replicas: 0 });
  const selfManaged = { endpoint: os.url, auth: 'none' as const, flavor: 'self-managed' as const };
  for (const c of CASES) new IndexBootstrap(stack, c.name, { pipelineName: c.name, target: selfManaged, indexPrefix: c.name, logFormat: c.format, index, dashboardsUrl: fake.url });
  const aws = { endpoint: 'https://search-logs-abc.eu-west-1.es.amazonaws.com', auth: 'sigv4' as const, flavor: 'aws' as const, domainArn: 'arn:aws:es:eu-west-1:123456789012:domain/logs' };
  new IndexBootstrap(stack, 'on-aws', { pipelineName: 'on-aws', target: aws, indexPrefix: 'on-aws', logFormat: CASES[0].format, index });
  new IndexBootstrap(stack, 'no-dashboards', { pipelineName: 'no-dashboards', target: selfManaged, indexPrefix: 'no-dashboards', logFormat: CASES[0].format, index });
  for (const r of Object.values(Template.fromStack(stack).findResources('Custom::LogtongIndexBootstrap')) as Json[]) {
    const { ServiceToken: _token, ...props } = r.Properties;
    properties.set(props.pipelineName, props);
  }
});

afterAll(async () => {
  process.env = savedEnv;
  await fake?.close();
  await os?.dispose();
});

it('the construct imports into <endpoint>/_dashboards on Amazon OpenSearch Service, and nowhere on a cluster without dashboardsUrl', () => {
  expect(properties.get('on-aws')!.dashboardsUrl).toBe('https://search-logs-abc.eu-west-1.es.amazonaws.com/_dashboards');
  expect(properties.get('no-dashboards')!.dashboardsUrl).toBe('');
  expect(properties.get('so-nginx')!.dashboardsUrl).toBe(fake.url);
});

describe('bootstrap, index the corpora, run the imported objects on the real node', () => {
  const indexed = new Map<string, Array<Record<string, unknown>>>();
  const imported = (name: string) => [...fake.store.values()].filter((o) => o.id === `logtong-${name}` || o.id.startsWith(`logtong-${name}-`));

  beforeAll(async () => {
    for (const c of CASES) {
      const out = await bootstrap(event('Create', properties.get(c.name)!));
      expect([c.name, out.Data]).toEqual([c.name, { Alias: c.name, Ism: 'unavailable', SavedObjects: 'imported' }]);
      indexed.set(c.name, await indexThroughAlias(c.name, c.format, c.lines));
    }
  });

  it('every pipeline has an index pattern over its indices with @timestamp, mapped as a date, and saved searches', async () => {
    for (const c of CASES) {
      const pattern = imported(c.name).find((o) => o.type === 'index-pattern')!;
      expect(pattern.attributes).toEqual({ title: `${c.name}-*`, timeFieldName: '@timestamp' });
      // What Dashboards asks when it first opens the pattern: the fields and whether they aggregate.
      const caps = await node('GET', `/${encodeURIComponent(pattern.attributes.title as string)}/_field_caps?fields=*`);
      expect([c.name, caps.fields['@timestamp']]).toEqual([c.name, { date: expect.objectContaining({ type: 'date', aggregatable: true }) }]);
      expect(imported(c.name).filter((o) => o.type === 'search').length).toBeGreaterThan(0);
      expect(imported(c.name).some((o) => o.type === 'dashboard')).toBe(c.access);
    }
  });

  it('every saved search runs: its hits, newest first, carry its columns', async () => {
    for (const c of CASES) {
      const docs = indexed.get(c.name)!;
      for (const s of imported(c.name).filter((o) => o.type === 'search')) {
        const source = JSON.parse((s.attributes.kibanaSavedObjectMeta as Json).searchSourceJSON);
        const res = await node('POST', `/${c.name}-*/_search`, { size: 50, track_total_hits: true, query: luceneQuery(source.query.query), sort: (s.attributes.sort as string[][]).map(([f, o]) => ({ [f]: { order: o, unmapped_type: 'boolean' } })) });
        expect(res._shards.failed).toBe(0);
        const expected: Record<string, number> = {
          all: docs.length,
          failed: docs.filter((d) => (d.status as number) >= 400 && (d.status as number) <= 599).length,
          errors: docs.filter((d) => (c.format.type === 'syslog' ? d.severity !== null && d.severity !== undefined && (d.severity as number) <= 3 : d.level === 'ERROR' || d.level === 'FATAL')).length,
        };
        const kind = s.id.slice(`logtong-${c.name}-search-`.length);
        expect([s.id, res.hits.total.value]).toEqual([s.id, expected[kind]]);
        // Every search but the syslog errors one finds records (the Linux corpus has no priority, so no severity).
        if (s.id !== 'logtong-so-syslog-search-errors') expect([s.id, res.hits.total.value > 0]).toEqual([s.id, true]);
        const times = res.hits.hits.map((h: Json) => h._source['@timestamp']);
        expect(times).toEqual([...times].sort().reverse());
        // Every column is a field of the real mapping, and the hits show something in them (a format's field may be
        // empty in a corpus: the Linux syslog lines carry no priority, hence no severity).
        const columns = (s.attributes.columns as string[]).filter((col) => col !== '_source');
        const caps = await node('GET', `/${c.name}-*/_field_caps?fields=${columns.join(',')}`);
        for (const col of columns) expect([s.id, col, Object.keys(caps.fields[col] ?? {})]).toEqual([s.id, col, [expect.any(String)]]);
        const shown = res.hits.hits.some((h: Json) => columns.some((col) => h._source[col] !== undefined && h._source[col] !== null));
        expect([s.id, shown || res.hits.total.value === 0]).toEqual([s.id, true]);
      }
    }
    // The corpora's errors are there to be found: Hadoop logs 150 ERROR and 2 FATAL, Zookeeper 13 ERROR.
    const hits = async (name: string) => (await node('POST', `/${name}-*/_count`, { query: luceneQuery('level:(ERROR OR FATAL)') })).count;
    expect(await hits('so-multiline')).toBe(152);
    expect(await hits('so-singleline')).toBe(13);
  });

  const hourOf = (key: number) => new Date(key).toISOString().slice(0, 13).replace(/[-T]/g, '');
  const rawOf = new Map(CASES.filter((c) => c.access).map((c) => [c.name, rawRequests(c.lines)]));

  /** A visualization's response from the node for the corpus' whole time range, checked for shard failures. */
  async function answer(name: string, q: string): Promise<Json> {
    const v = imported(name).find((o) => o.id === `logtong-${name}-${q}`);
    if (!v) throw new Error(`${name} has no ${q} visualization`);
    const times = rawOf.get(name)!.map((r) => r.time);
    const range = { field: '@timestamp', gte: new Date(Math.min(...times)).toISOString(), lte: new Date(Math.max(...times)).toISOString() };
    const res = await node('POST', `/${name}-*/_search`, osdSearchBody(JSON.parse(v.attributes.visState as string), (v.attributes.kibanaSavedObjectMeta as Json).searchSourceJSON, range));
    expect([q, res.error, res._shards.failed]).toEqual([q, undefined, 0]);
    return res.aggregations;
  }

  describe.each(CASES.filter((c) => c.access).map((c) => [c.name] as const))('%s: the dashboard', (name) => {
    const raw = () => rawOf.get(name)!;

    it('lists the panels of the questions its format answers, each a visualization that exists', () => {
      const dashboard = imported(name).find((o) => o.type === 'dashboard')!;
      const ids = dashboard.references.map((r) => r.id.slice(`logtong-${name}-`.length));
      const timed = name.startsWith('so-timed-');
      expect(ids).toEqual(['requests-over-time', 'status-codes', 'failed-share', 'top-uris', 'top-clients', 'bytes', ...(timed ? ['request-time'] : [])]);
      for (const r of dashboard.references) expect(fake.store.has(`visualization:${r.id}`)).toBe(true);
    });

    it('requests over time: every request, in its hour', async () => {
      const buckets = (await answer(name, 'requests-over-time'))['2'].buckets;
      expect(new Map(buckets.map((b: Json) => [hourOf(b.key), b.doc_count]))).toEqual(countBy(raw(), (r) => r.hour));
    });

    it('status codes over time: each status in each hour', async () => {
      const rows = (await answer(name, 'status-codes'))['2'].buckets.flatMap((b: Json) => b['3'].buckets.map((s: Json) => [`${hourOf(b.key)} ${s.key}`, s.doc_count]));
      expect(new Map(rows)).toEqual(countBy(raw(), (r) => `${r.hour} ${r.status}`));
    });

    it('failed share: 4xx, 5xx and the rest add up to every request', async () => {
      const b = (await answer(name, 'failed-share'))['2'].buckets;
      const all = raw();
      expect({ '4xx': b['4xx'].doc_count, '5xx': b['5xx'].doc_count, rest: b['not 4xx/5xx'].doc_count }).toEqual({
        '4xx': all.filter(isClientError).length,
        '5xx': all.filter(isServerError).length,
        rest: all.filter((r) => !isClientError(r) && !isServerError(r)).length,
      });
      expect(b['4xx'].doc_count).toBe(217);
      expect(b['5xx'].doc_count).toBe(3);
    });

    it('top URIs and top clients: the 20 most frequent with their counts', async () => {
      for (const [q, key] of [
        ['top-uris', (r: RawRequest) => r.uri],
        ['top-clients', (r: RawRequest) => r.client],
      ] as const) {
        const buckets = (await answer(name, q))['2'].buckets;
        const counts = countBy(raw(), key);
        expect(buckets).toHaveLength(20);
        // Ties at the cut may come in another order (an ip sorts by its bytes): counts in sequence, each its key's.
        expect(buckets.map((b: Json) => b.doc_count)).toEqual(top(counts, 20).map(([, n]) => n));
        for (const b of buckets) expect([b.key, b.doc_count]).toEqual([b.key, counts.get(b.key)]);
      }
    });

    it('bytes over time: the bytes sent in each hour', async () => {
      const buckets = (await answer(name, 'bytes'))['2'].buckets;
      const sums = new Map<string, number>();
      for (const r of raw()) sums.set(r.hour, (sums.get(r.hour) ?? 0) + (r.bytes ?? 0));
      expect(new Map(buckets.map((b: Json) => [hourOf(b.key), b['1'].value]))).toEqual(sums);
    });
  });

  describe.each(['so-timed-nginx', 'so-timed-apache'])('%s: the dashboard (derived durations)', (name) => {
    const raw = () => rawOf.get(name)!;

    it('request time over time: the average and ordered percentiles within each hour', async () => {
      const buckets = (await answer(name, 'request-time'))['3'].buckets;
      expect(buckets.length).toBeGreaterThan(48);
      for (const b of buckets) {
        const hour = raw().filter((r) => r.hour === hourOf(b.key)).map((r) => r.duration!);
        const avg = hour.reduce((x, y) => x + y, 0) / hour.length;
        // nginx's request_time is a float field (single precision): the average agrees to ~6 digits.
        expect(Math.abs(b['1'].value - avg)).toBeLessThanOrEqual(avg * 1e-5 + 1e-6);
        const p = b['2'].values;
        expect(p['50.0']).toBeLessThanOrEqual(p['95.0'] + 1e-6);
        expect(p['95.0']).toBeLessThanOrEqual(p['99.0'] + 1e-6);
        // Approximate (t-digest), but close: between the exact quantiles a tenth below and above.
        const sorted = [...hour].sort((x, y) => x - y);
        const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
        for (const [q, v] of [[0.5, p['50.0']], [0.95, p['95.0']], [0.99, p['99.0']]] as const) {
          expect(v).toBeGreaterThanOrEqual(rank(Math.max(0, q - 0.1)) - 1e-3);
          expect(v).toBeLessThanOrEqual(rank(Math.min(1, q + 0.1)) + 1e-3);
        }
      }
    });
  });
});

describe('the import', () => {
  const props = () => properties.get('so-nginx')!;

  it('is idempotent: a second run overwrites the same objects, and without overwrite Dashboards would refuse them', async () => {
    fake.mode = 'ok';
    const before = fake.requests.length;
    const stored = fake.store.size;
    expect((await bootstrap(event('Update', props()))).Data!.SavedObjects).toBe('imported');
    expect((await bootstrap(event('Update', props()))).Data!.SavedObjects).toBe('imported');
    const [first, second] = fake.requests.slice(before);
    expect(fake.store.size).toBe(stored);
    expect(second.objects).toEqual(first.objects);
    for (const r of [first, second]) {
      expect(r.path).toBe('/api/saved_objects/_import?overwrite=true');
      expect(r.headers['osd-xsrf']).toBe('true');
      expect(r.headers.securitytenant).toBe('global');
    }
    // The same file without overwrite: every object is a conflict, which is why the bootstrap always overwrites.
    const again = await fetch(`${fake.url}/api/saved_objects/_import`, { method: 'POST', headers: { 'osd-xsrf': 'true', 'content-type': first.headers['content-type'] }, body: first.body });
    const refused = (await again.json()) as Json;
    expect(refused).toMatchObject({ success: false, successCount: 0 });
    expect(refused.errors.map((e: Json) => e.error.type)).toEqual(first.objects.map(() => 'conflict'));
  });

  it('a Dashboards that answers 503 is retried, then reported failed: the stack still succeeds, the layout is in place', async () => {
    fake.mode = 'unavailable';
    const before = fake.requests.length;
    const out = await bootstrap(event('Update', props()));
    fake.mode = 'ok';
    expect(out).toEqual({ PhysicalResourceId: 'logtong-index-layout-so-nginx', Data: { Alias: 'so-nginx', Ism: 'unavailable', SavedObjects: 'failed' } });
    expect(fake.requests.length - before).toBe(3);
    expect(Object.keys(await node('GET', '/_alias/so-nginx'))).toHaveLength(1);
  });

  it('an unreachable Dashboards, or none configured, does not fail the stack either', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect((await bootstrap(event('Update', { ...props(), dashboardsUrl: closed }))).Data!.SavedObjects).toBe('failed');
    const before = fake.requests.length;
    expect((await bootstrap(event('Update', properties.get('no-dashboards')!))).Data).toEqual({ Alias: 'no-dashboards', Ism: 'unavailable', SavedObjects: 'skipped' });
    expect(fake.requests.length).toBe(before);
  });

  it('SigV4 (Amazon OpenSearch Service): the request to <endpoint>/_dashboards is signed for service es, over the body Dashboards receives', async () => {
    const creds = { accessKeyId: 'AKIDLOGTONGTEST', secretAccessKey: 'logtong-test-secret', sessionToken: 'logtong-test-token' };
    Object.assign(process.env, { OPENSEARCH_AUTH: 'sigv4', OPENSEARCH_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: creds.sessionToken });
    const before = fake.requests.length;
    try {
      // The layout requests go to the node too, signed (the test node has no security plugin and ignores them).
      expect((await bootstrap(event('Update', { ...props(), dashboardsUrl: `${fake.url}/_dashboards` }))).Data!.SavedObjects).toBe('imported');
    } finally {
      process.env.OPENSEARCH_AUTH = 'none';
    }
    const [r] = fake.requests.slice(before);
    expect(r.path).toBe('/_dashboards/api/saved_objects/_import?overwrite=true');
    expect(r.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(r.body).digest('hex'));
    const auth = /^AWS4-HMAC-SHA256 Credential=AKIDLOGTONGTEST\/(\d{8})\/eu-west-1\/es\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(r.headers.authorization);
    expect(auth).not.toBeNull();
    const signed = auth![2].split(';');
    expect(signed).toEqual(expect.arrayContaining(['host', 'content-type', 'osd-xsrf', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']));
    // The signature checked by another implementation (the AWS SDK's) over the request as received.
    type Data = string | ArrayBuffer | ArrayBufferView;
    const bytes = (d: Data) => (typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(new Uint8Array(d)));
    class Sha256 {
      private readonly h;
      constructor(secret?: Data) {
        this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
      }
      update(d: Data) {
        this.h.update(bytes(d));
      }
      async digest() {
        return new Uint8Array(this.h.digest());
      }
    }
    const signer = new SignatureV4({ service: 'es', region: 'eu-west-1', credentials: creds, sha256: Sha256, uriEscapePath: true });
    const date = r.headers['x-amz-date'];
    const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    const [path, query] = r.path.split('?');
    const again = await signer.sign(
      { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path, query: Object.fromEntries(new URLSearchParams(query)), headers: Object.fromEntries(signed.map((h) => [h, r.headers[h]])), body: r.body },
      { signingDate },
    );
    expect(String(again.headers.authorization)).toBe(r.headers.authorization);
  });
});
