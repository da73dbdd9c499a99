import { readFileSync } from 'node:fs';
import { LogFormatSchema, type LogFormat } from '../../../../lambda/core/config/log-format';
import {
  MultilineAssembler,
  assembleBatches,
  compileMultiLineText,
  compileSingleLineText,
  layoutToRegex,
  type AssembledEntry,
  type MultiLineTextParser,
} from '../../../../lambda/core/formats/text';
import { javaTimeToStrptime, toStrptimeFormat } from '../../../../lambda/core/java-time';
import { isFailed, splitLines, type FailedLine, type LineBatch, type LineEntry } from '../../../../lambda/core/lines';
import { corpusPath } from '../../../corpora';
import { HADOOP, SPARK, SPRING, SPRING3, ZOOKEEPER } from '../../../fixtures/formats';
import { ok, reason } from '../parse-helpers';

const fmt = (f: Record<string, unknown>): LogFormat => LogFormatSchema.parse(f);

// ---------------------------------------------------------------------------------------------------------------

describe('javaTimeToStrptime', () => {
  it.each([
    ['yyyy-MM-dd HH:mm:ss.SSS', '%Y-%m-%d %H:%M:%S.%L'],
    ['yyyy-MM-dd HH:mm:ss,SSS', '%Y-%m-%d %H:%M:%S,%L'],
    ['yy/MM/dd HH:mm:ss', '%y/%m/%d %H:%M:%S'],
    ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", '%Y-%m-%dT%H:%M:%S.%L%z'],
    ['dd MMM yyyy HH:mm:ss Z', '%d %b %Y %H:%M:%S %z'],
    ['EEE MMM d hh:mm:ss a yyyy', '%a %b %d %I:%M:%S %p %Y'],
    ["yyyy-MM-dd HH:mm:ss.SSSSSS '%'", '%Y-%m-%d %H:%M:%S.%f %%'],
    ['ISO8601', '%Y-%m-%d %H:%M:%S,%L'],
  ])('%s → %s', (java, strp) => expect(javaTimeToStrptime(java)).toBe(strp));

  it('keeps strptime and special formats', () => {
    expect(toStrptimeFormat('%a %b %d %H:%M:%S %Y')).toBe('%a %b %d %H:%M:%S %Y');
    expect(toStrptimeFormat('iso8601')).toBe('iso8601');
    expect(toStrptimeFormat('epoch_ms')).toBe('epoch_ms');
  });

  it('rejects unknown pattern letters and unterminated quotes', () => {
    expect(() => javaTimeToStrptime('yyyy-MM-dd qq')).toThrow(/unsupported pattern letter q/);
    expect(() => javaTimeToStrptime("yyyy 'T")).toThrow(/unterminated quote/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface LayoutCase {
  name: string;
  layout: string;
  line: string;
  expected: Record<string, unknown>;
  bad: string;
  timeZone?: string;
}

const LAYOUTS: LayoutCase[] = [
  {
    name: 'issue example',
    layout: '%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger : %msg%n',
    line: '2024-03-01 12:00:00.123 INFO  [main] com.example.App : Started App in 2.1 seconds',
    expected: { '@timestamp': '2024-03-01T12:00:00.123Z', level: 'INFO', thread: 'main', logger: 'com.example.App', message: 'Started App in 2.1 seconds' },
    bad: '2024-03-01 12:00:00 INFO  [main] com.example.App : no millis',
  },
  {
    name: 'Spark',
    layout: SPARK,
    line: '17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]',
    expected: { '@timestamp': '2017-06-09T20:10:40.000Z', time: '17/06/09 20:10:40', level: 'INFO', logger: 'executor.CoarseGrainedExecutorBackend', message: 'Registered signal handlers for [TERM, HUP, INT]' },
    bad: '2017-06-09 20:10:40 INFO executor.X: y',
  },
  {
    name: 'Hadoop (thread with spaces, message with colons)',
    layout: HADOOP,
    line: '2015-10-18 18:01:51,775 INFO [Socket Reader #1 for port 62260] org.apache.hadoop.ipc.Server: Starting: Socket Reader',
    expected: { level: 'INFO', thread: 'Socket Reader #1 for port 62260', logger: 'org.apache.hadoop.ipc.Server', message: 'Starting: Socket Reader' },
    bad: '2015-10-18 18:01:51,775 INFO org.apache.hadoop.ipc.Server: no thread',
  },
  {
    name: 'Zookeeper (thread with colons and brackets, padded level, line number)',
    layout: ZOOKEEPER,
    line: '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200',
    expected: { level: 'INFO', thread: 'QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181', class: 'FastLeaderElection', line: 774, message: 'Notification time out: 3200' },
    bad: '2015-07-29 17:41:44,747 - INFO  [QuorumPeer:FastLeaderElection] - no line number',
  },
  {
    name: 'Zookeeper thread ending in a colon',
    layout: ZOOKEEPER,
    line: '2015-08-10 18:12:34,004 - INFO  [ProcessThread(sid:3 cport:-1)::PrepRequestProcessor@476] - Processed session termination',
    expected: { thread: 'ProcessThread(sid:3 cport:-1):', class: 'PrepRequestProcessor', line: 476 },
    bad: '2015-08-10 18:12:34,004 - INFO  [ProcessThread::PrepRequestProcessor@476] -- wrong separator',
  },
  {
    name: 'Spring Boot default console layout',
    layout: SPRING,
    line: '2024-01-15 10:23:45.123  INFO 12345 --- [           main] com.example.demo.DemoApplication         : Starting DemoApplication',
    expected: { '@timestamp': '2024-01-15T10:23:45.123Z', level: 'INFO', pid: 12345, thread: 'main', logger: 'com.example.demo.DemoApplication', message: 'Starting DemoApplication' },
    bad: '2024-01-15 10:23:45.123  INFO --- [main] com.example.demo.DemoApplication : no pid',
  },
  {
    name: 'Spring Boot 3 layout with %clr, ${…:-default} and XXX offset',
    layout: SPRING3,
    line: '2024-01-15T10:23:45.123+08:00 ERROR 777 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() failed',
    expected: { '@timestamp': '2024-01-15T02:23:45.123Z', level: 'ERROR', pid: 777, thread: 'nio-8080-exec-1', logger: 'o.a.c.c.C.[.[.[/].[dispatcherServlet]', message: 'Servlet.service() failed' },
    bad: '2024-01-15 10:23:45.123 ERROR 777 --- [main] x : no T',
  },
  {
    name: '%date{ISO8601}, %le, %lo, %message, MDC',
    layout: '%date{ISO8601} [%t] %le %lo{36} [%X{traceId},%X{spanId}] - %message%n',
    line: '2024-02-29 23:59:59,999 [worker 1] WARN c.e.Svc [abc123,] - slow: 5s',
    expected: { '@timestamp': '2024-02-29T23:59:59.999Z', thread: 'worker 1', level: 'WARN', logger: 'c.e.Svc', mdc_traceId: 'abc123', mdc_spanId: '', message: 'slow: 5s' },
    bad: '2024-02-29 23:59:59,999 [worker 1] WARN c.e.Svc - no mdc',
  },
  {
    name: 'default %d, class/method/file/line, relative time',
    layout: '%d %r %C.%M(%F:%L) - %m%n',
    line: '2024-05-05 05:05:05,005 1234 com.example.Foo$Bar.doIt(Foo.java:42) - hello',
    expected: { '@timestamp': '2024-05-05T05:05:05.005Z', relative: 1234, class: 'com.example.Foo$Bar', method: 'doIt', file: 'Foo.java', line: 42, message: 'hello' },
    bad: '2024-05-05 05:05:05,005 1234 com.example.Foo.doIt - hello',
  },
  {
    name: 'log4j unknown line number "?"',
    layout: '%d{yyyy-MM-dd HH:mm:ss} %p %c{1}:%L - %m%n',
    line: '2024-05-05 05:05:05 DEBUG Main:? - x',
    expected: { logger: 'Main', line: null, message: 'x' },
    bad: '2024-05-05 05:05:05 DEBUG Main:abc - x',
  },
  {
    name: 'quoted pattern with a comma and a time zone; %pid; literal regex characters and %%',
    layout: '%d{"yyyy-MM-dd HH:mm:ss,SSS", Asia/Shanghai} (%pid) *%p* 100%% %m',
    line: '2024-01-01 08:00:00,000 (42) *INFO* 100% done (ok)',
    expected: { '@timestamp': '2024-01-01T00:00:00.000Z', pid: 42, level: 'INFO', message: 'done (ok)' },
    bad: '2024-01-01 08:00:00,000 (42) INFO 100% done',
  },
  {
    name: 'unquoted pattern, time zone after the comma',
    layout: '%d{yyyy-MM-dd HH:mm:ss, America/New_York} %-5p %m',
    line: '2024-07-04 12:00:00 WARN  fireworks',
    expected: { '@timestamp': '2024-07-04T16:00:00.000Z', level: 'WARN', message: 'fireworks' },
    bad: '2024-07-04T12:00:00 WARN  fireworks',
  },
  {
    name: 'width and truncation modifiers: %20.30c, %.10t, %-5level, %highlight()',
    layout: '%d{HH:mm:ss.SSS yyyy-MM-dd} %highlight(%-5level) %20.30c [%.10t] %m',
    line: '10:00:00.000 2024-01-01 DEBUG             a.b.C [main] m',
    expected: { level: 'DEBUG', logger: 'a.b.C', thread: 'main', message: 'm' },
    bad: '10:00:00.000 2024-01-01 DEBUG a.b.C main m',
  },
  {
    name: 'message in the middle, escaped characters',
    layout: '%d{yyyy-MM-dd HH:mm:ss} %m \\(%c\\)%n',
    line: '2024-01-01 00:00:00 a (b) c (x.Y)',
    expected: { message: 'a (b) c', logger: 'x.Y' },
    bad: '2024-01-01 00:00:00 a b c',
  },
];

describe('layoutToRegex', () => {
  it.each(LAYOUTS)('$name', ({ layout, line, expected, bad }) => {
    const compiled = layoutToRegex(layout);
    const re = new RegExp(compiled.regex);
    expect(re.test(line)).toBe(true);
    expect(re.test(bad)).toBe(false);
    // the schema wants a regex for single-line-text; the parser also takes a layout
    const q = compileSingleLineText({ ...fmt({ type: 'multi-line-text', format: layout }), type: 'single-line-text' });
    const doc = ok(q, line);
    for (const [k, v] of Object.entries(expected)) expect([k, doc[k]]).toEqual([k, v]);
    expect(reason(q, bad)).toMatch(/does not match the layout/);
    const m = compileMultiLineText(fmt({ type: 'multi-line-text', format: layout }));
    expect(m.multiline.firstLine.test(line)).toBe(true);
    expect(m.multiline.firstLine.test(bad)).toBe(false);
  });

  it('reports fields, time key and the Java time pattern', () => {
    expect(layoutToRegex(ZOOKEEPER)).toEqual({
      regex: expect.any(String),
      fields: ['time', 'level', 'thread', 'class', 'line', 'message'],
      timeKey: 'time',
      timeFormat: 'yyyy-MM-dd HH:mm:ss,SSS',
    });
    expect(layoutToRegex('%d{HH:mm:ss, UTC} %m').timeZone).toBe('UTC');
    expect(layoutToRegex('%d %m').timeFormat).toBe('yyyy-MM-dd HH:mm:ss,SSS');
    expect(layoutToRegex('%d %d{yyyy} %m').fields).toEqual(['time', 'time_2', 'message']);
    expect(layoutToRegex('%-5p %m').timeKey).toBeUndefined();
  });

  it.each([
    ['%d %foo %m', /unknown conversion word %foo at position 3/],
    ['%d %replace(%m){a, b}', /composite conversion %replace\(…\) is not supported/],
    ['%d ${APP_NAME} %m', /unknown property \$\{APP_NAME\}/],
    ['%d{yyyy-MM-dd qq} %m', /unsupported pattern letter q/],
    ['%d{yyyy %m', /unterminated \{/],
    ['%d %clr(%m', /unbalanced \(/],
    ['%d %-5 %m', /% without a conversion word/],
    ['literal only%n', /has no conversion that produces a field/],
    ['%d %m - %msg', /%msg appears more than once/],
  ])('rejects %s', (layout, err) => expect(() => layoutToRegex(layout)).toThrow(err));

  it('a layout without a year cannot make @timestamp (compile error)', () => {
    expect(() => compileMultiLineText(fmt({ type: 'multi-line-text', format: '%d{HH:mm:ss.SSS} %m' }))).toThrow(/no year/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('single-line-text with a user regex', () => {
  const p = compileSingleLineText(
    fmt({
      type: 'single-line-text',
      regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>\\w+)\\] (?<message>.*)$',
      timeKey: 'time',
      timeFormat: 'yyyy-MM-dd HH:mm:ss',
      timeZone: 'Asia/Shanghai',
      fields: { level: 'keyword' },
    }),
  );
  it('reads a Java time format in the zone', () => {
    expect(ok(p, '[2024-01-01 08:00:00] [info] x')).toEqual({ '@timestamp': '2024-01-01T00:00:00.000Z', time: '2024-01-01 08:00:00', level: 'info', message: 'x' });
    expect(reason(p, '[2024-13-01 08:00:00] [info] x')).toBe('time "2024-13-01 08:00:00" does not match yyyy-MM-dd HH:mm:ss');
    expect(reason(p, 'nope')).toBe('does not match the regex');
  });
  it('types fields', () => {
    const q = compileSingleLineText(fmt({ type: 'single-line-text', regex: '^(?<n>\\S+) (?<rest>.*)$', fields: { n: 'integer' } }));
    expect(q.fields).toEqual({ '@timestamp': 'date', n: 'integer', rest: 'keyword' });
    expect(ok(q, '12 a')).toEqual({ n: 12, rest: 'a' });
    expect(ok(q, '- a')).toEqual({ n: null, rest: 'a' });
    expect(reason(q, 'x a')).toBe('n "x" is not an integer');
  });
  it('rejects a timeKey that is not a group', () => {
    expect(() => compileSingleLineText(fmt({ type: 'single-line-text', regex: '(?<a>.*)', timeKey: 'b' }))).toThrow(/timeKey "b" is not a field of the regex/);
    expect(() => compileSingleLineText(fmt({ type: 'single-line-text', regex: '(.*)' }))).toThrow(/no named groups/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Corpora

async function* once(buf: Buffer): AsyncIterable<Buffer> {
  // a few chunks, so that events span batch boundaries
  for (let i = 0; i < buf.length; i += 7919) yield buf.subarray(i, i + 7919);
}

async function collect(it: AsyncIterable<LineBatch>): Promise<LineEntry[]> {
  const out: LineEntry[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

interface CorpusRun {
  lines: number;
  events: AssembledEntry[];
  docs: Array<{ lineNo: number; doc: Record<string, unknown> }>;
  failed: FailedLine[];
}

/** Object body → splitLines → assembler → parser, as the processor does. */
async function runMultiline(file: string, p: MultiLineTextParser): Promise<CorpusRun> {
  const buf = readFileSync(corpusPath(file));
  const lines = (await collect(splitLines(once(buf), { maxLineBytes: 1_048_576 }))).length;
  const entries = await collect(assembleBatches(splitLines(once(buf), { maxLineBytes: 1_048_576 }), p.multiline.createAssembler()));
  const docs: CorpusRun['docs'] = [];
  const failed: FailedLine[] = [];
  for (const e of entries) {
    if (isFailed(e)) {
      failed.push(e);
      continue;
    }
    const r = p.parse(e.text);
    if (r.ok) docs.push({ lineNo: e.lineNo, doc: r.doc });
    else failed.push({ lineNo: e.lineNo, raw: e.text, reason: r.reason });
  }
  return { lines, events: entries as AssembledEntry[], docs, failed };
}

function countBy(docs: CorpusRun['docs'], key: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { doc } of docs) out[String(doc[key])] = (out[String(doc[key])] ?? 0) + 1;
  return out;
}

describe('corpora (multi-line-text with the log4j layouts)', () => {
  it('Spark: 2000 lines, all single-line events, in Asia/Shanghai', async () => {
    const p = compileMultiLineText(fmt({ type: 'multi-line-text', format: SPARK, timeZone: 'Asia/Shanghai' }));
    const r = await runMultiline('loghub_Spark_2k.log', p);
    expect(r.lines).toBe(2000);
    expect(r.failed).toEqual([]);
    expect(r.docs).toHaveLength(2000);
    expect(r.events.every((e) => !isFailed(e) && (e as { lines: number }).lines === 1)).toBe(true);
    expect(countBy(r.docs, 'level')).toEqual({ INFO: 2000 });
    expect(r.docs[0]).toEqual({
      lineNo: 1,
      doc: {
        '@timestamp': '2017-06-09T12:10:40.000Z',
        time: '17/06/09 20:10:40',
        level: 'INFO',
        logger: 'executor.CoarseGrainedExecutorBackend',
        message: 'Registered signal handlers for [TERM, HUP, INT]',
      },
    });
    expect(r.docs[1999].doc).toMatchObject({ '@timestamp': '2017-06-09T12:11:11.000Z', logger: 'storage.BlockManager', message: 'Found block rdd_42_32 locally' });
    expect(p.fields).toEqual({ '@timestamp': 'date', time: 'keyword', level: 'keyword', logger: 'keyword', message: 'text' });
  });

  it('Hadoop: 2000 lines (last without a line break), threads with spaces, in UTC', async () => {
    const p = compileMultiLineText(fmt({ type: 'multi-line-text', format: HADOOP }));
    const r = await runMultiline('loghub_Hadoop_2k.log', p);
    expect(r.lines).toBe(2000);
    expect(r.failed).toEqual([]);
    expect(r.docs).toHaveLength(2000);
    expect(countBy(r.docs, 'level')).toEqual({ INFO: 1040, WARN: 808, ERROR: 150, FATAL: 2 });
    expect(r.docs[0].doc).toEqual({
      '@timestamp': '2015-10-18T18:01:47.978Z',
      time: '2015-10-18 18:01:47,978',
      level: 'INFO',
      thread: 'main',
      logger: 'org.apache.hadoop.mapreduce.v2.app.MRAppMaster',
      message: 'Created MRAppMaster for application appattempt_1445144423722_0020_000001',
    });
    const fatal = r.docs.find((d) => d.lineNo === 1020)!.doc;
    expect(fatal).toMatchObject({ level: 'FATAL', thread: 'IPC Server handler 13 on 62270', logger: 'org.apache.hadoop.mapred.TaskAttemptListenerImpl' });
    expect(fatal.message).toMatch(/^Task: attempt_1445144423722_0020_m_000002_0 - exited : java\.net\.NoRouteToHostException/);
    expect(r.docs.find((d) => d.lineNo === 30)!.doc.thread).toBe('Socket Reader #1 for port 62260');
    expect(r.docs[1999].lineNo).toBe(2000);
  });

  it('Zookeeper: 2000 lines, odd threads, trailing spaces kept, in America/New_York (EDT)', async () => {
    const p = compileMultiLineText(fmt({ type: 'multi-line-text', format: ZOOKEEPER, timeZone: 'America/New_York' }));
    const r = await runMultiline('loghub_Zookeeper_2k.log', p);
    expect(r.lines).toBe(2000);
    expect(r.failed).toEqual([]);
    expect(r.docs).toHaveLength(2000);
    expect(countBy(r.docs, 'level')).toEqual({ INFO: 669, WARN: 1318, ERROR: 13 });
    expect(r.docs[0].doc).toEqual({
      '@timestamp': '2015-07-29T21:41:44.747Z',
      time: '2015-07-29 17:41:44,747',
      level: 'INFO',
      thread: 'QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181',
      class: 'FastLeaderElection',
      line: 774,
      message: 'Notification time out: 3200',
    });
    expect(r.docs.find((d) => d.lineNo === 506)!.doc).toMatchObject({ level: 'ERROR', thread: 'CommitProcessor:1', class: 'NIOServerCnxn', line: 180, message: 'Unexpected Exception: ' });
    expect(r.docs.filter((d) => (d.doc.message as string).endsWith(' '))).toHaveLength(292);
    expect(r.docs[1999].doc).toMatchObject({ thread: 'ProcessThread(sid:3 cport:-1):', class: 'PrepRequestProcessor', line: 476 });
    expect(p.fields.line).toBe('integer');
  });

  it('Apache error log: single-line-text with a user regex and a strptime time format', async () => {
    const p = compileSingleLineText(
      fmt({
        type: 'single-line-text',
        regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>\\w+)\\] (?:\\[client (?<client>[^\\]]+)\\] )?(?<message>.*)$',
        timeKey: 'time',
        timeFormat: '%a %b %d %H:%M:%S %Y',
        timeZone: 'Europe/Paris',
        fields: { client: 'ip' },
      }),
    );
    const entries = await collect(splitLines(once(readFileSync(corpusPath('loghub_Apache_2k.log'))), { maxLineBytes: 1_048_576 }));
    expect(entries).toHaveLength(2000);
    const docs: Array<Record<string, unknown>> = [];
    const failed: string[] = [];
    for (const e of entries) {
      if (isFailed(e)) failed.push(e.reason);
      else {
        const r = p.parse(e.text);
        if (r.ok) docs.push(r.doc);
        else failed.push(r.reason);
      }
    }
    expect(failed).toEqual([]);
    expect(docs).toHaveLength(2000);
    const levels: Record<string, number> = {};
    for (const d of docs) levels[d.level as string] = (levels[d.level as string] ?? 0) + 1;
    expect(levels).toEqual({ notice: 1405, error: 595 });
    expect(docs.filter((d) => d.client !== null)).toHaveLength(32);
    expect(docs[0]).toEqual({
      '@timestamp': '2005-12-04T03:47:44.000Z',
      time: 'Sun Dec 04 04:47:44 2005',
      level: 'notice',
      client: null,
      message: 'workerEnv.init() ok /etc/httpd/conf/workers2.properties',
    });
    expect(docs[131]).toMatchObject({ '@timestamp': '2005-12-04T04:15:09.000Z', level: 'error', client: '222.166.160.184', message: 'Directory index forbidden by rule: /var/www/html/' });
    expect(docs[1999]).toMatchObject({ '@timestamp': '2005-12-05T18:15:57.000Z', message: 'mod_jk child workerEnv in error state 6' });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Multi-line events

const SPRING_LOG = `2024-01-15 10:23:45.100  INFO 4242 --- [           main] com.example.demo.DemoApplication         : Starting DemoApplication
2024-01-15 10:23:46.200 ERROR 4242 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception
java.lang.IllegalStateException: Failed to load order 42
\tat com.example.demo.OrderService.load(OrderService.java:57)
\tat com.example.demo.OrderController.get(OrderController.java:31)
\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available
\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)
\t... 12 more

2024-01-15 10:23:47.300  WARN 4242 --- [   scheduling-1] c.e.demo.Jobs                            : retrying`;

function lineEntries(text: string): LineEntry[] {
  const out: LineEntry[] = [];
  text.split('\n').forEach((t, i) => {
    if (t !== '') out.push({ lineNo: i + 1, text: t });
  });
  return out;
}

function assemble(a: MultilineAssembler, entries: LineEntry[]): AssembledEntry[] {
  const out: AssembledEntry[] = [];
  for (const e of entries) out.push(...a.push(e));
  out.push(...a.flush());
  return out;
}

/** Every input line number is in exactly one output entry (events cover lineNo..endLineNo minus the failed ones). */
function expectCoverage(input: LineEntry[], out: AssembledEntry[]): void {
  const covered = new Map<number, number>();
  let joined = 0;
  const failedNos = new Set(out.filter(isFailed).map((f) => f.lineNo));
  for (const e of out) {
    if (isFailed(e)) covered.set(e.lineNo, (covered.get(e.lineNo) ?? 0) + 1);
    else {
      joined += e.lines;
      expect(e.text.split('\n')).toHaveLength(e.lines);
      for (let n = e.lineNo; n <= e.endLineNo; n++) if (!failedNos.has(n)) covered.set(n, (covered.get(n) ?? 0) + 1);
    }
  }
  expect(joined + failedNos.size).toBe(input.length);
  expect([...covered.keys()].sort((a, b) => a - b)).toEqual(input.map((e) => e.lineNo));
  expect([...covered.values()].every((c) => c === 1)).toBe(true);
}

describe('MultilineAssembler and the multi-line parser', () => {
  const p = compileMultiLineText(fmt({ type: 'multi-line-text', format: SPRING, timeZone: 'Europe/Berlin' }));

  it('joins a Java stack trace (Caused by, ... 12 more) into one event; message holds the whole trace', () => {
    const input = lineEntries(SPRING_LOG);
    const out = assemble(p.multiline.createAssembler(), input);
    expectCoverage(input, out);
    expect(out.map((e) => (isFailed(e) ? 'failed' : [e.lineNo, e.lines, e.endLineNo]))).toEqual([
      [1, 1, 1],
      [2, 8, 9], // the empty line 10 is skipped (as splitLines does) and the event ends at 9
      [11, 1, 11],
    ]);
    const ev = out[1] as { text: string };
    const doc = ok(p, ev.text);
    expect(doc).toEqual({
      '@timestamp': '2024-01-15T09:23:46.200Z',
      time: '2024-01-15 10:23:46.200',
      level: 'ERROR',
      pid: 4242,
      thread: 'nio-8080-exec-1',
      logger: 'o.a.c.c.C.[.[.[/].[dispatcherServlet]',
      message: [
        'Servlet.service() for servlet [dispatcherServlet] threw exception',
        'java.lang.IllegalStateException: Failed to load order 42',
        '\tat com.example.demo.OrderService.load(OrderService.java:57)',
        '\tat com.example.demo.OrderController.get(OrderController.java:31)',
        '\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)',
        'Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available',
        '\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)',
        '\t... 12 more',
      ].join('\n'),
    });
    expect(ok(p, (out[0] as { text: string }).text).message).toBe('Starting DemoApplication');
    expect(p.fields).toEqual({ '@timestamp': 'date', time: 'keyword', level: 'keyword', pid: 'integer', thread: 'keyword', logger: 'keyword', message: 'text' });
  });

  it('orphan continuation lines before the first event are failed records', () => {
    const input = lineEntries(['\tat a.B.c(B.java:1)', 'Caused by: x', SPRING_LOG.split('\n')[0]].join('\n'));
    const out = assemble(p.multiline.createAssembler(), input);
    expectCoverage(input, out);
    expect(out).toEqual([
      { lineNo: 1, raw: '\tat a.B.c(B.java:1)', reason: 'continuation line without an event start before it (does not match the first-line pattern)' },
      { lineNo: 2, raw: 'Caused by: x', reason: expect.stringMatching(/^continuation line without an event start/) },
      { lineNo: 3, text: SPRING_LOG.split('\n')[0], lines: 1, endLineNo: 3 },
    ]);
  });

  it('maxLines cuts an event; the excess lines are failed records with a reason', () => {
    const q = compileMultiLineText(fmt({ type: 'multi-line-text', format: SPRING }), { maxLines: 3 });
    const input = lineEntries(SPRING_LOG);
    const out = assemble(q.multiline.createAssembler(), input);
    expectCoverage(input, out);
    const ev = out.find((e) => !isFailed(e) && e.lineNo === 2) as { lines: number; text: string; endLineNo: number };
    expect(ev.lines).toBe(3);
    expect(ev.endLineNo).toBe(4);
    const failed = out.filter(isFailed);
    expect(failed.map((f) => f.lineNo)).toEqual([5, 6, 7, 8, 9]);
    expect(failed[0]).toEqual({ lineNo: 5, raw: '\tat com.example.demo.OrderController.get(OrderController.java:31)', reason: 'the event at line 2 exceeds maxEventLines (3): continuation line cut from it' });
    expect(ok(q, ev.text).message).toMatch(/threw exception\njava\.lang\.IllegalStateException.*\n\tat com\.example\.demo\.OrderService/);
  });

  it('maxBytes (default: logFormat.maxLineBytes) cuts an event; later continuation lines stay failed', () => {
    const q = compileMultiLineText(fmt({ type: 'multi-line-text', format: SPRING, maxLineBytes: 1024 }));
    expect(q.multiline.maxBytes).toBe(1024);
    const first = '2024-01-15 10:23:46.200 ERROR 1 --- [main] x.Y : boom';
    const input = lineEntries([first, 'a'.repeat(500), 'é'.repeat(300), 'short', 'x'].join('\n')); // é is 2 bytes
    const out = assemble(q.multiline.createAssembler(), input);
    expectCoverage(input, out);
    // failed lines are emitted at once; the (cut) event when it closes
    expect(out[3]).toEqual({ lineNo: 1, text: `${first}\n${'a'.repeat(500)}`, lines: 2, endLineNo: 2 });
    expect(out.slice(0, 3)).toEqual([3, 4, 5].map((n) => ({ lineNo: n, raw: expect.any(String), reason: 'the event at line 1 exceeds maxEventBytes (1024): continuation line cut from it' })));
    const big = new MultilineAssembler(() => true, { maxBytes: 10 });
    expect(big.push({ lineNo: 7, text: '12345678901' })).toEqual([{ lineNo: 7, raw: '12345678901', reason: 'event first line is 11 bytes, longer than maxEventBytes (10)' }]);
    expect(big.flush()).toEqual([]);
  });

  it('a line cut from an event, or too long to open one, is kept whole in its failed record', () => {
    const long = `2024-01-15 10:23:46.200 ERROR 1 --- [main] x.Y : ${'z'.repeat(200_000)}`;
    const a = new MultilineAssembler((t) => t.startsWith('2024'), { maxBytes: 100_000 });
    expect(a.push({ lineNo: 1, text: long })).toEqual([{ lineNo: 1, raw: long, reason: `event first line is ${long.length} bytes, longer than maxEventBytes (100000)` }]);
    const b = new MultilineAssembler((t) => t.startsWith('2024'), { maxBytes: 150_000 });
    b.push({ lineNo: 1, text: '2024 start' });
    const cont = `\t${'y'.repeat(160_000)}`;
    expect(b.push({ lineNo: 2, text: cont })).toEqual([{ lineNo: 2, raw: cont, reason: expect.stringContaining('continuation line cut from it') }]);
  });

  it('logFormat.maxEventLines and maxEventBytes bound the events of a pipeline', () => {
    const q = compileMultiLineText(fmt({ type: 'multi-line-text', format: SPRING, maxEventLines: 3, maxEventBytes: 2048 }));
    expect([q.multiline.maxLines, q.multiline.maxBytes]).toEqual([3, 2048]);
    const input = lineEntries(SPRING_LOG);
    const out = assemble(q.multiline.createAssembler(), input);
    expectCoverage(input, out);
    expect(out.filter(isFailed).map((f) => f.lineNo)).toEqual([5, 6, 7, 8, 9]);
    expect(compileMultiLineText(fmt({ type: 'multi-line-text', format: SPRING })).multiline.maxLines).toBe(1000);
  });

  it('upstream failed entries pass through; the open event stays open', () => {
    const a = p.multiline.createAssembler();
    const lines = SPRING_LOG.split('\n');
    const input: LineEntry[] = [
      { lineNo: 1, text: lines[1] },
      { lineNo: 2, raw: '\uFFFD', reason: 'not valid UTF-8' },
      { lineNo: 3, text: lines[2] },
    ];
    const out = assemble(a, input);
    expect(out).toEqual([input[1], { lineNo: 1, text: `${lines[1]}\n${lines[2]}`, lines: 2, endLineNo: 3 }]);
    expectCoverage(input, out);
  });

  it('assembleBatches carries events across batches and flushes at the end', async () => {
    const input = lineEntries(SPRING_LOG);
    async function* batches(): AsyncIterable<LineBatch> {
      for (const e of input) yield [e];
    }
    const out = await collect(assembleBatches(batches(), p.multiline.createAssembler()));
    expect(out.map((e) => e.lineNo)).toEqual([1, 2, 11]);
  });

  it('a custom first-line regex without a message group: message is the continuation', () => {
    const q = compileMultiLineText(fmt({ type: 'multi-line-text', regex: '^(?<ts>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}) (?<level>[A-Z]+)', timeKey: 'ts', timeFormat: '%Y-%m-%d %H:%M:%S' }));
    expect(q.fields).toEqual({ '@timestamp': 'date', ts: 'keyword', level: 'keyword', message: 'text' });
    expect(ok(q, '2024-01-01 00:00:00 INFO hi\nmore')).toEqual({ '@timestamp': '2024-01-01T00:00:00.000Z', ts: '2024-01-01 00:00:00', level: 'INFO', message: 'more' });
    expect(ok(q, '2024-01-01 00:00:00 INFO hi')).toMatchObject({ message: null });
    expect(reason(q, 'x\n2024-01-01 00:00:00 INFO')).toBe('first line does not match the regex');
    expect(reason(q, '2024-02-30 00:00:00 INFO')).toBe('ts "2024-02-30 00:00:00" does not match %Y-%m-%d %H:%M:%S');
  });

  it('a CR left at the end of the first line is ignored', () => {
    expect(ok(p, `${SPRING_LOG.split('\n')[0]}\r\nnext`).message).toBe('Starting DemoApplication\nnext');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Fuzz

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('fuzz', () => {
  const layouts = [SPARK, HADOOP, ZOOKEEPER, SPRING, SPRING3];
  const samples = [...SPRING_LOG.split('\n'), ...LAYOUTS.map((c) => c.line), ...LAYOUTS.map((c) => c.bad)];
  const ALPHABET = ' \t:[]().,-@%$0123456789aZé\u0000\uFFFD\r';

  function mutate(s: string, r: () => number): string {
    let out = s;
    const n = 1 + Math.floor(r() * 4);
    for (let k = 0; k < n; k++) {
      const i = Math.floor(r() * (out.length + 1));
      const c = ALPHABET[Math.floor(r() * ALPHABET.length)];
      const op = r();
      if (op < 0.33) out = out.slice(0, i) + c + out.slice(i);
      else if (op < 0.66) out = out.slice(0, i) + out.slice(i + 1);
      else out = out.slice(0, i) + c + out.slice(i + 1);
    }
    return out;
  }

  it('random lines and mutations never throw; events + failed cover every line', () => {
    const r = rng(1234);
    for (const layout of layouts) {
      const m = compileMultiLineText(fmt({ type: 'multi-line-text', format: layout, timeZone: 'America/New_York' }), { maxLines: 5, maxBytes: 300 });
      const s = compileSingleLineText({ ...fmt({ type: 'multi-line-text', format: layout }), type: 'single-line-text' });
      for (let round = 0; round < 20; round++) {
        const input: LineEntry[] = [];
        for (let n = 1; n <= 60; n++) {
          const pick = r();
          let text: string;
          if (pick < 0.5) text = mutate(samples[Math.floor(r() * samples.length)], r);
          else if (pick < 0.8) text = samples[Math.floor(r() * samples.length)];
          else text = Array.from({ length: Math.floor(r() * 80) }, () => String.fromCharCode(Math.floor(r() * 0x3000))).join('');
          if (text === '') continue;
          input.push(r() < 0.05 ? { lineNo: n, raw: text, reason: 'upstream' } : { lineNo: n, text });
          expect(() => s.parse(text)).not.toThrow();
        }
        const out = assemble(m.multiline.createAssembler(), input);
        expectCoverage(input, out);
        let parsed = 0;
        let failed = 0;
        for (const e of out) {
          if (isFailed(e)) failed++;
          else {
            const res = m.parse(e.text);
            if (res.ok) parsed++;
            else failed++;
          }
        }
        expect(parsed + failed).toBe(out.length);
      }
    }
  });
});

describe('backtracking bounds', () => {
  it('long lines that start like an event but do not match fail fast', () => {
    const layouts = [HADOOP, ZOOKEEPER, SPRING, '%d [%t] %le %lo{36} [%X{traceId},%X{spanId}] - %message%n', '%d %r %C.%M(%F:%L) - %m%n'];
    const line = (prefix: string, body: string) => prefix + body.repeat(Math.ceil(50_000 / body.length));
    for (const layout of layouts) {
      const re = new RegExp(layoutToRegex(layout).regex);
      const t = Date.now();
      for (const body of ['a] b', 'a:b@', '] WARN c [a,b] ', '] x ', ':', 'a.b(', '[,] - '])
        expect(re.test(line('2015-10-18 18:01:51,775 INFO [', body) + '\u0000')).toBe(false);
      expect(Date.now() - t).toBeLessThan(2000);
    }
  });
});
