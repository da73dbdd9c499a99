/**
 * The agent parses (buffer none) with the processor's own regexes, converted for Onigmo: for every log type, on real
 * lines, it accepts the lines the processor accepts, rejects the ones it rejects, and extracts the same values
 * (within the documented AGENT_PARSE_DIFFERENCES). Here the patterns run in JS RegExp, through simulate.ts, which
 * is fast enough for every corpus line; test/integration/fluent-bit-regex.test.ts runs the same regexes in the real
 * Fluent Bit (Onigmo) and fluent-bit-agreement.test.ts the whole agent path into a real node.
 */
import { readFileSync } from 'node:fs';
import { fluentBitConfig, type AgentTargets } from '../../../lib/agent/fluent-bit-config';
import { AgentConfigError, agentParsing, multilineParser } from '../../../lib/agent/parser-regex';
import { parseConfig } from '../../../lib/config/load';
import type { Pipeline } from '../../../lib/config/schema';
import { compileParser } from '../../../lambda/core/formats';
import { MultilineAssembler, type MultiLineTextParser } from '../../../lambda/core/formats/text';
import { corpusPath } from '../../corpora';
import { readBack, runAgent } from './simulate';

const TARGETS: AgentTargets = { region: 'eu-west-1', backupBucketName: 'backup' };

function pipeline(logFormat: Record<string, unknown>): Pipeline {
  return parseConfig({
    pipelines: [
      {
        name: 'app',
        source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/app/*.log'] },
        logFormat,
        engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'app', domain: { type: 'aws', endpoint: 'https://search-x.eu-west-1.es.amazonaws.com', arn: 'arn:aws:es:eu-west-1:123456789012:domain/logs' } },
      },
    ],
  }).pipelines[0];
}

const lines = (name: string, n = Infinity) => readFileSync(corpusPath(name), 'utf8').split(/\r?\n/).filter(Boolean).slice(0, n);

/** The processor's document as the agent would hold it: nulls and empty strings absent, no @timestamp. */
function expected(doc: Record<string, unknown>, zeroForDash: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === '@timestamp' || v === null || v === undefined || v === '') continue;
    out[k] = v;
  }
  for (const k of zeroForDash) if (out[k] === 0) delete out[k];
  return out;
}

/** Runs both on each record text; returns counts so that each test can also assert how much it covered. */
function compare(p: Pipeline, records: string[], zeroForDash: string[] = [], values = true) {
  const parser = compileParser(p.logFormat);
  const doc = readBack(fluentBitConfig(p, TARGETS));
  let parsed = 0;
  let failed = 0;
  for (const text of records) {
    const ts = parser.parse(text);
    const agent = runAgent(doc, text);
    if (!ts.ok) {
      expect({ text, kind: agent.kind }).toEqual({ text, kind: 'failed' });
      failed++;
      continue;
    }
    expect({ text, kind: agent.kind }).toEqual({ text, kind: 'indexed' });
    if (agent.kind === 'indexed' && values) expect({ text, record: agent.record }).toEqual({ text, record: expected(ts.doc, zeroForDash) });
    parsed++;
  }
  return { parsed, failed };
}

describe('agent parsers match the processor on real lines', () => {
  it('apache combined: 10,000 lines, the one the processor rejects rejected too', () => {
    const all = lines('apache_combined_elastic_examples.log');
    // values with backslash escapes are unescaped by the processor only (documented difference)
    const r = compare(pipeline({ type: 'apache' }), all.filter((l) => !l.includes('\\')), ['response_size_bytes']);
    expect(r.failed).toBeGreaterThanOrEqual(1);
    expect(r.parsed).toBeGreaterThan(9900);
    const p = pipeline({ type: 'apache' });
    const main = agentParsing(p.name, p.logFormat).main;
    expect(main).toMatchObject({ time_key: 'time_local', time_format: '%d/%b/%Y:%H:%M:%S %z', time_keep: 'on', types: 'status:integer response_size_bytes:integer' });
  });

  it('nginx combined on the same lines (nginx writes the same layout)', () => {
    const all = lines('apache_combined_elastic_examples.log', 3000).filter((l) => !l.includes('\\'));
    const r = compare(pipeline({ type: 'nginx' }), all);
    expect(r.parsed).toBeGreaterThan(2900);
  });

  it('nginx: a custom format with host:port, request_time and a `-` number', () => {
    const p = pipeline({ type: 'nginx', format: '$remote_addr [$time_local] "$request" $status $request_time $host:$server_port "$http_user_agent"' });
    const r = [
      '10.0.0.1 [17/May/2015:10:05:03 +0000] "GET /a?b=1 HTTP/1.1" 200 0.004 example.com:443 "curl/8.0"',
      '10.0.0.1 [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" - - [::1]:8080 "curl/8.0"',
      '10.0.0.1 [17/May/2015:10:05:03 +0000] "\\x16\\x03\\x01" 400 0.000 x:80 "-"',
      '10.0.0.1 [17/May/2015:10:05:03 +0000] "GET /only-uri" 200 0.1 x:80 "a \\"quoted\\" agent"',
      'garbage',
      // a status the processor cannot read as an integer fails the line there, and here
      '10.0.0.1 [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 2x0 0.1 x:80 "ua"',
      '10.0.0.1 [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 fast x:80 "ua"',
      '10.0.0.1 [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 0.1 x:80 "no closing quote',
    ];
    expect(compare(p, r.filter((l) => !l.includes('\\')))).toEqual({ parsed: 2, failed: 4 });
    // escaped values: the same lines accepted, values left escaped (AGENT_PARSE_DIFFERENCES)
    expect(compare(p, r, [], false)).toEqual({ parsed: 4, failed: 4 });
    const doc = readBack(fluentBitConfig(p, TARGETS));
    expect(runAgent(doc, r[3])).toMatchObject({ record: { http_user_agent: 'a \\"quoted\\" agent', request_method: 'GET', request_uri: '/only-uri' } });
    expect(runAgent(doc, r[1])).toEqual({ kind: 'indexed', record: expect.not.objectContaining({ status: expect.anything() }) });
  });

  it('request line split: three parts, two parts, or kept raw', () => {
    const p = pipeline({ type: 'nginx' });
    const doc = readBack(fluentBitConfig(p, TARGETS));
    const line = (req: string) => `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "${req}" 200 5 "-" "ua"`;
    expect(runAgent(doc, line('GET /a b HTTP/1.1'))).toMatchObject({ record: { request_method: 'GET', request_uri: '/a b', request_protocol: 'HTTP/1.1' } });
    expect(runAgent(doc, line('GET /a'))).toMatchObject({ record: { request_method: 'GET', request_uri: '/a' } });
    const raw = runAgent(doc, line('get / HTTP/1.1'));
    expect(raw).toMatchObject({ record: { request: 'get / HTTP/1.1' } });
    expect(compileParser(p.logFormat).parse(line('get / HTTP/1.1'))).toMatchObject({ doc: { request: 'get / HTTP/1.1', request_method: null } });
  });

  it('regex: the Apache error log with a user regex', () => {
    const p = pipeline({
      type: 'regex',
      regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>\\w+)\\] (?<message>.*)$',
      timeKey: 'time',
      timeFormat: '%a %b %d %H:%M:%S %Y',
    });
    const r = compare(p, [...lines('loghub_Apache_2k.log'), 'no brackets here', '[x] [not a level!] m']);
    expect(r).toEqual({ parsed: 2000, failed: 2 });
    // the time is read by a second parser on its field (the main regex is the user's own)
    expect(agentParsing(p.name, p.logFormat).time).toMatchObject({ time_key: 'time', time_format: '%a %b %d %H:%M:%S %Y' });
  });

  it('single-line-text: Spark log4j lines with a pattern layout', () => {
    const p = pipeline({ type: 'single-line-text', regex: '^(?<time>\\d{2}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}) (?<level>[A-Z]+) (?<logger>\\S+): (?<message>.*)$', timeKey: 'time', timeFormat: 'yy/MM/dd HH:mm:ss' });
    const r = compare(p, [...lines('loghub_Spark_2k.log'), '17/06/09 INFO x: y']);
    expect(r.parsed).toBeGreaterThan(1900);
    expect(r.failed).toBeGreaterThanOrEqual(1);
    expect(agentParsing(p.name, p.logFormat).time?.time_format).toBe('%y/%m/%d %H:%M:%S');
  });

  it('multi-line-text: Zookeeper with a Logback layout (lazy thread, bounded words), one line per event', () => {
    const p = pipeline({ type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} - %-5p [%t:%C@%L] - %m%n' });
    const r = compare(p, [...lines('loghub_Zookeeper_2k.log'), '2015-07-29 17:41:44,747 - INFO  [main:Foo@12x] - bad line number', 'Caused by: orphan']);
    expect(r.failed).toBe(2);
    expect(r.parsed).toBeGreaterThan(1900);
    expect(agentParsing(p.name, p.logFormat).main).toMatchObject({ types: 'line:integer' });
    expect(agentParsing(p.name, p.logFormat).time).toMatchObject({ time_key: 'time', time_format: '%Y-%m-%d %H:%M:%S,%L' });
  });

  it('json: the NGINX Plus status objects', () => {
    const typed = pipeline({ type: 'json', fields: { pid: 'keyword', version: 'integer' } });
    expect(agentParsing(typed.name, typed.logFormat).main.types).toBe('pid:string version:integer');
    const p = pipeline({ type: 'json', fields: { version: 'integer', nginx_version: 'keyword' } });
    const r = compare(p, [...lines('nginxplus_status_json_elastic_examples.ndjson', 50), 'not json', '[1,2]']);
    expect(r).toEqual({ parsed: 50, failed: 2 });
  });

  it('multi-line-text: Hadoop events joined where the processor joins them, message with the continuation lines', () => {
    const p = pipeline({ type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%t] %c: %m%n' });
    const parser = compileParser(p.logFormat) as MultiLineTextParser;
    const ml = multilineParser(p.name, p.logFormat)!;
    const start = new RegExp(ml.rules[0].regex.slice(1, -1));
    const cont = new RegExp(ml.rules[1].regex.slice(1, -1));
    const text = [...lines('loghub_Hadoop_2k.log', 400), 'java.io.IOException: boom', '\tat a.b.C.d(C.java:1)', '2015-10-18 18:01:47,978 INFO [main] x.Y: after'];
    // The agent's assembler: start_state / cont exactly as the two rules say.
    const agentEvents: string[] = [];
    for (const l of text) {
      expect(start.test(l)).toBe(!cont.test(l));
      if (start.test(l) || agentEvents.length === 0) agentEvents.push(l);
      else agentEvents[agentEvents.length - 1] += `\n${l}`;
    }
    const asm = new MultilineAssembler((l) => parser.multiline.firstLine.test(l));
    const tsEvents = [...text.flatMap((t, i) => asm.push({ lineNo: i + 1, text: t })), ...asm.flush()].map((e) => ('text' in e ? e.text : e.raw));
    expect(agentEvents).toEqual(tsEvents);
    expect(agentEvents.some((e) => e.includes('\n\tat a.b.C.d'))).toBe(true);
    const r = compare(p, agentEvents);
    expect(r.parsed).toBe(agentEvents.length);
  });
});

describe('what the agent cannot parse as the processor does is refused', () => {
  const refuse = (f: Record<string, unknown>, re: RegExp) => {
    const p = pipeline(f);
    expect(() => agentParsing(p.name, p.logFormat)).toThrow(AgentConfigError);
    expect(() => agentParsing(p.name, p.logFormat)).toThrow(re);
  };
  it('syslog', () => refuse({ type: 'syslog' }, /syslog lines are parsed by hand-written code/));
  it('boolean fields (Fluent Bit reads only "true")', () => refuse({ type: 'nginx', fields: { http_dnt: 'boolean' }, format: '$remote_addr [$time_local] $http_dnt "$request"' }, /bool cast/));
  it('upstream lists summed into a number', () => refuse({ type: 'nginx', format: '$remote_addr [$time_local] $upstream_response_time "$request"' }, /one value per upstream/));
  it('iso8601 / epoch_ms times', () => {
    refuse({ type: 'regex', regex: '^(?<t>\\S+) (?<m>.*)$', timeKey: 't' }, /iso8601 has no strptime equivalent/);
    refuse({ type: 'json', timeKey: 'ts', timeFormat: 'epoch_ms' }, /epoch_ms/);
  });
  it('a zone with daylight saving time for a time without offset', () => {
    refuse({ type: 'regex', regex: '^(?<t>\\S+ \\S+) (?<m>.*)$', timeKey: 't', timeFormat: '%Y-%m-%d %H:%M:%S', timeZone: 'Europe/Paris' }, /daylight saving/);
    const p = pipeline({ type: 'regex', regex: '^(?<t>\\S+ \\S+) (?<m>.*)$', timeKey: 't', timeFormat: '%Y-%m-%d %H:%M:%S', timeZone: 'Asia/Shanghai' });
    expect(agentParsing(p.name, p.logFormat).time?.time_offset).toBe('+0800');
  });
  it('multi-line-text whose message is not the last field', () => refuse({ type: 'multi-line-text', regex: '^(?<message>\\S+) (?<level>[A-Z]+)$' }, /message to be the last field/));
  it('flattenJson, and types of nested JSON fields', () => {
    refuse({ type: 'json', flattenJson: true }, /nested objects/);
    refuse({ type: 'json', fields: { 'a.b': 'integer' } }, /nested/);
  });
  it('a regex construct without an Onigmo equivalent', () => refuse({ type: 'regex', regex: '(?<a>x)(?<=a+)\\1' }, /back-reference|lookbehind/));
});
