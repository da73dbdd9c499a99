import { daysFromCivil } from '../../../../lambda/core/time';

describe('calendar', () => {
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
