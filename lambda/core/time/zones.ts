/** IANA time zones: wall-clock times without an offset in the text are read in the configured zone. */
import { DAY, HOUR, MINUTE, daysFromCivil } from './calendar';

const UTC_ZONES = new Set(['utc', 'etc/utc', 'etc/uct', 'uct', 'gmt', 'etc/gmt', 'etc/gmt0', 'etc/gmt+0', 'etc/gmt-0', 'etc/universal', 'universal', 'etc/zulu', 'zulu', 'greenwich', 'etc/greenwich', 'gmt0', 'gmt+0', 'gmt-0']);

/** Converts a wall-clock time (encoded as if it were UTC) in one zone to epoch millis. */
export type ZoneResolver = (wallMs: number) => number;

const resolvers = new Map<string, ZoneResolver>();

export function zoneResolver(timeZone: string): ZoneResolver {
  let r = resolvers.get(timeZone);
  if (!r) {
    r = UTC_ZONES.has(timeZone.toLowerCase()) ? (wall) => wall : makeZoneResolver(timeZone);
    resolvers.set(timeZone, r);
  }
  return r;
}

function makeZoneResolver(timeZone: string): ZoneResolver {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
  });
  /** Exact offset (ms, wall - utc) in force at an instant. */
  const exactOffset = (utc: number): number => {
    const secs = Math.floor(utc / 1000) * 1000;
    const v: Record<string, string> = {};
    for (const p of dtf.formatToParts(secs)) v[p.type] = p.value;
    let y = +v.year;
    if (/^b/i.test(v.era ?? '')) y = 1 - y;
    return daysFromCivil(y, +v.month, +v.day) * DAY + +v.hour * HOUR + +v.minute * MINUTE + +v.second * 1000 - secs;
  };
  // Offsets are cached per UTC hour when the whole hour has one offset (transitions are rare).
  const hourCache = new Map<number, number>();
  const offsetAt = (utc: number): number => {
    const hb = Math.floor(utc / HOUR);
    let off = hourCache.get(hb);
    if (off === undefined) {
      const a = exactOffset(hb * HOUR);
      const b = exactOffset(hb * HOUR + HOUR - 1);
      off = a === b ? a : NaN;
      if (hourCache.size > 100_000) hourCache.clear();
      hourCache.set(hb, off);
    }
    return Number.isNaN(off) ? exactOffset(utc) : off;
  };
  const resolveSlow = (wall: number): number => {
    const before = offsetAt(wall - DAY);
    const after = offsetAt(wall + DAY);
    let best = NaN;
    for (const off of before === after ? [before] : [before, after]) {
      const t = wall - off;
      if (offsetAt(t) === off && !(t >= best)) best = t; // the earlier instant when the wall time occurs twice
    }
    // A wall time in a gap: read it with the offset before the transition (moves it forward by the gap).
    return Number.isNaN(best) ? wall - before : best;
  };
  // Per wall-clock hour: the offset when no transition is within a day of it, else NaN (slow path).
  const wallCache = new Map<number, number>();
  let lastHb = NaN;
  let lastOff = NaN;
  return (wall: number): number => {
    const hb = Math.floor(wall / HOUR);
    if (hb === lastHb) return wall - lastOff;
    let off = wallCache.get(hb);
    if (off === undefined) {
      const a = offsetAt(hb * HOUR - DAY);
      const b = offsetAt(hb * HOUR + HOUR + DAY);
      off = a === b && offsetAt(hb * HOUR - a) === a ? a : NaN;
      if (wallCache.size > 100_000) wallCache.clear();
      wallCache.set(hb, off);
    }
    if (Number.isNaN(off)) return resolveSlow(wall);
    lastHb = hb;
    lastOff = off;
    return wall - off;
  };
}
