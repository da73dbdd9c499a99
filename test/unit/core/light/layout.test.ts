import { archiveKey, batchIdOf, batchOfFile, eventHourOf, listLockKey, manifestIdOf, manifestKey, partitionPrefix, planBatches, type StagedObject } from '../../../../lambda/core/light/layout';
import { lightTable } from '../../../../lambda/core/light/table';
import { columnName, tableColumns } from '../../../../lambda/core/parquet/columns';

const obj = (key: string, size: number, etag = `"${key}"`): StagedObject => ({ key, size, etag });

describe('Light Engine key layout', () => {
  test('event hour is the UTC hour of the record time', () => {
    expect(eventHourOf('2015-05-17T10:05:03.000Z')).toBe('2015051710');
    expect(eventHourOf('1999-12-31T23:59:59.999Z')).toBe('1999123123');
  });

  test('partition, archive and manifest keys', () => {
    expect(partitionPrefix('web_access', '2015051710', 'us-east-1')).toBe('web_access/event_hour=2015051710/region=us-east-1/');
    expect(archiveKey('web/src/a.log')).toBe('archive/web/src/a.log');
    expect(manifestKey('web', 'abc')).toBe('_batches/web/abc.json');
  });

  test('a manifest key names its batch; the List lock beside the manifests is none', () => {
    expect(manifestIdOf(manifestKey('web', 'abc'))).toBe('abc');
    expect(listLockKey('web')).toBe('_batches/web/list.lock');
    expect(manifestIdOf(listLockKey('web'))).toBeUndefined();
    expect(manifestIdOf('_batches/web/sub/abc.json')).toBeUndefined();
    expect(manifestIdOf('web/abc.json')).toBeUndefined();
  });

  test('a Parquet file names the batch that wrote it; a merged file names none', () => {
    const id = batchIdOf([obj('p/a', 1)]);
    expect(batchOfFile(`${partitionPrefix('t', '2015051710', 'r')}${id}-0.parquet`)).toBe(id);
    expect(batchOfFile(`${partitionPrefix('t', '2015051710', 'r')}${id}-17.parquet`)).toBe(id);
    expect(batchOfFile(`${partitionPrefix('t', '2015051710', 'r')}compacted-0123456789abcdef.parquet`)).toBeUndefined();
    expect(batchOfFile(`${partitionPrefix('t', '2015051710', 'r')}${id}-0.parquet.json`)).toBeUndefined();
  });

  test('batch id depends on members and their content, not on order', () => {
    const a = [obj('p/a', 1), obj('p/b', 2)];
    expect(batchIdOf(a)).toBe(batchIdOf([...a].reverse()));
    expect(batchIdOf(a)).not.toBe(batchIdOf([obj('p/a', 1), obj('p/b', 2, '"changed"')]));
    expect(batchIdOf(a)).not.toBe(batchIdOf([obj('p/a', 1)]));
    expect(batchIdOf(a)).toMatch(/^[0-9a-f]{24}$/);
  });

  test('batches are bounded by bytes and count, in key order, and capped in number', () => {
    const objects = [obj('p/c', 60), obj('p/a', 50), obj('p/b', 40), obj('p/d', 500), obj('p/e', 1), obj('p/f', 1), obj('p/g', 1)];
    const batches = planBatches(objects, { maxBytes: 100, maxObjects: 2, maxBatches: 10 });
    expect(batches.map((b) => b.map((o) => o.key))).toEqual([['p/a', 'p/b'], ['p/c'], ['p/d'], ['p/e', 'p/f'], ['p/g']]);
    expect(planBatches(objects, { maxBytes: 100, maxObjects: 2, maxBatches: 2 })).toHaveLength(2);
    expect(planBatches([], { maxBytes: 1, maxObjects: 1, maxBatches: 1 })).toEqual([]);
  });
});

describe('Light Engine table', () => {
  test('column names are Athena-safe and unique; the time column comes first', () => {
    expect(columnName('Request-URI.Path')).toBe('request_uri_path');
    expect(columnName('2xx')).toBe('f_2xx');
    const cols = tableColumns({ '@timestamp': 'date', 'a-b': 'keyword', a_b: 'long', status: 'integer', region: 'keyword' });
    expect(cols.map((c) => [c.name, c.source, c.type])).toEqual([
      ['event_time', '@timestamp', 'timestamp'],
      ['a_b', 'a-b', 'string'],
      ['a_b_2', 'a_b', 'bigint'],
      ['region_2', 'region', 'string'],
      ['status', 'status', 'int'],
    ]);
  });

  test('access-log rows are the documents themselves', () => {
    expect(lightTable({ type: 'nginx' }, { '@timestamp': 'date', status: 'integer' }).toRow).toBeUndefined();
  });

  test('JSON keys outside the declared fields are kept, flattened, in the extra column', () => {
    const t = lightTable({ type: 'json' }, { '@timestamp': 'date', level: 'keyword', 'http.status': 'integer' });
    expect(t.columns.map((c) => c.name)).toEqual(['event_time', 'http_status', 'level', 'extra']);
    const extra = t.columns[3].source;
    const row = t.toRow!({ '@timestamp': '2020-01-01T00:00:00.000Z', level: 'INFO', http: { status: 200, path: '/x' }, user: { id: 7 }, ts: 1 });
    expect(row['@timestamp']).toBe('2020-01-01T00:00:00.000Z');
    expect(row.level).toBe('INFO');
    expect(row['http.status']).toBe(200);
    expect(JSON.parse(row[extra] as string)).toEqual({ 'http.path': '/x', 'user.id': 7, ts: 1 });
    expect(t.toRow!({ '@timestamp': 'x', level: 'WARN' })[extra]).toBeNull();
  });
});
