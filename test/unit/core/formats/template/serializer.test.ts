import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LogFormatSchema, type LogFormat } from '../../../../../lambda/core/config/log-format';
import { compileParser, type LineParser } from '../../../../../lambda/core/formats';
import { CORPORA } from '../../../../corpora';
import { ok } from '../../parse-helpers';

const APACHE = path.join(CORPORA, 'apache_combined_elastic_examples.log');

const nginx = (f: Partial<LogFormat> = {}): LineParser => compileParser(LogFormatSchema.parse({ type: 'nginx', ...f }));

const TIME = '17/May/2015:10:05:03 +0000';

describe('nginx stringify (generated serializer)', () => {
  it('is byte-for-byte JSON.stringify on the corpus and on hand-written edge cases', () => {
    const p = nginx();
    const lines = readFileSync(APACHE, 'utf8').split('\n').filter((l) => l.length > 0);
    const extra = [
      `1.2.3.4 - a"b [${TIME}] "GET /x HTTP/1.1" 200 1 "-" "ua"`,
      `1.2.3.4 - - [${TIME}] "GET /\\x22 HTTP/1.1" 200 1 "-" "tab\there"`,
      `1.2.3.4 - - [${TIME}] "GET /中文 HTTP/1.1" 200 1 "-" "ü \u2028 \ud83d\ude00"`,
      `1.2.3.4 - - [${TIME}] "-" 400 0 "-" "-"`,
      `1.2.3.4 - - [${TIME}] "\\x16\\x03" 400 0 "-" "\\"q\\""`,
    ];
    let n = 0;
    for (const line of [...lines, ...extra]) {
      const r = p.parse(line);
      if (!r.ok) continue;
      expect(p.stringify!(r.doc)).toBe(JSON.stringify(r.doc));
      n++;
    }
    expect(n).toBe(9_999 + extra.length);
  });

  it('falls back to JSON.stringify for docs it did not just produce (e.g. modified)', () => {
    const p = nginx();
    const a = ok(p, `1.2.3.4 - - [${TIME}] "GET /a HTTP/1.1" 200 1 "-" "ua"`);
    ok(p, `1.2.3.5 - - [${TIME}] "GET /b HTTP/1.1" 200 1 "-" "ua"`);
    a.http_user_agent = 'now with "quotes"';
    expect(p.stringify!(a)).toBe(JSON.stringify(a));
  });
});
