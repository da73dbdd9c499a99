import { LogFormatSchema } from '../../../lib/config/schema';
import { compileParser } from '../../../lambda/core/formats';

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
});
