import { compileTimeParser } from '../../../../lambda/core/time';
import { iso } from './helpers';

describe('strptime formats', () => {
  it('%Y-%m-%dT%H:%M:%S%z with +0800, +08:00 and Z', () => {
    const f = '%Y-%m-%dT%H:%M:%S%z';
    expect(iso(f, '2024-07-01T12:00:00+0800')).toBe('2024-07-01T04:00:00.000Z');
    expect(iso(f, '2024-07-01T12:00:00+08:00')).toBe('2024-07-01T04:00:00.000Z');
    expect(iso(f, '2024-07-01T12:00:00Z')).toBe('2024-07-01T12:00:00.000Z');
    expect(iso(f, '2024-07-01T12:00:00-03:30')).toBe('2024-07-01T15:30:00.000Z');
  });

  it('fractions: %L is milliseconds, %f any number of digits (truncated to ms)', () => {
    expect(iso('%Y-%m-%d %H:%M:%S.%L', '2024-07-01 12:00:00.123')).toBe('2024-07-01T12:00:00.123Z');
    expect(iso('%Y-%m-%d %H:%M:%S,%L', '2024-07-01 12:00:00,007')).toBe('2024-07-01T12:00:00.007Z');
    expect(iso('%Y-%m-%d %H:%M:%S.%f', '2024-07-01 12:00:00.123456')).toBe('2024-07-01T12:00:00.123Z');
    expect(iso('%Y-%m-%d %H:%M:%S.%f', '2024-07-01 12:00:00.5')).toBe('2024-07-01T12:00:00.500Z');
    expect(iso('%Y-%m-%d %H:%M:%S.%L', '2024-07-01 12:00:00.12')).toBe('invalid');
  });

  it('%b %e (space-padded day), %a, %B, %y, %j, %I %p, %T, %F', () => {
    expect(iso('%b %e %H:%M:%S %Y', 'Dec  4 04:47:44 2005')).toBe('2005-12-04T04:47:44.000Z');
    expect(iso('%b %e %H:%M:%S %Y', 'Dec 14 04:47:44 2005')).toBe('2005-12-14T04:47:44.000Z');
    expect(iso('%a %b %d %H:%M:%S %Y', 'Sun Dec 04 04:47:44 2005')).toBe('2005-12-04T04:47:44.000Z');
    expect(iso('%d %B %Y %T', '04 December 2005 04:47:44')).toBe('2005-12-04T04:47:44.000Z');
    expect(iso('%y/%m/%d %H:%M:%S', '17/06/09 20:10:40')).toBe('2017-06-09T20:10:40.000Z');
    expect(iso('%y/%m/%d %H:%M:%S', '99/06/09 20:10:40')).toBe('1999-06-09T20:10:40.000Z');
    expect(iso('%Y-%j', '2024-060')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('%I:%M %p %m/%d/%Y', '12:05 AM 01/02/2020')).toBe('2020-01-02T00:05:00.000Z');
    expect(iso('%I:%M %p %m/%d/%Y', '12:05 pm 01/02/2020')).toBe('2020-01-02T12:05:00.000Z');
    expect(iso('%I:%M %p %m/%d/%Y', '13:05 pm 01/02/2020')).toBe('invalid');
    expect(iso('%F %T', '2020-01-02 03:04:05')).toBe('2020-01-02T03:04:05.000Z');
  });

  it('%s epoch seconds, with or without fraction', () => {
    expect(iso('%s', '1446249499')).toBe('2015-10-30T23:58:19.000Z');
    expect(iso('%s', '1446249499.322')).toBe('2015-10-30T23:58:19.322Z');
  });

  it('%Z accepts only UTC-like names', () => {
    expect(iso('%Y-%m-%d %H:%M:%S %Z', '2020-01-02 03:04:05 UTC')).toBe('2020-01-02T03:04:05.000Z');
    expect(iso('%Y-%m-%d %H:%M:%S %Z', '2020-01-02 03:04:05 GMT')).toBe('2020-01-02T03:04:05.000Z');
    expect(iso('%Y-%m-%d %H:%M:%S %Z', '2020-01-02 03:04:05 EST')).toBe('invalid');
  });

  it('rejects formats it cannot honour', () => {
    expect(() => compileTimeParser('%Y-%m-%d %Q')).toThrow(/unsupported directive %Q/);
    expect(() => compileTimeParser('%H:%M:%S')).toThrow(/no year/);
    expect(() => compileTimeParser('%Y %I:%M')).toThrow(/%I\/%l and %p/);
    expect(() => compileTimeParser('%Y', 'Mars/Olympus_Mons')).toThrow();
  });

  it('never falls back to "now" for text that does not match', () => {
    for (const v of ['', 'now', '2024-07-01', '2024-07-01 25:00:00', '2024-13-01 00:00:00', '2024-02-30 00:00:00']) {
      expect(iso('%Y-%m-%d %H:%M:%S', v)).toBe('invalid');
    }
  });
});
