import { compileTimeParser } from '../../../../lambda/core/time';
import { iso } from './helpers';

describe('time zones (no offset in the text)', () => {
  const f = '%Y-%m-%d %H:%M:%S';

  it('defaults to UTC', () => {
    expect(iso(f, '2024-07-01 12:00:00')).toBe('2024-07-01T12:00:00.000Z');
  });

  it('America/New_York: EST in winter, EDT in summer', () => {
    expect(iso(f, '2024-01-15 12:00:00', 'America/New_York')).toBe('2024-01-15T17:00:00.000Z');
    expect(iso(f, '2024-07-15 12:00:00', 'America/New_York')).toBe('2024-07-15T16:00:00.000Z');
  });

  it('America/New_York spring forward (2024-03-10 02:00 → 03:00): around and inside the gap', () => {
    const z = 'America/New_York';
    expect(iso(f, '2024-03-10 01:59:59', z)).toBe('2024-03-10T06:59:59.000Z');
    expect(iso(f, '2024-03-10 03:00:00', z)).toBe('2024-03-10T07:00:00.000Z');
    // 02:30 does not exist: read with the offset before the change (EST), i.e. 03:30 EDT
    expect(iso(f, '2024-03-10 02:30:00', z)).toBe('2024-03-10T07:30:00.000Z');
  });

  it('America/New_York fall back (2024-11-03 02:00 → 01:00): 01:30 happens twice, the first one wins', () => {
    const z = 'America/New_York';
    expect(iso(f, '2024-11-03 00:59:59', z)).toBe('2024-11-03T04:59:59.000Z');
    expect(iso(f, '2024-11-03 01:30:00', z)).toBe('2024-11-03T05:30:00.000Z');
    expect(iso(f, '2024-11-03 02:00:00', z)).toBe('2024-11-03T07:00:00.000Z');
  });

  it('consecutive lines across a DST change keep their order', () => {
    const z = 'America/New_York';
    const parse = compileTimeParser(f, z);
    const times = ['2024-03-10 01:58:00', '2024-03-10 01:59:59', '2024-03-10 03:00:00', '2024-03-10 03:00:01'].map((v) => parse(v));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[2] - times[1]).toBe(1000);
  });

  it('Asia/Shanghai: UTC+8 all year now, and its 1986-1991 DST', () => {
    const z = 'Asia/Shanghai';
    expect(iso(f, '2024-01-15 12:00:00', z)).toBe('2024-01-15T04:00:00.000Z');
    expect(iso(f, '2024-07-15 12:00:00', z)).toBe('2024-07-15T04:00:00.000Z');
    expect(iso(f, '1990-07-01 12:00:00', z)).toBe('1990-07-01T03:00:00.000Z'); // CDT, UTC+9
    expect(iso(f, '1990-12-01 12:00:00', z)).toBe('1990-12-01T04:00:00.000Z');
  });

  it('fractions and iso8601 without offset use the zone too', () => {
    expect(iso('%Y-%m-%d %H:%M:%S.%L', '2024-07-01 12:00:00.123', 'America/New_York')).toBe('2024-07-01T16:00:00.123Z');
    expect(iso('iso8601', '2015-10-31 00:58:19', 'Asia/Shanghai')).toBe('2015-10-30T16:58:19.000Z');
    expect(iso('iso8601', '2015-10-31T00:58:19+01:00', 'Asia/Shanghai')).toBe('2015-10-30T23:58:19.000Z');
  });
});
