import { iso } from './helpers';

describe('epoch formats', () => {
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
