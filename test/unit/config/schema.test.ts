import { ALARMS, ALARMS_BEGIN, ALARMS_END, alarmsMarkdown } from '../../../lib/config/alarms';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig, parseConfigText } from '../../../lib/config/load';
import { AGENT_DIFFERENCES_BEGIN, AGENT_DIFFERENCES_END, AGENT_PARSE_DIFFERENCES, agentDifferencesMarkdown } from '../../../lib/agent/differences';
import { betweenMarkers, configJsonSchema, withConfigReference } from '../../../lib/config/docs';
import { toRuntimeConfig } from '../../../lib/config/runtime-config';
import { KINESIS_DEFAULTS, lightDatabaseName, lightProjection, lightTableName } from '../../../lib/config/schema';
import { RuntimeConfigSchema } from '../../../lambda/core/config/runtime';

const root = join(__dirname, '..', '..', '..');

const domain = { type: 'aws', endpoint: 'https://search-logs-abc.us-east-1.es.amazonaws.com', arn: 'arn:aws:es:us-east-1:123456789012:domain/logs' };
// (each pipeline under its own key prefix and index prefix: two on one bucket with the same rule, or on one cluster
// with the same index prefix, are refused, see below)
const pipeline = (over: Record<string, unknown> = {}) => ({
  name: 'web-access',
  source: { type: 's3', bucketName: 'my-logs', prefix: `${(over.name as string | undefined) ?? 'web-access'}/` },
  logFormat: { type: 'nginx' },
  engine: { type: 'opensearch', indexPrefix: `${(over.name as string | undefined) ?? 'web-access'}-idx`, domain },
  ...over,
});

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('config was accepted');
}

describe('config schema', () => {
  it('fills defaults for a minimal pipeline', () => {
    const c = parseConfig({ pipelines: [pipeline({ source: { type: 's3', bucketName: 'my-logs' } })] });
    const p = c.pipelines[0];
    expect(p.source).toEqual({ type: 's3', mode: 'ongoing', bucketName: 'my-logs', prefix: '', suffix: '' });
    expect(p.logFormat.timeZone).toBe('UTC');
    expect(p.logFormat.maxLineBytes).toBe(1_048_576);
    expect(p.engine.type === 'opensearch' && p.engine.bulkMaxBytes).toBe(5 * 1024 * 1024);
    expect(p.engine.type === 'opensearch' && p.engine.index).toMatchObject({ shards: 1, replicas: 1, rolloverAge: '1d', deleteAfterDays: 30 });
  });

  it('names the pipeline, the field path and what was expected', () => {
    const raw = { pipelines: [pipeline({ name: 'a' }), pipeline({ name: 'b' }), pipeline({ engine: { type: 'opensearch', indexPrefix: 'Web_Access', domain } })] };
    expect(problems(raw)).toEqual(['pipelines[2] (web-access).engine.indexPrefix: must match ^[a-z][a-z0-9-]*$']);
  });

  it('reports every problem at once, including unknown keys and bad enums', () => {
    const raw = {
      pipelines: [
        pipeline({ source: { type: 's3', bucketName: 'my-logs', sufix: '.gz' }, logFormat: { type: 'nginxx', timeZone: 'Mars/Olympus' } }),
        pipeline({ name: 'other', source: { type: 'ftp' } }),
      ],
    };
    expect(problems(raw)).toEqual([
      'pipelines[0] (web-access).source: unknown key sufix; did you mean "suffix"?',
      'pipelines[0] (web-access).logFormat.type: must be one of "nginx", "apache", "json", "regex", "syslog", "single-line-text", "multi-line-text"; did you mean "nginx"?',
      'pipelines[0] (web-access).logFormat.timeZone: must be an IANA time zone such as UTC or Asia/Shanghai',
      // nothing close to "ftp": no guess
      'pipelines[1] (other).source.type: must be one of "s3", "fluent-bit", "syslog"',
    ]);
  });

  it('says "is required" for a missing key, and guesses the key or value meant: in the variant the type names, a typo away', () => {
    const raw = {
      pipelines: [
        pipeline({ source: { type: 's3', mode: 'one-tme', sufix: '.gz' } }),
        pipeline({ name: 'b', source: { type: 'syslgo', port: 514 }, engine: { type: 'ligth', schedul: 'rate(5 minutes)' } }),
        pipeline({ name: 'c', engine: { type: 'light', schedul: 'rate(5 minutes)', notficationEmail: 'ops@example.com', unrelated: 1 } }),
      ],
    };
    expect(problems(raw)).toEqual([
      'pipelines[0] (web-access).source.mode: must be one of "ongoing", "one-time"; did you mean "one-time"?',
      'pipelines[0] (web-access).source.bucketName: is required',
      'pipelines[0] (web-access).source: unknown key sufix; did you mean "suffix"?',
      'pipelines[1] (b).source.type: must be one of "s3", "fluent-bit", "syslog"; did you mean "syslog"?',
      'pipelines[1] (b).engine.type: must be one of "opensearch", "light"; did you mean "light"?',
      'pipelines[2] (c).engine: unknown key schedul; did you mean "schedule"?',
      'pipelines[2] (c).engine: unknown key notficationEmail; did you mean "notificationEmail"?',
      'pipelines[2] (c).engine: unknown key unrelated',
      // the rest of the source whose type was a typo away, checked as that type in the same round
      'pipelines[1] (b).source.protocol: must be one of "tcp", "udp", "tcp_udp" (as type syslog)',
      'pipelines[1] (b).source.clientCidrs: is required (as type syslog)',
    ]);
  });

  it('rejects duplicate names, duplicate syslog ports and type-specific omissions', () => {
    const syslog = (name: string, protocol = 'udp') =>
      pipeline({ name, source: { type: 'syslog', protocol, port: 514, clientCidrs: ['10.0.0.0/16'] }, engine: { type: 'light' } });
    const network = { vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d'] };
    expect(problems({ pipelines: [pipeline(), pipeline({ source: { type: 's3', bucketName: 'other-logs' } })] })).toEqual([
      'pipelines[1] (web-access).name: duplicates pipelines[0]',
      'pipelines[1] (web-access).engine.indexPrefix: web-access-idx is also the prefix of pipelines[0] (web-access) on the same cluster; give them prefixes neither of which is the other\'s followed by "-"',
    ]);
    expect(problems({ syslog: network, pipelines: [syslog('a'), syslog('b', 'tcp')] })).toEqual([
      'pipelines[1] (b).source.port: 514 is already the port of pipelines[0] (a) on the shared load balancer, which has one listener per port (tcp_udp takes both protocols on one)',
    ]);
    expect(problems({ pipelines: [pipeline(), syslog('a')] })).toEqual(['syslog: is required: pipelines[1] has a syslog source']);
    expect(problems({ syslog: network, pipelines: [pipeline({ name: 'c', source: { type: 'syslog', protocol: 'tcp', port: 2020, clientCidrs: ['10.0.0.0/16'], minTasks: 3, maxTasks: 2 }, engine: { type: 'light' } })] })).toEqual([
      'pipelines[0] (c).source.maxTasks: must be at least minTasks',
      "pipelines[0] (c).source.port: 2020 is the receivers' health-check port",
    ]);
    expect(problems({ pipelines: [pipeline({ logFormat: { type: 'regex' } })] })).toEqual([
      'pipelines[0] (web-access).logFormat.regex: is required for type regex',
    ]);
    expect(problems({ pipelines: [pipeline({ logFormat: { type: 'regex', regex: '(?<a' } })] })[0]).toMatch(
      /^pipelines\[0\] \(web-access\)\.logFormat\.regex: is not a valid regular expression/,
    );
    expect(problems({ pipelines: [pipeline({ logFormat: { type: 'nginx', filters: { exclude: [{ field: 'request_uri', regex: '^/health(' }] } } })] })).toEqual([
      'pipelines[0] (web-access).logFormat.filters.exclude[0].regex: is not a valid regular expression (Invalid regular expression: /^\/health(/: Unterminated group)',
    ]);
    const on = (name: string, source: Record<string, unknown>) => pipeline({ name, source: { type: 's3', bucketName: 'shared-logs', ...source }, engine: { type: 'opensearch', indexPrefix: name, domain } });
    expect(problems({ pipelines: [on('a', { prefix: 'nginx/' }), on('b', { prefix: 'apache/' }), on('c', { prefix: 'nginx/', suffix: '.gz' }), on('d', { prefix: '', suffix: '.log' })] })).toEqual([
      'pipelines[2] (c).source.prefix: overlaps pipelines[0] (a) on bucket shared-logs: S3 takes no two notification rules for the same objects; give them prefixes (or suffixes) that do not cover each other',
      'pipelines[3] (d).source.prefix: overlaps pipelines[0] (a) on bucket shared-logs: S3 takes no two notification rules for the same objects; give them prefixes (or suffixes) that do not cover each other',
    ]);
    // disjoint prefixes, disjoint suffixes, another bucket: no rule in common
    expect(parseConfig({ pipelines: [on('a', { prefix: 'nginx/' }), on('b', { prefix: 'apache/', suffix: '.gz' }), on('c', { prefix: 'apache/', suffix: '.log' }), pipeline({ name: 'e' })] }).pipelines).toHaveLength(4);
    // one cluster: `a-*` (a's template and ISM policy) would also match a-b's indices
    const indexed = (name: string, indexPrefix: string, url = 'https://search.example.com') =>
      pipeline({ name, source: { type: 's3', bucketName: `${name}-logs` }, engine: { type: 'opensearch', indexPrefix, domain: { type: 'self-managed', url } } });
    expect(problems({ pipelines: [indexed('a', 'a'), indexed('b', 'a-b'), indexed('c', 'ab'), indexed('d', 'a'), indexed('e', 'a-b', 'https://other.example.com')] })).toEqual([
      "pipelines[1] (b).engine.indexPrefix: a-b and a overlap (one's `<prefix>-*` matches the other's indices) with pipelines[0] (a) on the same cluster; give them prefixes neither of which is the other's followed by \"-\"",
      'pipelines[3] (d).engine.indexPrefix: a is also the prefix of pipelines[0] (a) on the same cluster; give them prefixes neither of which is the other\'s followed by "-"',
    ]);
    expect(problems({ pipelines: [pipeline({ engine: { type: 'opensearch', indexPrefix: 'x', domain, buffer: 'kinesis' } })] })).toEqual([
      'pipelines[0] (web-access).engine.buffer: must be s3 (the staging bucket) for a source of type s3',
    ]);
  });

  it('one-time sources need their scanner network; kinesis record age must fit in the stream retention', () => {
    const vpc = { vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d'], securityGroupIds: ['sg-0a1b2c3d'] };
    expect(problems({ pipelines: [pipeline({ source: { type: 's3', bucketName: 'my-logs', mode: 'one-time' } })] })).toEqual([
      'pipelines[0] (web-access).source.scanner: is required for mode one-time',
    ]);
    expect(problems({ pipelines: [pipeline({ source: { type: 's3', bucketName: 'my-logs', scanner: { vpc } } })] })).toEqual([
      'pipelines[0] (web-access).source.scanner: is only used with mode one-time',
    ]);
    expect(problems({ pipelines: [pipeline({ source: { type: 's3', bucketName: 'my-logs', mode: 'one-time', scanner: { vpc, cpu: 300 } } })] })).toHaveLength(1);
    const agent = { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/app/*.log'] };
    expect(
      problems({
        pipelines: [pipeline({ source: agent, engine: { type: 'opensearch', indexPrefix: 'x', domain, buffer: 'kinesis', kinesis: { retentionHours: 24, maxRecordAgeSeconds: 86_400 } } })],
      }),
    ).toEqual(['pipelines[0] (web-access).engine.kinesis.maxRecordAgeSeconds: must be shorter than retentionHours (86400 s)']);
    const ok = parseConfig({ pipelines: [pipeline({ source: agent, engine: { type: 'opensearch', indexPrefix: 'x', domain, buffer: 'kinesis', kinesis: { shards: 2 } } })] });
    expect(ok.pipelines[0].engine).toMatchObject({ kinesis: { shards: 2, retentionHours: 24, maxRecordAgeSeconds: 21_600, batchSize: 500 } });
    expect(KINESIS_DEFAULTS).toEqual({ retentionHours: 24, batchSize: 500, parallelizationFactor: 1, retryAttempts: 5, maxRecordAgeSeconds: 21_600 });
  });

  it('compiles each log format at load time, so a bad format string stops synth', () => {
    expect(problems({ pipelines: [pipeline({ logFormat: { type: 'apache', format: '%h %Q' } }), pipeline({ name: 'b', logFormat: { type: 'nginx', format: 'hello' } })] })).toEqual([
      'pipelines[0] (web-access).logFormat.format: apache format: unsupported directive %Q',
      'pipelines[1] (b).logFormat.format: nginx format "hello" has no $variables',
    ]);
    expect(problems({ pipelines: [pipeline({ logFormat: { type: 'multi-line-text', format: '%d{yyyy-MM-dd} %bogus %msg%n' } })] })[0]).toMatch(
      /^pipelines\[0\] \(web-access\)\.logFormat\.format: .*bogus/,
    );
    expect(() => parseConfig({ pipelines: [pipeline({ logFormat: { type: 'syslog' } })] })).not.toThrow();
  });

  it('Light Engine: defaults, table and database names, one database per stack', () => {
    const c = parseConfig({ pipelines: [pipeline({ name: 'web-parquet', engine: { type: 'light' } })] });
    const p = c.pipelines[0];
    expect(p.engine).toMatchObject({ schedule: 'rate(5 minutes)', batchMaxMb: 512, maxConcurrency: 4, compaction: { minAgeHours: 24, targetFileMb: 128 } });
    expect(lightTableName(p)).toBe('web_parquet');
    expect(lightDatabaseName(p)).toBe('logtong_web_parquet');
    expect(
      problems({
        pipelines: [
          pipeline({ name: 'a', engine: { type: 'light', database: 'logs' } }),
          pipeline({ name: 'b', engine: { type: 'light', database: 'logs', table: 'Bad-Name', notificationEmail: 'nope' } }),
        ],
      }),
    ).toEqual([
      'pipelines[1] (b).engine.table: must match ^[a-z][a-z0-9_]{0,254}$',
      expect.stringMatching(/^pipelines\[1\] \(b\)\.engine\.notificationEmail: /),
      'pipelines[1] (b).engine.database: logs is already created by pipelines[0]; each Light Engine stack creates its own database',
    ]);
    expect(
      problems({ pipelines: [pipeline({ name: 'a', engine: { type: 'light', database: 'logs' } }), pipeline({ name: 'b', engine: { type: 'light', database: 'logs' } })] }),
    ).toEqual(['pipelines[1] (b).engine.database: logs is already created by pipelines[0]; each Light Engine stack creates its own database']);
  });

  it('Light Engine projection: default range, one range for the table and the converter, bad values refused', () => {
    const light = (projection?: Record<string, unknown>) => pipeline({ name: 'web-parquet', engine: { type: 'light', ...(projection ? { projection } : {}) } });
    const p = parseConfig({ pipelines: [light()] }).pipelines[0];
    expect(p.engine.type === 'light' && p.engine.projection).toEqual({ from: '2000-01-01', futureHours: 24 });
    expect(p.engine.type === 'light' && lightProjection(p.engine)).toEqual({ fromHour: '2000010100', futureHours: 24 });
    // The converter gets the same range through RUNTIME_CONFIG, and the runtime schema reads it back.
    const runtime = toRuntimeConfig(p);
    expect(runtime.light).toEqual({ projection: { fromHour: '2000010100', futureHours: 24 } });
    expect(RuntimeConfigSchema.parse(JSON.parse(JSON.stringify(runtime))).light).toEqual(runtime.light);
    expect(toRuntimeConfig(parseConfig({ pipelines: [pipeline()] }).pipelines[0]).light).toBeUndefined();

    const custom = parseConfig({ pipelines: [light({ from: '2015-05-17', futureHours: 0 })] }).pipelines[0];
    expect(toRuntimeConfig(custom).light).toEqual({ projection: { fromHour: '2015051700', futureHours: 0 } });

    expect(problems({ pipelines: [light({ from: '2015-5-17', futureHours: 1.5, to: 'NOW' })] })).toEqual([
      'pipelines[0] (web-parquet).engine.projection.from: must match ^\\d{4}-\\d{2}-\\d{2}$',
      'pipelines[0] (web-parquet).engine.projection.futureHours: expected int',
      'pipelines[0] (web-parquet).engine.projection: unknown key to',
    ]);
    expect(problems({ pipelines: [light({ from: '2023-02-29', futureHours: 8761 })] })).toEqual([
      'pipelines[0] (web-parquet).engine.projection.from: must be a calendar day YYYY-MM-DD',
      'pipelines[0] (web-parquet).engine.projection.futureHours: Too big: expected number to be <=8760',
    ]);
    // Athena reads at most 1,000,000 partitions per query: 1800 is over already.
    expect(problems({ pipelines: [light({ from: '1800-01-01' })] })).toEqual([
      expect.stringMatching(/^pipelines\[0\] \(web-parquet\)\.engine\.projection\.from: projects \d+ hourly partitions by \d{4}, .*Athena reads at most 1000000 partitions per query; start on \d{4}-\d{2}-\d{2} or later$/),
    ]);
    expect(() => parseConfig({ pipelines: [light({ from: '1970-01-01', futureHours: 0 })] })).not.toThrow();
  });

  it('orders lifecycle phases', () => {
    const engine = { type: 'opensearch', indexPrefix: 'x', domain, index: { warmAfterDays: 10, coldAfterDays: 5, deleteAfterDays: 30 } };
    expect(problems({ pipelines: [pipeline({ engine })] })).toEqual(['pipelines[0] (web-access).engine.index.coldAfterDays: must be later than the previous phase']);
  });

  it('requires a secret for basic auth on a self-managed cluster', () => {
    const engine = { type: 'opensearch', indexPrefix: 'x', domain: { type: 'self-managed', url: 'http://10.0.0.5:9200', auth: 'basic' } };
    expect(problems({ pipelines: [pipeline({ engine })] })).toEqual(['pipelines[0] (web-access).engine.domain.basicAuthSecretArn: is required for auth basic']);
  });

  it('reports every problem of a file in one round, in file order, each with its line and column', () => {
    const text = [
      'pipelines:',
      '  - name: web',
      '    source: { type: s3, bucketName: web-logs, prefix: web/ }',
      "    logFormat: { type: nginx, format: 'hello' }",
      '    engine: { type: opensearch, indexPrefix: web, domain: { type: self-managed, url: "http://x:9200" } }',
      '  - name: web',
      '    source: { type: s3, bucketName: web-logs, prefix: other/ }',
      '    logFormat: { type: nginx }',
      '    engine: { type: opensearch, indexPrefix: web2, domain: { type: self-managed, url: "http://x:9200" } }',
      '  - name: api',
      '    source:',
      '      type: s3',
      '      sufix: .gz',
      '    logFormat: { type: json }',
      '    engine: { type: opensearh, indexPrefix: Api, domain: { type: self-managed, url: "http://x:9200" } }',
      '',
    ].join('\n');
    let error: ConfigError | undefined;
    try {
      parseConfigText(text, 'p.yaml');
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe('p.yaml: invalid configuration (6 problems)');
    expect(lines.slice(1)).toEqual([
      // a format string, compiled although other pipelines have schema errors
      '  - p.yaml:4:39: pipelines[0] (web).logFormat.format: nginx format "hello" has no $variables',
      // a check across pipelines, run on the pipelines that pass on their own
      '  - p.yaml:6:11: pipelines[1] (web).name: duplicates pipelines[0]',
      // a missing key: where the object it is missing from starts
      '  - p.yaml:12:7: pipelines[2] (api).source.bucketName: is required',
      '  - p.yaml:13:7: pipelines[2] (api).source: unknown key sufix; did you mean "suffix"?',
      '  - p.yaml:15:21: pipelines[2] (api).engine.type: must be one of "opensearch", "light"; did you mean "opensearch"?',
      // the rest of the engine whose type was a typo, checked as the type meant
      '  - p.yaml:15:45: pipelines[2] (api).engine.indexPrefix: must match ^[a-z][a-z0-9-]*$ (as type opensearch)',
    ]);
    expect(error!.positions.map((p) => p?.line)).toEqual([4, 6, 12, 13, 15, 15]);
  });

  it('reports what the agent cannot run in the same round as the schema problems', () => {
    const agent = (name: string, logFormat: object) => pipeline({ name, source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/app.log'] }, logFormat, engine: { type: 'opensearch', buffer: 'none', indexPrefix: name, domain: { type: 'self-managed', url: 'http://x:9200' } } });
    expect(
      problems({
        pipelines: [
          agent('paris', { type: 'json', timeKey: 't', timeFormat: '%Y-%m-%d %H:%M:%S', timeZone: 'Europe/Paris' }),
          agent('utc', { type: 'json', timeKey: 't', timeFormat: '%Y-%m-%d %H:%M:%S' }),
          pipeline({ name: 'bad', engine: { type: 'light', table: 'Bad' } }),
        ],
      }),
    ).toEqual([
      'pipelines[2] (bad).engine.table: must match ^[a-z][a-z0-9_]{0,254}$',
      'pipelines[0] (paris).logFormat: the agent cannot run it: buffer none: timeZone Europe/Paris has daylight saving time; Fluent Bit only takes a fixed time_offset. Log the offset (%z), or use buffer s3 or kinesis',
    ]);
  });

  it('reports YAML syntax errors and unreadable files with the file name', () => {
    expect(() => parseConfigText('pipelines: [\n', 'x.yaml')).toThrow(/^x\.yaml: invalid configuration \(1 problem\)\n {2}- YAML: /);
    expect(() => loadConfig('/nonexistent/pipelines.yaml')).toThrow(/cannot read the file \(ENOENT\)/);
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'p.yaml'), 'pipelines: []\n');
    expect(() => loadConfig(join(dir, 'p.yaml'))).toThrow(/pipelines: Too small/i);
  });

  it('accepts the example pipelines.yaml', () => {
    const c = loadConfig(join(root, 'pipelines.yaml'));
    expect(c.pipelines.length).toBeGreaterThanOrEqual(2);
  });
});

describe('generated docs', () => {
  it('README config reference and pipelines.schema.json match the schema (run `npm run docs` after editing the schema)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(withConfigReference(readme)).toBe(readme);
    expect(JSON.parse(readFileSync(join(root, 'pipelines.schema.json'), 'utf8'))).toEqual(configJsonSchema());
  });

  it('README lists the agent differences of lib/agent/differences.ts (run `npm run docs` after editing them)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(betweenMarkers(readme, AGENT_DIFFERENCES_BEGIN, AGENT_DIFFERENCES_END, agentDifferencesMarkdown())).toBe(readme);
    for (const d of AGENT_PARSE_DIFFERENCES) expect(readme).toContain(`- \`${d.id}\`: `);
  });

  it('README documents every alarm of lib/config/alarms.ts (run `npm run docs` after editing them)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(betweenMarkers(readme, ALARMS_BEGIN, ALARMS_END, alarmsMarkdown())).toBe(readme);
    for (const name of Object.keys(ALARMS)) expect(readme).toContain(`| \`${name}\` |`);
  });
});
