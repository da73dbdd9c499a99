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

  it('refuses types the line parser does not handle', () => {
    expect(() => compileParser(LogFormatSchema.parse({ type: 'syslog' }))).toThrow(/log type syslog is not supported/);
  });
});
