/**
 * The agent parses (buffer none) with the processor's own regexes, converted for Onigmo: for every log type, on real
 * lines, it accepts the lines the processor accepts, rejects the ones it rejects, and extracts the same values
 * (within the documented AGENT_PARSE_DIFFERENCES). Here the patterns run in JS RegExp, through simulate.ts, which
 * is fast enough for every corpus line; test/integration/fluent-bit-regex.test.ts runs the same regexes in the real
 * Fluent Bit (Onigmo) and fluent-bit-agreement.test.ts the whole agent path into a real node.
 */
import { readFileSync } from 'node:fs';
import { fluentBitConfig, type AgentTargets } from '../../../lib/agent/fluent-bit-config';
import { agentInvalidDates } from '../../../lib/agent/agent-time';
import { AgentConfigError, agentParsing, mandatoryGroups, multilineParser } from '../../../lib/agent/parser-regex';
import { parseConfig } from '../../../lib/config/load';
import { PipelineSchema, type Pipeline } from '../../../lib/config/schema';
import { compileParser } from '../../../lambda/core/formats';
import { MultilineAssembler, type MultiLineTextParser } from '../../../lambda/core/formats/text';
import { corpusPath } from '../../corpora';
import { readBack, runAgent } from './simulate';

const TARGETS: AgentTargets = { region: 'eu-west-1', backupBucketName: 'backup' };

const rawPipeline = (logFormat: Record<string, unknown>) => ({
  name: 'app',
  source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/app/*.log'] },
  logFormat,
  engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'app', domain: { type: 'aws', endpoint: 'https://search-x.eu-west-1.es.amazonaws.com', arn: 'arn:aws:es:eu-west-1:123456789012:domain/logs' } },
});

/** The pipeline as the schema reads it (a config the agent cannot run is refused by parseConfig: see `refuse`). */
function pipeline(logFormat: Record<string, unknown>): Pipeline {
  return PipelineSchema.parse(rawPipeline(logFormat));
}

const lines = (name: string, n = Infinity) => readFileSync(corpusPath(name), 'utf8').split(/\r?\n/).filter(Boolean).slice(0, n);

/** The processor's document as the agent would hold it: nulls absent (AGENT_PARSE_DIFFERENCES null-absent), no @timestamp. */
function expected(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === '@timestamp' || v === null || v === undefined) continue;
    out[k] = v;
  }
  return out;
}

/** Runs both on each record text; returns counts so that each test can also assert how much it covered. */
function compare(p: Pipeline, records: string[], values = true) {
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
    if (agent.kind === 'indexed' && values) expect({ text, record: agent.record }).toEqual({ text, record: expected(ts.doc) });
    parsed++;
  }
  return { parsed, failed };
}

describe('agent parsers match the processor on real lines', () => {
  it('apache combined: 10,000 lines, the one the processor rejects rejected too', () => {
    const all = lines('apache_combined_elastic_examples.log');
    // values with backslash escapes are unescaped by the processor only (documented difference)
    // %b `-` is 0 on both sides: captured, Fluent Bit's integer cast reads it as 0
    const r = compare(pipeline({ type: 'apache' }), all.filter((l) => !l.includes('\\')));
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
    expect(compare(p, r, false)).toEqual({ parsed: 4, failed: 4 });
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
    // the typed group is read (and checked) alone, after the main parse, as the processor converts it
    expect(agentParsing(p.name, p.logFormat).checks).toEqual([
      expect.objectContaining({ key: 'time', required: true }),
      expect.objectContaining({ key: 'line', required: false, parser: expect.objectContaining({ types: 'line:integer' }) }),
    ]);
    expect(agentParsing(p.name, p.logFormat).time).toMatchObject({ time_key: 'time', time_format: '%Y-%m-%d %H:%M:%S,%L' });
  });

  it('json: the NGINX Plus status objects', () => {
    const typed = pipeline({ type: 'json', fields: { pid: 'keyword', version: 'integer' } });
    // Fluent Bit's json parser applies no `types` (AGENT_PARSE_DIFFERENCES json-types): none are written
    expect(agentParsing(typed.name, typed.logFormat).main.types).toBeUndefined();
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

describe('values the agent reads as the processor does (test/integration/fluent-bit-agreement.test.ts on Fluent Bit)', () => {
  const agentOf = (f: Record<string, unknown>) => {
    const p = pipeline(f);
    const doc = readBack(fluentBitConfig(p, TARGETS));
    return { run: (line: string) => runAgent(doc, line), processor: compileParser(p.logFormat) };
  };
  const combined = (o: { time?: string; bytes?: string; agent?: string } = {}) => `1.2.3.4 - - [${o.time ?? '17/May/2015:10:05:03 +0000'}] "GET / HTTP/1.1" 200 ${o.bytes ?? '5'} "-" "${o.agent ?? 'ua'}"`;

  it('apache %b `-` is 0, an empty quoted value ""', () => {
    const { run, processor } = agentOf({ type: 'apache' });
    expect(run(combined({ bytes: '-', agent: '' }))).toMatchObject({ kind: 'indexed', record: { response_size_bytes: 0, http_user_agent: '' } });
    expect(processor.parse(combined({ bytes: '-', agent: '' }))).toMatchObject({ doc: { response_size_bytes: 0, http_user_agent: '' } });
  });

  it('a date that does not exist, an offset out of range: the line fails on both sides', () => {
    const { run, processor } = agentOf({ type: 'nginx' });
    for (const time of ['31/Feb/2015:10:05:03 +0000', '29/Feb/2015:10:05:03 +0000', '31/Apr/2015:10:05:03 +0000', '17/May/2015:10:05:03 +2400', '17/May/2015:10:05:03 +0060']) {
      expect({ time, agent: run(combined({ time })).kind, processor: processor.parse(combined({ time })).ok }).toEqual({ time, agent: 'failed', processor: false });
    }
    expect(run(combined({ time: '29/Feb/2016:10:05:03 +0000' })).kind).toBe('indexed');
    const invalid = new RegExp(`^(?:${agentInvalidDates('%d/%b/%Y:%H:%M:%S %z')})$`);
    expect(['30/feb/2016:00:00:00 Z', '31/Sep/2015:00:00:00 Z', '29/Feb/1999:00:00:00 Z'].filter((t) => invalid.test(t))).toHaveLength(3);
    expect(['29/Feb/2000:00:00:00 Z', '30/Apr/2015:00:00:00 Z', '31/Dec/2015:00:00:00 Z'].filter((t) => invalid.test(t))).toEqual([]);
    expect(agentInvalidDates('%H:%M %Y')).toBeUndefined();
  });

  it('regex types: a time or typed value the processor refuses fails the line; a null typed value is absent', () => {
    const errlog = agentOf({ type: 'regex', regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>\\w+)\\] (?<message>.*)$', timeKey: 'time', timeFormat: '%a %b %d %H:%M:%S %Y' });
    expect(errlog.run('[yesterday] [notice] x')).toEqual({ kind: 'failed' });
    expect(errlog.run('[Thu Feb 30 04:47:44 2005] [notice] x')).toEqual({ kind: 'failed' });
    expect(errlog.run('[Sun Dec 04 04:47:44 2005] [notice] ')).toMatchObject({ kind: 'indexed', record: { message: '', level: 'notice' } });
    const typed = agentOf({ type: 'regex', regex: '^(?<ip>\\S+) (?<status>\\d+|-) (?<took>[\\d.]+) (?<ok>\\w+)(?: (?<extra>\\S+))?$', fields: { ip: 'ip', status: 'integer', took: 'float', ok: 'boolean' } });
    expect(typed.run('10.0.0.1 200 0.25 TRUE')).toEqual({ kind: 'indexed', record: { ip: '10.0.0.1', status: 200, took: 0.25, ok: true } });
    expect(typed.run('unix: - 0.25 false x')).toEqual({ kind: 'indexed', record: { took: 0.25, ok: false, extra: 'x' } });
    for (const line of ['10.0.0.1 2147483648 0.25 true', 'host 200 0.25 true', '10.0.0.1 200 1.2.3 true', '10.0.0.1 200 0.25 maybe']) {
      expect({ line, agent: typed.run(line).kind, processor: typed.processor.parse(line).ok }).toEqual({ line, agent: 'failed', processor: false });
    }
    // AGENT_PARSE_DIFFERENCES boolean-words
    expect(typed.run('10.0.0.1 200 0.25 yes')).toEqual({ kind: 'failed' });
    const zk = agentOf({ type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} - %-5p [%t:%C@%L] - %m%n' });
    expect(zk.run('2015-07-29 17:41:44,747 - INFO  [main:Foo@?] - m')).toEqual({ kind: 'indexed', record: expect.not.objectContaining({ line: expect.anything() }) });
    expect(zk.run('2015-07-29 17:41:44,747 - INFO  [main:Foo@2147483648] - m')).toEqual({ kind: 'failed' });
  });

  it('multi-line-text: the line break Fluent Bit ends an event with is not part of the message', () => {
    const { run } = agentOf({ type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%t] %c: %m%n' });
    expect(run('2015-10-18 18:01:47,978 ERROR [main] x.Y: boom\n\tat a.b.C.d(C.java:1)\n')).toMatchObject({ record: { message: 'boom\n\tat a.b.C.d(C.java:1)' } });
  });

  it('mandatoryGroups: the groups in every match (their empty value is "", not absent)', () => {
    expect([...mandatoryGroups('^(?<a>x)(?:(?<b>y)|z)(?<c>w)?(?=(?<d>v))(?<e>(?<f>u)+)[(?<g>]\\((?<h>t)*$')]).toEqual(['a', 'e', 'f']);
    expect([...mandatoryGroups('(?<a>x)|(?<b>y)')]).toEqual([]);
  });
});

describe('what the agent cannot parse as the processor does is refused', () => {
  const refuse = (f: Record<string, unknown>, re: RegExp) => {
    const p = pipeline(f);
    expect(() => agentParsing(p.name, p.logFormat)).toThrow(AgentConfigError);
    expect(() => agentParsing(p.name, p.logFormat)).toThrow(re);
    // and the config that asks for it is refused when it is loaded, beside its other problems
    expect(() => parseConfig({ pipelines: [rawPipeline(f)] })).toThrow(re);
  };
  it('syslog', () => refuse({ type: 'syslog' }, /syslog lines are parsed by hand-written code/));
  it('boolean fields (Fluent Bit reads only "true")', () => refuse({ type: 'nginx', fields: { http_dnt: 'boolean' }, format: '$remote_addr [$time_local] $http_dnt "$request"' }, /bool cast/));
  it('date or object fields (the processor converts or checks them)', () => {
    refuse({ type: 'regex', regex: '^(?<at>\\S+) (?<m>.*)$', fields: { at: 'date' } }, /at \(date\)/);
    refuse({ type: 'nginx', format: '$remote_addr [$time_local] $http_x_at', fields: { http_x_at: 'date' } }, /\$http_x_at \(date\)/);
  });
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
