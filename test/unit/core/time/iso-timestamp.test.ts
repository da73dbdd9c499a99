import { toIsoTimestamp, writeIsoTimestamp } from '../../../../lambda/core/time';

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
});

describe('writeIsoTimestamp', () => {
  it('writes what toIsoTimestamp returns', () => {
    const buf = Buffer.alloc(64);
    const samples = [0, 1, 999, 1000, 1431857103000, 1431857103123, -1, -86_400_001, 253402300799999, Date.UTC(2024, 1, 29, 23, 59, 59, 999)];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor((i * 7919 * 3_600_000 + i * 123) % 4e12) - 1e12);
    for (const ms of samples) {
      const end = writeIsoTimestamp(ms, buf, 3);
      expect(buf.toString('latin1', 3, end)).toBe(toIsoTimestamp(ms));
    }
  });
});
