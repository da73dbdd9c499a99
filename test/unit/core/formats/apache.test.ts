import { createReadStream, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LogFormatSchema, type LogFormat } from '../../../../lambda/core/config/log-format';
import { compileParser, type LineParser } from '../../../../lambda/core/formats';
import { apacheTemplate, snakeName } from '../../../../lambda/core/formats/apache';
import { splitLines } from '../../../../lambda/core/lines';
import { CORPORA } from '../../../corpora';
import { ok, reason } from '../parse-helpers';

const APACHE = path.join(CORPORA, 'apache_combined_elastic_examples.log');

const fmt = (f: Partial<LogFormat> = {}): LogFormat => LogFormatSchema.parse({ type: 'apache', ...f });
const apache = (f: Partial<LogFormat> = {}): LineParser => compileParser(fmt(f));

/** Independent oracle: a strict regex for the combined format, written from the Apache docs. */
const COMBINED_RE = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function oracleTime(t: string): string {
  const m = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(t)!;
  const off = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  return new Date(Date.UTC(+m[3], MONTHS.indexOf(m[2]), +m[1], +m[4], +m[5], +m[6]) - off).toISOString();
}

describe('apache combined on the real corpus (10,000 lines)', () => {
  let results: Array<{ lineNo: number; text: string; ok: boolean; doc?: Record<string, unknown>; reason?: string }>;

  beforeAll(async () => {
    const p = apache();
    results = [];
    for await (const batch of splitLines(createReadStream(APACHE), { maxLineBytes: 1_048_576 })) {
      for (const l of batch) {
        if (!('text' in l)) throw new Error(`line ${l.lineNo} failed splitting: ${l.reason}`);
        const r = p.parse(l.text);
        results.push(r.ok ? { lineNo: l.lineNo, text: l.text, ok: true, doc: r.doc } : { lineNo: l.lineNo, text: l.text, ok: false, reason: r.reason });
      }
    }
  });

  it('parses 9,999 lines and fails exactly the lines the strict combined regex rejects', () => {
    expect(results).toHaveLength(10_000);
    const failed = results.filter((r) => !r.ok);
    const oracleFailed = results.filter((r) => !COMBINED_RE.test(r.text));
    expect(failed.map((r) => r.lineNo)).toEqual(oracleFailed.map((r) => r.lineNo));
    expect(results.filter((r) => r.ok)).toHaveLength(9_999);
  });

  it('line 8899 fails, with the reason and its raw text: its user agent was cut off (no closing quote)', () => {
    const failed = results.filter((r) => !r.ok);
    expect(failed).toEqual([
      {
        lineNo: 8899,
        ok: false,
        text: '46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET /scripts/grok-py-test/configlib.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html',
        reason: 'does not match the apache format at column 112: %{User-agent}i is not followed by "\\"" at the end of the line',
      },
    ]);
    // genuinely unparseable: the line has an odd number of quotes, so no quoted field can close it
    expect(failed[0].text.split('"').length - 1).toBe(5);
  });

  it('every parsed record agrees field by field with the oracle regex', () => {
    for (const r of results.filter((x) => x.ok)) {
      const m = COMBINED_RE.exec(r.text)!;
      const [method, uri, protocol] = [m[5].slice(0, m[5].indexOf(' ')), m[5].slice(m[5].indexOf(' ') + 1, m[5].lastIndexOf(' ')), m[5].slice(m[5].lastIndexOf(' ') + 1)];
      expect(r.doc).toEqual({
        '@timestamp': oracleTime(m[4]),
        remote_addr: m[1],
        remote_ident: m[2],
        remote_user: m[3],
        time_local: m[4],
        request_method: method,
        request_uri: uri,
        request_protocol: protocol,
        request: undefined,
        status: Number(m[6]),
        response_size_bytes: m[7] === '-' ? 0 : Number(m[7]),
        http_referer: m[8],
        http_user_agent: m[9],
      });
    }
  });

  it('sample records, field by field', () => {
    const byLine = new Map(results.map((r) => [r.lineNo, r]));
    expect(byLine.get(1)!.doc).toEqual({
      '@timestamp': '2015-05-17T10:05:03.000Z',
      remote_addr: '83.149.9.216',
      remote_ident: '-',
      remote_user: '-',
      time_local: '17/May/2015:10:05:03 +0000',
      request_method: 'GET',
      request_uri: '/presentations/logstash-monitorama-2013/images/kibana-search.png',
      request_protocol: 'HTTP/1.1',
      request: undefined,
      status: 200,
      response_size_bytes: 203023,
      http_referer: 'http://semicomplete.com/presentations/logstash-monitorama-2013/',
      http_user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36',
    });
    // 304 with `-` bytes: CLF's `-` means a zero-byte body
    expect(byLine.get(86)!.doc).toMatchObject({
      '@timestamp': '2015-05-17T11:05:17.000Z',
      remote_addr: '218.30.103.62',
      request_method: 'GET',
      request_uri: '/projects/xdotool/xdotool.xhtml',
      status: 304,
      response_size_bytes: 0,
      http_referer: '-',
      http_user_agent: 'Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)',
    });
    expect(byLine.get(5009)!.doc).toMatchObject({
      '@timestamp': '2015-05-19T04:05:16.000Z',
      remote_addr: '37.115.186.244',
      request_method: 'POST',
      request_uri: '/blog/geekery/xvfb-firefox',
      request_protocol: 'HTTP/1.0',
      status: 200,
      response_size_bytes: 10975,
      http_referer: 'http://zoomq.qiniudn.com/ZQScrapBook/ZqFLOSS/data/20110811235550/',
    });
    expect(byLine.get(44)!.doc).toMatchObject({ request_uri: '/reset.css', http_referer: '-', http_user_agent: '-' });
    expect(byLine.get(10_000)!.doc).toMatchObject({
      '@timestamp': '2015-05-20T21:05:15.000Z',
      remote_addr: '46.105.14.53',
      request_uri: '/blog/tags/puppet?flav=rss20',
      status: 200,
      response_size_bytes: 14872,
      http_user_agent: 'UniversalFeedParser/4.2-pre-314-svn +http://feedparser.org/',
    });
  });

  it('@timestamp covers the corpus period (17-20 May 2015, UTC)', () => {
    const ts = results.filter((r) => r.ok).map((r) => r.doc!['@timestamp'] as string);
    const sorted = [...ts].sort();
    expect(sorted[0]).toBe('2015-05-17T10:05:00.000Z');
    expect(sorted[sorted.length - 1]).toBe('2015-05-20T21:05:59.000Z');
    expect(ts.every((t) => /^2015-05-(17|18|19|20)T\d{2}:\d{2}:\d{2}\.000Z$/.test(t))).toBe(true);
  });

  it('counts: methods and statuses as in the raw file', () => {
    const docs = results.filter((r) => r.ok).map((r) => r.doc!);
    const count = (f: string, v: unknown) => docs.filter((d) => d[f] === v).length;
    expect(count('request_method', 'HEAD')).toBe(42);
    expect(count('request_method', 'POST')).toBe(5);
    expect(count('request_method', 'OPTIONS')).toBe(1);
    expect(count('status', 404)).toBe(213);
    expect(count('status', 304)).toBe(445);
    const raw = readFileSync(APACHE, 'utf8');
    expect(count('status', 200)).toBe((raw.match(/" 200 /g) ?? []).length - 1); // minus the unparseable line 8899
  });
});

describe('apache directives', () => {
  const TIME = '[17/May/2015:10:05:03 +0000]';

  it('maps the documented directives to fields', () => {
    const p = apache({ format: '%a %{c}a %A %h %l %u %t "%r" %>s %s %b %D %T %{ms}T %I %O %S %v %V %p %{remote}p %P %{tid}P %k %L %R %X %f %m %U %q %H' });
    const doc = ok(p, `10.0.0.1 10.0.0.2 10.0.0.3 192.0.2.10 ident bob ${TIME} "GET /a?b=1 HTTP/2.0" 201 302 - 1234 1 1500 300 400 700 vhost host.example 443 51000 4242 140000 3 XYZ handler + /var/www/a GET /a ?b=1 HTTP/2.0`);
    expect(doc).toEqual({
      '@timestamp': '2015-05-17T10:05:03.000Z',
      client_ip: '10.0.0.1',
      peer_ip: '10.0.0.2',
      server_ip: '10.0.0.3',
      remote_addr: '192.0.2.10',
      remote_ident: 'ident',
      remote_user: 'bob',
      time_local: '17/May/2015:10:05:03 +0000',
      request_method: 'GET',
      request_uri: '/a?b=1',
      request_protocol: 'HTTP/2.0',
      request: undefined,
      status: 201,
      original_status: 302,
      response_size_bytes: 0,
      request_time_us: 1234,
      request_time_s: 1,
      request_time_ms: 1500,
      bytes_received: 300,
      bytes_sent: 400,
      bytes_transferred: 700,
      server_name: 'vhost',
      host: 'host.example',
      server_port: 443,
      remote_port: 51000,
      process_id: 4242,
      thread_id: 140000,
      keepalive_requests: 3,
      log_id: 'XYZ',
      handler: 'handler',
      connection_status: '+',
      filename: '/var/www/a',
      request_path: '/a',
      query_string: '?b=1',
    });
  });

  it('fails %h that is a host name unless remote_addr is overridden to keyword', () => {
    expect(reason(apache(), `example.org - - ${TIME} "GET / HTTP/1.1" 200 1 "-" "-"`)).toBe('remote_addr "example.org" is not an IP address');
    expect(ok(apache({ fields: { remote_addr: 'keyword' } }), `example.org - - ${TIME} "GET / HTTP/1.1" 200 1 "-" "-"`).remote_addr).toBe('example.org');
  });

  it('%{Header}i / %{Header}o / %{VAR}e / %{note}n / %{cookie}C → snake_case names', () => {
    expect(snakeName('User-Agent')).toBe('user_agent');
    expect(snakeName('X-Forwarded-For')).toBe('x_forwarded_for');
    const p = apache({ format: '%h %t "%{Referer}i" "%{User-agent}i" "%{X-Forwarded-For}i" %{Content-Type}o %{UNIQUE_ID}e %{mod_x}n %{session-id}C' });
    const doc = ok(p, `::1 ${TIME} "http://ref/" "ua two" "1.1.1.1, 2.2.2.2" text/html abc123 note sid=1`);
    expect(doc).toMatchObject({
      remote_addr: '::1',
      http_referer: 'http://ref/',
      http_user_agent: 'ua two',
      http_x_forwarded_for: '1.1.1.1, 2.2.2.2',
      sent_http_content_type: 'text/html',
      env_unique_id: 'abc123',
      note_mod_x: 'note',
      cookie_session_id: 'sid=1',
    });
    expect(p.fields).toMatchObject({ http_user_agent: 'text', http_referer: 'keyword', env_unique_id: 'keyword' });
  });

  it('%b `-` is 0 (CLF: no body bytes), other numeric `-` are null', () => {
    const p = apache({ format: '%h %t %b %D' });
    expect(ok(p, `1.2.3.4 ${TIME} - -`)).toMatchObject({ response_size_bytes: 0, request_time_us: null });
    expect(ok(p, `1.2.3.4 ${TIME} 512 99`)).toMatchObject({ response_size_bytes: 512, request_time_us: 99 });
  });

  it('unescapes \\" and \\\\ inside quoted fields', () => {
    const line = `1.2.3.4 - - ${TIME} "GET /q?x=\\"y\\" HTTP/1.1" 200 5 "http://a/\\\\b" "Mozilla \\"quoted\\" agent \\\\o/"`;
    expect(ok(apache(), line)).toMatchObject({
      request_method: 'GET',
      request_uri: '/q?x="y"',
      request_protocol: 'HTTP/1.1',
      http_referer: 'http://a/\\b',
      http_user_agent: 'Mozilla "quoted" agent \\o/',
    });
  });

  it('a quoted field may end with an escaped backslash', () => {
    const line = `1.2.3.4 - - ${TIME} "GET / HTTP/1.1" 200 5 "ref\\\\" "ua"`;
    expect(ok(apache(), line)).toMatchObject({ http_referer: 'ref\\', http_user_agent: 'ua' });
  });

  it('keeps a request line that does not split in `request` and leaves the parts null', () => {
    const doc = ok(apache(), `1.2.3.4 - - ${TIME} "\\x16\\x03\\x01" 400 226 "-" "-"`);
    expect(doc).toMatchObject({ request_method: null, request_uri: null, request_protocol: null, request: '\\x16\\x03\\x01', status: 400 });
    expect(ok(apache(), `1.2.3.4 - - ${TIME} "-" 408 - "-" "-"`)).toMatchObject({ request: '-', request_method: null });
  });

  it('accepts status conditions, %%, and the format as httpd.conf writes it', () => {
    const p = apache({ format: '"%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%400,501{User-agent}i\\" 100%%"' });
    const doc = ok(p, `1.2.3.4 - - ${TIME} "GET / HTTP/1.1" 200 5 "-" "curl" 100%`);
    expect(doc).toMatchObject({ http_user_agent: 'curl', status: 200 });
    expect(apacheTemplate('common').template.fields.map((f) => f.name)).toEqual(['remote_addr', 'remote_ident', 'remote_user', 'time_local', 'request', 'status', 'response_size_bytes']);
  });

  it('vhost_combined, with an IPv6 client', () => {
    const p = apache({ format: 'vhost_combined' });
    const doc = ok(p, `www.example.com:443 2001:db8::7 - - ${TIME} "GET / HTTP/1.1" 200 1234 "-" "curl/8.0"`);
    expect(doc).toMatchObject({ server_name: 'www.example.com', server_port: 443, remote_addr: '2001:db8::7', bytes_sent: 1234, http_user_agent: 'curl/8.0' });
  });

  it('%{format}t: strftime formats read in the configured zone; sec/msec → epoch formats', () => {
    const p = apache({ format: '%h [%{%Y-%m-%d %H:%M:%S}t] %>s', timeZone: 'Asia/Shanghai' });
    expect(ok(p, '1.2.3.4 [2024-07-01 12:00:00] 200')['@timestamp']).toBe('2024-07-01T04:00:00.000Z');
    expect(ok(apache({ format: '%h %{msec}t %>s' }), '1.2.3.4 1446249499322 200')['@timestamp']).toBe('2015-10-30T23:58:19.322Z');
    expect(ok(apache({ format: '%h %{sec}t %>s' }), '1.2.3.4 1446249499 200')['@timestamp']).toBe('2015-10-30T23:58:19.000Z');
  });

  it('reports precise reasons', () => {
    expect(reason(apache(), `1.2.3.4 - - ${TIME} "GET / HTTP/1.1" abc 5 "-" "-"`)).toBe('status "abc" is not an integer');
    expect(reason(apache(), '1.2.3.4 - - [32/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"')).toBe(
      'time_local "32/May/2015:10:05:03 +0000" does not match %d/%b/%Y:%H:%M:%S %z',
    );
    expect(reason(apache(), '1.2.3.4 - - 17/May/2015:10:05:03 +0000 "GET / HTTP/1.1" 200 5 "-" "-"')).toBe(
      'does not match the apache format at column 11: %u is not followed by " ["',
    );
    expect(reason(apache(), `1.2.3.4 - - ${TIME} "GET / HTTP/1.1" 200 5 "-"`)).toMatch(/^does not match the apache format at column \d+: /);
    expect(reason(apache(), '')).toMatch(/^does not match the apache format at column 1/);
  });

  it('%{format}t pieces in a row are one time: Apache\'s own millisecond format, msec_frac and usec_frac', () => {
    const p = apache({ format: '%h [%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t] %>s' });
    const doc = ok(p, '1.2.3.4 [17/May/2015 10:05:03.123 +0200] 200');
    expect(doc).toEqual({ '@timestamp': '2015-05-17T08:05:03.123Z', remote_addr: '1.2.3.4', time_local: '17/May/2015 10:05:03.123 +0200', status: 200 });
    expect(reason(p, '1.2.3.4 [17/May/2015 10:05:03 +0200] 200')).toBe('time_local "17/May/2015 10:05:03 +0200" does not match %d/%b/%Y %T.%L %z');
    const us = apache({ format: '%h [%{%Y-%m-%d %H:%M:%S}t.%{usec_frac}t] %>s', timeZone: 'America/New_York' });
    expect(ok(us, '::1 [2024-07-01 12:00:00.123456] 200')['@timestamp']).toBe('2024-07-01T16:00:00.123Z');
    // pieces side by side, and a literal percent sign between them
    expect(ok(apache({ format: '%h %{%Y%m%d}t%{%H%M%S}t%%%{msec_frac}t %>s' }), '::1 20240701120000%250 200')['@timestamp']).toBe('2024-07-01T12:00:00.250Z');
    expect(apacheTemplate('%h [%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t] %>s').template.fields.map((f) => f.label)).toEqual([
      '%h',
      '%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t',
      '%>s',
    ]);
  });

  it('%B alone is response_size_bytes too', () => {
    expect(ok(apache({ format: '%h %t %>s %B' }), `1.2.3.4 ${TIME} 200 0`)).toMatchObject({ status: 200, response_size_bytes: 0 });
  });

  it('rejects unsupported directives, formats without a time, and two directives for one field', () => {
    expect(() => apache({ format: '%h %^ti' })).toThrow(/unsupported directive/);
    expect(() => apache({ format: '%h %{msec_frac}t' })).toThrow('apache format: %{msec_frac}t (a fraction of a second) must follow a %{…}t time, as in %{%d/%b/%Y %T}t.%{msec_frac}t');
    expect(() => apache({ format: '%h %>s' })).toThrow(/no time field/);
    expect(() => apache({ format: '%h %t %>s %b %B' })).toThrow('apache format: %b and %B both give the field response_size_bytes; keep one');
    expect(() => apache({ format: '%h %t "%{Referer}i" "%{referer}i"' })).toThrow('apache format: %{Referer}i and %{referer}i both give the field http_referer; keep one');
    expect(() => apache({ format: '%h %t %{%H}t' })).toThrow('apache format: %t and %{%H}t both give the field time_local; keep one');
  });
});
