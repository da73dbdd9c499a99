import { LogFormatSchema, type LogFormat } from '../../../../lambda/core/config/log-format';
import { compileParser, type LineParser } from '../../../../lambda/core/formats';
import { flattenObject, getPath } from '../../../../lambda/core/formats/json';
import { corpusLines } from '../../../corpora';
import { ok } from '../parse-helpers';

const NGINX_PLUS = 'nginxplus_status_json_elastic_examples.ndjson';

const json = (f: Partial<LogFormat> = {}): LineParser => compileParser(LogFormatSchema.parse({ type: 'json', ...f }));

describe('json on the NGINX Plus status corpus (500 nested objects)', () => {
  const lines = corpusLines(NGINX_PLUS);

  it('parses all 500 lines, keeping nested objects, with @timestamp from timestamp (epoch_ms)', () => {
    expect(lines).toHaveLength(500);
    const p = json({ timeKey: 'timestamp', timeFormat: 'epoch_ms' });
    const docs = lines.map((l) => ok(p, l));
    const first = docs[0] as Record<string, any>;
    expect(first['@timestamp']).toBe('2015-10-30T23:58:19.322Z');
    expect(first.timestamp).toBe(1446249499322);
    expect(first.version).toBe(6);
    expect(first.nginx_version).toBe('1.9.4');
    expect(first.address).toBe('206.251.255.64');
    expect(first.load_timestamp).toBe(1445680800424);
    expect(first.pid).toBe(64857);
    expect(first.connections).toEqual({ accepted: 8995031, dropped: 0, active: 2, idle: 29 });
    expect(first.requests).toEqual({ total: 18853899, current: 2 });
    expect(first.ssl).toEqual({ handshakes: 23384, handshakes_failed: 4647, session_reuses: 5674 });
    expect(first.server_zones['hg.nginx.org']).toEqual({
      processing: 0,
      requests: 205543,
      responses: { '1xx': 0, '2xx': 179026, '3xx': 12627, '4xx': 2828, '5xx': 1895, total: 196376 },
      discarded: 9167,
      received: 64355461,
      sent: 6490717598,
    });
    expect(Object.keys(first.upstreams)).toEqual(['trac-backend', 'hg-backend', 'lxr-backend', 'demo-backend']);
    expect(first.upstreams['trac-backend'].peers[0]).toMatchObject({ id: 0, server: '10.0.0.1:8080', backup: false, state: 'up', health_checks: { last_passed: true } });
    expect(Object.keys(first.caches)).toEqual(['http_cache']);
    expect(Object.keys(first.stream)).toEqual(['server_zones', 'upstreams']);

    const last = docs[499] as Record<string, any>;
    expect(last['@timestamp']).toBe('2015-10-31T00:40:53.399Z');
    expect(last.connections).toEqual({ accepted: 9005941, dropped: 0, active: 2, idle: 24 });

    const stamps = docs.map((d) => d['@timestamp'] as string);
    expect(new Set(stamps).size).toBe(500);
    expect([...stamps].sort()[0]).toBe('2015-10-30T23:58:19.322Z');
    expect(stamps.every((s) => s >= '2015-10-30T23:58:19.322Z' && s <= '2015-10-31T00:40:53.399Z')).toBe(true);
  });

  it('numbers as timeKey default to epoch_ms, strings to iso8601', () => {
    expect(ok(json({ timeKey: 'timestamp' }), lines[0])['@timestamp']).toBe('2015-10-30T23:58:19.322Z');
    expect(ok(json({ timeKey: 't' }), '{"t":"2015-10-30T23:58:19.322+01:00"}')['@timestamp']).toBe('2015-10-30T22:58:19.322Z');
  });

  it('a dotted timeKey reaches into nested objects', () => {
    const p = json({ timeKey: 'upstreams.trac-backend.peers', timeFormat: 'epoch_ms' });
    expect(p.parse(lines[0])).toEqual({ ok: false, reason: expect.stringMatching(/^upstreams\.trac-backend\.peers .* is not a time/) });
    const q = json({ timeKey: 'meta.at', timeFormat: 'epoch_s' });
    expect(ok(q, '{"meta":{"at":1446249499}}')['@timestamp']).toBe('2015-10-30T23:58:19.000Z');
  });

  it('flattenJson turns nested objects into dotted keys (arrays stay values)', () => {
    const p = json({ flattenJson: true, timeKey: 'timestamp', timeFormat: 'epoch_ms' });
    const doc = ok(p, lines[0]);
    expect(doc['connections.accepted']).toBe(8995031);
    expect(doc['ssl.handshakes_failed']).toBe(4647);
    expect(doc['server_zones.hg.nginx.org.responses.2xx']).toBe(179026);
    expect(doc.connections).toBeUndefined();
    expect(Array.isArray(doc['upstreams.trac-backend.peers'])).toBe(true);
    expect(doc['@timestamp']).toBe('2015-10-30T23:58:19.322Z');
    expect(Object.values(doc).every((v) => v === null || typeof v !== 'object' || Array.isArray(v))).toBe(true);
  });

  it('no timeKey: no @timestamp, the object as it is', () => {
    const doc = ok(json(), lines[1]);
    expect(doc['@timestamp']).toBeUndefined();
    expect(doc).toEqual(JSON.parse(lines[1]));
  });

  it('coerces fields named in `fields` (dotted paths too)', () => {
    const p = json({ fields: { 'connections.active': 'keyword', pid: 'keyword', version: 'integer' } });
    const doc = ok(p, lines[0]) as Record<string, any>;
    expect(doc.connections.active).toBe('2');
    expect(doc.pid).toBe('64857');
    expect(doc.version).toBe(6);
    expect(p.fields).toEqual({ '@timestamp': 'date', 'connections.active': 'keyword', pid: 'keyword', version: 'integer' });
  });
});

describe('json lines', () => {
  it('reports invalid JSON, non-objects and bad values precisely', () => {
    const p = json({ timeKey: 'time', fields: { status: 'integer' } });
    expect(p.parse('{"a":')).toEqual({ ok: false, reason: expect.stringMatching(/^invalid JSON: /) });
    expect(p.parse('[1,2]')).toEqual({ ok: false, reason: 'not a JSON object (array)' });
    expect(p.parse('42')).toEqual({ ok: false, reason: 'not a JSON object (number)' });
    expect(p.parse('null')).toEqual({ ok: false, reason: 'not a JSON object (null)' });
    expect(p.parse('{"status":200}')).toEqual({ ok: false, reason: 'time key time is missing' });
    expect(p.parse('{"time":"soon","status":200}')).toEqual({ ok: false, reason: 'time "soon" does not match iso8601' });
    expect(p.parse('{"time":"2024-01-01T00:00:00Z","status":"abc"}')).toEqual({ ok: false, reason: 'status "abc" is not an integer' });
    expect(p.parse('{"time":"2024-01-01T00:00:00Z","status":"404"}')).toEqual({
      ok: true,
      doc: { time: '2024-01-01T00:00:00Z', status: 404, '@timestamp': '2024-01-01T00:00:00.000Z' },
    });
  });

  it('timeZone applies to iso8601 without an offset', () => {
    const p = json({ timeKey: 'ts', timeZone: 'America/New_York' });
    expect(ok(p, '{"ts":"2024-11-03 01:30:00"}')['@timestamp']).toBe('2024-11-03T05:30:00.000Z');
    expect(ok(p, '{"ts":"2024-07-03 12:00:00"}')['@timestamp']).toBe('2024-07-03T16:00:00.000Z');
  });

  it('getPath / flattenObject helpers', () => {
    expect(getPath({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(getPath({ a: { b: { c: 3 } } }, 'a.b.c')).toBe(3);
    expect(getPath({ a: [{ b: 1 }] }, 'a.b')).toBeUndefined();
    expect(getPath({ a: 1 }, 'a.b')).toBeUndefined();
    expect(flattenObject({ a: { b: 1, c: { d: [1, { e: 2 }] }, f: {} }, g: null })).toEqual({ 'a.b': 1, 'a.c.d': [1, { e: 2 }], g: null });
  });
});
