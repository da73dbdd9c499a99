import { ok } from '../../parse-helpers';
import { NOW, NULLS, at, p, syslog } from './helpers';

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
