import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LogFormatSchema, type LogFormat } from '../../../../lambda/core/config/log-format';
import { compileParser, type LineParser } from '../../../../lambda/core/formats';
import { NGINX_COMBINED, nginxTemplate, normaliseNginxFormat } from '../../../../lambda/core/formats/nginx';
import { unescapeLogValue } from '../../../../lambda/core/formats/template';
import { CORPORA } from '../../../corpora';
import { ok, reason } from '../parse-helpers';

const APACHE = path.join(CORPORA, 'apache_combined_elastic_examples.log');

const nginx = (f: Partial<LogFormat> = {}): LineParser => compileParser(LogFormatSchema.parse({ type: 'nginx', ...f }));

const TIME = '17/May/2015:10:05:03 +0000';

describe('nginx combined (default format)', () => {
  const p = nginx();

  it('is the combined log_format, also by name; `main` adds X-Forwarded-For', () => {
    expect(normaliseNginxFormat(undefined)).toBe(NGINX_COMBINED);
    expect(normaliseNginxFormat('combined')).toBe(NGINX_COMBINED);
    expect(normaliseNginxFormat('main')).toBe(`${NGINX_COMBINED} "$http_x_forwarded_for"`);
    expect(nginxTemplate(undefined).fields.map((f) => f.name)).toEqual([
      'remote_addr',
      'remote_user',
      'time_local',
      'request',
      'status',
      'body_bytes_sent',
      'http_referer',
      'http_user_agent',
    ]);
  });

  it('takes a log_format value pasted from nginx.conf: quoted chunks joined, nginx.conf escapes undone', () => {
    const expected = '$remote_addr "$request" $status \'$host\'';
    expect(normaliseNginxFormat(`'$remote_addr ' '"$request" $status \\'$host\\''`)).toBe(expected);
    expect(normaliseNginxFormat(`"$remote_addr \\"$request\\" " '$status \\'$host\\''`)).toBe(expected);
    expect(normaliseNginxFormat(`$remote_addr \\"$request\\" $status \\'$host\\'`)).toBe(expected);
    // Backslashes that are not nginx.conf escapes stay literal.
    expect(normaliseNginxFormat('$remote_addr \\x $status')).toBe('$remote_addr \\x $status');
    const line = `10.1.2.3 [${TIME}] "GET / HTTP/1.1" 404 'example.com'`;
    for (const format of [`"$remote_addr [$time_local] \\"$request\\" $status '$host'"`, `$remote_addr [$time_local] \\"$request\\" $status \\'$host\\'`]) {
      expect(ok(nginx({ format, fields: {} }), line)).toMatchObject({ remote_addr: '10.1.2.3', request_uri: '/', status: 404, host: 'example.com' });
    }
  });

  it('parses a line field by field', () => {
    expect(ok(p, `83.149.9.216 - - [${TIME}] "GET /presentations/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/" "Mozilla/5.0 (Macintosh)"`)).toEqual({
      '@timestamp': '2015-05-17T10:05:03.000Z',
      remote_addr: '83.149.9.216',
      remote_user: '-',
      time_local: TIME,
      request_method: 'GET',
      request_uri: '/presentations/kibana-search.png',
      request_protocol: 'HTTP/1.1',
      request: undefined,
      status: 200,
      body_bytes_sent: 203023,
      http_referer: 'http://semicomplete.com/',
      http_user_agent: 'Mozilla/5.0 (Macintosh)',
    });
  });

  it('exposes the type table, with @timestamp', () => {
    expect(p.fields).toEqual({
      '@timestamp': 'date',
      remote_addr: 'ip',
      remote_user: 'keyword',
      time_local: 'keyword',
      request_method: 'keyword',
      request_uri: 'keyword',
      request_protocol: 'keyword',
      request: 'keyword',
      status: 'integer',
      body_bytes_sent: 'long',
      http_referer: 'keyword',
      http_user_agent: 'text',
    });
  });

  it('parses the Apache combined corpus lines (same shape): 9,999 ok, line 8899 fails', () => {
    const lines = readFileSync(APACHE, 'utf8').split('\n').filter((l) => l.length > 0);
    const failed: Array<[number, string]> = [];
    lines.forEach((l, i) => {
      const r = p.parse(l);
      if (!r.ok) failed.push([i + 1, r.reason]);
    });
    expect(failed).toEqual([[8899, 'does not match the nginx format at column 112: $http_user_agent is not followed by "\\"" at the end of the line']]);
  });

  it('keeps an IPv6 remote_addr whole', () => {
    for (const ip of ['2001:db8::1', '::1', '::ffff:192.0.2.1', 'fe80::1ff:fe23:4567:890a']) {
      expect(ok(p, `${ip} - alice [${TIME}] "GET / HTTP/2.0" 200 0 "-" "curl"`)).toMatchObject({ remote_addr: ip, remote_user: 'alice' });
    }
  });

  it('a client on a unix socket (nginx writes `unix:`) has no address: remote_addr null, the line indexed', () => {
    expect(ok(p, `unix: - - [${TIME}] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.29"`)).toMatchObject({ remote_addr: null, request_uri: '/health', status: 200 });
  });

  it('`-` in numeric fields → null; request "-" or garbage → raw request kept, parts null', () => {
    const custom = nginx({ format: '$remote_addr [$time_local] "$request" $status $request_time $request_length' });
    expect(ok(custom, `1.2.3.4 [${TIME}] "-" 400 - -`)).toMatchObject({ request: '-', request_method: null, request_uri: null, request_protocol: null, status: 400, request_time: null, request_length: null });
    expect(ok(custom, `1.2.3.4 [${TIME}] "\\x16\\x03\\x01\\x00" 400 0.001 0`)).toMatchObject({ request: '\\x16\\x03\\x01\\x00', request_method: null });
    expect(ok(custom, `1.2.3.4 [${TIME}] "GET /" 200 0.001 10`)).toMatchObject({ request_method: 'GET', request_uri: '/', request_protocol: null, request: undefined });
    expect(ok(custom, `1.2.3.4 [${TIME}] "GET /a b c HTTP/1.1" 200 0.001 10`)).toMatchObject({ request_uri: '/a b c', request_protocol: 'HTTP/1.1' });
  });

  it('keeps the raw request always when `request` is named in fields', () => {
    const doc = ok(nginx({ fields: { request: 'keyword' } }), `1.2.3.4 - - [${TIME}] "GET /x HTTP/1.1" 200 1 "-" "-"`);
    expect(doc).toMatchObject({ request: 'GET /x HTTP/1.1', request_method: 'GET', request_uri: '/x' });
  });

  it('applies type overrides', () => {
    const doc = ok(nginx({ fields: { status: 'keyword', remote_addr: 'keyword' } }), `unix: - - [${TIME}] "GET / HTTP/1.1" 200 1 "-" "-"`);
    expect(doc).toMatchObject({ status: '200', remote_addr: 'unix:' });
  });
});

describe('nginx custom formats', () => {
  it('punctuation next to a variable is literal: $host:$server_port, $remote_addr:$remote_port', () => {
    const p = nginx({ format: '$remote_addr:$remote_port $host:$server_port [$time_local] "$request" $status' });
    expect(ok(p, `192.0.2.1:51000 example.com:8080 [${TIME}] "GET / HTTP/1.1" 200`)).toMatchObject({
      remote_addr: '192.0.2.1',
      remote_port: 51000,
      host: 'example.com',
      server_port: 8080,
    });
    // IPv6: bracketed host, unbracketed $remote_addr (as nginx writes them)
    expect(ok(p, `2001:db8::1:51000 [::1]:443 [${TIME}] "GET / HTTP/1.1" 200`)).toMatchObject({
      remote_addr: '2001:db8::1',
      remote_port: 51000,
      host: '[::1]',
      server_port: 443,
    });
  });

  it('$upstream_response_time lists are summed, $upstream_status keeps the last, `-` parts skipped', () => {
    const p = nginx({ format: '$remote_addr [$time_local] $status $upstream_addr $upstream_response_time $upstream_status $request_time' });
    expect(ok(p, `1.2.3.4 [${TIME}] 200 10.0.0.1:80 0.004 200 0.005`)).toMatchObject({
      upstream_addr: '10.0.0.1:80',
      upstream_response_time: 0.004,
      upstream_status: 200,
      request_time: 0.005,
    });
    expect(ok(p, `1.2.3.4 [${TIME}] 200 10.0.0.1:80, 10.0.0.2:80 0.004, 0.010 502, 200 0.015`)).toMatchObject({
      upstream_addr: '10.0.0.1:80, 10.0.0.2:80',
      upstream_response_time: 0.014,
      upstream_status: 200,
      request_time: 0.015,
    });
    expect(ok(p, `1.2.3.4 [${TIME}] 200 10.0.0.1:80 : 10.0.0.9:80 0.004 : 0.002 404 : 200 0.007`)).toMatchObject({
      upstream_addr: '10.0.0.1:80 : 10.0.0.9:80',
      upstream_response_time: 0.006,
      upstream_status: 200,
    });
    expect(ok(p, `1.2.3.4 [${TIME}] 499 - - - 0.100`)).toMatchObject({ upstream_addr: '-', upstream_response_time: null, upstream_status: null, request_time: 0.1 });
    expect(ok(p, `1.2.3.4 [${TIME}] 502 10.0.0.1:80, 10.0.0.2:80 -, 0.010 502, - 0.011`)).toMatchObject({ upstream_response_time: 0.01, upstream_status: 502 });
    expect(reason(p, `1.2.3.4 [${TIME}] 200 x 0.004, abc 200 0.005`)).toBe('upstream_response_time "0.004, abc" is not a number');
  });

  it('quoted lists with escaped quotes and other variables', () => {
    const p = nginx({ format: '$remote_addr [$time_local] "$request" $status urt="$upstream_response_time" ua="$http_user_agent"' });
    expect(ok(p, `1.2.3.4 [${TIME}] "GET / HTTP/1.1" 200 urt="0.001, 0.002" ua="a \\"b\\" c"`)).toMatchObject({
      upstream_response_time: 0.003,
      http_user_agent: 'a "b" c',
    });
  });

  it('unescapes nginx escape=default \\xHH (printable UTF-8) and escape=json sequences', () => {
    const p = nginx();
    const doc = ok(p, `1.2.3.4 - - [${TIME}] "GET /search?q=\\x22hi\\x22 HTTP/1.1" 200 1 "-" "Mozilla \\xE4\\xB8\\xAD\\xE6\\x96\\x87 \\x22q\\x22"`);
    expect(doc).toMatchObject({ request_uri: '/search?q="hi"', http_user_agent: 'Mozilla 中文 "q"' });
    expect(unescapeLogValue('a\\"b\\\\c\\td')).toBe('a"b\\c\td');
    expect(unescapeLogValue('\\xE4\\xB8')).toBe('\\xE4\\xB8'); // not valid UTF-8: kept
    expect(unescapeLogValue('\\x16\\x03\\x01')).toBe('\\x16\\x03\\x01'); // control bytes: kept readable
    expect(unescapeLogValue('\\q\\')).toBe('\\q\\');
    expect(unescapeLogValue('plain')).toBe('plain');
  });

  it('$time_iso8601 and $msec are time fields too; timeZone applies only without an offset', () => {
    expect(ok(nginx({ format: '$remote_addr $time_iso8601 $status' }), '1.2.3.4 2015-05-17T18:05:03+08:00 200')['@timestamp']).toBe('2015-05-17T10:05:03.000Z');
    expect(ok(nginx({ format: '$msec $remote_addr $status' }), '1446249499.322 1.2.3.4 200')).toMatchObject({ '@timestamp': '2015-10-30T23:58:19.322Z', msec: 1446249499.322 });
    const local = nginx({ format: '$remote_addr [$time_local] $status', timeKey: 'time_local', timeFormat: '%d/%b/%Y:%H:%M:%S', timeZone: 'America/New_York' });
    expect(ok(local, '1.2.3.4 [01/Jul/2024:12:00:00] 200')['@timestamp']).toBe('2024-07-01T16:00:00.000Z');
    expect(ok(local, '1.2.3.4 [01/Dec/2024:12:00:00] 200')['@timestamp']).toBe('2024-12-01T17:00:00.000Z');
  });

  it('accepts the format as nginx.conf writes it (single-quoted pieces)', () => {
    const p = nginx({ format: `'$remote_addr - $remote_user [$time_local] '\n  '"$request" $status $body_bytes_sent'` });
    expect(ok(p, `1.2.3.4 - - [${TIME}] "GET / HTTP/1.1" 200 5`)).toMatchObject({ status: 200, body_bytes_sent: 5 });
  });

  it('${var} syntax and a literal prefix', () => {
    const p = nginx({ format: 'ip=${remote_addr}; t=[$time_local] s=$status' });
    expect(ok(p, `ip=1.2.3.4; t=[${TIME}] s=204`)).toMatchObject({ remote_addr: '1.2.3.4', status: 204 });
    expect(reason(p, `addr=1.2.3.4; t=[${TIME}] s=204`)).toBe('does not match the nginx format at column 1: expected "ip="');
  });

  it('reports precise reasons', () => {
    const p = nginx();
    expect(reason(p, `1.2.3.4 - - [${TIME}] "GET / HTTP/1.1" abc 5 "-" "-"`)).toBe('status "abc" is not an integer');
    expect(reason(p, `1.2.3.4 - - [${TIME}] "GET / HTTP/1.1" 200 1.5 "-" "-"`)).toBe('body_bytes_sent "1.5" is not an integer');
    expect(reason(p, `not-an-ip - - [${TIME}] "GET / HTTP/1.1" 200 1 "-" "-"`)).toBe('remote_addr "not-an-ip" is not an IP address');
    expect(reason(p, '1.2.3.4 - - [17/Mai/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "-"')).toBe(
      'time_local "17/Mai/2015:10:05:03 +0000" does not match %d/%b/%Y:%H:%M:%S %z',
    );
    expect(reason(p, '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200')).toBe(
      'does not match the nginx format at column 59: $status is not followed by " "',
    );
    expect(reason(p, 'GET / HTTP/1.1')).toBe('does not match the nginx format at column 1: $remote_addr is not followed by " - "');
  });

  it('refuses formats it cannot split or time', () => {
    expect(() => nginx({ format: '$remote_addr$remote_user [$time_local]' })).toThrow(/adjacent/);
    expect(() => nginx({ format: '$remote_addr $status' })).toThrow(/no time field/);
    expect(() => nginx({ timeKey: 'nope' })).toThrow(/timeKey "nope" is not a field/);
    expect(() => nginx({ format: 'no variables' })).toThrow(/has no \$variables/);
    expect(() => nginx({ fields: { request_uri: 'long' } })).toThrow(/request_uri must be keyword or text/);
  });
});
