import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import { compileParser } from '../../../../lambda/core/formats';

describe('compileParser', () => {
  it('dispatches on logFormat.type', () => {
    const line = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"';
    const nginx = compileParser(LogFormatSchema.parse({ type: 'nginx' }));
    const apache = compileParser(LogFormatSchema.parse({ type: 'apache' }));
    expect(nginx.parse(line)).toMatchObject({ ok: true, doc: { body_bytes_sent: 5 } });
    expect(apache.parse(line)).toMatchObject({ ok: true, doc: { response_size_bytes: 5, remote_ident: '-' } });
    expect(compileParser(LogFormatSchema.parse({ type: 'json' })).parse('{"a":1}')).toEqual({ ok: true, doc: { a: 1 } });
    expect(compileParser(LogFormatSchema.parse({ type: 'regex', regex: '^(?<a>.)$' })).parse('x')).toEqual({ ok: true, doc: { a: 'x' } });
    expect(typeof nginx.stringify).toBe('function');
    expect(typeof apache.stringify).toBe('function');
  });

  it('dispatches the syslog and text types too', () => {
    expect(compileParser(LogFormatSchema.parse({ type: 'syslog' })).parse('<34>1 2026-11-26T10:00:00.5Z host app 12 ID1 - hi')).toMatchObject({
      ok: true,
      doc: { '@timestamp': '2026-11-26T10:00:00.500Z', facility: 4, severity: 2, hostname: 'host', app_name: 'app', message: 'hi' },
    });
    const single = compileParser(LogFormatSchema.parse({ type: 'single-line-text', regex: '^(?<level>[A-Z]+) (?<message>.*)$' }));
    expect(single.parse('WARN disk low')).toMatchObject({ ok: true, doc: { level: 'WARN', message: 'disk low' } });
    const multi = compileParser(LogFormatSchema.parse({ type: 'multi-line-text', format: '%-5level %msg%n' }));
    expect(multi.parse('ERROR boom\n\tat x.y(Z.java:1)')).toMatchObject({ ok: true, doc: { level: 'ERROR', message: 'boom\n\tat x.y(Z.java:1)' } });
  });

  it('takes a Java/Joda time pattern as timeFormat in every type that has one, read like its strptime twin', () => {
    const java = { timeFormat: 'yyyy-MM-dd HH:mm:ss.SSS', timeZone: 'Asia/Shanghai' };
    const want = '2024-07-01T04:00:00.250Z';
    const at = '2024-07-01 12:00:00.250';
    const regex = compileParser(LogFormatSchema.parse({ type: 'regex', regex: '^(?<t>[^|]+)\\|(?<m>.*)$', timeKey: 't', ...java }));
    expect(regex.parse(`${at}|hi`)).toEqual({ ok: true, doc: { '@timestamp': want, t: at, m: 'hi' } });
    const json = compileParser(LogFormatSchema.parse({ type: 'json', timeKey: 'ts', ...java }));
    expect(json.parse(JSON.stringify({ ts: at }))).toEqual({ ok: true, doc: { '@timestamp': want, ts: at } });
    const nginx = compileParser(LogFormatSchema.parse({ type: 'nginx', format: '[$time_local] $status', ...java }));
    expect(nginx.parse(`[${at}] 200`)).toMatchObject({ ok: true, doc: { '@timestamp': want, status: 200 } });
    expect(nginx.parse('[2024-07-01 12:00:00] 200')).toEqual({ ok: false, reason: 'time_local "2024-07-01 12:00:00" does not match yyyy-MM-dd HH:mm:ss.SSS' });
  });
});
