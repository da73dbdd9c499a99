import { TIME_LOCAL_FORMAT, compileTimeParser, createTimestamper, daysFromCivil, toIsoTimestamp } from '../../../lambda/core/time';

/** `@timestamp` string of a value, or 'invalid'. */
function iso(format: string, value: string | number, zone = 'UTC'): string {
  const ms = compileTimeParser(format, zone)(value);
  return Number.isNaN(ms) ? 'invalid' : toIsoTimestamp(ms);
}

describe('nginx $time_local / Apache %t', () => {
  it('parses the fixed-width form with every offset sign', () => {
    expect(iso(TIME_LOCAL_FORMAT, '17/May/2015:10:05:03 +0000')).toBe('2015-05-17T10:05:03.000Z');
    expect(iso(TIME_LOCAL_FORMAT, '17/May/2015:10:05:03 +0800')).toBe('2015-05-17T02:05:03.000Z');
    expect(iso(TIME_LOCAL_FORMAT, '17/May/2015:10:05:03 -0530')).toBe('2015-05-17T15:35:03.000Z');
    expect(iso(TIME_LOCAL_FORMAT, '01/Jan/2016:00:30:00 +0100')).toBe('2015-12-31T23:30:00.000Z');
    expect(iso(TIME_LOCAL_FORMAT, '29/Feb/2024:23:59:59 +0000')).toBe('2024-02-29T23:59:59.000Z');
  });

  it('ignores the configured zone when the text has an offset', () => {
    expect(iso(TIME_LOCAL_FORMAT, '17/May/2015:10:05:03 +0000', 'Asia/Shanghai')).toBe('2015-05-17T10:05:03.000Z');
  });

  it('accepts month names in any case and the variants the general parser allows', () => {
    expect(iso(TIME_LOCAL_FORMAT, '17/MAY/2015:10:05:03 +0000')).toBe('2015-05-17T10:05:03.000Z');
    expect(iso(TIME_LOCAL_FORMAT, '17/may/2015:10:05:03 +08:00')).toBe('2015-05-17T02:05:03.000Z');
    expect(iso(TIME_LOCAL_FORMAT, '7/May/2015:10:05:03 +0000')).toBe('2015-05-07T10:05:03.000Z');
    expect(iso(TIME_LOCAL_FORMAT, '17/May/2015:10:05:03 Z')).toBe('2015-05-17T10:05:03.000Z');
  });

  it.each([
    ['empty', ''],
    ['not a date', '-'],
    ['bad month', '17/Foo/2015:10:05:03 +0000'],
    ['day 31 of a 30-day month', '31/Apr/2015:10:05:03 +0000'],
    ['29 Feb of a common year', '29/Feb/2015:10:05:03 +0000'],
    ['hour 24', '17/May/2015:24:00:00 +0000'],
    ['minute 60', '17/May/2015:10:60:00 +0000'],
    ['letters in the year', '17/May/20x5:10:05:03 +0000'],
    ['no offset', '17/May/2015:10:05:03'],
    ['offset without sign', '17/May/2015:10:05:03 0000'],
    ['trailing text', '17/May/2015:10:05:03 +0000 extra'],
    ['brackets kept', '[17/May/2015:10:05:03 +0000]'],
  ])('rejects %s', (_, value) => {
    expect(iso(TIME_LOCAL_FORMAT, value)).toBe('invalid');
  });
});

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

describe('special formats', () => {
  it('iso8601 with T or space, fraction, offsets and date only', () => {
    expect(iso('iso8601', '2015-10-31T00:58:19.322Z')).toBe('2015-10-31T00:58:19.322Z');
    expect(iso('iso8601', '2015-10-31T00:58:19.322456789+01:00')).toBe('2015-10-30T23:58:19.322Z');
    expect(iso('iso8601', '2015-10-31 00:58:19,5 +0100')).toBe('2015-10-30T23:58:19.500Z');
    expect(iso('iso8601', '2015-10-31T00:58Z')).toBe('2015-10-31T00:58:00.000Z');
    expect(iso('iso8601', '2015-10-31')).toBe('2015-10-31T00:00:00.000Z');
    expect(iso('iso8601', '2015-10-32')).toBe('invalid');
    expect(iso('iso8601', 'yesterday')).toBe('invalid');
    expect(iso('iso8601', 1446249499322)).toBe('invalid');
  });

  it('epoch_s, epoch_ms, epoch_us from numbers and numeric strings', () => {
    expect(iso('epoch_s', 1446249499)).toBe('2015-10-30T23:58:19.000Z');
    expect(iso('epoch_s', '1446249499.322')).toBe('2015-10-30T23:58:19.322Z');
    expect(iso('epoch_s', 1446249499.322)).toBe('2015-10-30T23:58:19.322Z');
    expect(iso('epoch_ms', 1446249499322)).toBe('2015-10-30T23:58:19.322Z');
    expect(iso('epoch_ms', '1446249499322')).toBe('2015-10-30T23:58:19.322Z');
    expect(iso('epoch_us', '1446249499322999')).toBe('2015-10-30T23:58:19.322Z');
    expect(iso('epoch_ms', 0)).toBe('1970-01-01T00:00:00.000Z');
    expect(iso('epoch_s', -1)).toBe('1969-12-31T23:59:59.000Z');
  });

  it('rejects non-numbers and values past year 9999 (e.g. microseconds given as epoch_ms)', () => {
    expect(iso('epoch_ms', '12a')).toBe('invalid');
    expect(iso('epoch_ms', '')).toBe('invalid');
    expect(iso('epoch_ms', '1e12')).toBe('invalid');
    expect(iso('epoch_ms', 1446249499322999)).toBe('invalid');
    expect(iso('epoch_s', 1446249499322)).toBe('invalid');
  });
});

describe('toIsoTimestamp', () => {
  it('matches Date#toISOString over years 0000-9999', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const lo = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
    const hi = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor(lo + rand() * (hi - lo));
      expect(toIsoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
    for (const ms of [lo, hi, 0, -1, 1, 86_399_999, 951_782_400_000]) expect(toIsoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });

  it('daysFromCivil agrees with Date.UTC', () => {
    for (const [y, m, d] of [
      [1970, 1, 1],
      [2000, 2, 29],
      [1600, 3, 1],
      [2400, 12, 31],
      [1, 1, 1],
    ]) {
      const utc = new Date(0);
      utc.setUTCFullYear(y, m - 1, d);
      expect(daysFromCivil(y, m, d) * 86_400_000).toBe(utc.getTime());
    }
  });
});

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
