import { TIME_LOCAL_FORMAT } from '../../../../lambda/core/time';
import { iso } from './helpers';

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
