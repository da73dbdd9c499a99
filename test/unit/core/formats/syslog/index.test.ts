import { readFileSync } from 'node:fs';
import { SYSLOG_FIELD_TYPES, splitSyslogFrames } from '../../../../../lambda/core/formats/syslog';
import { corpusPath } from '../../../../corpora';
import { ok, reason } from '../../parse-helpers';
import { rng } from '../../prng';
import { NOW, NULLS, at, p, syslog } from './helpers';

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
