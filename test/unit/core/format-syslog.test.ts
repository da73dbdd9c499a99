import { readFileSync } from 'node:fs';
import { LogFormatSchema, type LogFormat } from '../../../lib/config/schema';
import { compileSyslog, splitSyslogFrames, SYSLOG_FIELD_TYPES, type SyslogOptions } from '../../../lambda/core/formats/syslog';
import type { LineParser } from '../../../lambda/core/formats';
import { corpusPath } from '../../corpora';
import { ok, reason } from './parse-helpers';
import { rng } from './prng';

const syslog = (f: Partial<LogFormat> = {}, o: SyslogOptions = {}): LineParser =>
  compileSyslog(LogFormatSchema.parse({ type: 'syslog', ...f }), o);

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0); // 2026-11-26T12:00:00Z
const p = syslog({}, { now: NOW });

const NULLS = {
  '@timestamp': null,
  facility: null,
  facility_name: null,
  severity: null,
  severity_name: null,
  version: null,
  timestamp: null,
  hostname: null,
  app_name: null,
  procid: null,
  msgid: null,
  structured_data: null,
  message: null,
};
const at = (iso: string) => ({ '@timestamp': iso, timestamp: iso });

describe('syslog parser: RFC 5424', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    [
      'RFC 5424 example 1: BOM, nil PROCID and SD',
      '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF\'su root\' failed for lonvick on /dev/pts/8',
      {
        ...at('2003-10-11T22:14:15.003Z'),
        facility: 4, facility_name: 'auth', severity: 2, severity_name: 'crit', version: 1,
        hostname: 'mymachine.example.com', app_name: 'su', procid: null, msgid: 'ID47', structured_data: null,
        message: "'su root' failed for lonvick on /dev/pts/8",
      },
    ],
    [
      'RFC 5424 example 2: microseconds and a negative offset, no MSGID',
      '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It\'s time to make the do-nuts.',
      {
        ...at('2003-08-24T12:14:15.000Z'),
        facility: 20, facility_name: 'local4', severity: 5, severity_name: 'notice', version: 1,
        hostname: '192.0.2.1', app_name: 'myproc', procid: '8710', msgid: null, structured_data: null,
        message: "%% It's time to make the do-nuts.",
      },
    ],
    [
      'RFC 5424 example 3: structured data and a message',
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...',
      {
        ...at('2003-10-11T22:14:15.003Z'),
        facility: 20, facility_name: 'local4', severity: 5, severity_name: 'notice', version: 1,
        hostname: 'mymachine.example.com', app_name: 'evntslog', procid: null, msgid: 'ID47',
        structured_data: { 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' } },
        message: 'An application event log entry...',
      },
    ],
    [
      'RFC 5424 example 4: two SD elements, no MSG',
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
      {
        ...at('2003-10-11T22:14:15.003Z'),
        facility: 20, facility_name: 'local4', severity: 5, severity_name: 'notice', version: 1,
        hostname: 'mymachine.example.com', app_name: 'evntslog', procid: null, msgid: 'ID47',
        structured_data: {
          'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
          'examplePriority@32473': { class: 'high' },
        },
        message: null,
      },
    ],
    [
      'every header field nil; escapes in a PARAM-VALUE; other backslashes kept',
      '<0>1 - - - - - [x@1 a="q\\"uote" b="back\\\\slash" c="br\\]acket" d="keep\\n" e="" f="ü ✓ ]"] msg',
      {
        ...NULLS,
        facility: 0, facility_name: 'kern', severity: 0, severity_name: 'emerg', version: 1,
        structured_data: { 'x@1': { a: 'q"uote', b: 'back\\slash', c: 'br]acket', d: 'keep\\n', e: '', f: 'ü ✓ ]' } },
        message: 'msg',
      },
    ],
    [
      'a repeated PARAM-NAME collects its values; an empty MSG after SP is ""; BOM only at the start is removed',
      '<191>1 2026-03-08T07:30:00+05:30 h a 1 m [r p="1" p="2" p="3"] ',
      {
        ...at('2026-03-08T02:00:00.000Z'),
        facility: 23, facility_name: 'local7', severity: 7, severity_name: 'debug', version: 1,
        hostname: 'h', app_name: 'a', procid: '1', msgid: 'm', structured_data: { r: { p: ['1', '2', '3'] } }, message: '',
      },
    ],
    [
      'a trailing LF or CRLF is not part of the message; rsyslog timeQuality',
      '<14>1 2026-11-25T21:41:49.706221-05:00 vm myapp 4242 MID1 [timeQuality tzKnown="1" isSynced="0"] a5424 \r\n',
      {
        ...at('2026-11-26T02:41:49.706Z'),
        facility: 1, facility_name: 'user', severity: 6, severity_name: 'info', version: 1,
        hostname: 'vm', app_name: 'myapp', procid: '4242', msgid: 'MID1',
        structured_data: { timeQuality: { tzKnown: '1', isSynced: '0' } }, message: 'a5424 ',
      },
    ],
    [
      'nanoseconds and a lower-case t/z',
      '<13>1 2026-01-02t03:04:05.123456789z host app - - - x',
      { ...at('2026-01-02T03:04:05.123Z'), facility: 1, facility_name: 'user', severity: 5, severity_name: 'notice', version: 1, hostname: 'host', app_name: 'app', message: 'x' },
    ],
  ];
  it.each(cases)('%s', (_name, line, doc) => {
    expect(ok(p, line)).toEqual({ ...NULLS, ...doc });
  });

  it('a timestamp without an offset is read in timeZone', () => {
    const sh = syslog({ timeZone: 'Asia/Shanghai' }, { now: NOW });
    expect(ok(sh, '<13>1 2026-01-02T08:00:00 h a - - - x')['@timestamp']).toBe('2026-01-02T00:00:00.000Z');
    expect(ok(sh, '<13>1 2026-01-02T08:00:00Z h a - - - x')['@timestamp']).toBe('2026-01-02T08:00:00.000Z');
  });
});

describe('syslog parser: RFC 3164', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    [
      'RFC 3164 example with PRI',
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
      {
        ...at('2026-10-11T22:14:15.000Z'),
        facility: 4, facility_name: 'auth', severity: 2, severity_name: 'crit',
        hostname: 'mymachine', app_name: 'su', message: "'su root' failed for lonvick on /dev/pts/8",
      },
    ],
    [
      'PRI, TAG with [pid] and colon',
      '<13>Feb  5 17:32:18 10.0.0.99 myapp[1234]: Use the BFG!',
      { ...at('2026-02-05T17:32:18.000Z'), facility: 1, facility_name: 'user', severity: 5, severity_name: 'notice', hostname: '10.0.0.99', app_name: 'myapp', procid: '1234', message: 'Use the BFG!' },
    ],
    [
      'no PRI (a file such as /var/log/messages), TAG with parentheses and [pid]',
      'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ',
      { ...at('2026-06-14T15:16:01.000Z'), hostname: 'combo', app_name: 'sshd(pam_unix)', procid: '19939', message: 'authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ' },
    ],
    [
      'TAG with [pid], no colon (rsyslog forwarding an RFC 5424 message in 3164)',
      '<156>Nov 25 21:41:49 vm myapp[4242] a5424',
      { ...at('2026-11-25T21:41:49.000Z'), facility: 19, facility_name: 'local3', severity: 4, severity_name: 'warning', hostname: 'vm', app_name: 'myapp', procid: '4242', message: 'a5424' },
    ],
    [
      'TAG without [pid] and without colon',
      '<22>Nov 26 02:41:00 vm udpapp hello 5424 udp',
      { ...at('2026-11-26T02:41:00.000Z'), facility: 2, facility_name: 'mail', severity: 6, severity_name: 'info', hostname: 'vm', app_name: 'udpapp', message: 'hello 5424 udp' },
    ],
    [
      'TAG with colon, no pid; message keeps its own colons',
      'Dec 10 06:55:46 LabSZ kernel: pam_unix(sshd:auth): check pass; user unknown',
      { ...at('2025-12-10T06:55:46.000Z'), hostname: 'LabSZ', app_name: 'kernel', message: 'pam_unix(sshd:auth): check pass; user unknown' },
    ],
    [
      'no HOSTNAME (a TAG right after the timestamp)',
      '<13>Jan  2 03:04:05 cron[99]: job done',
      { ...at('2026-01-02T03:04:05.000Z'), facility: 1, facility_name: 'user', severity: 5, severity_name: 'notice', app_name: 'cron', procid: '99', message: 'job done' },
    ],
    [
      'Cisco style: year and milliseconds in the timestamp',
      '<189>Mar 01 2024 10:11:12.345 router1 %LINK-3-UPDOWN: Interface Gi0/1, changed state to up',
      { ...at('2024-03-01T10:11:12.345Z'), facility: 23, facility_name: 'local7', severity: 5, severity_name: 'notice', hostname: 'router1', app_name: '%LINK-3-UPDOWN', message: 'Interface Gi0/1, changed state to up' },
    ],
    [
      'RFC 3339 timestamp in a BSD-style line (rsyslog high-precision forward format)',
      '<30>2026-05-06T07:08:09.123456+02:00 web01 nginx[77]: started',
      { ...at('2026-05-06T05:08:09.123Z'), facility: 3, facility_name: 'daemon', severity: 6, severity_name: 'info', hostname: 'web01', app_name: 'nginx', procid: '77', message: 'started' },
    ],
    [
      'PRI and no timestamp: everything after PRI is the message (RFC 3164 §4.3.3)',
      '<13>just some text',
      { facility: 1, facility_name: 'user', severity: 5, severity_name: 'notice', message: 'just some text' },
    ],
    [
      'a TAG followed by `[` without a pid is no TAG',
      'Jul  7 08:06:12 combo gpm[x y]: info',
      { ...at('2026-07-07T08:06:12.000Z'), hostname: 'combo', message: 'gpm[x y]: info' },
    ],
    ['hostname only', 'Jul  7 08:06:12 combo', { ...at('2026-07-07T08:06:12.000Z'), hostname: 'combo', message: '' }],
  ];
  it.each(cases)('%s', (_name, line, doc) => {
    expect(ok(p, line)).toEqual({ ...NULLS, ...doc });
  });

  describe('year inference (timestamps without a year)', () => {
    const year: Array<[string, string, string, string]> = [
      // [now, zone, timestamp, expected @timestamp]
      ['2026-01-01T00:00:30Z', 'UTC', 'Dec 31 23:59:59', '2025-12-31T23:59:59.000Z'],
      ['2026-01-01T00:00:30Z', 'UTC', 'Jan  1 00:00:10', '2026-01-01T00:00:10.000Z'],
      ['2026-01-15T10:00:00Z', 'UTC', 'Dec 24 18:00:00', '2025-12-24T18:00:00.000Z'],
      // a sender whose clock is a little ahead at New Year
      ['2025-12-31T23:59:58Z', 'UTC', 'Jan  1 00:00:01', '2026-01-01T00:00:01.000Z'],
      // up to 2 days ahead stays in this year; more is last year's
      ['2026-06-10T00:00:00Z', 'UTC', 'Jun 11 12:00:00', '2026-06-11T12:00:00.000Z'],
      ['2026-06-10T00:00:00Z', 'UTC', 'Jun 13 12:00:00', '2025-06-13T12:00:00.000Z'],
      // New Year in the configured zone: 2026-01-01T03:00Z is still Dec 31 in New York
      ['2026-01-01T03:00:00Z', 'America/New_York', 'Dec 31 21:59:00', '2026-01-01T02:59:00.000Z'],
      ['2026-01-01T03:00:00Z', 'Asia/Shanghai', 'Jan  1 10:59:00', '2026-01-01T02:59:00.000Z'],
      // Feb 29 goes back to the last leap year
      ['2026-03-01T00:00:00Z', 'UTC', 'Feb 29 12:00:00', '2024-02-29T12:00:00.000Z'],
      ['2028-03-01T00:00:00Z', 'UTC', 'Feb 29 12:00:00', '2028-02-29T12:00:00.000Z'],
    ];
    it.each(year)('now %s in %s: %s → %s', (now, zone, ts, expected) => {
      const q = syslog({ timeZone: zone }, { now: Date.parse(now) });
      expect(ok(q, `<13>${ts} host app: x`)['@timestamp']).toBe(expected);
    });

    it('the clock is read per line (a function), default Date.now', () => {
      let now = Date.parse('2025-12-31T23:00:00Z');
      const q = syslog({}, { now: () => now });
      expect(ok(q, 'Dec 31 22:00:00 h a: x')['@timestamp']).toBe('2025-12-31T22:00:00.000Z');
      now = Date.parse('2026-01-01T00:30:00Z');
      expect(ok(q, 'Jan  1 00:10:00 h a: x')['@timestamp']).toBe('2026-01-01T00:10:00.000Z');
      expect(ok(q, 'Dec 31 22:00:00 h a: x')['@timestamp']).toBe('2025-12-31T22:00:00.000Z');
      const d = syslog();
      const y = new Date().getUTCFullYear();
      expect([y - 1, y, y + 1]).toContain(Number((ok(d, 'Jun  1 00:00:00 h a: x')['@timestamp'] as string).slice(0, 4)));
    });
  });

  describe('time zone (IANA) incl. DST', () => {
    const tz: Array<[string, string, string]> = [
      ['America/New_York', 'Jan 15 12:00:00', '2026-01-15T17:00:00.000Z'], // EST
      ['America/New_York', 'Jul  4 12:00:00', '2026-07-04T16:00:00.000Z'], // EDT
      ['America/New_York', 'Mar  8 01:59:59', '2026-03-08T06:59:59.000Z'], // last second of EST
      ['America/New_York', 'Mar  8 02:30:00', '2026-03-08T07:30:00.000Z'], // in the spring-forward gap: moved by the gap
      ['America/New_York', 'Mar  8 03:00:00', '2026-03-08T07:00:00.000Z'], // first second of EDT
      ['America/New_York', 'Nov  1 01:30:00', '2026-11-01T05:30:00.000Z'], // occurs twice: the earlier (EDT)
      ['America/New_York', 'Nov  1 02:30:00', '2026-11-01T07:30:00.000Z'], // EST again
      ['Europe/Berlin', 'Mar 29 02:30:00', '2026-03-29T01:30:00.000Z'], // gap in Berlin
      ['Asia/Shanghai', 'Jun 14 15:16:01', '2026-06-14T07:16:01.000Z'],
      ['UTC', 'Jun 14 15:16:01', '2026-06-14T15:16:01.000Z'],
    ];
    it.each(tz)('%s: %s → %s', (zone, ts, expected) => {
      const q = syslog({ timeZone: zone }, { now: NOW });
      expect(ok(q, `${ts} host app[1]: x`)['@timestamp']).toBe(expected);
    });
  });
});

describe('syslog parser: failures carry a precise reason', () => {
  const bad: Array<[string, string]> = [
    ['', 'not a syslog line: empty'],
    ['\n', 'not a syslog line: empty'],
    ['hello world', 'not a syslog line: no <PRI> and no timestamp at the start: "hello world"'],
    ['<999>1 2003-10-11T22:14:15.003Z h a - - - x', 'PRI 999 out of range (0-191)'],
    ['<192>Oct 11 22:14:15 h a: x', 'PRI 192 out of range (0-191)'],
    ['<1a>x', 'not a syslog line: bad PRI "<1a>x"'],
    ['<1234>x', 'not a syslog line: bad PRI "<1234>"'],
    ['<>x', 'not a syslog line: bad PRI "<>x"'],
    ['<13', 'not a syslog line: bad PRI "<13"'],
    ['<13>1 2003-10-11 22:14:15 h a - - - x', 'bad RFC 5424 timestamp "2003-10-11"'],
    ['<13>1 2003-02-30T22:14:15Z h a - - - x', 'bad RFC 5424 timestamp "2003-02-30T22:14:15Z"'],
    ['<13>1 2003-10-11T25:14:15Z h a - - - x', 'bad RFC 5424 timestamp "2003-10-11T25:14:15Z"'],
    ['<13>1 2003-10-11T22:14:15+24:00 h a - - - x', 'bad RFC 5424 timestamp "2003-10-11T22:14:15+24:00"'],
    ['<13>2 2003-10-11T22:14:15Z h a - - - x', 'unsupported syslog protocol version 2 (RFC 5424 is version 1)'],
    ['<13>1 2003-10-11T22:14:15Z host', 'RFC 5424 header ends before APP-NAME'],
    ['<13>1 2003-10-11T22:14:15Z h a p m', 'RFC 5424 header ends before STRUCTURED-DATA'],
    ['<13>1 2003-10-11T22:14:15Z  h a p m -', 'RFC 5424 header: empty HOSTNAME (two spaces at column 28)'],
    ['<13>1 - h a p m x msg', 'bad RFC 5424 STRUCTURED-DATA: expected "-" or "[" at column 17, got "x msg"'],
    ['<13>1 - h a p m [id a="1"', 'bad RFC 5424 STRUCTURED-DATA: unterminated STRUCTURED-DATA element "id"'],
    ['<13>1 - h a p m [id a="1', 'bad RFC 5424 STRUCTURED-DATA: unterminated PARAM-VALUE of "a" in "id"'],
    ['<13>1 - h a p m [id a=1]', 'bad RFC 5424 STRUCTURED-DATA: expected ="…" after PARAM-NAME "a" in "id"'],
    ['<13>1 - h a p m [ a="1"]', 'bad RFC 5424 STRUCTURED-DATA: empty SD-ID at column 18'],
    ['<13>1 - h a p m [id  a="1"]', 'bad RFC 5424 STRUCTURED-DATA: empty PARAM-NAME in "id" at column 21'],
    ['<13>1 - h a p m [id]x', 'bad RFC 5424 STRUCTURED-DATA: expected SP before MSG at column 21'],
    ['<13>1 - h a p m -x', 'bad RFC 5424 STRUCTURED-DATA: expected "-" or "[" at column 17, got "-x"'],
    ['Feb 30 12:00:00 h a: x', 'bad RFC 3164 timestamp "Feb 30 12:00:00"'],
    ['Jun 14 25:16:01 combo x: y', 'bad RFC 3164 timestamp "Jun 14 25:16:01"'],
    ['Foo 14 15:16:01 combo x: y', 'not a syslog line: bad month "Foo"'],
    ['<13>2026-13-01T00:00:00Z h a: x', 'bad RFC 3339 timestamp "2026-13-01T00:00:00Z"'],
  ];
  it.each(bad)('%j → %s', (line, why) => {
    expect(reason(p, line)).toBe(why);
  });
});

describe('syslog parser: field table and overrides', () => {
  it('has a type for every field it produces, plus @timestamp', () => {
    expect(p.fields).toEqual({ '@timestamp': 'date', ...SYSLOG_FIELD_TYPES });
    const doc = ok(p, '<13>1 2003-10-11T22:14:15.003Z h a 1 m [x y="z"] msg');
    expect(Object.keys(doc).sort()).toEqual(Object.keys(p.fields).sort());
  });

  it('applies logFormat.fields overrides to values and the table', () => {
    const q = syslog({ fields: { procid: 'integer', hostname: 'ip', structured_data: 'keyword', facility: 'keyword', extra: 'long' } }, { now: NOW });
    expect(q.fields).toMatchObject({ procid: 'integer', hostname: 'ip', structured_data: 'keyword', facility: 'keyword', extra: 'long', '@timestamp': 'date' });
    expect(ok(q, '<13>1 2003-10-11T22:14:15Z 10.1.2.3 a 42 - [x y="z"] m')).toMatchObject({
      procid: 42,
      hostname: '10.1.2.3',
      structured_data: '{"x":{"y":"z"}}',
      facility: '1',
      severity: 5,
    });
    expect(ok(q, 'Jun 14 15:16:01 10.0.0.1 sshd: x')).toMatchObject({ procid: null, hostname: '10.0.0.1', facility: null });
    expect(reason(q, 'Jun 14 15:16:01 combo sshd[1]: x')).toBe('hostname "combo" is not an IP address');
    expect(reason(q, '<13>1 - 10.1.2.3 a abc - - m')).toBe('procid "abc" is not an integer');
  });

  it('rejects overrides that cannot apply to a syslog field', () => {
    expect(() => syslog({ fields: { structured_data: 'integer' } })).toThrow('logFormat.fields.structured_data: a syslog structured_data cannot be integer');
    expect(() => syslog({ fields: { severity: 'ip' } })).toThrow('cannot be ip');
    expect(() => syslog({ fields: { message: 'object' } })).toThrow('cannot be object');
    expect(() => syslog({ fields: { timestamp: 'long' } })).toThrow('cannot be long');
    expect(() => syslog({ fields: { severity: 'long', message: 'keyword', timestamp: 'keyword' } })).not.toThrow();
  });

  it('an SD-ID or PARAM-NAME such as __proto__ is plain data', () => {
    const d = ok(p, '<13>1 - h a - - [__proto__ constructor="x" __proto__="y"][toString hasOwnProperty="1" hasOwnProperty="2"] m');
    expect(JSON.stringify(d.structured_data)).toBe('{"__proto__":{"constructor":"x","__proto__":"y"},"toString":{"hasOwnProperty":["1","2"]}}');
    expect(Object.getPrototypeOf(d.structured_data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });
});

describe('syslog parser: loghub corpora', () => {
  const read = (name: string): string[] => {
    const text = readFileSync(corpusPath(name), 'utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines; // CRLF: the parser drops the CR
  };

  it('loghub Linux (2,000 lines of /var/log/messages, summer 2005): every line parses', () => {
    const lines = read('loghub_Linux_2k.log');
    expect(lines).toHaveLength(2000);
    const q = syslog({}, { now: Date.UTC(2005, 7, 1) });
    const results = lines.map((l) => q.parse(l));
    const failed = results.flatMap((r, i) => (r.ok ? [] : [`${i + 1}: ${r.reason}`]));
    expect(failed).toEqual([]);
    const docs = results.map((r) => (r as { doc: Record<string, unknown> }).doc);

    expect(docs[0]).toEqual({
      ...NULLS,
      ...at('2005-06-14T15:16:01.000Z'),
      hostname: 'combo',
      app_name: 'sshd(pam_unix)',
      procid: '19939',
      message: 'authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ',
    });
    // `Jun 19 04:09:11 combo syslogd 1.4.1: restart.`: a TAG without pid nor colon
    expect(docs[145]).toEqual({ ...NULLS, ...at('2005-06-19T04:09:11.000Z'), hostname: 'combo', app_name: 'syslogd', message: '1.4.1: restart.' });
    // `Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2`: two spaces, then `--` is the TAG
    expect(lines[898]).toBe('Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2\r');
    expect(docs[898]).toEqual({ ...NULLS, ...at('2005-07-07T08:06:15.000Z'), hostname: 'combo', app_name: '--', message: 'root[2421]: ROOT LOGIN ON tty2' });
    // `Jul  7 08:06:12 combo gpm[2094]: *** info [mice.c(1766)]: `: space-padded day
    expect(docs[895]).toMatchObject({ ...at('2005-07-07T08:06:12.000Z'), app_name: 'gpm', procid: '2094', message: '*** info [mice.c(1766)]: ' });
    expect(docs[docs.length - 1]).toMatchObject({ ...at('2005-07-27T14:42:00.000Z'), hostname: 'combo' });

    // every record: the fields are exactly what a plain split of the line gives
    const RE = /^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) +([^\s[:]+)(?:\[(\d+)\])?:? ?(.*?)\r?$/;
    docs.forEach((d, i) => {
      const m = RE.exec(lines[i])!;
      expect([d.hostname, d.app_name, d.procid, d.message]).toEqual([m[2], m[3], m[4] ?? null, m[5]]);
      expect(d.facility).toBeNull();
      expect(d['@timestamp']).toMatch(/^2005-0[67]-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    });
    // 916 ftpd lines repeat their own time in the message: the inferred year and the time agree
    const ftpd = docs.filter((d) => d.app_name === 'ftpd' && / at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d 2005 $/.test(d.message as string));
    expect(ftpd.length).toBe(lines.filter((l) => / ftpd\[\d+\]: .* at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d 2005 \r?$/.test(l)).length);
    expect(ftpd.length).toBeGreaterThan(800);
    for (const d of ftpd) {
      const [, mon, day, time] = / at \w{3} (\w{3}) +(\d+) (\S+) 2005 $/.exec(d.message as string)!;
      // syslogd stamps the line when it receives it: the same second or up to 2 s after ftpd's own time
      const lag = Date.parse(d['@timestamp'] as string) - Date.parse(`${mon} ${day} 2005 ${time} UTC`);
      if (!(lag >= 0 && lag <= 2000)) throw new Error(`${String(d['@timestamp'])} vs ${d.message as string}`);
    }
    const apps = new Map<string, number>();
    for (const d of docs) apps.set(d.app_name as string, (apps.get(d.app_name as string) ?? 0) + 1);
    expect(apps.get('ftpd')).toBe(916);
    expect(apps.get('sshd(pam_unix)')).toBe(677);
    expect(apps.get('su(pam_unix)')).toBe(172);
    expect(apps.get('kernel')).toBe(76);
  });

  it('loghub OpenSSH (2,000 sshd lines of Dec 10): every line parses, in the configured zone', () => {
    const lines = read('loghub_OpenSSH_2k.log');
    expect(lines).toHaveLength(2000);
    // read in January: the December lines belong to the previous year
    const q = syslog({ timeZone: 'Asia/Shanghai' }, { now: Date.UTC(2018, 0, 4) });
    const results = lines.map((l) => q.parse(l));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const docs = results.map((r) => (r as { doc: Record<string, unknown> }).doc);
    expect(docs[0]).toEqual({
      ...NULLS,
      ...at('2017-12-09T22:55:46.000Z'),
      hostname: 'LabSZ',
      app_name: 'sshd',
      procid: '24200',
      message: 'reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!',
    });
    expect(docs[3]).toMatchObject({ procid: '24200', message: 'pam_unix(sshd:auth): check pass; user unknown' });
    expect(new Set(docs.map((d) => d.hostname))).toEqual(new Set(['LabSZ']));
    expect(new Set(docs.map((d) => d.app_name))).toEqual(new Set(['sshd']));
    docs.forEach((d, i) => {
      const [, pid, msg] = /^Dec 10 \d\d:\d\d:\d\d LabSZ sshd\[(\d+)\]: (.*?)\r?$/.exec(lines[i])!;
      expect([d.procid, d.message]).toEqual([pid, msg]);
      expect(d['@timestamp']).toMatch(/^2017-12-(09T(1[6-9]|2\d)|10T(0\d|1[0-5])):/);
    });
    // sorted in time like the file
    const ts = docs.map((d) => d['@timestamp'] as string);
    expect([...ts].sort()).toEqual(ts);
  });
});

describe('syslog parser: octet-counted frames as lines', () => {
  const p = compileSyslog(LogFormatSchema.parse({ type: 'syslog' }));
  const msg = '<13>1 2003-10-11T22:14:15.003Z h a - - - mé ✓';
  const bytes = Buffer.byteLength(msg);

  it('drops a count that matches the bytes that follow, with or without the LF counted', () => {
    const plain = (p.parse(msg) as { doc: Record<string, unknown> }).doc;
    expect(plain.message).toBe('mé ✓');
    for (const count of [bytes, bytes + 1]) expect(p.parse(`${count} ${msg}`)).toEqual({ ok: true, doc: plain });
    const bsd = '<34>Oct 11 22:14:15 mymachine su: su root failed';
    expect(p.parse(`${Buffer.byteLength(bsd) + 1} ${bsd}`)).toMatchObject({ ok: true, doc: { app_name: 'su', hostname: 'mymachine' } });
  });

  it('fails a count that does not match, naming both numbers', () => {
    expect(p.parse(`${bytes + 5} ${msg}`)).toEqual({ ok: false, reason: `octet-counted frame: count ${bytes + 5}, but ${bytes} bytes follow` });
    expect(p.parse(`${bytes - 1} ${msg}`)).toEqual({ ok: false, reason: `octet-counted frame: count ${bytes - 1}, but ${bytes} bytes follow` });
  });
});

describe('splitSyslogFrames (RFC 6587)', () => {
  const frames: Array<[string, string, string[], string]> = [
    ['one LF frame', '<13>a\n', ['<13>a'], ''],
    ['LF frames, CRLF, blank lines; a partial line is the rest', '<13>a\r\n\n<14>b\n<15>par', ['<13>a', '<14>b'], '<15>par'],
    ['octet-counted without LF', '5 <13>a6 <14>bc', ['<13>a', '<14>bc'], ''],
    ['octet counts that include the trailing LF (rsyslog)', '6 <13>a\n7 <14>bc\n', ['<13>a', '<14>bc'], ''],
    ['mixed in one read', '6 <13>a\n<14>lf frame\n7 <15>xy\n<16>z\n', ['<13>a', '<14>lf frame', '<15>xy', '<16>z'], ''],
    ['counts are UTF-8 bytes', '9 <13>ü✓\n<14>b\n', ['<13>ü✓', '<14>b'], ''],
    ['a count of a 4-byte character', '8 <13>😀<14>\n', ['<13>😀', '<14>'], ''],
    ['an LF inside an octet-counted frame is data', '10 <13>a\nb\nc\n', ['<13>a\nb\nc'], ''],
    ['incomplete octet frame', '6 <13>a\n20 <14>abc', ['<13>a'], '20 <14>abc'],
    ['incomplete count', '6 <13>a\n12', ['<13>a'], '12'],
    ['count and SP only', '12 ', [], '12 '],
    ['a line that starts with digits is LF-framed', '123 apples\n<13>x\n', ['123 apples', '<13>x'], ''],
    ['RFC 3164 without PRI', 'Jun 14 15:16:01 combo x: y\n', ['Jun 14 15:16:01 combo x: y'], ''],
    ['a leading zero is no count', '05 <13>a\n', ['05 <13>a'], ''],
    ['an absurd count is no count', '99999999999 <13>a\n', ['99999999999 <13>a'], ''],
    ['empty', '', [], ''],
  ];
  it.each(frames)('%s', (_n, buf, expected, rest) => {
    expect(splitSyslogFrames(buf)).toEqual({ frames: expected, rest });
  });

  it('final: the rest becomes the last frame', () => {
    expect(splitSyslogFrames('<13>a\n<14>b', true)).toEqual({ frames: ['<13>a', '<14>b'], rest: '' });
    expect(splitSyslogFrames('20 <14>abc', true)).toEqual({ frames: ['<14>abc'], rest: '' });
    expect(splitSyslogFrames('12', true)).toEqual({ frames: ['12'], rest: '' });
  });

  it('gives the same frames however the stream is cut into reads', () => {
    const msgs = ['<13>1 - h a - - - ünï ✓ 😀', '<14>Jun 14 15:16:01 combo x[1]: y', '<15>x\ny', '<16>plain'];
    let stream = '';
    msgs.forEach((m, i) => {
      if (m.includes('\n') || i % 2 === 0) stream += `${Buffer.byteLength(m) + (i % 3 === 0 ? 1 : 0)} ${m}${i % 3 === 0 ? '\n' : ''}`;
      else stream += `${m}\n`;
    });
    const bytes = Buffer.from(stream);
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b += 3) {
        const dec = new TextDecoder();
        let rest = '';
        const got: string[] = [];
        for (const part of [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]) {
          const r = splitSyslogFrames(rest + dec.decode(part, { stream: true }));
          got.push(...r.frames);
          rest = r.rest;
        }
        expect({ a, b, got, rest }).toEqual({ a, b, got: msgs, rest: '' });
      }
    }
  });
});

describe('syslog parser: fuzz', () => {
  const VALID = [
    '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF\'su root\' failed',
    '<165>1 2003-10-11T22:14:15.003Z h evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App\\"x\\]"][p@1 class="high"] msg',
    '<14>1 2026-11-25T21:41:49.706221-05:00 vm myapp 4242 MID1 [timeQuality tzKnown="1" isSynced="0"] a5424\n',
    '<34>Oct 11 22:14:15 mymachine su: \'su root\' failed',
    'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4 ',
    'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
    '<156>Nov 25 21:41:49 vm myapp[4242] a5424',
    '<189>Mar 01 2024 10:11:12.345 router1 %LINK-3-UPDOWN: up',
  ];
  const ALPHABET = '<>[]"\\=- :.0123456789TZ+\n\r\uFEFFaAbzJunDec\u00e9\u2713\ud83d\ude00\ud800';
  const zones = ['UTC', 'America/New_York', 'Asia/Kolkata'];

  it('random bytes and mutations of valid lines never throw; parsed + failed = lines', () => {
    const r = rng(20261126);
    const parsers = zones.map((z) => syslog({ timeZone: z, fields: { procid: 'integer' } }, { now: NOW }));
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(r() * 120);
      let s = '';
      for (let j = 0; j < n; j++) s += r() < 0.5 ? String.fromCharCode(Math.floor(r() * 0x80)) : ALPHABET[Math.floor(r() * ALPHABET.length)];
      lines.push(s);
    }
    for (let i = 0; i < 6000; i++) {
      let s = VALID[i % VALID.length];
      const k = 1 + Math.floor(r() * 4);
      for (let j = 0; j < k; j++) {
        const at = Math.floor(r() * (s.length + 1));
        const op = r();
        const ch = ALPHABET[Math.floor(r() * ALPHABET.length)];
        if (op < 0.4) s = s.slice(0, at) + s.slice(at + 1);
        else if (op < 0.7) s = s.slice(0, at) + ch + s.slice(at);
        else if (op < 0.9) s = s.slice(0, at) + ch + s.slice(at + 1);
        else s = s.slice(0, at);
      }
      lines.push(s);
    }
    for (const q of parsers) {
      let parsed = 0;
      let failed = 0;
      for (const l of lines) {
        const res = q.parse(l);
        if (res.ok) {
          parsed++;
          if (typeof res.doc !== 'object' || typeof JSON.stringify(res.doc) !== 'string') throw new Error(`bad doc for ${JSON.stringify(l)}`);
        } else {
          failed++;
          if (!res.reason || res.reason.includes('syslog parser error')) throw new Error(`bad reason ${res.reason} for ${JSON.stringify(l)}`);
        }
      }
      expect(parsed + failed).toBe(lines.length);
      expect(parsed).toBeGreaterThan(500);
      expect(failed).toBeGreaterThan(500);
    }
    // the framing splitter too
    for (const l of lines) {
      const a = splitSyslogFrames(l);
      const b = splitSyslogFrames(l, true);
      if (b.rest !== '' || a.frames.some((f, i) => b.frames[i] !== f)) throw new Error(`final split differs for ${JSON.stringify(l)}`);
    }
  });
});
