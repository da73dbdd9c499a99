import { LogFormatSchema } from '../../../../../lambda/core/config/log-format';
import { compileSyslog, splitSyslogFrames } from '../../../../../lambda/core/formats/syslog';

describe('syslog parser: octet-counted frames as lines', () => {
  const p = compileSyslog(LogFormatSchema.parse({ type: 'syslog' }));
  const msg = '<13>1 2003-10-11T22:14:15.003Z h a - - - mé ✓';
  const bytes = Buffer.byteLength(msg);

  it('drops a count that matches the bytes that follow, with or without the LF counted', () => {
    const plain = (p.parse(msg) as { doc: Record<string, unknown> }).doc;
    expect(plain.message).toBe('mé ✓');
    for (const count of [bytes, bytes + 1]) expect(p.parse(`${count} ${msg}`)).toEqual({ ok: true, doc: plain });
    const bsd = '<34>Oct 11 22:14:15 mymachine su: su root failed';
    expect(p.parse(`${Buffer.byteLength(bsd) + 1} ${bsd}`)).toMatchObject({ ok: true, doc: { app_name: 'su', hostname: 'mymachine' } });
  });

  it('fails a count that does not match, naming both numbers', () => {
    expect(p.parse(`${bytes + 5} ${msg}`)).toEqual({ ok: false, reason: `octet-counted frame: count ${bytes + 5}, but ${bytes} bytes follow` });
    expect(p.parse(`${bytes - 1} ${msg}`)).toEqual({ ok: false, reason: `octet-counted frame: count ${bytes - 1}, but ${bytes} bytes follow` });
  });
});

describe('splitSyslogFrames (RFC 6587)', () => {
  const frames: Array<[string, string, string[], string]> = [
    ['one LF frame', '<13>a\n', ['<13>a'], ''],
    ['LF frames, CRLF, blank lines; a partial line is the rest', '<13>a\r\n\n<14>b\n<15>par', ['<13>a', '<14>b'], '<15>par'],
    ['octet-counted without LF', '5 <13>a6 <14>bc', ['<13>a', '<14>bc'], ''],
    ['octet counts that include the trailing LF (rsyslog)', '6 <13>a\n7 <14>bc\n', ['<13>a', '<14>bc'], ''],
    ['mixed in one read', '6 <13>a\n<14>lf frame\n7 <15>xy\n<16>z\n', ['<13>a', '<14>lf frame', '<15>xy', '<16>z'], ''],
    ['counts are UTF-8 bytes', '9 <13>ü✓\n<14>b\n', ['<13>ü✓', '<14>b'], ''],
    ['a count of a 4-byte character', '8 <13>😀<14>\n', ['<13>😀', '<14>'], ''],
    ['an LF inside an octet-counted frame is data', '10 <13>a\nb\nc\n', ['<13>a\nb\nc'], ''],
    ['incomplete octet frame', '6 <13>a\n20 <14>abc', ['<13>a'], '20 <14>abc'],
    ['incomplete count', '6 <13>a\n12', ['<13>a'], '12'],
    ['count and SP only', '12 ', [], '12 '],
    ['a line that starts with digits is LF-framed', '123 apples\n<13>x\n', ['123 apples', '<13>x'], ''],
    ['RFC 3164 without PRI', 'Jun 14 15:16:01 combo x: y\n', ['Jun 14 15:16:01 combo x: y'], ''],
    ['a leading zero is no count', '05 <13>a\n', ['05 <13>a'], ''],
    ['an absurd count is no count', '99999999999 <13>a\n', ['99999999999 <13>a'], ''],
    ['empty', '', [], ''],
  ];
  it.each(frames)('%s', (_n, buf, expected, rest) => {
    expect(splitSyslogFrames(buf)).toEqual({ frames: expected, rest });
  });

  it('final: the rest becomes the last frame', () => {
    expect(splitSyslogFrames('<13>a\n<14>b', true)).toEqual({ frames: ['<13>a', '<14>b'], rest: '' });
    expect(splitSyslogFrames('20 <14>abc', true)).toEqual({ frames: ['<14>abc'], rest: '' });
    expect(splitSyslogFrames('12', true)).toEqual({ frames: ['12'], rest: '' });
  });

  it('gives the same frames however the stream is cut into reads', () => {
    const msgs = ['<13>1 - h a - - - ünï ✓ 😀', '<14>Jun 14 15:16:01 combo x[1]: y', '<15>x\ny', '<16>plain'];
    let stream = '';
    msgs.forEach((m, i) => {
      if (m.includes('\n') || i % 2 === 0) stream += `${Buffer.byteLength(m) + (i % 3 === 0 ? 1 : 0)} ${m}${i % 3 === 0 ? '\n' : ''}`;
      else stream += `${m}\n`;
    });
    const bytes = Buffer.from(stream);
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b += 3) {
        const dec = new TextDecoder();
        let rest = '';
        const got: string[] = [];
        for (const part of [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]) {
          const r = splitSyslogFrames(rest + dec.decode(part, { stream: true }));
          got.push(...r.frames);
          rest = r.rest;
        }
        expect({ a, b, got, rest }).toEqual({ a, b, got: msgs, rest: '' });
      }
    }
  });
});
