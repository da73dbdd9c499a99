/**
 * Issue 11, point 5 ("Onigmo, for real"): every regex Logtong generates for the Fluent Bit agent is compiled and run
 * by the real Fluent Bit 4.2.2, not only by JavaScript's RegExp (test/unit/agent and simulate.ts). The regexes come
 * from the example pipelines of pipelines.yaml with a fluent-bit source (agentParsing as for buffer none whatever
 * their buffer, multilineParser, grepFilters), the formats the unit tests of lib/agent and lambda/core/formats use
 * (FORMATS below), the fuzz cases of formats/fuzz.test.ts and the toOnigmo samples of onigmo.test.ts.
 *
 * One Fluent Bit process runs them all (harness/fluent-bit-parse.ts). Each case must compile, and behave as the
 * processor's own regex does in JS (`new RegExp(source)`): a line JS matches is parsed by Fluent Bit into the same
 * named-group values, a line JS rejects is left unparsed, within the rules of simulate.ts (empty values dropped,
 * `types` converted as flb_parser_typecast does, no match when no named group took part). Where the processor reads
 * a time, Fluent Bit must read the same instant. Grep filters keep and drop what the processor's filters do, and the
 * multiline parser joins the lines into the processor's events.
 */
import { isDeepStrictEqual } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { grepFilters } from '../../lib/agent/fluent-bit-config';
import { toOnigmo } from '../../lib/agent/onigmo';
import { agentParsing, firstLineRegex, multilineParser, REQUEST_REGEXES, type FluentBitParser } from '../../lib/agent/parser-regex';
import { loadConfig, parseConfig } from '../../lib/config/load';
import { LogFormatSchema, type LogFormat, type Pipeline } from '../../lib/config/schema';
import { compileParser, type LineParser } from '../../lambda/core/formats';
import { toStrptimeFormat } from '../../lambda/core/java-time';
import { createTimestamper } from '../../lambda/core/time';
import { groupNames } from '../../lambda/core/formats/regex';
import { MultilineAssembler, type MultiLineTextParser } from '../../lambda/core/formats/text';
import { corpusLines } from '../corpora';
import { ACCESS_TIME as TIME, combined, HADOOP, SPARK, SPRING, SPRING3, ZOOKEEPER } from '../fixtures/formats';
import { CASES as FUZZ_CASES, caseRng, fuzzInputs } from '../unit/core/formats/fuzz-cases';
import { ONIGMO_SAMPLES, regexRecord } from '../unit/agent/simulate';
import { grepRecord, runCases, type FbCase, type FbCaseResult } from './harness/fluent-bit-parse';

jest.setTimeout(180_000);

const APACHE = 'apache_combined_elastic_examples.log';

const LOGBACK = '%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger : %msg%n';
const SPRING_LOG = [
  '2024-01-15 10:23:45.100  INFO 4242 --- [           main] com.example.demo.DemoApplication         : Starting DemoApplication',
  '2024-01-15 10:23:46.200 ERROR 4242 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception',
  'java.lang.IllegalStateException: Failed to load order 42',
  '\tat com.example.demo.OrderService.load(OrderService.java:57)',
  'Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available',
  '\t... 12 more',
  '2024-01-15 10:23:47.300  WARN 4242 --- [   scheduling-1] c.e.demo.Jobs                            : retrying',
];

/**
 * Adversarial combined lines (edge times, numbers, requests, quotes, control characters), as in the direct JSON
 * writer's test (test/unit/core/formats/template/codegen.test.ts).
 */
const ADVERSARIAL = [
  ...[{ agent: 'say "hi" to me' }, { agent: 'ends with a quote"' }, { ref: 'a "quoted" referer' }, { user: 'us"er' }, { req: 'GET /a\\"b HTTP/1.1' }, { agent: 'back\\\\slash' }],
  ...[{ agent: 'tab\there' }, { agent: 'nul\u0000char' }, { agent: 'esc\u001b[0m' }, { agent: 'unicode 中文 ü é 🙂' }, { req: 'GET /\\xE4\\xB8\\xAD HTTP/1.1' }, { req: '\\x16\\x03\\x01\\x00' }],
  ...[{ ip: '2001:db8::1' }, { ip: 'fe80::1%eth0' }, { ip: '256.1.1.1' }, { ip: '-' }, { ip: '' }, { ip: 'unix:' }],
  ...[{ status: '-' }, { status: '007' }, { status: '+200' }, { status: '2147483648' }, { status: 'abc' }, { bytes: '-' }, { bytes: '' }, { bytes: '1234567890123456789' }, { bytes: '-5' }],
  ...[{ time: '17/May/2015:10:05:03 +0200' }, { time: '17/May/2015:10:05:03 -0930' }, { time: '7/May/2015:10:05:03 +0000' }, { time: '31/Feb/2015:10:05:03 +0000' }, { time: 'garbage' }, { time: '01/Jan/1969:23:59:59 +0000' }],
  ...[{ req: '-' }, { req: '' }, { req: 'GET' }, { req: 'GET / ' }, { req: 'get / HTTP/1.1' }, { req: 'GET /a b c HTTP/1.0' }, { req: 'GET  HTTP/1.1' }, { req: 'VERSION-CONTROL /x HTTP/1.1' }, { agent: '' }],
].map(combined);

interface FormatEntry {
  from: string;
  format: Record<string, unknown>;
  lines: () => string[];
}

/** The formats of the unit tests that the agent generator accepts (each must be), with the lines those tests use. */
const FORMATS: FormatEntry[] = [
  // test/unit/agent/parser-regex.test.ts
  { from: 'agent: apache combined', format: { type: 'apache' }, lines: () => corpusLines(APACHE) },
  { from: 'agent: nginx combined', format: { type: 'nginx' }, lines: () => [...corpusLines(APACHE, 3000), ...ADVERSARIAL] },
  {
    from: 'agent: nginx host:port, request_time',
    format: { type: 'nginx', format: '$remote_addr [$time_local] "$request" $status $request_time $host:$server_port "$http_user_agent"' },
    lines: () => [
      `10.0.0.1 [${TIME}] "GET /a?b=1 HTTP/1.1" 200 0.004 example.com:443 "curl/8.0"`,
      `10.0.0.1 [${TIME}] "GET /a HTTP/1.1" - - [::1]:8080 "curl/8.0"`,
      `10.0.0.1 [${TIME}] "\\x16\\x03\\x01" 400 0.000 x:80 "-"`,
      `10.0.0.1 [${TIME}] "GET /only-uri" 200 0.1 x:80 "a \\"quoted\\" agent"`,
      'garbage',
      `10.0.0.1 [${TIME}] "GET / HTTP/1.1" 2x0 0.1 x:80 "ua"`,
      `10.0.0.1 [${TIME}] "GET / HTTP/1.1" 200 fast x:80 "ua"`,
      `10.0.0.1 [${TIME}] "GET / HTTP/1.1" 200 0.1 x:80 "no closing quote`,
    ],
  },
  {
    from: 'agent: regex, Apache error log',
    format: { type: 'regex', regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>\\w+)\\] (?<message>.*)$', timeKey: 'time', timeFormat: '%a %b %d %H:%M:%S %Y' },
    lines: () => [...corpusLines('loghub_Apache_2k.log'), 'no brackets here', '[x] [not a level!] m'],
  },
  {
    from: 'agent: single-line-text, Spark',
    format: { type: 'single-line-text', regex: '^(?<time>\\d{2}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}) (?<level>[A-Z]+) (?<logger>\\S+): (?<message>.*)$', timeKey: 'time', timeFormat: 'yy/MM/dd HH:mm:ss' },
    lines: () => [...corpusLines('loghub_Spark_2k.log'), '17/06/09 INFO x: y'],
  },
  {
    from: 'agent: multi-line-text, Zookeeper',
    format: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} - %-5p [%t:%C@%L] - %m%n' },
    lines: () => [...corpusLines('loghub_Zookeeper_2k.log'), '2015-07-29 17:41:44,747 - INFO  [main:Foo@12x] - bad line number', 'Caused by: orphan'],
  },
  {
    from: 'agent: multi-line-text, Hadoop',
    format: { type: 'multi-line-text', format: HADOOP },
    lines: () => [...corpusLines('loghub_Hadoop_2k.log', 400), 'java.io.IOException: boom', '\tat a.b.C.d(C.java:1)', '2015-10-18 18:01:47,978 INFO [main] x.Y: after'],
  },
  {
    from: 'agent: fixed zone Asia/Shanghai',
    format: { type: 'regex', regex: '^(?<t>\\S+ \\S+) (?<m>.*)$', timeKey: 't', timeFormat: '%Y-%m-%d %H:%M:%S', timeZone: 'Asia/Shanghai' },
    lines: () => ['2024-01-01 08:00:00 hi', '2024-13-01 08:00:00 bad month', 'x'],
  },
  // test/unit/core/formats/nginx.test.ts
  { from: 'nginx: pasted with quotes', format: { type: 'nginx', format: `"$remote_addr [$time_local] \\"$request\\" $status '$host'"`, fields: {} }, lines: () => [`10.1.2.3 [${TIME}] "GET / HTTP/1.1" 404 'example.com'`] },
  {
    from: 'nginx: `-` numbers',
    format: { type: 'nginx', format: '$remote_addr [$time_local] "$request" $status $request_time $request_length' },
    lines: () => [`1.2.3.4 [${TIME}] "-" 400 - -`, `1.2.3.4 [${TIME}] "\\x16\\x03\\x01\\x00" 400 0.001 0`, `1.2.3.4 [${TIME}] "GET /" 200 0.001 10`, `1.2.3.4 [${TIME}] "GET /a b c HTTP/1.1" 200 0.001 10`],
  },
  { from: 'nginx: request kept raw', format: { type: 'nginx', fields: { request: 'keyword' } }, lines: () => [`1.2.3.4 - - [${TIME}] "GET /x HTTP/1.1" 200 1 "-" "-"`, ...corpusLines(APACHE, 1000)] },
  { from: 'nginx: keyword overrides', format: { type: 'nginx', fields: { status: 'keyword', remote_addr: 'keyword' } }, lines: () => [`unix: - - [${TIME}] "GET / HTTP/1.1" 200 1 "-" "-"`, ...ADVERSARIAL] },
  { from: 'nginx: $msec', format: { type: 'nginx', format: '$msec $remote_addr $status' }, lines: () => ['1446249499.322 1.2.3.4 200', '1446249499 1.2.3.4 200', 'abc 1.2.3.4 200'] },
  { from: 'nginx: nginx.conf pieces', format: { type: 'nginx', format: `'$remote_addr - $remote_user [$time_local] '\n  '"$request" $status $body_bytes_sent'` }, lines: () => [`1.2.3.4 - - [${TIME}] "GET / HTTP/1.1" 200 5`] },
  { from: 'nginx: ${var} and a prefix', format: { type: 'nginx', format: 'ip=${remote_addr}; t=[$time_local] s=$status' }, lines: () => [`ip=1.2.3.4; t=[${TIME}] s=204`, `addr=1.2.3.4; t=[${TIME}] s=204`] },
  // test/unit/core/formats/apache.test.ts, formats/template/serializer.test.ts
  {
    from: 'apache: every directive',
    format: { type: 'apache', format: '%a %{c}a %A %h %l %u %t "%r" %>s %s %b %D %T %{ms}T %I %O %S %v %V %p %{remote}p %P %{tid}P %k %L %R %X %f %m %U %q %H' },
    lines: () => [`10.0.0.1 10.0.0.2 10.0.0.3 192.0.2.10 ident bob [${TIME}] "GET /a?b=1 HTTP/2.0" 201 302 - 1234 1 1500 300 400 700 vhost host.example 443 51000 4242 140000 3 XYZ handler + /var/www/a GET /a ?b=1 HTTP/2.0`],
  },
  { from: 'apache: host names', format: { type: 'apache', fields: { remote_addr: 'keyword' } }, lines: () => [`example.org - - [${TIME}] "GET / HTTP/1.1" 200 1 "-" "-"`, ...ADVERSARIAL] },
  {
    from: 'apache: headers, env, notes, cookies',
    format: { type: 'apache', format: '%h %t "%{Referer}i" "%{User-agent}i" "%{X-Forwarded-For}i" %{Content-Type}o %{UNIQUE_ID}e %{mod_x}n %{session-id}C' },
    lines: () => [`::1 [${TIME}] "http://ref/" "ua two" "1.1.1.1, 2.2.2.2" text/html abc123 note sid=1`],
  },
  { from: 'apache: %b %D', format: { type: 'apache', format: '%h %t %b %D' }, lines: () => [`1.2.3.4 [${TIME}] - -`, `1.2.3.4 [${TIME}] 512 99`] },
  {
    from: 'apache: httpd.conf quoting, %%',
    format: { type: 'apache', format: '"%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%400,501{User-agent}i\\" 100%%"' },
    lines: () => [`1.2.3.4 - - [${TIME}] "GET / HTTP/1.1" 200 5 "-" "curl" 100%`],
  },
  { from: 'apache: vhost_combined', format: { type: 'apache', format: 'vhost_combined' }, lines: () => [`www.example.com:443 2001:db8::7 - - [${TIME}] "GET / HTTP/1.1" 200 1234 "-" "curl/8.0"`, `example.com:80 10.0.0.1 - - [${TIME}] "GET / HTTP/1.1" 200 1234 "-" "curl/8"`] },
  { from: 'apache: common', format: { type: 'apache', format: 'common' }, lines: () => [`10.0.0.1 - - [${TIME}] "GET / HTTP/1.1" 200 -`, `10.0.0.1 - frank [${TIME}] "GET / HTTP/1.1" 304 0`] },
  { from: 'apache: strftime time, fixed zone', format: { type: 'apache', format: '%h [%{%Y-%m-%d %H:%M:%S}t] %>s', timeZone: 'Asia/Shanghai' }, lines: () => ['1.2.3.4 [2024-07-01 12:00:00] 200'] },
  { from: 'apache: %{sec}t', format: { type: 'apache', format: '%h %{sec}t %>s' }, lines: () => ['1.2.3.4 1446249499 200'] },
  {
    from: 'apache: msec_frac and %z pieces',
    format: { type: 'apache', format: '%h [%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t] %>s' },
    lines: () => ['1.2.3.4 [17/May/2015 10:05:03.123 +0200] 200', '1.2.3.4 [17/May/2015 10:05:03 +0200] 200'],
  },
  { from: 'apache: pieces side by side', format: { type: 'apache', format: '%h %{%Y%m%d}t%{%H%M%S}t%%%{msec_frac}t %>s' }, lines: () => ['::1 20240701120000%250 200'] },
  { from: 'apache: %B', format: { type: 'apache', format: '%h %t %>s %B' }, lines: () => [`1.2.3.4 [${TIME}] 200 0`] },
  { from: 'apache: %D %T header', format: { type: 'apache', format: '%h %t %D %T "%{X-Flag}i"' }, lines: () => [`10.0.0.1 [${TIME}] 1234 0 "on"`, `10.0.0.1 [${TIME}] - - "-"`, `10.0.0.1 [${TIME}] 01 x "-"`] },
  // test/unit/core/formats/table.test.ts
  {
    from: 'table: apache X-Forwarded-For',
    format: { type: 'apache', format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i"' },
    lines: () => [`10.0.0.1 - - [${TIME}] "GET /a HTTP/1.1" 200 12 "-" "Mozilla \\"quoted\\" agent" "203.0.113.9, 10.0.0.2"`, `10.0.0.1 - - [${TIME}] "GET /a HTTP/1.1" 200 12 "-" "x"`],
  },
  { from: 'table: apache %{…}t %D', format: { type: 'apache', format: '%h %{%Y-%m-%d %H:%M:%S}t "%r" %>s %D' }, lines: () => ['10.0.0.1 2015-05-17 10:05:03 "GET /a HTTP/1.1" 200 1234', '10.0.0.1 17/May/2015:10:05:03 "GET /a HTTP/1.1" 200 1234'] },
  { from: 'table: apache [%{…}t]', format: { type: 'apache', format: '%h [%{%d/%b/%Y %T}t] "%r" %>s %b' }, lines: () => ['10.0.0.1 [17/May/2015 10:05:03] "GET /a HTTP/1.1" 404 -', '10.0.0.1 [17/May/2015 10:05] "GET /a HTTP/1.1" 404 -'] },
  { from: 'table: regex typed', format: { type: 'regex', regex: '^(?<ip>\\S+) (?<status>\\d{3}) (?<ms>\\d+)$', fields: { status: 'integer', ms: 'long' } }, lines: () => ['10.0.0.1 200 15', '10.0.0.1 abc 15'] },
  {
    from: 'table: single-line-text Apache error log',
    format: { type: 'single-line-text', regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>[a-z]+)\\] (?<message>.*)$', timeKey: 'time', timeFormat: '%a %b %d %H:%M:%S %Y' },
    lines: () => ['[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties', '[Sunday 04 2005] [notice] x'],
  },
  { from: 'table: Spring Boot, fixed zone', format: { type: 'multi-line-text', format: SPRING, timeZone: 'Asia/Shanghai' }, lines: () => SPRING_LOG },
  // test/unit/core/formats/regex.test.ts, formats/index.test.ts
  {
    from: 'regex: typed groups, optional group',
    format: { type: 'regex', regex: '^(?<ip>\\S+) (?<status>\\d+|-) (?<took>[\\d.]+) (?<ok>\\w+)(?: (?<extra>\\S+))?$', fields: { ip: 'ip', status: 'integer', took: 'float', ok: 'boolean' } },
    lines: () => ['10.0.0.1 200 0.25 true', '10.0.0.1 - 0.25 false x', 'nope', '10.0.0.1 99999999999 0.25 true', 'host 200 0.25 true', '10.0.0.1 200 1.2.3 yes'],
  },
  {
    from: 'regex: Hadoop, %L, fixed zone',
    format: { type: 'regex', regex: String.raw`^(?<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (?<level>[A-Z]+) \[(?<thread>[^\]]*)\] (?<logger>[^:]+): (?<message>.*)$`, timeKey: 'time', timeFormat: '%Y-%m-%d %H:%M:%S,%L', timeZone: 'Asia/Shanghai' },
    lines: () => corpusLines('loghub_Hadoop_2k.log'),
  },
  { from: 'formats: one character', format: { type: 'regex', regex: '^(?<a>.)$' }, lines: () => ['x', 'xy', '\r'] },
  { from: 'formats: single-line-text', format: { type: 'single-line-text', regex: '^(?<level>[A-Z]+) (?<message>.*)$' }, lines: () => ['WARN disk low', 'warn x'] },
  { from: 'formats: Java time in a regex', format: { type: 'regex', regex: '^(?<t>[^|]+)\\|(?<m>.*)$', timeKey: 't', timeFormat: 'yyyy-MM-dd HH:mm:ss.SSS', timeZone: 'Asia/Shanghai' }, lines: () => ['2024-07-01 12:00:00.250|hi'] },
  { from: 'formats: Java time in nginx', format: { type: 'nginx', format: '[$time_local] $status', timeFormat: 'yyyy-MM-dd HH:mm:ss.SSS', timeZone: 'Asia/Shanghai' }, lines: () => ['[2024-07-01 12:00:00.250] 200', '[2024-07-01 12:00:00] 200'] },
  { from: 'formats: multi-line-text %-5level %msg', format: { type: 'multi-line-text', format: '%-5level %msg%n' }, lines: () => ['ERROR boom', '\tat x.y(Z.java:1)', 'INFO next'] },
  // test/unit/core/formats/text.test.ts
  {
    from: 'text: user regex, Java time, fixed zone',
    format: { type: 'single-line-text', regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>\\w+)\\] (?<message>.*)$', timeKey: 'time', timeFormat: 'yyyy-MM-dd HH:mm:ss', timeZone: 'Asia/Shanghai', fields: { level: 'keyword' } },
    lines: () => ['[2024-01-01 08:00:00] [info] x', '[2024-13-01 08:00:00] [info] x', 'nope'],
  },
  { from: 'text: integer group', format: { type: 'single-line-text', regex: '^(?<n>\\S+) (?<rest>.*)$', fields: { n: 'integer' } }, lines: () => ['12 a', '- a', 'x a'] },
  { from: 'text: Spark corpus, fixed zone', format: { type: 'multi-line-text', format: SPARK, timeZone: 'Asia/Shanghai' }, lines: () => corpusLines('loghub_Spark_2k.log') },
  { from: 'text: Hadoop corpus', format: { type: 'multi-line-text', format: HADOOP }, lines: () => corpusLines('loghub_Hadoop_2k.log') },
  { from: 'text: Zookeeper corpus', format: { type: 'multi-line-text', format: ZOOKEEPER }, lines: () => corpusLines('loghub_Zookeeper_2k.log') },
  { from: 'text: Spring Boot', format: { type: 'multi-line-text', format: SPRING }, lines: () => [...SPRING_LOG, '2024-01-15 10:23:45.123  INFO --- [main] com.example.demo.DemoApplication : no pid'] },
  {
    from: 'text: Spring Boot 3',
    format: { type: 'multi-line-text', format: SPRING3 },
    lines: () => ['2024-01-15T10:23:45.123+08:00 ERROR 777 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() failed', '2024-01-15 10:23:45.123 ERROR 777 --- [main] x : no T'],
  },
  {
    from: 'text: Logback layout',
    format: { type: 'multi-line-text', format: LOGBACK },
    lines: () => ['2024-03-01 12:00:00.123 INFO  [main] com.example.App : Started App in 2.1 seconds', '2024-03-01 12:00:00 INFO  [main] com.example.App : no millis', '2024-03-10 12:34:56.789 INFO  [main] com.example.Demo : Started Demo in 1.2 seconds'],
  },
  {
    from: 'text: ISO8601, MDC',
    format: { type: 'multi-line-text', format: '%date{ISO8601} [%t] %le %lo{36} [%X{traceId},%X{spanId}] - %message%n' },
    lines: () => ['2024-02-29 23:59:59,999 [worker 1] WARN c.e.Svc [abc123,] - slow: 5s', '2024-02-29 23:59:59,999 [worker 1] WARN c.e.Svc - no mdc'],
  },
  { from: 'text: class, method, file, line', format: { type: 'multi-line-text', format: '%d %r %C.%M(%F:%L) - %m%n' }, lines: () => ['2024-05-05 05:05:05,005 1234 com.example.Foo$Bar.doIt(Foo.java:42) - hello', '2024-05-05 05:05:05,005 1234 com.example.Foo.doIt - hello'] },
  { from: 'text: line "?"', format: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss} %p %c{1}:%L - %m%n' }, lines: () => ['2024-05-05 05:05:05 DEBUG Main:? - x', '2024-05-05 05:05:05 DEBUG Main:abc - x'] },
  {
    from: 'text: quoted pattern, zone, %%',
    format: { type: 'multi-line-text', format: '%d{"yyyy-MM-dd HH:mm:ss,SSS", Asia/Shanghai} (%pid) *%p* 100%% %m' },
    lines: () => ['2024-01-01 08:00:00,000 (42) *INFO* 100% done (ok)', '2024-01-01 08:00:00,000 (42) INFO 100% done'],
  },
  { from: 'text: widths, truncation', format: { type: 'multi-line-text', format: '%d{HH:mm:ss.SSS yyyy-MM-dd} %highlight(%-5level) %20.30c [%.10t] %m' }, lines: () => ['10:00:00.000 2024-01-01 DEBUG             a.b.C [main] m', '10:00:00.000 2024-01-01 DEBUG a.b.C main m'] },
  // the agent refuses these for buffer none (message not last, a zone with DST); their multiline parser is generated for every buffer
  { from: 'text: message in the middle', format: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss} %m \\(%c\\)%n' }, lines: () => ['2024-01-01 00:00:00 a (b) c (x.Y)', '2024-01-01 00:00:00 a b c'] },
  { from: 'text: first line without message', format: { type: 'multi-line-text', regex: '^(?<ts>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}) (?<level>[A-Z]+)', timeKey: 'ts', timeFormat: '%Y-%m-%d %H:%M:%S' }, lines: () => ['x', '2024-01-01 00:00:00 INFO hi', 'more'] },
  { from: 'text: Zookeeper in America/New_York', format: { type: 'multi-line-text', format: ZOOKEEPER, timeZone: 'America/New_York' }, lines: () => corpusLines('loghub_Zookeeper_2k.log', 200) },
  { from: 'text: Spring Boot in Europe/Berlin', format: { type: 'multi-line-text', format: SPRING, timeZone: 'Europe/Berlin' }, lines: () => ['\tat a.B.c(B.java:1)', 'Caused by: x', ...SPRING_LOG] },
];
const MULTILINE_ONLY = new Set(['text: message in the middle', 'text: first line without message', 'text: Zookeeper in America/New_York', 'text: Spring Boot in Europe/Berlin']);

/** Lines for the examples of pipelines.yaml, by pipeline name (a new example needs its own). */
const EXAMPLE_LINES: Record<string, () => string[]> = {
  'edge-direct': () => corpusLines(APACHE, 3000),
  'legacy-parquet': () => corpusLines(APACHE, 3000),
  'k8s-spring': () => ['2024-03-10 12:34:56.789 INFO  [main] com.example.Demo : Started', 'java.lang.IllegalStateException: boom', '\tat com.example.Demo.run(Demo.java:42)', '2024-03-10 12:34:57.001 WARN  [main] com.example.Demo : next'],
};
/** Filter values that make each filter hit (the corpus has no health checks). */
const FILTER_HITS: Record<string, string[]> = { '^/healthz': ['/healthz', '/healthz/ready', '/a/healthz'], '^/health': ['/health', '/healthz', '/a/health'] };

/** The filters of test/unit/agent/fluent-bit-config.test.ts (json ones with the values to test them on). */
const FILTERS: Array<{ from: string; logFormat: Record<string, unknown>; lines?: () => string[]; values?: string[] }> = [
  {
    from: 'agent config: nginx filters',
    logFormat: {
      type: 'nginx',
      filters: { include: [{ field: 'request_method', regex: '^(GET|POST)$' }, { field: 'http_user_agent', regex: 'Mozilla' }], exclude: [{ field: 'http_user_agent', regex: 'bot' }, { field: 'request_uri', regex: '^/health' }] },
    },
    lines: () => corpusLines(APACHE, 3000),
  },
  { from: 'agent config: nested JSON field', logFormat: { type: 'json', fields: { 'kubernetes.namespace': 'keyword' }, filters: { exclude: [{ field: 'kubernetes.namespace', regex: '^kube-' }] } }, values: ['kube-system', 'default', 'my-kube-x'] },
  { from: 'agent config: json level', logFormat: { type: 'json', fields: { level: 'keyword' }, filters: { include: [{ field: 'level', regex: '^(WARN|ERROR)$' }] } }, values: ['WARN', 'ERROR', 'INFO', 'WARNING', 'xWARN'] },
];

// ---------------------------------------------------------------------------------------------------------------
// Cases, keyed by what Fluent Bit runs: a regex several sources generate runs once, with all their lines.

type Plugin = Record<string, unknown>;
interface ParserCase {
  kind: 'parser';
  ids: string[];
  parser: FluentBitParser;
  /** The JS regex the parser was converted from, as the processor compiles it. */
  source: string;
  key: string;
  values: string[];
  /** The processor per value, for the instant it reads. */
  procs: Array<LineParser | undefined>;
}
interface GrepCase {
  kind: 'grep';
  ids: string[];
  grep: Plugin;
  source: string;
  exclude: boolean;
  values: string[];
}
interface MultilineCase {
  kind: 'multiline';
  ids: string[];
  multiline: NonNullable<ReturnType<typeof multilineParser>>;
  /** The processor's first-line test. */
  firstLine: RegExp;
  values: string[];
}
type Case = ParserCase | GrepCase | MultilineCase;

const byKey = new Map<string, Case>();
const seen = new Map<Case, Set<string>>();

function add(c: Case, id: string, values: string[], proc?: LineParser): void {
  const key = JSON.stringify(c.kind === 'parser' ? [c.kind, { ...c.parser, name: '' }, c.source, c.key] : c.kind === 'grep' ? [c.kind, c.grep, c.source] : [c.kind, { ...c.multiline, name: '' }]);
  const have = byKey.get(key) ?? c;
  byKey.set(key, have);
  if (!have.ids.includes(id)) have.ids.push(id);
  // a multiline case is a sequence; the others gain only values they do not have
  if (have.kind === 'multiline') return void have.values.push(...values);
  const s = seen.get(have) ?? new Set<string>();
  seen.set(have, s);
  for (const v of values) {
    if (s.has(v)) continue;
    s.add(v);
    have.values.push(v);
    if (have.kind === 'parser') have.procs.push(proc);
  }
}

/** A parser of a time value alone, for the time parser's cases: the processor's @timestamp of that value. */
function timeOnly(fmt: LogFormat, proc: LineParser): LineParser {
  // as agentParsing reads them: a layout's own zone and time format come before the format's settings
  const t = fmt.type === 'json' ? { timeKey: fmt.timeKey!, timeFormat: fmt.timeFormat ?? 'iso8601', timeZone: fmt.timeZone ?? 'UTC' } : firstLineRegex(fmt);
  const timeKey = t.timeKey!;
  const toIso = createTimestamper(toStrptimeFormat(t.timeFormat ?? 'iso8601'), t.timeZone);
  return {
    ...proc,
    parse: (v: string) => {
      const at = toIso(v);
      return at === undefined ? { ok: false, reason: `time ${timeKey} does not parse` } : { ok: true, doc: { '@timestamp': at } };
    },
  } as LineParser;
}

/** The processor's events (an orphan continuation line is one of its own, failed, as Fluent Bit passes it alone). */
function events(lines: string[], firstLine: RegExp): Array<{ index: number; text: string }> {
  const asm = new MultilineAssembler((l) => firstLine.test(l));
  const out = [...lines.flatMap((text, index) => asm.push({ lineNo: index, text })), ...asm.flush()];
  return out.map((e) => ({ index: e.lineNo, text: 'text' in e ? e.text : e.raw })).sort((a, b) => a.index - b.index);
}

/** The JS record of a line (main regex, then the request split as the agent's two request parsers do it). */
function jsRecord(source: string, split: boolean, line: string): Record<string, unknown> | undefined {
  const rec = regexRecord(new RegExp(source), undefined, line);
  if (!rec || !split || typeof rec.request !== 'string') return rec;
  for (const r of REQUEST_REGEXES) {
    const parts = regexRecord(new RegExp(r), undefined, rec.request);
    if (parts) return { ...rec, ...parts };
  }
  return rec;
}

function refuses(f: LogFormat): boolean {
  try {
    agentParsing('x', f);
    return false;
  } catch {
    return true;
  }
}

function addFormat(id: string, fmt: LogFormat, all: string[], multilineOnly = false): { source: string; split: boolean } | undefined {
  // the agent reads no record from an empty line (tail skip_empty_lines, as the processor)
  const lines = all.filter((l) => l !== '');
  const proc = compileParser(fmt);
  const ml = multilineParser('x', fmt);
  let values = lines;
  if (ml) {
    const firstLine = (proc as MultiLineTextParser).multiline.firstLine;
    add({ kind: 'multiline', ids: [], multiline: ml, firstLine, values: [] }, id, lines);
    values = events(lines, firstLine).map((e) => e.text);
  }
  if (multilineOnly) {
    if (refuses(fmt)) return undefined;
    throw new Error(`${id}: the agent now parses this format itself; take it out of MULTILINE_ONLY`);
  }
  const parsing = agentParsing('x', fmt);
  if (parsing.main.format !== 'regex') return undefined;
  // the JavaScript source the agent converted (for nginx/apache the processor's template with the time shape check)
  const source = parsing.mainSource!;
  if (toOnigmo(source) !== parsing.main.regex) throw new Error(`${id}: the main parser is not toOnigmo of its source`);
  add({ kind: 'parser', ids: [], parser: parsing.main, source, key: 'log', values: [], procs: [] }, id, values, proc);
  if (parsing.time) {
    // regex, text and json: the time field alone, through its own parser
    const key = parsing.time.time_key!;
    const re = new RegExp(source);
    const times = values.map((v) => re.exec(v)?.groups?.[key]).filter((t): t is string => t !== undefined && t !== '');
    add({ kind: 'parser', ids: [], parser: parsing.time, source: parsing.timeSource!, key, values: [], procs: [] }, `${id}: time field`, times, timeOnly(fmt, proc));
  }
  if (parsing.request) {
    const re = new RegExp(source);
    const requests = values.map((v) => re.exec(v)?.groups?.request).filter((r): r is string => r !== undefined && r !== '');
    parsing.request.parsers.forEach((p, k) => add({ kind: 'parser', ids: [], parser: p, source: REQUEST_REGEXES[k], key: 'request', values: [], procs: [] }, `${id}: request line ${k + 1}`, requests));
  }
  return { source, split: parsing.request !== undefined };
}

const fmt = (f: Record<string, unknown>): LogFormat => LogFormatSchema.parse(f);
for (const f of FORMATS) addFormat(f.from, fmt(f.format), f.lines(), MULTILINE_ONLY.has(f.from));

const examples = loadConfig(path.join(__dirname, '..', '..', 'pipelines.yaml')).pipelines.filter((p) => p.source.type === 'fluent-bit');
const jsonExamples: string[] = [];
for (const p of examples) {
  const lines = EXAMPLE_LINES[p.name];
  if (p.logFormat.type === 'json') {
    // Fluent Bit's json parser: no regex to run (and no filter on these examples)
    if (agentParsing(p.name, p.logFormat).main.format !== 'json' || p.logFormat.filters.include.length + p.logFormat.filters.exclude.length) throw new Error(`example ${p.name}: add what it needs here`);
    jsonExamples.push(p.name);
    continue;
  }
  if (!lines) throw new Error(`example ${p.name}: add its lines to EXAMPLE_LINES`);
  const main = addFormat(`example ${p.name}`, p.logFormat, lines());
  addFilters(`example ${p.name}`, p, main ? lines().map((l) => jsRecord(main.source, main.split, l)) : []);
}

for (const f of FILTERS) {
  const p = parseConfig({ pipelines: [{ name: 'filters', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/x'] }, logFormat: f.logFormat, engine: { type: 'light' } }] }).pipelines[0];
  const main = f.lines ? addFormat(f.from, p.logFormat, f.lines()) : undefined;
  addFilters(f.from, p, main ? f.lines!().map((l) => jsRecord(main.source, main.split, l)) : [], f.values);
}

/** One grep case per filter condition, on the field's values in the records (and values that make it hit). */
function addFilters(id: string, p: Pipeline, records: Array<Record<string, unknown> | undefined>, values: string[] = []): void {
  const conds = [...p.logFormat.filters.include.map((c) => ({ c, exclude: false })), ...p.logFormat.filters.exclude.map((c) => ({ c, exclude: true }))];
  grepFilters(p, agentParsing(p.name, p.logFormat).fields, 'x').forEach((grep, k) => {
    const { c, exclude } = conds[k];
    const found = records.map((r) => r?.[c.field]).filter((v): v is string => typeof v === 'string');
    add({ kind: 'grep', ids: [], grep, source: c.regex, exclude, values: [] }, `${id}: filter ${exclude ? 'exclude' : 'include'} ${c.field} ${c.regex}`, [...found, ...values, ...(FILTER_HITS[c.regex] ?? [])]);
  });
}

for (const f of FUZZ_CASES) {
  const format = fmt(f.format);
  // Fluent Bit's json parser: no regex to run
  if (format.type === 'json') continue;
  const seeds = f.seeds();
  addFormat(`fuzz: ${f.name}`, format, [...seeds, ...fuzzInputs(seeds.map((s) => Buffer.from(s)), caseRng(f.name)).map((b) => b.toString('utf8'))]);
}

for (const [rule, samples] of Object.entries(ONIGMO_SAMPLES)) {
  for (const [source, inputs] of samples) {
    const id = `toOnigmo ${rule}: ${source}`;
    // a pattern without named groups cannot parse anything: it runs as a grep filter, which keeps what it matches
    if (groupNames(source).length) add({ kind: 'parser', ids: [], parser: { name: 'x', format: 'regex', regex: toOnigmo(source) }, source, key: 'log', values: [], procs: [] }, id, inputs);
    else add({ kind: 'grep', ids: [], grep: { name: 'grep', regex: `$log ${toOnigmo(source)}` }, source, exclude: false, values: [] }, id, inputs);
  }
}

const CASES = [...byKey.values()];

// ---------------------------------------------------------------------------------------------------------------
// Checks: each returns what differs (empty: the case holds).

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return JSON.stringify(s.length > 240 ? `${s.slice(0, 240)}…` : s);
};

/** A double as Fluent Bit's JSON writes it (%.16g; integral values exact). */
const asWritten = (v: unknown): unknown => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(16)) : v);

/** Differences of a parser case: `time` ones come from the time lookup, the others from the regex and `types`. */
function checkParser(c: ParserCase, r: FbCaseResult): Array<{ time: boolean; text: string }> {
  const problems: Array<{ time: boolean; text: string }> = [];
  const differ = (time: boolean, text: string) => void problems.push({ time, text });
  const re = new RegExp(c.source);
  const out = new Map(r.records.map((x) => [x.index, x]));
  const timeKey = c.parser.time_format ? (c.parser.time_key ?? 'time') : undefined;
  let matched = 0;
  c.values.forEach((v, k) => {
    const got = out.get(k);
    const want = regexRecord(re, c.parser.types, v);
    const timeValue = timeKey ? want?.[timeKey] : undefined;
    // seen with a time Fluent Bit reads as an instant outside 1970..2038-01-19: its outputs skip such a record
    if (!got) return differ(timeValue !== undefined, `Fluent Bit lost the record of ${show(v)}${timeValue !== undefined ? ` (time field ${show(timeValue)})` : ''}`);
    if (!want) {
      if (!isDeepStrictEqual(got.fields, { [c.key]: v })) differ(false, `JS rejects ${show(v)}; Fluent Bit made ${show(got.fields)}`);
      return;
    }
    matched++;
    // a time field's own parser keeps its key (time_keep): that it read the value shows in the record's time
    const readsOwnKey = c.key === timeKey;
    if (c.key in got.fields && !readsOwnKey) return differ(false, `JS matches ${show(v)} as ${show(want)}; Fluent Bit did not parse it`);
    const expected = Object.fromEntries(Object.entries(want).map(([key, x]) => [key, asWritten(x)]));
    if (timeKey && timeValue !== undefined) {
      const doc = c.procs[k]?.parse(v);
      const at = doc?.ok && typeof doc.doc['@timestamp'] === 'string' ? doc.doc['@timestamp'] : undefined;
      const format = `${c.parser.time_format}${c.parser.time_offset ? ` ${c.parser.time_offset}` : ''}`;
      if (!(timeKey in got.fields)) {
        if (at) differ(true, `Fluent Bit cannot read the time ${show(timeValue)} (${format}) the processor reads as ${at}, in ${show(v)}`);
        // Fluent Bit drops a time field it cannot read; the generated parse steps then fail the line (parseSteps)
        delete expected[timeKey];
      } else if (at && Date.parse(at) !== got.time) {
        differ(true, `time ${show(timeValue)} (${format}): Fluent Bit ${new Date(got.time).toISOString()}, the processor ${at}`);
      }
    }
    if (!isDeepStrictEqual(got.fields, expected)) differ(false, `values differ for ${show(v)}: Fluent Bit ${show(got.fields)}, JS ${show(expected)}`);
  });
  if (matched === 0) differ(false, 'JS matches none of the values: the case would prove nothing');
  return problems;
}

function checkGrep(c: GrepCase, r: FbCaseResult): string[] {
  const problems: string[] = [];
  const re = new RegExp(c.source);
  const out = new Map(r.records.map((x) => [x.index, x]));
  let kept = 0;
  c.values.forEach((v, k) => {
    const keep = re.test(v) !== c.exclude;
    const got = out.get(k);
    if (keep) kept++;
    if (keep !== (got !== undefined)) problems.push(`${show(v)}: the processor's filter ${keep ? 'keeps' : 'drops'} it, Fluent Bit ${got ? 'kept' : 'dropped'} it`);
    else if (got && !isDeepStrictEqual(got.fields, grepRecord(c.grep, v))) problems.push(`${show(v)} came out as ${show(got.fields)}`);
  });
  // a generated filter is tested both ways (a toOnigmo sample may have one outcome only)
  if (c.ids.some((id) => !id.startsWith('toOnigmo ')) && (kept === 0 || kept === c.values.length)) problems.push(`the values do not make the filter both keep and drop (kept ${kept} of ${c.values.length})`);
  return problems;
}

function checkMultiline(c: MultilineCase, r: FbCaseResult): string[] {
  const want = events(c.values, c.firstLine);
  const got = r.records.map((x) => ({ index: x.index, text: x.fields.log, ...(Object.keys(x.fields).length > 1 ? { fields: x.fields } : {}) }));
  const problems: string[] = [];
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (!isDeepStrictEqual(want[i], got[i])) problems.push(`event ${i}: the processor ${show(want[i])}, Fluent Bit ${show(got[i])}`);
  }
  return problems;
}

/** What a test of a case checks: compilation and behaviour, or (timed parsers) the instants Fluent Bit reads. */
type Aspect = 'behaviour' | 'time';
function differences(c: Case, r: FbCaseResult, aspect: Aspect): string[] {
  if (c.kind === 'parser') return checkParser(c, r).filter((p) => p.time === (aspect === 'time')).map((p) => p.text);
  return c.kind === 'grep' ? checkGrep(c, r) : checkMultiline(c, r);
}
const regexesOf = (c: Case): string[] => (c.kind === 'parser' ? [c.parser.regex!] : c.kind === 'grep' ? [String(c.grep.regex ?? c.grep.exclude)] : c.multiline.rules.map((x) => x.regex));

function toFbCase(c: Case): FbCase {
  if (c.kind === 'parser') return { kind: 'parser', parser: c.parser, key: c.key, values: c.values };
  if (c.kind === 'grep') return { kind: 'grep', grep: c.grep, values: c.values };
  return { kind: 'multiline', multiline: c.multiline, values: c.values };
}

describe('every regex the agent generator writes, in the real Fluent Bit 4.2.2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'logtong-fb-regex-'));
  let results: FbCaseResult[];
  beforeAll(async () => {
    results = await runCases(CASES.map(toFbCase), dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('collects the examples, the unit-test formats, the fuzz cases and the toOnigmo samples', () => {
    const ids = CASES.flatMap((c) => c.ids);
    for (const p of examples) if (!jsonExamples.includes(p.name)) expect(ids.some((id) => id.startsWith(`example ${p.name}`))).toBe(true);
    for (const f of FORMATS) expect(ids).toContain(f.from);
    for (const f of FUZZ_CASES) if (f.format.type !== 'json') expect(ids).toContain(`fuzz: ${f.name}`);
    expect(ids.filter((id) => id.startsWith('toOnigmo '))).toHaveLength(Object.values(ONIGMO_SAMPLES).flat().length);
    for (const f of FILTERS) expect(ids.filter((id) => id.startsWith(`${f.from}: filter `))).toHaveLength(Object.values((f.logFormat.filters ?? {}) as Record<string, unknown[]>).flat().length);
    expect(ids.some((id) => id.startsWith('example edge-direct: filter exclude request_uri'))).toBe(true);
    expect(CASES.filter((c) => c.kind === 'multiline').length).toBeGreaterThan(10);
    expect(CASES.reduce((n, c) => n + c.values.length, 0)).toBeGreaterThan(40_000);
  });

  const TESTS = CASES.flatMap((c, i) => {
    const title = `${c.kind}: ${c.ids[0]}${c.ids.length > 1 ? ` (and ${c.ids.length - 1} more)` : ''}`;
    return [[title, i, 'behaviour'] as const, ...(c.kind === 'parser' && c.parser.time_format ? [[`${title}: time`, i, 'time'] as const] : [])];
  });
  it.each(TESTS)('%s', (_, i, aspect) => {
    const c = CASES[i];
    const r = results[i];
    expect({ regexes: regexesOf(c), compileError: r.compileError }).toEqual({ regexes: regexesOf(c), compileError: undefined });
    const found = differences(c, r, aspect);
    expect({ cases: c.ids, differences: found.length, first: found.slice(0, 8) }).toEqual({ cases: c.ids, differences: 0, first: [] });
  });
});
