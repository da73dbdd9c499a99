import { ok } from '../../parse-helpers';
import { NOW, NULLS, at, p, syslog } from './helpers';

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
