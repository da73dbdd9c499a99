import { LogFormatSchema, type LogFormat } from '../../../../lambda/core/config/log-format';
import { compileParser } from '../../../../lambda/core/formats';
import {
  IMPORT_PATH,
  importRequestBody,
  importSavedObjects,
  pipelineSavedObjects,
  recordsHaveTime,
  toNdjson,
  type DashboardsPost,
  type SavedObject,
} from '../../../../lambda/core/opensearch/saved-objects';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function objectsOf(name: string, format: Partial<LogFormat> & { type: LogFormat['type'] }, indexPrefix = name): SavedObject[] {
  const logFormat = LogFormatSchema.parse(format);
  return pipelineSavedObjects({ pipelineName: name, indexPrefix, logFormat, fields: compileParser(logFormat).fields });
}

const byType = (objects: SavedObject[], type: string) => objects.filter((o) => o.type === type);
const searchSource = (o: SavedObject) => JSON.parse((o.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON);

describe('saved objects of a pipeline', () => {
  it('nginx: index pattern over <prefix>-*, one visualization per question, a dashboard of them, two saved searches', () => {
    const objects = objectsOf('web', { type: 'nginx' }, 'web-logs');
    expect(objects.map((o) => `${o.type} ${o.id}`)).toEqual([
      'index-pattern logtong-web',
      'search logtong-web-search-all',
      'search logtong-web-search-failed',
      'visualization logtong-web-requests-over-time',
      'visualization logtong-web-status-codes',
      'visualization logtong-web-failed-share',
      'visualization logtong-web-top-uris',
      'visualization logtong-web-top-clients',
      'visualization logtong-web-bytes',
      'dashboard logtong-web-dashboard',
    ]);
    // Not web-logs*: that would take in the ledger index web-logs.ledger.
    expect(objects[0].attributes).toEqual({ title: 'web-logs-*', timeFieldName: '@timestamp' });
    for (const o of objects.filter((x) => x.type === 'visualization' || x.type === 'search')) {
      expect(o.references).toEqual([{ name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern', id: 'logtong-web' }]);
      expect(searchSource(o).indexRefName).toBe('kibanaSavedObjectMeta.searchSourceJSON.index');
    }
    const dashboard = objects.at(-1)!;
    const panels = JSON.parse(dashboard.attributes.panelsJSON as string) as Json[];
    expect(panels).toHaveLength(6);
    expect(dashboard.references).toEqual(byType(objects, 'visualization').map((v, i) => ({ name: `panel_${i}`, type: 'visualization', id: v.id })));
    expect(panels.map((p) => p.panelRefName)).toEqual(dashboard.references.map((r) => r.name));
    // No two panels overlap on the 48-column grid.
    const cells = new Set<string>();
    for (const { gridData: g } of panels) {
      expect(g.x + g.w).toBeLessThanOrEqual(48);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    const failed = objects.find((o) => o.id === 'logtong-web-search-failed')!;
    expect(searchSource(failed).query).toEqual({ query: 'status:[400 TO 599]', language: 'lucene' });
    expect(failed.attributes.columns).toEqual(['request_method', 'status', 'request_uri', 'remote_addr', 'body_bytes_sent']);
    expect(failed.attributes.sort).toEqual([['@timestamp', 'desc']]);
  });

  it('visualizations: the aggregations OpenSearch Dashboards runs for each question', () => {
    const objects = objectsOf('web', { type: 'nginx', format: '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time' });
    const vis = Object.fromEntries(byType(objects, 'visualization').map((o) => [o.id.replace('logtong-web-', ''), JSON.parse(o.attributes.visState as string)]));
    const aggs = (id: string) => vis[id].aggs.map((a: Json) => [a.type, a.schema, a.params.field ?? null]);
    expect(aggs('requests-over-time')).toEqual([['count', 'metric', null], ['date_histogram', 'segment', '@timestamp']]);
    expect(aggs('status-codes')).toEqual([['count', 'metric', null], ['date_histogram', 'segment', '@timestamp'], ['terms', 'group', 'status']]);
    expect(aggs('top-uris')).toEqual([['count', 'metric', null], ['terms', 'bucket', 'request_uri']]);
    expect(aggs('top-clients')).toEqual([['count', 'metric', null], ['terms', 'bucket', 'remote_addr']]);
    expect(aggs('bytes')).toEqual([['sum', 'metric', 'body_bytes_sent'], ['date_histogram', 'segment', '@timestamp']]);
    expect(aggs('request-time')).toEqual([['avg', 'metric', 'request_time'], ['percentiles', 'metric', 'request_time'], ['date_histogram', 'segment', '@timestamp']]);
    expect(vis['request-time'].aggs[1].params.percents).toEqual([50, 95, 99]);
    expect(vis['failed-share'].aggs[1].params.filters).toEqual([
      { input: { query: 'status:[400 TO 499]', language: 'lucene' }, label: '4xx' },
      { input: { query: 'status:[500 TO 599]', language: 'lucene' }, label: '5xx' },
      { input: { query: 'NOT status:[400 TO 599]', language: 'lucene' }, label: 'not 4xx/5xx' },
    ]);
    // Every metric of a line or bar chart has its series on the value axis.
    for (const v of Object.values(vis) as Json[]) {
      if (v.type !== 'line' && v.type !== 'histogram') continue;
      expect(v.params.seriesParams.map((s: Json) => s.data.id)).toEqual(v.aggs.filter((a: Json) => a.schema === 'metric').map((a: Json) => a.id));
    }
  });

  it('every log type gets an index pattern and saved searches; only nginx and apache a dashboard', () => {
    const cases: Array<[Partial<LogFormat> & { type: LogFormat['type'] }, string[], string[]]> = [
      [{ type: 'apache' }, ['all', 'failed'], ['request_method', 'status', 'request_uri', 'remote_addr', 'response_size_bytes']],
      [{ type: 'syslog' }, ['all', 'errors'], ['hostname', 'app_name', 'severity_name', 'message']],
      [{ type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger : %msg%n' }, ['all', 'errors'], ['level', 'logger', 'thread', 'message']],
      [{ type: 'json', timeKey: 't', fields: { level: 'keyword', latencyMs: 'integer' } }, ['all'], ['level', 'latencyMs']],
      [{ type: 'json' }, ['all'], ['_source']],
      [{ type: 'regex', regex: '^(?<host>\\S+) (?<msg>.*)$' }, ['all'], ['host', 'msg']],
    ];
    for (const [format, searches, columns] of cases) {
      const objects = objectsOf('p', format);
      expect(byType(objects, 'index-pattern')).toHaveLength(1);
      expect(byType(objects, 'search').map((o) => o.id.replace('logtong-p-search-', ''))).toEqual(searches);
      expect(byType(objects, 'search')[0].attributes.columns).toEqual(columns);
      expect(byType(objects, 'dashboard')).toHaveLength(format.type === 'apache' ? 1 : 0);
      expect(byType(objects, 'visualization')).toHaveLength(format.type === 'apache' ? 6 : 0);
    }
    const syslogErrors = objectsOf('p', { type: 'syslog' }).find((o) => o.id === 'logtong-p-search-errors')!;
    expect(searchSource(syslogErrors).query.query).toBe('severity:[0 TO 3]');
  });

  it('a format without a record time gets an index pattern without a time field (Discover would hide every record)', () => {
    expect(recordsHaveTime({ type: 'json' })).toBe(false);
    expect(recordsHaveTime({ type: 'json', timeKey: 'ts' })).toBe(true);
    expect(recordsHaveTime({ type: 'regex', regex: '(?<a>.)' })).toBe(false);
    expect(recordsHaveTime({ type: 'single-line-text', format: '%level %msg' })).toBe(false);
    expect(recordsHaveTime({ type: 'multi-line-text', format: '%d %level %msg' })).toBe(true);
    expect(recordsHaveTime({ type: 'nginx' })).toBe(true);
    const objects = objectsOf('p', { type: 'json' });
    expect(objects[0].attributes).toEqual({ title: 'p-*' });
    expect(byType(objects, 'search')[0].attributes.sort).toEqual([]);
  });

  it('ids and content depend only on the pipeline: rendering again gives the same ndjson (a re-import overwrites, adds nothing)', () => {
    const a = toNdjson(objectsOf('web', { type: 'nginx' }));
    expect(toNdjson(objectsOf('web', { type: 'nginx' }))).toBe(a);
    expect(a.endsWith('\n')).toBe(true);
    const lines = a.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(new Set(lines.map((o) => o.id)).size).toBe(lines.length);
    // Another pipeline on the same dashboards gets its own ids.
    const other = objectsOf('shop', { type: 'nginx' }).map((o) => o.id);
    expect(other.some((id) => lines.some((o) => o.id === id))).toBe(false);
  });
});

describe('import', () => {
  const objects = objectsOf('web', { type: 'nginx' });
  const ok = (n: number) => ({ status: 200, body: JSON.stringify({ success: true, successCount: n }) });

  it('the request: multipart with the ndjson as file, overwrite=true, osd-xsrf and the global tenant', async () => {
    const calls: Array<{ path: string; body: Buffer; headers: Record<string, string> }> = [];
    const post: DashboardsPost = async (path, body, headers) => {
      calls.push({ path, body, headers });
      return ok(objects.length);
    };
    expect(await importSavedObjects(post, objects, 'logtong-web.ndjson', { boundary: 'XyZ' })).toEqual({ status: 'imported', attempts: 1, successCount: objects.length });
    expect(calls).toHaveLength(1);
    expect(calls[0].path).toBe('/api/saved_objects/_import?overwrite=true');
    expect(IMPORT_PATH).toBe(calls[0].path);
    expect(calls[0].headers).toEqual({ 'content-type': 'multipart/form-data; boundary=XyZ', 'osd-xsrf': 'true', securitytenant: 'global' });
    expect(calls[0].body.toString()).toBe(
      `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="logtong-web.ndjson"\r\nContent-Type: application/ndjson\r\n\r\n${toNdjson(objects)}\r\n--XyZ--\r\n`,
    );
    expect(importRequestBody('x\n', 'f.ndjson', 'B').contentType).toBe('multipart/form-data; boundary=B');
  });

  it('retries network errors, 429 and 5xx with doubling waits, then succeeds', async () => {
    const answers: Array<Error | { status: number; body: string }> = [new Error('ECONNREFUSED'), { status: 503, body: 'not ready' }, ok(3)];
    const waits: number[] = [];
    const post: DashboardsPost = async () => {
      const a = answers.shift()!;
      if (a instanceof Error) throw a;
      return a;
    };
    const r = await importSavedObjects(post, objects, 'f.ndjson', { attempts: 4, baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) });
    expect(r).toEqual({ status: 'imported', attempts: 3, successCount: 3 });
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after the attempts and says why; never throws', async () => {
    const r = await importSavedObjects(async () => ({ status: 502, body: 'Bad Gateway' }), objects, 'f.ndjson', { sleep: async () => undefined });
    expect(r).toEqual({ status: 'failed', attempts: 3, error: 'HTTP 502 Bad Gateway' });
    const thrown = await importSavedObjects(async () => Promise.reject(new Error('socket hang up')), objects, 'f.ndjson', { attempts: 2, sleep: async () => undefined });
    expect(thrown).toEqual({ status: 'failed', attempts: 2, error: 'socket hang up' });
  });

  it('a 4xx or an answer with success=false is not retried (asking again gives the same answer)', async () => {
    let n = 0;
    const forbidden = await importSavedObjects(async () => (n++, { status: 403, body: '{"message":"no permissions"}' }), objects, 'f.ndjson', { sleep: async () => undefined });
    expect(forbidden).toEqual({ status: 'failed', attempts: 1, error: 'HTTP 403 {"message":"no permissions"}' });
    expect(n).toBe(1);
    const errors = [{ id: 'logtong-web-dashboard', type: 'dashboard', error: { type: 'missing_references' } }];
    const partial = await importSavedObjects(async () => ({ status: 200, body: JSON.stringify({ success: false, successCount: 9, errors }) }), objects, 'f.ndjson');
    expect(partial.status).toBe('failed');
    expect(partial.error).toContain('missing_references');
  });
});
