/**
 * The minute caches of createTimestamper and createTimestampRangeWriter (time_local): every value of a sequence
 * that moves across seconds, minutes, hours, days, zones and odd values gives what a fresh parse gives.
 */
import { TIME_LOCAL_FORMAT, compileTimeParser, createTimestampRangeWriter, createTimestamper, toIsoTimestamp } from '../../../../lambda/core/time';
import { rng } from '../prng';

describe('createTimestamper', () => {
  it('returns the @timestamp string, or undefined when the value does not parse, across repeated values', () => {
    const ts = createTimestamper(TIME_LOCAL_FORMAT);
    expect(ts('17/May/2015:10:05:03 +0000')).toBe('2015-05-17T10:05:03.000Z');
    expect(ts('17/May/2015:10:05:03 +0000')).toBe('2015-05-17T10:05:03.000Z');
    expect(ts('nope')).toBeUndefined();
    expect(ts('nope')).toBeUndefined();
    expect(ts('17/May/2015:10:05:04 +0000')).toBe('2015-05-17T10:05:04.000Z');
    expect(ts('17/May/2015:18:05:04 +0800')).toBe('2015-05-17T10:05:04.000Z');
    expect(ts('17/May/2015:10:05:04 +0000')).toBe('2015-05-17T10:05:04.000Z');
  });
});

const reference = compileTimeParser(TIME_LOCAL_FORMAT);
const expected = (v: string): string | undefined => {
  const ms = reference(v);
  return Number.isNaN(ms) ? undefined : toIsoTimestamp(ms);
};

/** Consecutive values as logs have them, with the boundaries and oddities the caches must not paper over. */
const SEQUENCE = [
  '17/May/2015:10:05:03 +0000',
  '17/May/2015:10:05:43 +0000',
  '17/May/2015:10:05:59 +0000',
  '17/May/2015:10:05:60 +0000', // leap second: 10:06:00
  '17/May/2015:10:05:07 +0000',
  '17/May/2015:10:06:00 +0000',
  '17/May/2015:10:06:00 +0100', // same wall time, other zone
  '17/May/2015:10:06:01 +0100',
  '17/May/2015:10:06:02 +0530', // offset with minutes: the output minute is not the input's
  '17/May/2015:10:06:59 +0530',
  '17/May/2015:10:06:59 -0530',
  '17/May/2015:10:06:5x -0530', // not a digit
  '17/May/2015:10:06:6 -0530', // too short
  '17/May/2015:10:06:58 -0530',
  '17/May/2015:11:06:58 -0530',
  '18/May/2015:11:06:58 -0530',
  '18/May/2015:11:06:58 +05:30', // the general parser's form (27 chars)
  '18/May/2015:11:06:57 +05:30',
  '31/Dec/2015:23:59:59 +0000',
  '31/Dec/2015:23:59:58 -0100', // next year in UTC
  '01/Jan/2016:00:00:00 +0000',
  '29/Feb/2015:10:05:03 +0000', // no such day: never cached
  '29/Feb/2015:10:05:04 +0000',
  '17/May/2015:10:05:03 +0000',
  '17/MAY/2015:10:05:04 +0000', // other spelling of the same minute
  '17/May/2015:10:05:04 +0000',
  '',
  '17/May/2015:10:05:05 +0000',
];

describe('time_local minute cache', () => {
  it('createTimestamper gives what a fresh parse gives, value after value', () => {
    const ts = createTimestamper(TIME_LOCAL_FORMAT);
    for (const v of SEQUENCE) expect([v, ts(v)]).toEqual([v, expected(v)]);
  });

  it('createTimestampRangeWriter writes the same bytes, value after value, wherever the value sits', () => {
    const write = createTimestampRangeWriter(TIME_LOCAL_FORMAT);
    const B = Buffer.alloc(4096);
    const DV = new DataView(B.buffer, B.byteOffset, B.length);
    const X = 2048;
    SEQUENCE.forEach((v, k) => {
      const a = 3 + (k % 5); // odd offsets: the word reads and writes are unaligned
      B.write(v, X + a, 'latin1');
      const o = 7 + (k % 3);
      const end = write(B, DV, X, a, a + v.length, o);
      const want = expected(v);
      expect([v, end < 0 ? undefined : B.toString('latin1', o, end)]).toEqual([v, want]);
    });
  });

  it('agrees with a fresh parse over random walks through time and zones', () => {
    const rnd = rng(20260514);
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const pad = (n: number) => String(n).padStart(2, '0');
    const ts = createTimestamper(TIME_LOCAL_FORMAT);
    const write = createTimestampRangeWriter(TIME_LOCAL_FORMAT);
    const B = Buffer.alloc(256);
    const DV = new DataView(B.buffer, B.byteOffset, B.length);
    let [d, mo, h, mi, s] = [28, 1, 23, 59, 50];
    let zone = '+0000';
    for (let i = 0; i < 5000; i++) {
      const r = rnd();
      if (r < 0.6) s = (s + 1 + Math.floor(rnd() * 3)) % 61;
      else if (r < 0.8) mi = (mi + 1) % 61;
      else if (r < 0.9) h = (h + 1) % 25;
      else if (r < 0.95) d = 1 + ((d + 1) % 31);
      else if (r < 0.97) mo = (mo + 1) % 12;
      else zone = ['+0000', '-0800', '+0530', '+1400', '-1200', '+0945'][Math.floor(rnd() * 6)];
      const v = `${pad(d)}/${months[mo]}/2024:${pad(h)}:${pad(mi)}:${pad(s)} ${zone}`;
      expect([v, ts(v)]).toEqual([v, expected(v)]);
      B.write(v, 100, 'latin1');
      const end = write(B, DV, 100, 0, v.length, 1);
      expect([v, end < 0 ? undefined : B.toString('latin1', 1, end)]).toEqual([v, expected(v)]);
    }
  });
});
