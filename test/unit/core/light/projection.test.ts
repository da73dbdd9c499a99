import {
  DEFAULT_PROJECTION,
  MAX_PARTITIONS_PER_QUERY,
  athenaRange,
  hourOf,
  isEventHour,
  partitionLimitProblem,
  projectedPartitions,
  projectionMiss,
  projectionWindow,
} from '../../../../lambda/core/light/projection';

const at = (iso: string) => Date.parse(iso);
const NOW = at('2026-12-05T10:24:33Z');

describe('event_hour projection range', () => {
  test('the Glue range: a fixed first hour, NOW plus the future hours (Athena relative syntax)', () => {
    expect(athenaRange(DEFAULT_PROJECTION)).toBe('2000010100,NOW+24HOURS');
    expect(athenaRange({ fromHour: '2015051700', futureHours: 0 })).toBe('2015051700,NOW');
    expect(athenaRange({ fromHour: '2015051700', futureHours: 1 })).toBe('2015051700,NOW+1HOURS');
    // Athena's documented pattern for a relative bound.
    const relative = /^\s*NOW\s*(([+-])\s*([0-9]+)\s*(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?)\s*)?$/;
    for (const r of [DEFAULT_PROJECTION, { fromHour: '2015051700', futureHours: 0 }]) expect(athenaRange(r).split(',')[1]).toMatch(relative);
  });

  test('hours are UTC YYYYMMDDHH; only real hours are accepted', () => {
    expect(hourOf(NOW)).toBe('2026120510');
    expect(hourOf(at('1999-12-31T23:59:59.999Z'))).toBe('1999123123');
    expect(isEventHour('2024022923')).toBe(true);
    expect(isEventHour('2023022900')).toBe(false);
    expect(isEventHour('2024010124')).toBe(false);
    expect(isEventHour('2024-01-01')).toBe(false);
  });

  test('the window at a given time: first hour, last hour = the hour of NOW + futureHours', () => {
    expect(projectionWindow(DEFAULT_PROJECTION, NOW)).toEqual({ first: '2000010100', last: '2026120610', range: '2000010100,NOW+24HOURS' });
    expect(projectionWindow({ fromHour: '2015051700', futureHours: 0 }, NOW).last).toBe('2026120510');
  });

  test('a record hour is inside, before or after the window, with the reason and the setting to change', () => {
    const w = projectionWindow(DEFAULT_PROJECTION, NOW);
    for (const inside of ['2000010100', '2015051710', '2026120510', '2026120610']) expect(projectionMiss(inside, w)).toBeUndefined();
    expect(projectionMiss('1999123123', w)).toBe(
      'event hour 1999123123 is before the first projected hour 2000010100: Athena would never return it (engine.projection; the table projects 2000010100,NOW+24HOURS)',
    );
    expect(projectionMiss('1970010100', w)).toMatch(/^event hour 1970010100 is before /);
    expect(projectionMiss('2026120611', w)).toBe(
      'event hour 2026120611 is after the last projected hour 2026120610 at conversion: Athena would not return it (engine.projection; the table projects 2000010100,NOW+24HOURS)',
    );
    // A year past 9999 has no YYYYMMDDHH hour (ISO text `+010000-…`): no partition Athena could ever project.
    expect(projectionMiss('+010000-0', w)).toMatch(/^record time has no projectable hour "\+010000-0"/);
  });

  test('partitions a whole-table query reads: projected hours × regions, exact', () => {
    // 2000-01-01T00 … 2026-12-06T10 inclusive.
    expect(projectedPartitions(DEFAULT_PROJECTION, NOW)).toBe(236_075);
    expect(projectedPartitions(DEFAULT_PROJECTION, NOW, 3)).toBe(3 * 236_075);
    expect(projectedPartitions({ fromHour: '2026120500', futureHours: 0 }, NOW)).toBe(11);
    expect(projectedPartitions({ fromHour: '2027010100', futureHours: 0 }, NOW)).toBe(0);
  });

  test('the default stays within the 1,000,000 partitions Athena reads per query, 10 years on and beyond', () => {
    expect(MAX_PARTITIONS_PER_QUERY).toBe(1_000_000);
    expect(partitionLimitProblem(DEFAULT_PROJECTION, NOW)).toBeUndefined();
    // 2036-12: 323,747 hours; even 1970 would be 586,715 then.
    expect(projectedPartitions(DEFAULT_PROJECTION, at('2036-12-05T10:24:33Z'))).toBe(323_747);
    expect(projectedPartitions({ fromHour: '1970010100', futureHours: 24 }, at('2036-12-05T10:24:33Z'))).toBe(586_715);
    expect(partitionLimitProblem({ fromHour: '1970010100', futureHours: 24 }, NOW)).toBeUndefined();
    // The limit is reached around 2114.
    expect(projectedPartitions(DEFAULT_PROJECTION, at('2114-01-01T00:00:00Z'))).toBeLessThan(MAX_PARTITIONS_PER_QUERY);
    expect(projectedPartitions(DEFAULT_PROJECTION, at('2115-01-01T00:00:00Z'))).toBeGreaterThan(MAX_PARTITIONS_PER_QUERY);
  });

  test('a range that would pass the limit within 10 years is refused with the first day that fits', () => {
    const problem = partitionLimitProblem({ fromHour: '1900010100', futureHours: 24 }, NOW);
    expect(problem).toMatch(/^projects 1\d{6} hourly partitions by 2036, and a query without an event_hour filter reads every one: Athena reads at most 1000000 partitions per query; start on (\d{4}-\d{2}-\d{2}) or later$/);
    const earliest = /start on (\S+) or later/.exec(problem!)![1];
    const fromHour = `${earliest.replace(/-/g, '')}00`;
    expect(partitionLimitProblem({ fromHour, futureHours: 24 }, NOW)).toBeUndefined();
    const dayBefore = hourOf(Date.parse(`${earliest}T00:00:00Z`) - 24 * 3_600_000);
    expect(partitionLimitProblem({ fromHour: dayBefore, futureHours: 24 }, NOW)).toBeDefined();
    // Several regions multiply the count.
    expect(partitionLimitProblem({ fromHour: '1970010100', futureHours: 24 }, NOW, 2)).toMatch(/^projects \d+ hourly partitions × 2 regions by 2036/);
  });
});
