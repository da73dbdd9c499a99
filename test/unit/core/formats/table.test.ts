/**
 * Table-driven test of format compilation across every log type (issue 3, "Tests"): each row is a format definition
 * a user would write for one of the tricky cases, one line it must parse (key fields checked) and one it must reject
 * (with a reason naming the problem).
 */
import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import { compileParser, recordBatches } from '../../../../lambda/core/formats';
import { isFailed, splitLines, type LineBatch } from '../../../../lambda/core/lines';
import { ok, reason } from '../parse-helpers';

interface Row {
  name: string;
  format: Record<string, unknown>;
  line: string;
  expected: Record<string, unknown>;
  bad: string;
  reason: string;
}

const TIME_LOCAL = '17/May/2015:10:05:03 +0000';
const SPRING_BOOT = '%d{yyyy-MM-dd HH:mm:ss.SSS} %5p ${PID} --- [%t] %-40.40logger{39} : %m%n';

const ROWS: Row[] = [
  // ---------------------------------------------------------------------------------------------------------- nginx
  {
    name: 'nginx: combined split over quoted chunks, IPv6 remote_addr',
    format: {
      type: 'nginx',
      format: `'$remote_addr - $remote_user [$time_local] ' '"$request" $status $body_bytes_sent ' '"$http_referer" "$http_user_agent"'`,
    },
    line: `2001:db8::1 - - [${TIME_LOCAL}] "GET /a?b=c HTTP/1.1" 200 12 "-" "curl/8.5"`,
    expected: { '@timestamp': '2015-05-17T10:05:03.000Z', remote_addr: '2001:db8::1', request_uri: '/a?b=c', status: 200, http_user_agent: 'curl/8.5' },
    bad: `2001:db8::1 - - [${TIME_LOCAL}] "GET /a HTTP/1.1" 2x0 12 "-" "curl/8.5"`,
    reason: 'status "2x0" is not an integer',
  },
  {
    name: 'nginx: combined (default), IPv6 loopback ::1',
    format: { type: 'nginx' },
    line: `::1 - alice [${TIME_LOCAL}] "POST /login HTTP/2.0" 302 0 "https://example.com/" "Mozilla/5.0 (X11)"`,
    expected: { remote_addr: '::1', remote_user: 'alice', request_method: 'POST', status: 302 },
    bad: `::1 - alice [${TIME_LOCAL}] "POST /login HTTP/2.0" 302 0 "https://example.com/"`,
    reason: 'does not match the nginx format at column',
  },
  {
    name: 'nginx: $time_iso8601, $host:$server_port, $request_time, $upstream_response_time list',
    format: { type: 'nginx', format: '$remote_addr [$time_iso8601] $host:$server_port "$request" $status $request_time $upstream_response_time' },
    line: '10.1.2.3 [2024-03-10T12:34:56+08:00] example.com:8443 "GET /x HTTP/2.0" 502 1.500 0.004, 0.010 : 0.200',
    expected: {
      '@timestamp': '2024-03-10T04:34:56.000Z',
      host: 'example.com',
      server_port: 8443,
      request_time: 1.5,
      upstream_response_time: 0.214, // one number per upstream tried, summed
    },
    bad: '10.1.2.3 [10/Mar/2024:12:34:56 +0800] example.com:8443 "GET /x HTTP/2.0" 200 0.014 -',
    reason: 'time_iso8601 "10/Mar/2024:12:34:56 +0800" does not match iso8601',
  },
  {
    name: 'nginx: $upstream_response_time "-" is null',
    format: { type: 'nginx', format: '$remote_addr [$time_iso8601] "$request" $status $upstream_response_time' },
    line: '10.1.2.3 [2024-03-10T12:34:56Z] "GET /x HTTP/1.1" 200 -',
    expected: { '@timestamp': '2024-03-10T12:34:56.000Z', status: 200, upstream_response_time: null },
    bad: '10.1.2.3 2024-03-10T12:34:56Z "GET /x HTTP/1.1" 200 -',
    reason: 'does not match the nginx format',
  },
  {
    name: 'nginx: $msec (epoch seconds with millis) is the time',
    format: { type: 'nginx', format: '$msec $remote_addr "$request" $status' },
    line: '1710074096.123 10.0.0.1 "GET / HTTP/1.1" 200',
    expected: { '@timestamp': '2024-03-10T12:34:56.123Z', msec: 1710074096.123, remote_addr: '10.0.0.1', status: 200 },
    bad: 'abc 10.0.0.1 "GET / HTTP/1.1" 200',
    reason: 'msec "abc" is not a number',
  },
  // --------------------------------------------------------------------------------------------------------- apache
  {
    name: 'apache: combined + %{X-Forwarded-For}i, escaped quotes in a quoted field',
    format: { type: 'apache', format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i"' },
    line: `10.0.0.1 - - [${TIME_LOCAL}] "GET /a HTTP/1.1" 200 12 "-" "Mozilla \\"quoted\\" agent" "203.0.113.9, 10.0.0.2"`,
    expected: {
      '@timestamp': '2015-05-17T10:05:03.000Z',
      remote_addr: '10.0.0.1',
      http_user_agent: 'Mozilla "quoted" agent',
      http_x_forwarded_for: '203.0.113.9, 10.0.0.2',
    },
    bad: `10.0.0.1 - - [${TIME_LOCAL}] "GET /a HTTP/1.1" 200 12 "-" "x"`,
    reason: 'does not match the apache format at column',
  },
  {
    name: 'apache: %{format}t (strftime, no brackets added) and %D',
    format: { type: 'apache', format: '%h %{%Y-%m-%d %H:%M:%S}t "%r" %>s %D' },
    line: '10.0.0.1 2015-05-17 10:05:03 "GET /a HTTP/1.1" 200 1234',
    expected: { '@timestamp': '2015-05-17T10:05:03.000Z', time_local: '2015-05-17 10:05:03', status: 200, request_time_us: 1234 },
    bad: '10.0.0.1 17/May/2015:10:05:03 "GET /a HTTP/1.1" 200 1234',
    reason: 'time_local "17/May/2015:10:05:03" does not match %Y-%m-%d %H:%M:%S',
  },
  {
    name: 'apache: [%{%d/%b/%Y %T}t] inside literal brackets',
    format: { type: 'apache', format: '%h [%{%d/%b/%Y %T}t] "%r" %>s %b' },
    line: '10.0.0.1 [17/May/2015 10:05:03] "GET /a HTTP/1.1" 404 -',
    expected: { '@timestamp': '2015-05-17T10:05:03.000Z', time_local: '17/May/2015 10:05:03', status: 404 },
    bad: '10.0.0.1 [17/May/2015 10:05] "GET /a HTTP/1.1" 404 -',
    reason: 'does not match %d/%b/%Y %T',
  },
  // ----------------------------------------------------------------------------------------------------------- json
  {
    name: 'json: nested time key by dotted path, nested objects kept',
    format: { type: 'json', timeKey: 'meta.time.ts' },
    line: '{"meta":{"time":{"ts":"2024-03-10T12:34:56.789Z"}},"msg":"hi","n":{"a":1}}',
    expected: { '@timestamp': '2024-03-10T12:34:56.789Z', msg: 'hi', n: { a: 1 }, meta: { time: { ts: '2024-03-10T12:34:56.789Z' } } },
    bad: '{"meta":{"time":{}},"msg":"hi"}',
    reason: 'time key meta.time.ts is missing',
  },
  {
    name: 'json: not JSON',
    format: { type: 'json' },
    line: '{"level":"info","count":3}',
    expected: { level: 'info', count: 3 },
    bad: '{"level":"info",',
    reason: 'invalid JSON',
  },
  // ---------------------------------------------------------------------------------------------------------- regex
  {
    name: 'regex: named groups, field types from config',
    format: { type: 'regex', regex: '^(?<ip>\\S+) (?<status>\\d{3}) (?<ms>\\d+)$', fields: { status: 'integer', ms: 'long' } },
    line: '10.0.0.1 200 15',
    expected: { ip: '10.0.0.1', status: 200, ms: 15 },
    bad: '10.0.0.1 abc 15',
    reason: 'does not match the regex',
  },
  // --------------------------------------------------------------------------------------------------------- syslog
  {
    name: 'syslog: RFC 5424 with structured data and BOM',
    format: { type: 'syslog' },
    line: '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] \uFEFFAn application event',
    expected: {
      '@timestamp': '2003-10-11T22:14:15.003Z',
      facility_name: 'local4',
      severity_name: 'notice',
      procid: null,
      structured_data: { 'exampleSDID@32473': { iut: '3', eventSource: 'Application' } },
      message: 'An application event',
    },
    bad: '<999>1 2003-10-11T22:14:15.003Z h a - - -',
    reason: 'PRI 999 out of range (0-191)',
  },
  {
    name: 'syslog: RFC 3164 with PRI',
    format: { type: 'syslog' },
    line: "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    expected: { facility: 4, severity: 2, hostname: 'mymachine', app_name: 'su', message: "'su root' failed for lonvick on /dev/pts/8" },
    bad: 'hello world',
    reason: 'not a syslog line',
  },
  {
    name: 'syslog: RFC 3164 without PRI, TAG with [pid]',
    format: { type: 'syslog' },
    line: 'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4',
    expected: { facility: null, hostname: 'combo', app_name: 'sshd(pam_unix)', procid: '19939' },
    bad: 'Jun 14 25:16:01 combo sshd[1]: x',
    reason: 'bad RFC 3164 timestamp "Jun 14 25:16:01"',
  },
  // ------------------------------------------------------------------------------------------------ single-line-text
  {
    name: 'single-line-text: Apache error log with a strptime timeFormat',
    format: {
      type: 'single-line-text',
      regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>[a-z]+)\\] (?<message>.*)$',
      timeKey: 'time',
      timeFormat: '%a %b %d %H:%M:%S %Y',
    },
    line: '[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties',
    expected: { '@timestamp': '2005-12-04T04:47:44.000Z', level: 'notice', message: 'workerEnv.init() ok /etc/httpd/conf/workers2.properties' },
    bad: '[Sunday 04 2005] [notice] x',
    reason: 'time "Sunday 04 2005" does not match %a %b %d %H:%M:%S %Y',
  },
  // ------------------------------------------------------------------------------------------------- multi-line-text
  {
    name: 'multi-line-text: Spring Boot default layout, stack trace joined',
    format: { type: 'multi-line-text', format: SPRING_BOOT, timeZone: 'Asia/Shanghai' },
    line:
      '2024-03-10 12:34:56.789 ERROR 12345 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() failed\n' +
      'java.lang.IllegalStateException: boom\n\tat com.example.Demo.run(Demo.java:42)',
    expected: {
      '@timestamp': '2024-03-10T04:34:56.789Z',
      level: 'ERROR',
      pid: 12345,
      thread: 'nio-8080-exec-1',
      message: 'Servlet.service() failed\njava.lang.IllegalStateException: boom\n\tat com.example.Demo.run(Demo.java:42)',
    },
    bad: '\tat com.example.Demo.run(Demo.java:42)',
    reason: 'does not match the layout',
  },
  {
    name: 'multi-line-text: Logback layout with %-5level [%thread] %logger',
    format: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger : %msg%n' },
    line: '2024-03-10 12:34:56.789 INFO  [main] com.example.Demo : Started Demo in 1.2 seconds',
    expected: { '@timestamp': '2024-03-10T12:34:56.789Z', level: 'INFO', thread: 'main', logger: 'com.example.Demo', message: 'Started Demo in 1.2 seconds' },
    bad: '2024-03-10 12:34:56 INFO [main] com.example.Demo : no millis',
    reason: 'does not match the layout',
  },
];

async function* once(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}

describe.each(ROWS)('$name', (row) => {
  const parser = compileParser(LogFormatSchema.parse(row.format));

  it('parses the matching line', () => {
    expect(ok(parser, row.line)).toMatchObject(row.expected);
  });

  it('rejects the non-matching line with a reason', () => {
    const why = reason(parser, row.bad);
    expect(why.length).toBeGreaterThan(0);
    expect(why).toContain(row.reason);
  });

  it('through splitLines (+ event assembly): one parsed, one failed record', async () => {
    let parsed = 0;
    let failed = 0;
    const docs: Array<Record<string, unknown>> = [];
    for await (const batch of recordBatches(parser, splitLines(once(`${row.bad}\n${row.line}\n`), { maxLineBytes: 1_048_576 })) as AsyncIterable<LineBatch>) {
      for (const e of batch) {
        if (isFailed(e)) failed++;
        else {
          const r = parser.parse(e.text);
          if (r.ok) {
            parsed++;
            docs.push(r.doc);
          } else failed++;
        }
      }
    }
    expect({ parsed, failed }).toEqual({ parsed: 1, failed: 1 });
    expect(docs[0]).toMatchObject(row.expected);
  });
});
