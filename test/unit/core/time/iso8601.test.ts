import { compileTimeParser } from '../../../../lambda/core/time';
import { iso } from './helpers';

describe('iso8601', () => {
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

  it('refuses an impossible field or a result outside 0000-9999 instead of rolling it over', () => {
    for (const v of [
      '2015-02-29T00:00:00Z',
      '2015-04-31T00:00:00Z',
      '2015-05-17T24:00:00Z',
      '2015-05-17T10:60:00Z',
      '2015-05-17T10:05:03+24:00',
      '2015-05-17T10:05:03+05:60', // not "no offset" either
      '0000-01-01T00:00:00+01:00',
      '9999-12-31T23:59:59-01:00',
    ]) {
      expect([v, iso('iso8601', v)]).toEqual([v, 'invalid']);
    }
  });

  it('reads what it always read: lower-case t and z, an hour-only offset, an offset after a date, a leap second', () => {
    expect(iso('iso8601', '2015-05-17t10:05:03z')).toBe('2015-05-17T10:05:03.000Z');
    expect(iso('iso8601', '2015-05-17T10:05:03+01')).toBe('2015-05-17T09:05:03.000Z');
    expect(iso('iso8601', '2015-05-17+01:00')).toBe('2015-05-16T23:00:00.000Z');
    expect(iso('iso8601', '2015-05-17T10:05:03 Z')).toBe('2015-05-17T10:05:03.000Z');
    expect(iso('iso8601', '2015-05-17T10:05:60Z')).toBe('2015-05-17T10:06:00.000Z');
    expect(iso('iso8601', '0050-01-01T00:00:00.000Z')).toBe('0050-01-01T00:00:00.000Z');
    // at most 9 fraction digits
    expect(iso('iso8601', '2015-05-17T10:05:03.1234567891Z')).toBe('invalid');
  });

  it('gives the @timestamp shape, read through its hour cache, what a fresh parse gives', () => {
    const cached = compileTimeParser('iso8601');
    const values = [
      '2015-05-17T10:05:03.000Z',
      '2015-05-17T10:59:59.999Z',
      '2015-05-17T10:60:00.000Z',
      '2015-05-17T10:05:3x.000Z',
      '2015-05-17T10:05:03,250Z', // same hour, another shape: the general parse reads it
      '2015-05-17T10:05:03.25 Z',
      '2015-05-17T11:00:00.000Z',
      '2016-02-29T23:59:59.999Z',
      '2015-02-29T10:05:03.000Z',
      '2015-05-17T10:05:04.000Z',
    ];
    for (const v of values) expect([v, cached(v)]).toEqual([v, compileTimeParser('iso8601')(v)]);
  });
});
