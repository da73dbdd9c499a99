import { compileFilters, isKeepAll } from '../../../lambda/core/filters';

const doc = {
  status: 404,
  request_uri: '/health',
  http_user_agent: 'ELB-HealthChecker/2.0',
  cached: false,
  upstream: { name: 'api', peers: [{ server: '10.0.0.1:80' }] },
  'flat.key': 'x',
  tags: ['a', 'prod'],
  remote_user: null,
};

describe('compileFilters', () => {
  it('keeps everything when nothing is configured', () => {
    const f = compileFilters({ include: [], exclude: [] });
    expect(isKeepAll(f)).toBe(true);
    expect(f(doc)).toBe(true);
    expect(isKeepAll(compileFilters(undefined))).toBe(true);
  });

  it('include: every condition must match', () => {
    expect(compileFilters({ include: [{ field: 'status', regex: '^4' }], exclude: [] })(doc)).toBe(true);
    expect(compileFilters({ include: [{ field: 'status', regex: '^4' }, { field: 'request_uri', regex: '^/api' }], exclude: [] })(doc)).toBe(false);
    expect(compileFilters({ include: [{ field: 'status', regex: '^4' }, { field: 'request_uri', regex: 'health' }], exclude: [] })(doc)).toBe(true);
  });

  it('exclude: any match drops', () => {
    const f = compileFilters({ include: [], exclude: [{ field: 'request_uri', regex: '^/nope' }, { field: 'http_user_agent', regex: 'HealthChecker' }] });
    expect(f(doc)).toBe(false);
    expect(f({ ...doc, http_user_agent: 'curl/8' })).toBe(true);
  });

  it('a missing or null field matches nothing: include drops, exclude keeps', () => {
    expect(compileFilters({ include: [{ field: 'missing', regex: '.*' }], exclude: [] })(doc)).toBe(false);
    expect(compileFilters({ include: [], exclude: [{ field: 'missing', regex: '.*' }] })(doc)).toBe(true);
    expect(compileFilters({ include: [{ field: 'remote_user', regex: '.*' }], exclude: [] })(doc)).toBe(false);
  });

  it('numbers and booleans are matched as strings; arrays match if any element does', () => {
    expect(compileFilters({ include: [{ field: 'status', regex: '^404$' }], exclude: [] })(doc)).toBe(true);
    expect(compileFilters({ include: [{ field: 'cached', regex: '^false$' }], exclude: [] })(doc)).toBe(true);
    expect(compileFilters({ include: [{ field: 'tags', regex: '^prod$' }], exclude: [] })(doc)).toBe(true);
    expect(compileFilters({ include: [{ field: 'tags', regex: '^dev$' }], exclude: [] })(doc)).toBe(false);
  });

  it('dotted paths reach nested objects, and exact dotted keys (flattened JSON) first', () => {
    expect(compileFilters({ include: [{ field: 'upstream.name', regex: '^api$' }], exclude: [] })(doc)).toBe(true);
    expect(compileFilters({ include: [{ field: 'flat.key', regex: '^x$' }], exclude: [] })(doc)).toBe(true);
    expect(compileFilters({ include: [{ field: 'upstream.peers', regex: '10\\.0\\.0\\.1' }], exclude: [] })(doc)).toBe(true);
  });

  it('include and exclude together', () => {
    const f = compileFilters({ include: [{ field: 'status', regex: '^[45]' }], exclude: [{ field: 'request_uri', regex: '^/health' }] });
    expect(f(doc)).toBe(false);
    expect(f({ ...doc, request_uri: '/api' })).toBe(true);
    expect(f({ ...doc, status: 200, request_uri: '/api' })).toBe(false);
  });

  it('is stateless across calls (no lastIndex surprises)', () => {
    const f = compileFilters({ include: [{ field: 'request_uri', regex: 'health' }], exclude: [] });
    for (let i = 0; i < 5; i++) expect(f(doc)).toBe(true);
  });

  it('names the field of an invalid regex', () => {
    expect(() => compileFilters({ include: [{ field: 'status', regex: '(' }], exclude: [] })).toThrow(/filter on status: invalid regex/);
  });
});
