import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { commonQueries, GlueTable, type GlueTableProps } from '../../lib/constructs/glue-table';
import { APACHE_FIELD_TYPES, NGINX_FIELD_TYPES, type FieldTypes } from '../../lambda/core/fields';
import { tableColumns, type Column } from '../../lambda/core/parquet/columns';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const nginxColumns = tableColumns({ ...NGINX_FIELD_TYPES, '@timestamp': 'date' });
const apacheColumns = tableColumns({ ...APACHE_FIELD_TYPES, '@timestamp': 'date' });

function synth(overrides: Partial<GlueTableProps> = {}) {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const bucket = new Bucket(stack, 'Data');
  const construct = new GlueTable(stack, 'Glue', {
    databaseName: 'logtong_web_access',
    tableName: 'web_access',
    bucket,
    prefix: 'light/web-access/',
    columns: nginxColumns,
    regions: ['eu-west-1', 'us-east-1'],
    logType: 'nginx',
    ...overrides,
  });
  const template = Template.fromStack(stack);
  return { stack, bucket, construct, template, bucketRef: stack.resolve(bucket.bucketName) as Json };
}

function tableInput(template: Template): Json {
  const tables = Object.values(template.findResources('AWS::Glue::Table')) as Json[];
  expect(tables).toHaveLength(1);
  return tables[0].Properties.TableInput;
}

function namedQueries(template: Template): Json[] {
  return Object.values(template.findResources('AWS::Athena::NamedQuery')).map((r: Json) => r.Properties);
}

describe('GlueTable', () => {
  test('creates the database with the given name in the stack account catalog', () => {
    const { template, stack, construct } = synth();
    template.resourceCountIs('AWS::Glue::Database', 1);
    template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: '123456789012',
      DatabaseInput: Match.objectLike({ Name: 'logtong_web_access' }),
    });
    const databaseRef = stack.resolve(construct.database.ref);
    template.hasResourceProperties('AWS::Glue::Table', { CatalogId: '123456789012', DatabaseName: databaseRef });
  });

  test('is an external Parquet table over the prefix', () => {
    const input = tableInput(synth().template);
    expect(input.Name).toBe('web_access');
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    const sd = input.StorageDescriptor;
    expect(sd.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    expect(sd.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat');
    expect(sd.SerdeInfo).toEqual({
      SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      Parameters: { 'serialization.format': '1' },
    });
  });

  test('location and location template point at <bucket>/<prefix>event_hour=…/region=…/', () => {
    const { template, bucketRef } = synth();
    const input = tableInput(template);
    expect(input.StorageDescriptor.Location).toEqual({ 'Fn::Join': ['', ['s3://', bucketRef, '/light/web-access/']] });
    expect(input.Parameters['storage.location.template']).toEqual({
      'Fn::Join': ['', ['s3://', bucketRef, '/light/web-access/event_hour=${event_hour}/region=${region}/']],
    });
  });

  test('columns are the tableColumns list, same names, types and order', () => {
    const input = tableInput(synth().template);
    const columns = input.StorageDescriptor.Columns as Json[];
    expect(columns.map((c) => [c.Name, c.Type])).toEqual(nginxColumns.map((c) => [c.name, c.type]));
    expect(columns[0]).toEqual({ Name: 'event_time', Type: 'timestamp', Comment: 'field @timestamp' });
    const byName = Object.fromEntries(columns.map((c) => [c.Name, c.Type]));
    expect(byName).toMatchObject({
      status: 'int',
      body_bytes_sent: 'bigint',
      request_time: 'float',
      msec: 'double',
      remote_addr: 'string',
      request_uri: 'string',
    });
    // No partition key is also a column: Athena rejects a table that declares one twice.
    expect(columns.map((c) => c.Name)).not.toEqual(expect.arrayContaining(['event_hour']));
    expect(columns.map((c) => c.Name)).not.toEqual(expect.arrayContaining(['region']));
  });

  test('object fields are marked as JSON text', () => {
    const columns: Column[] = tableColumns({ '@timestamp': 'date', 'kubernetes.labels': 'object' } as FieldTypes);
    const input = tableInput(synth({ columns, logType: 'json' }).template);
    expect(input.StorageDescriptor.Columns[1]).toEqual({ Name: 'kubernetes_labels', Type: 'string', Comment: 'field kubernetes.labels; JSON text' });
  });

  test('partition keys are event_hour then region, both strings', () => {
    const input = tableInput(synth().template);
    expect(input.PartitionKeys).toEqual([
      { Name: 'event_hour', Type: 'string' },
      { Name: 'region', Type: 'string' },
    ]);
  });

  test('partition projection and format parameters', () => {
    const { template, bucketRef } = synth();
    expect(tableInput(template).Parameters).toEqual({
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'parquet.compression': 'SNAPPY',
      'projection.enabled': 'true',
      'projection.event_hour.type': 'date',
      'projection.event_hour.format': 'yyyyMMddHH',
      // From 2000 (before any archive users load) to one day past the query's NOW (skew, local times read as UTC).
      'projection.event_hour.range': '2000010100,NOW+24HOURS',
      'projection.event_hour.interval': '1',
      'projection.event_hour.interval.unit': 'HOURS',
      'projection.region.type': 'enum',
      'projection.region.values': 'eu-west-1,us-east-1',
      'storage.location.template': { 'Fn::Join': ['', ['s3://', bucketRef, '/light/web-access/event_hour=${event_hour}/region=${region}/']] },
    });
  });

  test('projectionStartHour and projectionFutureHours set the event_hour range, exposed for the converter', () => {
    const { template, construct } = synth({ projectionStartHour: '2024022923' });
    expect(tableInput(template).Parameters['projection.event_hour.range']).toBe('2024022923,NOW+24HOURS');
    expect(construct.projection).toEqual({ fromHour: '2024022923', futureHours: 24 });
    expect(tableInput(synth({ projectionStartHour: '2015051700', projectionFutureHours: 6 }).template).Parameters['projection.event_hour.range']).toBe(
      '2015051700,NOW+6HOURS',
    );
    // 0: up to the query's own hour, in Athena's plain NOW.
    expect(tableInput(synth({ projectionFutureHours: 0 }).template).Parameters['projection.event_hour.range']).toBe('2000010100,NOW');
    expect(synth().construct.projection).toEqual({ fromHour: '2000010100', futureHours: 24 });
  });

  test('a region token (env-agnostic stack) is joined into the enum values', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new GlueTable(stack, 'Glue', {
      databaseName: 'db',
      tableName: 't',
      bucket: new Bucket(stack, 'Data'),
      prefix: 'p/',
      columns: nginxColumns,
      regions: [stack.region],
      logType: 'nginx',
    });
    const input = tableInput(Template.fromStack(stack));
    expect(input.Parameters['projection.region.values']).toEqual({ Ref: 'AWS::Region' });
  });

  test('exposes names and ARNs for IAM grants', () => {
    const { construct, stack } = synth();
    expect(construct.databaseName).toBe('logtong_web_access');
    expect(construct.tableName).toBe('web_access');
    expect(stack.resolve(construct.catalogArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:eu-west-1:123456789012:catalog']] });
    expect(stack.resolve(construct.databaseArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:eu-west-1:123456789012:database/logtong_web_access']],
    });
    expect(stack.resolve(construct.tableArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:eu-west-1:123456789012:table/logtong_web_access/web_access']],
    });
  });

  describe('named queries', () => {
    const window = `WHERE event_hour >= date_format(current_timestamp - INTERVAL '24' HOUR, '%Y%m%d%H')`;

    test('nginx: one query or more per access-log question, each filtered on event_hour', () => {
      const { template, construct, stack } = synth();
      const queries = namedQueries(template);
      // nginxColumns has every nginx variable: every question is answered.
      expect(Object.keys(construct.namedQueries).sort()).toEqual([
        'BytesPerHour',
        'FailedSharePerHour',
        'RequestTimePerHour',
        'RequestsPerHour',
        'SlowestRequests',
        'StatusCodesPerHour',
        'TopClients',
        'TopRequestUris',
      ]);
      expect(queries).toHaveLength(8);
      for (const q of queries) {
        expect(q.Database).toEqual(stack.resolve(construct.database.ref));
        expect(q.QueryString).toContain('FROM "logtong_web_access"."web_access"');
        expect(q.QueryString).toContain(window);
        expect(q.WorkGroup).toBeUndefined();
      }
      const byName = (part: string) => queries.find((q) => q.Name.includes(part))!.QueryString as string;
      // The three queries that predate the question catalog keep their SQL (and construct ids: updated in place).
      expect(byName('top request URIs')).toBe(
        [
          'SELECT "request_uri", count(*) AS requests',
          'FROM "logtong_web_access"."web_access"',
          window,
          'GROUP BY "request_uri"',
          'ORDER BY requests DESC',
          'LIMIT 100',
        ].join('\n'),
      );
      expect(byName('status codes per hour')).toBe(
        [
          'SELECT event_hour, "status", count(*) AS requests',
          'FROM "logtong_web_access"."web_access"',
          window,
          'GROUP BY event_hour, "status"',
          'ORDER BY event_hour, "status"',
        ].join('\n'),
      );
      expect(byName('slowest requests')).toBe(
        [
          'SELECT "event_time", "request_method", "request_uri", "status", region, "request_time"',
          'FROM "logtong_web_access"."web_access"',
          window,
          '  AND "request_time" IS NOT NULL',
          'ORDER BY "request_time" DESC',
          'LIMIT 100',
        ].join('\n'),
      );
      const perHour = (select: string, ...and: string[]) =>
        [`SELECT event_hour, ${select}`, 'FROM "logtong_web_access"."web_access"', window, ...and.map((a) => `  AND ${a}`), 'GROUP BY event_hour', 'ORDER BY event_hour'].join('\n');
      expect(byName('requests per hour')).toBe(perHour('count(*) AS requests'));
      expect(byName('bytes sent per hour')).toBe(perHour('sum("body_bytes_sent") AS bytes'));
      expect(byName('failed requests')).toBe(
        perHour(
          'count(*) AS requests, count_if("status" BETWEEN 400 AND 499) AS client_errors, count_if("status" BETWEEN 500 AND 599) AS server_errors, ' +
            'round(100 * CAST(count_if("status" BETWEEN 400 AND 599) AS double) / count(*), 2) AS failed_percent',
        ),
      );
      expect(byName('request time per hour')).toBe(
        perHour(
          'avg("request_time") AS avg, approx_percentile("request_time", 0.5) AS p50, approx_percentile("request_time", 0.95) AS p95, approx_percentile("request_time", 0.99) AS p99',
          '"request_time" IS NOT NULL',
        ),
      );
      expect(byName('top clients')).toBe(
        ['SELECT "remote_addr", count(*) AS requests', 'FROM "logtong_web_access"."web_access"', window, 'GROUP BY "remote_addr"', 'ORDER BY requests DESC', 'LIMIT 100'].join('\n'),
      );
      // Saved after the table exists.
      const tableId = stack.resolve((construct.table as Json).logicalId);
      for (const r of Object.values(template.findResources('AWS::Athena::NamedQuery')) as Json[]) expect(r.DependsOn).toContain(tableId);
    });

    test('every query names the question it answers', () => {
      const byQuestion = (cols: Column[], type: 'nginx' | 'apache') => Object.fromEntries(commonQueries(type, cols, 'db', 't').map((q) => [q.id, q.question]));
      expect(byQuestion(nginxColumns, 'nginx')).toEqual({
        RequestsPerHour: 'requests-over-time',
        StatusCodesPerHour: 'status-codes',
        FailedSharePerHour: 'failed-share',
        TopRequestUris: 'top-uris',
        TopClients: 'top-clients',
        BytesPerHour: 'bytes',
        RequestTimePerHour: 'request-time',
        SlowestRequests: 'request-time',
      });
      // Apache names the values differently: the bytes query sums %b, the client is %h.
      const apache = commonQueries('apache', apacheColumns, 'db', 't');
      expect(apache.find((q) => q.id === 'BytesPerHour')!.sql).toContain('sum("response_size_bytes")');
      expect(apache.find((q) => q.id === 'TopClients')!.sql).toContain('SELECT "remote_addr"');
    });

    test('apache: the slowest-requests query uses the most precise duration column', () => {
      const sql = commonQueries('apache', apacheColumns, 'db', 't').find((q) => q.id === 'SlowestRequests')!.sql;
      expect(sql).toContain('ORDER BY "request_time_us" DESC');
      const msOnly = apacheColumns.filter((c) => c.name !== 'request_time_us');
      expect(commonQueries('apache', msOnly, 'db', 't').find((q) => q.id === 'SlowestRequests')!.sql).toContain('"request_time_ms"');
    });

    test('a question whose columns are missing is skipped', () => {
      // nginx combined format: no $request_time.
      const combined = tableColumns({
        '@timestamp': 'date',
        remote_addr: 'ip',
        remote_user: 'keyword',
        request_method: 'keyword',
        request_uri: 'keyword',
        request_protocol: 'keyword',
        status: 'integer',
        body_bytes_sent: 'long',
        http_referer: 'keyword',
        http_user_agent: 'text',
      });
      expect(commonQueries('nginx', combined, 'db', 't').map((q) => q.id)).toEqual([
        'RequestsPerHour',
        'StatusCodesPerHour',
        'FailedSharePerHour',
        'TopRequestUris',
        'TopClients',
        'BytesPerHour',
      ]);
      // Requests per hour needs only the partition: it stays when everything else is gone.
      const bare = combined.filter((c) => !['request_uri', 'status', 'remote_addr', 'body_bytes_sent'].includes(c.name));
      expect(commonQueries('nginx', bare, 'db', 't').map((q) => q.id)).toEqual(['RequestsPerHour']);
      // A duration overridden to keyword would sort as text; a status typed keyword groups but has no 4xx/5xx range.
      const textTyped = tableColumns({ '@timestamp': 'date', request_time: 'keyword', status: 'keyword' });
      expect(commonQueries('nginx', textTyped, 'db', 't').map((q) => q.id)).toEqual(['RequestsPerHour', 'StatusCodesPerHour']);
      // A client address typed text (analysed) cannot be grouped as a whole value; keyword can.
      expect(commonQueries('nginx', tableColumns({ '@timestamp': 'date', remote_addr: 'text' }), 'db', 't').map((q) => q.id)).toEqual(['RequestsPerHour']);
      expect(commonQueries('nginx', tableColumns({ '@timestamp': 'date', remote_addr: 'keyword' }), 'db', 't').map((q) => q.id)).toEqual(['RequestsPerHour', 'TopClients']);
    });

    test('json and other log types get none', () => {
      const { template, construct } = synth({ logType: 'json', columns: tableColumns({ '@timestamp': 'date', request_uri: 'keyword', status: 'integer' }) });
      template.resourceCountIs('AWS::Athena::NamedQuery', 0);
      expect(construct.namedQueries).toEqual({});
      for (const t of ['regex', 'syslog', 'single-line-text', 'multi-line-text'] as const) expect(commonQueries(t, nginxColumns, 'db', 't')).toEqual([]);
    });

    test('workGroup is passed through', () => {
      for (const q of namedQueries(synth({ workGroup: 'logtong' }).template)) expect(q.WorkGroup).toBe('logtong');
    });
  });

  describe('validation', () => {
    test.each<[string, Partial<GlueTableProps>, RegExp]>([
      ['hyphenated database name', { databaseName: 'web-access' }, /databaseName "web-access"/],
      ['upper-case table name', { tableName: 'Web' }, /tableName "Web"/],
      ['prefix with leading slash', { prefix: '/light/' }, /prefix "\/light\/"/],
      ['prefix without trailing slash', { prefix: 'light' }, /prefix "light"/],
      ['no regions', { regions: [] }, /regions: at least one/],
      ['region with a comma', { regions: ['eu-west-1,us-east-1'] }, /region "eu-west-1,us-east-1"/],
      ['duplicate region', { regions: ['eu-west-1', 'eu-west-1'] }, /appears twice/],
      ['no columns', { columns: [] }, /columns: at least one/],
      ['partition key as column', { columns: [{ name: 'region', source: 'region', type: 'string', fieldType: 'keyword' }] }, /"region": is a partition key/],
      ['start hour not YYYYMMDDHH', { projectionStartHour: '2020-01-01' }, /projectionStartHour "2020-01-01"/],
      ['start hour not a real hour', { projectionStartHour: '2023022900' }, /projectionStartHour "2023022900"/],
      ['start hour 24', { projectionStartHour: '2024010124' }, /projectionStartHour/],
      ['negative future hours', { projectionFutureHours: -1 }, /projectionFutureHours -1: must be an integer 0\.\.8760/],
      ['fractional future hours', { projectionFutureHours: 1.5 }, /projectionFutureHours 1\.5: must be an integer/],
      ['more than a year ahead', { projectionFutureHours: 8761 }, /projectionFutureHours 8761/],
      // Athena reads at most 1,000,000 partitions per query: hours × regions, 10 years ahead.
      ['a start too early for one query to read', { projectionStartHour: '1800010100' }, /projectionStartHour: projects \d+ hourly partitions × 2 regions by \d{4}, .* at most 1000000 partitions per query; start on \d{4}-\d{2}-\d{2} or later/],
      ['1970 with two regions', { projectionStartHour: '1970010100' }, /× 2 regions/],
    ])('rejects %s', (_, overrides, message) => {
      expect(() => synth(overrides)).toThrow(message);
    });

    test('an empty prefix (the whole bucket) is accepted', () => {
      const { template, bucketRef } = synth({ prefix: '' });
      expect(tableInput(template).StorageDescriptor.Location).toEqual({ 'Fn::Join': ['', ['s3://', bucketRef, '/']] });
    });
  });
});
