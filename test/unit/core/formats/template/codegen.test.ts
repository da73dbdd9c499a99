/**
 * The template parsers' direct JSON writer (LineParser.json): for every line it accepts, the bytes it writes are
 * exactly JSON.stringify(parse(line).doc); every line it declines still goes through parse().
 */
import { LogFormatSchema, type LogFormat } from '../../../../../lambda/core/config/log-format';
import { compileParser, type LineParser } from '../../../../../lambda/core/formats';
import { corpusLines } from '../../../../corpora';
import { ACCESS_TIME, combined } from '../../../../fixtures/formats';

const corpus = corpusLines('apache_combined_elastic_examples.log');

const parser = (f: Partial<LogFormat> & { type: 'nginx' | 'apache' }): LineParser => compileParser(LogFormatSchema.parse(f));

/** Writes the line with some garbage around (the writer must not depend on a clean buffer); undefined when declined. */
function written(p: LineParser, line: string): string | undefined {
  const w = p.json!;
  const off = 7;
  const buf = Buffer.alloc(off + w.maxBytes(line.length) + 16, 0x2a);
  const end = w.write(line, buf, off);
  if (end < 0) return undefined;
  expect(end).toBeLessThanOrEqual(off + w.maxBytes(line.length));
  return buf.toString('utf8', off, end);
}

/** The writer agrees with parse() + JSON.stringify: same bytes when it writes, and it never accepts a failing line. */
function agrees(p: LineParser, line: string): 'written' | 'declined' {
  const r = p.parse(line);
  const got = written(p, line);
  if (got === undefined) return 'declined';
  if (!r.ok) throw new Error(`writer accepted a line parse() rejects (${r.reason}): ${JSON.stringify(line)}`);
  expect(got).toBe(JSON.stringify(r.doc));
  return 'written';
}

const TIME = ACCESS_TIME;

describe('direct JSON writer', () => {
  const formats: Array<[string, Partial<LogFormat> & { type: 'nginx' | 'apache' }]> = [
    ['nginx combined', { type: 'nginx' }],
    ['apache combined', { type: 'apache' }],
    ['nginx, request kept raw', { type: 'nginx', fields: { request: 'keyword' } }],
    ['nginx, status as long, remote_addr as keyword', { type: 'nginx', fields: { status: 'long', remote_addr: 'keyword' } }],
  ];

  it.each(formats)('is byte-identical to JSON.stringify(parse(line).doc) over the whole Apache corpus (%s)', (_, f) => {
    const p = parser(f);
    expect(p.json).toBeDefined();
    let n = 0;
    for (const line of corpus) if (agrees(p, line) === 'written') n++;
    // the fast path is the common path: only lines with escapes or that do not parse are declined
    expect(n).toBeGreaterThan(corpus.length * 0.99);
  });

  const line = combined;
  const adversarial = [
    line(),
    line({ agent: 'say "hi" to me' }),
    line({ agent: 'ends with a quote"' }),
    line({ ref: 'a "quoted" referer' }),
    line({ user: 'us"er' }),
    line({ req: 'GET /a\\"b HTTP/1.1' }),
    line({ agent: 'back\\\\slash' }),
    line({ agent: 'tab\there' }),
    line({ agent: 'nul\u0000char' }),
    line({ agent: 'esc\u001b[0m' }),
    line({ agent: 'del\u007fchar' }),
    line({ req: 'GET /\\xE4\\xB8\\xAD HTTP/1.1' }),
    line({ req: '\\x16\\x03\\x01\\x00' }),
    line({ agent: 'unicode 中文 ü é 🙂' }),
    line({ agent: 'lone \ud800 surrogate' }),
    line({ agent: 'latin1 \u00e9' }),
    line({ ip: '2001:db8::1' }),
    line({ ip: '::ffff:10.0.0.1' }),
    line({ ip: 'fe80::1%eth0' }),
    line({ ip: '256.1.1.1' }),
    line({ ip: '01.2.3.4' }),
    line({ ip: '-' }),
    line({ ip: '' }),
    line({ ip: 'not-an-ip' }),
    line({ ip: 'unix:' }),
    line({ status: '-' }),
    line({ status: '007' }),
    line({ status: '0' }),
    line({ status: '+200' }),
    line({ status: '2147483647' }),
    line({ status: '2147483648' }),
    line({ status: 'abc' }),
    line({ bytes: '-' }),
    line({ bytes: '' }),
    line({ bytes: '123456789012345' }),
    line({ bytes: '1234567890123456789' }),
    line({ bytes: '-5' }),
    line({ time: '17/May/2015:10:05:03 +0200' }),
    line({ time: '17/May/2015:10:05:03 -0930' }),
    line({ time: '7/May/2015:10:05:03 +0000' }),
    line({ time: '31/Feb/2015:10:05:03 +0000' }),
    line({ time: 'garbage' }),
    line({ time: '01/Jan/1969:23:59:59 +0000' }),
    line({ req: '-' }),
    line({ req: '' }),
    line({ req: 'GET' }),
    line({ req: 'GET /' }),
    line({ req: 'GET / ' }),
    line({ req: 'get / HTTP/1.1' }),
    line({ req: 'GET /a b c HTTP/1.0' }),
    line({ req: 'GET /a HTTP/' }),
    line({ req: 'GET  HTTP/1.1' }),
    line({ req: 'VERSION-CONTROL /x HTTP/1.1' }),
    line({ req: 'GET /a HTTX/1.1' }),
    line({ agent: '' }),
    line({ ref: '' }),
    '',
    'garbage',
    line().slice(0, -1),
    `${line()} trailing`,
  ];

  it.each(formats)('agrees with parse() + JSON.stringify on adversarial lines (%s)', (_, f) => {
    const p = parser(f);
    const outcomes = adversarial.map((l) => agrees(p, l));
    expect(outcomes).toContain('written');
    expect(outcomes).toContain('declined');
  });

  it('declines escapes, control and non-ASCII characters and quotes inside values (parse() handles them)', () => {
    const p = parser({ type: 'nginx' });
    expect(written(p, line())).toBeDefined();
    for (const l of [line({ agent: 'say "hi"' }), line({ agent: 'a\\\\b' }), line({ agent: 'tab\there' }), line({ agent: 'ü' }), line({ req: 'GET /\\xE4 HTTP/1.1' })]) {
      expect(written(p, l)).toBeUndefined();
      expect(p.parse(l).ok).toBe(true);
    }
  });

  it('agrees on other nginx and apache formats (upstream lists, floats, %b `-`, host:port)', () => {
    const cases: Array<[Partial<LogFormat> & { type: 'nginx' | 'apache' }, string[]]> = [
      [
        { type: 'nginx', format: '$remote_addr [$time_local] "$request" $status $request_time $upstream_response_time $upstream_status "$http_x_forwarded_for"' },
        [
          `10.0.0.1 [${TIME}] "GET / HTTP/1.1" 200 0.004 0.004, 0.010 : 0.002 502, 200 "-"`,
          `10.0.0.1 [${TIME}] "GET / HTTP/1.1" 200 1.5e3 - - "1.2.3.4, 5.6.7.8"`,
          `10.0.0.1 [${TIME}] "GET / HTTP/1.1" 200 .5 0.000 200 "x"`,
          `10.0.0.1 [${TIME}] "GET / HTTP/1.1" 200 abc 0.1 200 "x"`,
          `10.0.0.1 [${TIME}] "GET / HTTP/1.1" 200 1e999 0.1 200 "x"`,
        ],
      ],
      [
        { type: 'nginx', format: '$host:$server_port $remote_addr [$time_iso8601] "$request" $status' },
        [
          'example.com:443 10.0.0.1 [2015-05-17T10:05:03+00:00] "GET / HTTP/1.1" 200',
          '[::1]:8080 ::1 [2015-05-17T10:05:03Z] "GET / HTTP/2.0" 200',
          'example.com:x 10.0.0.1 [2015-05-17T10:05:03+00:00] "GET / HTTP/1.1" 200',
        ],
      ],
      [
        { type: 'apache', format: 'common' },
        [`10.0.0.1 - - [${TIME}] "GET / HTTP/1.1" 200 -`, `10.0.0.1 - frank [${TIME}] "GET / HTTP/1.1" 304 0`],
      ],
      [
        { type: 'apache', format: 'vhost_combined' },
        [`example.com:80 10.0.0.1 - - [${TIME}] "GET / HTTP/1.1" 200 1234 "-" "curl/8"`],
      ],
      [
        { type: 'apache', format: '%h %t %D %T "%{X-Flag}i"' },
        [`10.0.0.1 [${TIME}] 1234 0 "on"`, `10.0.0.1 [${TIME}] - - "-"`, `10.0.0.1 [${TIME}] 01 x "-"`],
      ],
    ];
    for (const [f, lines] of cases) {
      const p = parser(f);
      let n = 0;
      for (const l of lines) if (agrees(p, l) === 'written') n++;
      expect(n).toBeGreaterThan(0);
    }
  });
});
