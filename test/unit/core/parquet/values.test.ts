import { compileTimeParser } from '../../../../lambda/core/time';
import { isoMillis, toInt32, toInt64, toStringValue, toTimestampMillis } from '../../../../lambda/core/parquet/values';

describe('value helpers', () => {
  it('isoMillis: fast path, offsets, invalid dates', () => {
    expect(isoMillis('2015-05-17T10:05:03.000Z')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3));
    expect(isoMillis('2015-02-29T00:00:00.000Z')).toBeNull();
    expect(isoMillis('2016-02-29T00:00:00.000Z')).toBe(Date.UTC(2016, 1, 29));
    expect(isoMillis('2015-05-17T12:05:03+02:00')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3));
    expect(isoMillis('2015-05-17T12:05:03.5+0200')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3, 500));
    expect(isoMillis('2015-05-17 10:05:03')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3));
    expect(isoMillis('17/May/2015:10:05:03 +0000')).toBeNull();
    expect(toTimestampMillis(new Date(5))).toBe(5);
    expect(toTimestampMillis(Number.NaN)).toBeNull();
  });

  it("isoMillis reads strings as the parsers' iso8601 does (UTC without an offset): rolled-over dates are null", () => {
    const iso8601 = compileTimeParser('iso8601');
    for (const v of ['2015-05-17T10:05:03.000Z', '2015-05-17T10:05:03,5 +0100', '2015-02-30T00:00:00+01:00', '2015-05-17T24:00:00Z', '2015-05-17T10:05:60Z', '0050-01-01T00:00:00.000Z']) {
      const t = iso8601(v);
      expect([v, isoMillis(v)]).toEqual([v, Number.isNaN(t) ? null : t]);
    }
    expect(isoMillis('2015-02-30T00:00:00+01:00')).toBeNull();
  });

  it('numbers and strings', () => {
    expect(toInt32('12')).toBe(12);
    expect(toInt32('')).toBeNull();
    expect(toInt32('0x10')).toBeNull();
    expect(toInt64('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(toInt64('9223372036854775808')).toBeNull();
    expect(toStringValue(12.5)).toBe('12.5');
    expect(toStringValue({ a: 1n })).toBe('{"a":"1"}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(toStringValue(cyclic)).toBeNull();
  });
});
