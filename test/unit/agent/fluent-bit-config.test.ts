import { parse as parseYaml } from 'yaml';
import { AgentConfigError, fluentBitConfig, type AgentTargets, type FluentBitConfigDocument } from '../../../lib/agent/fluent-bit-config';
import { parseConfig } from '../../../lib/config/load';
import type { Pipeline } from '../../../lib/config/schema';
import { compileFilters } from '../../../lambda/core/filters';
import { compileParser } from '../../../lambda/core/formats';
import { runAgent } from './simulate';

const DOMAIN = { type: 'aws', endpoint: 'https://search-logs.eu-west-1.es.amazonaws.com', arn: 'arn:aws:es:eu-west-1:123456789012:domain/logs' };

function pipeline(over: { logFormat?: Record<string, unknown>; engine?: Record<string, unknown>; source?: Record<string, unknown> } = {}): Pipeline {
  return parseConfig({
    pipelines: [
      {
        name: 'web',
        source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/nginx/access.log', '/var/log/nginx/other-*.log'], ...over.source },
        logFormat: over.logFormat ?? { type: 'nginx' },
        engine: over.engine ?? { type: 'opensearch', buffer: 'none', indexPrefix: 'web-logs', domain: DOMAIN },
      },
    ],
  }).pipelines[0];
}

const TARGETS: AgentTargets = { region: 'eu-west-1', bucketName: 'buf-bucket', streamName: 'buf-stream', backupBucketName: 'backup-bucket' };
const read = (p: Pipeline, t: AgentTargets = TARGETS) => parseYaml(fluentBitConfig(p, t)) as FluentBitConfigDocument;
// Every configuration ends with the metrics path (agent-metrics.test.ts tests it)
const METRICS_IN = (name = 'web') => expect.objectContaining({ name: 'fluentbit_metrics', tag: `metrics.${name}` });
const METRICS_OUT = (name = 'web') => expect.objectContaining({ name: 'cloudwatch_logs', match: `metrics.${name}` });
/** The log path alone: the document without the metrics path's input and output. */
const logPath = (doc: FluentBitConfigDocument) => ({
  inputs: doc.pipeline.inputs.filter((i) => i.name !== 'fluentbit_metrics'),
  outputs: doc.pipeline.outputs.filter((o) => o.name !== 'cloudwatch_logs'),
});
const LINE = (ua: string, status = 200, method = 'GET') => `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "${method} /x HTTP/1.1" ${status} 12 "-" "${ua}"`;

describe('fluentBitConfig', () => {
  it('tails the log paths with an offsets DB and a filesystem buffer, never stopping at a long line', () => {
    const doc = read(pipeline());
    expect(doc.service).toMatchObject({ 'storage.path': '/var/fluent-bit/state/storage', http_server: 'on' });
    expect(doc.pipeline.inputs).toEqual([
      expect.objectContaining({
        name: 'tail',
        alias: 'logtong_in',
        path: '/var/log/nginx/access.log,/var/log/nginx/other-*.log',
        db: '/var/fluent-bit/state/logtong-web.db',
        'storage.type': 'filesystem',
        read_from_head: true,
        skip_long_lines: 'on',
        buffer_max_size: '2048KB',
      }),
      METRICS_IN(),
    ]);
    expect(doc.pipeline.inputs[0]['multiline.parser']).toBeUndefined();
  });

  it('buffer kinesis: the raw line to the stream, nothing parsed or dropped at the agent', () => {
    const doc = read(pipeline({ engine: { type: 'opensearch', buffer: 'kinesis', indexPrefix: 'web', domain: DOMAIN }, logFormat: { type: 'nginx', filters: { exclude: [{ field: 'status', regex: '^2' }] } } }));
    expect(doc.parsers).toBeUndefined();
    expect(doc.pipeline.filters).toBeUndefined();
    expect(doc.pipeline.outputs).toEqual([
      expect.objectContaining({ name: 'kinesis_streams', alias: 'logtong_out', match: 'logtong.web', stream: 'buf-stream', region: 'eu-west-1', log_key: 'log', retry_limit: 15, 'storage.total_limit_size': '5G' }),
      METRICS_OUT(),
    ]);
  });

  it('buffer s3 and the Light Engine: gzip objects of raw lines under date partitions and a UUID', () => {
    for (const engine of [{ type: 'opensearch', buffer: 's3', indexPrefix: 'web', domain: DOMAIN }, { type: 'light' }]) {
      const doc = read(pipeline({ engine }));
      expect(doc.pipeline.filters).toBeUndefined();
      expect(doc.pipeline.outputs).toEqual([
        expect.objectContaining({
          name: 's3',
          alias: 'logtong_out',
          bucket: 'buf-bucket',
          region: 'eu-west-1',
          compression: 'gzip',
          use_put_object: 'on',
          log_key: 'log',
          s3_key_format: '/web/%Y/%m/%d/%H/%M%S-$UUID.log.gz',
          store_dir: '/var/fluent-bit/state/s3',
          retry_limit: 15,
        }),
        METRICS_OUT(),
      ]);
    }
    expect(read(pipeline({ engine: { type: 'light' } }), { ...TARGETS, keyPrefix: 'agents/web/' }).pipeline.outputs[0].s3_key_format).toBe('/agents/web/%Y/%m/%d/%H/%M%S-$UUID.log.gz');
  });

  it('buffer none: parse, failed lines to the backup bucket, request split, then the opensearch output with SigV4', () => {
    const doc = read(pipeline());
    expect(doc.pipeline.filters!.map((f) => `${f.name}:${f.match}`)).toEqual([
      'modify:logtong.web',
      'parser:logtong.web',
      'rewrite_tag:logtong.web',
      'modify:failed.web',
      // the string fields an empty value left out: "" as in the processor's document
      'modify:logtong.web',
      'parser:logtong.web',
      'parser:logtong.web',
      'nest:logtong.web',
      'nest:failed.web',
    ]);
    expect(doc.parsers!.map((p) => p.name)).toEqual(['logtong-web', 'logtong-web-request-1', 'logtong-web-request-2']);
    expect(doc.pipeline.outputs).toEqual([
      expect.objectContaining({
        name: 'opensearch',
        alias: 'logtong_out',
        match: 'logtong.web',
        host: 'search-logs.eu-west-1.es.amazonaws.com',
        port: '443',
        tls: 'on',
        aws_auth: 'on',
        aws_region: 'eu-west-1',
        index: 'web-logs',
        suppress_type_name: 'on',
        // off by default: OpenSearch's answer to a rejected request quotes the documents (source.traceErrors)
        trace_error: 'off',
        generate_id: 'on',
        write_operation: 'create',
        replace_dots: 'off',
        retry_limit: 15,
        'storage.total_limit_size': '5G',
      }),
      expect.objectContaining({ name: 's3', alias: 'logtong_failed', match: 'failed.web', bucket: 'backup-bucket', s3_key_format: '/agent-failed/web/%Y/%m/%d/%H/%M%S-$UUID.json.gz' }),
      METRICS_OUT(),
    ]);
    expect(runAgent(doc, 'not an access log line')).toEqual({ kind: 'failed' });
  });

  it('buffer none, self-managed domain: host, port and TLS from its URL, no SigV4; basic auth needs credentials', () => {
    const doc = read(pipeline({ engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'w', domain: { type: 'self-managed', url: 'http://os.internal:9200' } } }));
    expect(doc.pipeline.outputs[0]).toMatchObject({ host: 'os.internal', port: '9200', tls: 'off' });
    expect(doc.pipeline.outputs[0].aws_auth).toBeUndefined();
    const basic = pipeline({ engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'w', domain: { type: 'self-managed', url: 'https://os.internal', auth: 'basic', basicAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:os' } } });
    expect(() => fluentBitConfig(basic, TARGETS)).toThrow(/httpUser and httpPasswd/);
    const out = read(basic, { ...TARGETS, opensearch: { host: 'os.internal', port: '443', tls: true, httpUser: '${OS_USER}', httpPasswd: '${OS_PASSWORD}' } }).pipeline.outputs[0];
    expect(out).toMatchObject({ http_user: '${OS_USER}', http_passwd: '${OS_PASSWORD}', 'tls.verify': 'on' });
  });

  it('passes deployment values through as given (CDK tokens, placeholders)', () => {
    const yaml = fluentBitConfig(pipeline({ engine: { type: 'light' } }), { region: '${AWS_REGION}', bucketName: '${Token[TOKEN.123]}' });
    const out = (parseYaml(yaml) as FluentBitConfigDocument).pipeline.outputs[0];
    expect(out).toMatchObject({ region: '${AWS_REGION}', bucket: '${Token[TOKEN.123]}' });
  });

  it('missing deployment values are errors naming them', () => {
    expect(() => fluentBitConfig(pipeline({ engine: { type: 'light' } }), { region: 'r' })).toThrow(/buffer s3 needs targets.bucketName/);
    expect(() => fluentBitConfig(pipeline({ engine: { type: 'opensearch', buffer: 'kinesis', indexPrefix: 'w', domain: DOMAIN } }), { region: 'r' })).toThrow(/targets.streamName/);
    expect(() => fluentBitConfig(pipeline(), { region: 'r' })).toThrow(/targets.backupBucketName/);
    expect(() => fluentBitConfig(pipeline(), { region: '', backupBucketName: 'b' })).toThrow(/region/);
  });

  it('multi-line-text: a multiline parser from the first-line regex on tail (every buffer)', () => {
    const doc = read(pipeline({ engine: { type: 'light' }, logFormat: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%t] %c: %m%n' } }));
    expect(doc.pipeline.inputs[0]['multiline.parser']).toBe('logtong-web-multiline');
    expect(doc.multiline_parsers).toEqual([
      expect.objectContaining({ name: 'logtong-web-multiline', type: 'regex', rules: [expect.objectContaining({ state: 'start_state', next_state: 'cont' }), expect.objectContaining({ state: 'cont', next_state: 'cont' })] }),
    ]);
  });

  it('EKS container logs: the cri parser on tail, the event joining as a multiline filter', () => {
    const doc = read(
      pipeline({
        engine: { type: 'light' },
        source: { platform: 'eks', logPaths: ['/var/log/containers/app-*.log'], eks: { clusterName: 'c', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X' } },
        logFormat: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%t] %c: %m%n' },
      }),
    );
    expect(doc.pipeline.inputs[0]['multiline.parser']).toBe('cri');
    expect(doc.pipeline.filters).toEqual([expect.objectContaining({ name: 'multiline', 'multiline.parser': 'logtong-web-multiline', 'multiline.key_content': 'log' })]);
    // unbuffered: a buffered filter holds each file's last event, lost when the agent stops (fluent-bit-eks.test.ts)
    expect(doc.pipeline.filters![0]).toEqual({ name: 'multiline', match: 'logtong.web.*', 'multiline.key_content': 'log', 'multiline.parser': 'logtong-web-multiline', buffer: false });
    // stdout and stderr of a container each have their own events
    expect(doc.multiline_parsers![0].key_group).toBe('stream');
  });

  it('buffer s3 and the Light Engine with multi-line-text: one tag, so one object stream, per tailed file', () => {
    const multiLine = { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%t] %c: %m%n' };
    const eks = { platform: 'eks', logPaths: ['/var/log/containers/app-*.log'], eks: { clusterName: 'c', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X' } };
    for (const engine of [{ type: 'light' }, { type: 'opensearch', buffer: 's3', indexPrefix: 'web', domain: DOMAIN }]) {
      for (const source of [{}, eks]) {
        const doc = read(pipeline({ engine, source, logFormat: multiLine }));
        const matches = [...(doc.pipeline.filters ?? []), ...logPath(doc).outputs].map((p) => p.match);
        expect({ tag: doc.pipeline.inputs[0].tag, matches }).toEqual({ tag: 'logtong.web.*', matches: matches.map(() => 'logtong.web.*') });
      }
    }
    // single-line formats, and other buffers, keep one tag
    expect(read(pipeline({ engine: { type: 'light' } })).pipeline.inputs[0].tag).toBe('logtong.web');
    const kinesis = read(pipeline({ engine: { type: 'opensearch', buffer: 'kinesis', indexPrefix: 'web', domain: DOMAIN }, logFormat: multiLine }));
    expect([kinesis.pipeline.inputs[0].tag, kinesis.pipeline.outputs[0].match]).toEqual(['logtong.web', 'logtong.web']);
  });

  it('tail: a line longer than its buffer is cut and forwarded for the processor to back up (raw buffers); the buffer is never under its chunk', () => {
    for (const engine of [{ type: 'light' }, { type: 'opensearch', buffer: 'kinesis', indexPrefix: 'web', domain: DOMAIN }]) {
      expect(read(pipeline({ engine })).pipeline.inputs[0]).toMatchObject({ skip_long_lines: 'on', truncate_long_lines: 'on', buffer_max_size: '2048KB' });
    }
    // buffer none parses at the agent: a cut line is not cut there
    expect(read(pipeline()).pipeline.inputs[0].truncate_long_lines).toBeUndefined();
    // in_tail refuses buffer_max_size < buffer_chunk_size (64KB)
    const small = read(pipeline({ engine: { type: 'light' }, logFormat: { type: 'nginx', maxLineBytes: 4096 } })).pipeline.inputs[0];
    expect([small.buffer_chunk_size, small.buffer_max_size]).toEqual(['64KB', '64KB']);
  });

  it('syslog receivers: the syslog input on the port, each frame whole as `log`, forwarded raw; never buffer none', () => {
    const syslog = (protocol: string, engine: Record<string, unknown>) =>
      parseConfig({
        syslog: { vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d'] },
        pipelines: [{ name: 'net', source: { type: 'syslog', protocol, port: 5140, clientCidrs: ['10.0.0.0/8'] }, logFormat: { type: 'syslog' }, engine }],
      }).pipelines[0];
    const doc = read(syslog('udp', { type: 'opensearch', buffer: 'kinesis', indexPrefix: 'net', domain: DOMAIN }));
    expect(doc.pipeline.inputs).toEqual([
      expect.objectContaining({ name: 'syslog', alias: 'logtong_in', mode: 'udp', listen: '0.0.0.0', port: 5140, parser: 'logtong-raw-frame', 'storage.type': 'filesystem' }),
      METRICS_IN('net'),
    ]);
    const [raw] = doc.parsers!;
    expect(raw.name).toBe('logtong-raw-frame');
    // a frame with a BOM, structured data and a newline inside stays byte for byte what the client sent
    const frame = '<165>1 2003-10-11T22:14:15.003Z host app 1 ID47 [x@1 a="b"] \uFEFFmsg\nmore';
    expect(new RegExp(raw.regex!).exec(frame)?.groups).toEqual({ log: frame });
    // the LF that ends an octet-counted frame or a datagram is left to the output's own; one only, and nothing else
    for (const [wire, log] of [[`${frame}\n`, frame], [`${frame}\n\n`, `${frame}\n`], ['a\r\n', 'a\r'], ['\u2028x\r', '\u2028x\r'], ['', '']]) {
      expect(new RegExp(raw.regex!).exec(wire)?.groups).toEqual({ log });
    }
    // not a character class: Onigmo fails one on bytes that are not UTF-8, and in_syslog drops what does not match
    expect(raw.regex).not.toMatch(/\[/);
    // twice maxLineBytes: a frame too long for the processor still reaches it, to be backed up with the reason
    expect(doc.pipeline.inputs[0].buffer_max_size).toBe('2048KB');
    expect(doc.pipeline.outputs).toEqual([expect.objectContaining({ name: 'kinesis_streams', stream: 'buf-stream', log_key: 'log' }), METRICS_OUT('net')]);
    expect(doc.pipeline.filters).toBeUndefined();
    expect(read(syslog('tcp', { type: 'light' })).pipeline.outputs).toEqual([expect.objectContaining({ name: 's3', bucket: 'buf-bucket', log_key: 'log' }), METRICS_OUT('net')]);
    // tcp_udp: one input per protocol, each with a name of its own (one name would mix their counters)
    const both = logPath(read(syslog('tcp_udp', { type: 'light' }))).inputs;
    expect(both.map((i) => [i.name, i.alias, i.mode, i.port])).toEqual([
      ['syslog', 'logtong_in_tcp', 'tcp', 5140],
      ['syslog', 'logtong_in_udp', 'udp', 5140],
    ]);
    expect(() => parseConfig({ syslog: { vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d'] }, pipelines: [{ name: 'n', source: { type: 'syslog', protocol: 'tcp', port: 1514, clientCidrs: ['10.0.0.0/8'] }, logFormat: { type: 'syslog' }, engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'n', domain: DOMAIN } }] })).toThrow(
      /buffer: must be kinesis or s3 for a syslog source/,
    );
  });

  it('refuses a source that is not fluent-bit', () => {
    const p = parseConfig({ pipelines: [{ name: 's', source: { type: 's3', bucketName: 'some-bucket' }, logFormat: { type: 'json' }, engine: { type: 'light' } }] }).pipelines[0];
    expect(() => fluentBitConfig(p, TARGETS)).toThrow(AgentConfigError);
  });
});

describe('logFormat.filters as grep filters (buffer none), with the processor\'s semantics', () => {
  const filtered = (filters: Record<string, unknown>) => pipeline({ logFormat: { type: 'nginx', filters } });

  it('one grep per condition: every include must hold, any exclude drops', () => {
    const p = filtered({
      include: [
        { field: 'request_method', regex: '^(GET|POST)$' },
        { field: 'http_user_agent', regex: 'Mozilla' },
      ],
      exclude: [
        { field: 'http_user_agent', regex: 'bot' },
        { field: 'request_uri', regex: '^/health' },
      ],
    });
    const doc = read(p);
    const greps = doc.pipeline.filters!.filter((f) => f.name === 'grep');
    expect(greps).toEqual([
      { name: 'grep', match: 'logtong.web', regex: '$request_method (?<![\\s\\S])(GET|POST)(?![\\s\\S])' },
      { name: 'grep', match: 'logtong.web', regex: '$http_user_agent Mozilla' },
      { name: 'grep', match: 'logtong.web', exclude: '$http_user_agent bot' },
      { name: 'grep', match: 'logtong.web', exclude: '$request_uri (?<![\\s\\S])\\/health' },
    ]);
    // the same decision as the processor's filter, record by record
    const parser = compileParser(p.logFormat);
    const keep = compileFilters(p.logFormat.filters);
    const cases = [LINE('Mozilla/5.0'), LINE('Mozilla bot'), LINE('curl'), LINE('Mozilla', 200, 'DELETE'), LINE('Mozilla').replace('/x', '/health')];
    const decisions = cases.map((l) => {
      const r = parser.parse(l);
      return r.ok && keep(r.doc) ? 'indexed' : 'filtered';
    });
    expect(decisions).toEqual(['indexed', 'filtered', 'filtered', 'filtered', 'filtered']);
    expect(cases.map((l) => runAgent(doc, l).kind)).toEqual(decisions);
  });

  it('a missing field: an include drops the record, an exclude keeps it (as filters.ts)', () => {
    const inc = read(filtered({ include: [{ field: 'request', regex: '.' }] }));
    const exc = read(filtered({ exclude: [{ field: 'request', regex: '.' }] }));
    // a split request line has no `request` field at the processor nor at the agent
    expect(runAgent(inc, LINE('a')).kind).toBe('filtered');
    expect(runAgent(exc, LINE('a')).kind).toBe('indexed');
  });

  it('nested JSON fields through the record accessor', () => {
    const nested = pipeline({ logFormat: { type: 'json', fields: { 'kubernetes.namespace': 'keyword' }, filters: { exclude: [{ field: 'kubernetes.namespace', regex: '^kube-' }] } } });
    const doc = read(nested);
    expect(doc.pipeline.filters!.filter((f) => f.name === 'grep')).toEqual([{ name: 'grep', match: 'logtong.web', exclude: "$kubernetes['namespace'] (?<![\\s\\S])kube-" }]);
    expect(runAgent(doc, '{"kubernetes":{"namespace":"kube-system"}}').kind).toBe('filtered');
    expect(runAgent(doc, '{"kubernetes":{"namespace":"shop"}}').kind).toBe('indexed');
    expect(() => fluentBitConfig(pipeline({ logFormat: { type: 'json', fields: { 'a.b': 'integer' } } }), TARGETS)).toThrow(/a.b \(integer\)/);
    const p = pipeline({ logFormat: { type: 'json', fields: { level: 'keyword' }, filters: { include: [{ field: 'level', regex: '^(WARN|ERROR)$' }] } } });
    const greps = read(p).pipeline.filters!.filter((f) => f.name === 'grep');
    expect(greps).toEqual([{ name: 'grep', match: 'logtong.web', regex: '$level (?<![\\s\\S])(WARN|ERROR)(?![\\s\\S])' }]);
  });

  it('a condition Fluent Bit would test differently fails generation with the reason', () => {
    // grep reads strings only; the processor tests a number as its text
    expect(() => fluentBitConfig(filtered({ exclude: [{ field: 'status', regex: '^5' }] }), TARGETS)).toThrow(/filter on status: a integer value .*grep only tests string values/);
    // a JSON field of unknown type
    expect(() => fluentBitConfig(pipeline({ logFormat: { type: 'json', filters: { include: [{ field: 'level', regex: 'x' }] } } }), TARGETS)).toThrow(/declare the field keyword or text/);
    // a regex Onigmo cannot run the same way
    expect(() => fluentBitConfig(filtered({ include: [{ field: 'http_user_agent', regex: '(?<=a+)b' }] }), TARGETS)).toThrow(/filter on http_user_agent: lookbehind/);
    // (with a buffer, the processor filters: nothing to render, nothing refused)
    expect(() => fluentBitConfig(pipeline({ engine: { type: 'light' }, logFormat: { type: 'nginx', filters: { exclude: [{ field: 'status', regex: '^5' }] } } }), TARGETS)).not.toThrow();
  });
});
