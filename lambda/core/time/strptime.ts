/** Generic strptime → one anchored regex compiled once. */
import { MONTH_BY_NAME } from './calendar';
import { decimalScaled } from './epoch';
import { fractionMs, parseOffset, toEpoch, type Parts, type TimeParser } from './wall-clock';
import type { ZoneResolver } from './zones';

type Setter = (p: Parts, v: string) => boolean;

interface Directive {
  re: string;
  set?: Setter;
}

const num = (key: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'yday'): Setter => (p, v) => {
  p[key] = +v;
  return true;
};

const DIRECTIVES: Record<string, Directive> = {
  Y: { re: '(\\d{4})', set: num('year') },
  y: {
    re: '(\\d{2})',
    set: (p, v) => {
      const n = +v;
      p.year = n < 69 ? 2000 + n : 1900 + n;
      return true;
    },
  },
  m: { re: '(\\d{1,2})', set: num('month') },
  d: { re: '(\\d{1,2})', set: num('day') },
  e: { re: ' ?(\\d{1,2})', set: num('day') },
  j: { re: '(\\d{1,3})', set: num('yday') },
  H: { re: '(\\d{1,2})', set: num('hour') },
  k: { re: ' ?(\\d{1,2})', set: num('hour') },
  I: { re: '(\\d{1,2})', set: num('hour') },
  l: { re: ' ?(\\d{1,2})', set: num('hour') },
  M: { re: '(\\d{1,2})', set: num('minute') },
  S: { re: '(\\d{1,2})', set: num('second') },
  L: {
    re: '(\\d{3})',
    set: (p, v) => {
      p.ms = +v;
      return true;
    },
  },
  f: {
    re: '(\\d{1,9})',
    set: (p, v) => {
      p.ms = fractionMs(v);
      return true;
    },
  },
  b: { re: '([A-Za-z]{3})', set: setMonth },
  h: { re: '([A-Za-z]{3})', set: setMonth },
  B: { re: '([A-Za-z]{3,9})', set: setMonth },
  a: { re: '[A-Za-z]{3}' },
  A: { re: '[A-Za-z]{3,9}' },
  p: {
    re: '([AaPp]\\.?[Mm]\\.?)',
    set: (p, v) => {
      p.pm = v[0] === 'p' || v[0] === 'P' ? 1 : 0;
      return true;
    },
  },
  z: {
    re: '(Z|z|[+-]\\d{2}(?::?\\d{2})?)',
    set: (p, v) => {
      p.offsetMs = parseOffset(v);
      return !Number.isNaN(p.offsetMs);
    },
  },
  Z: {
    re: '([A-Za-z]{1,5})',
    set: (p, v) => {
      if (!/^(utc|gmt|ut|z)$/i.test(v)) return false;
      p.offsetMs = 0;
      return true;
    },
  },
  s: {
    re: '(-?\\d{1,12}(?:\\.\\d+)?)',
    set: (p, v) => {
      p.epochMs = decimalScaled(v, 3);
      return !Number.isNaN(p.epochMs);
    },
  },
  n: { re: '\\s+' },
  t: { re: '\\s+' },
  '%': { re: '%' },
};

/** strptime shorthands and what they stand for (also read by the agent's time shapes, lib/agent/parser-regex.ts). */
export const STRPTIME_EXPANSIONS: Record<string, string> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M', r: '%I:%M:%S %p' };

function setMonth(p: Parts, v: string): boolean {
  const m = MONTH_BY_NAME.get(v.toLowerCase());
  if (m === undefined) return false;
  p.month = m;
  return true;
}

/** s as a literal inside a regular expression. */
export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function strptimeParser(format: string, resolve: ZoneResolver): TimeParser {
  let expanded = format;
  for (let guard = 0; guard < 4 && /%[TFDRr]/.test(expanded); guard++) expanded = expanded.replace(/%([TFDRr])/g, (_, c: string) => STRPTIME_EXPANSIONS[c]);
  let re = '^';
  const setters: Setter[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i];
    if (ch === '%') {
      const d = expanded[i + 1];
      const dir = d === undefined ? undefined : DIRECTIVES[d];
      if (!dir) throw new Error(`time format ${JSON.stringify(format)}: unsupported directive %${d ?? ''}`);
      re += dir.re;
      if (dir.set) setters.push(dir.set);
      seen.add(d);
      i++;
    } else if (ch === ' ') {
      re += ' +';
    } else {
      re += escapeRe(ch);
    }
  }
  re += '$';
  if (!seen.has('s') && !seen.has('Y') && !seen.has('y')) {
    throw new Error(`time format ${JSON.stringify(format)} has no year (%Y or %y) nor %s`);
  }
  if ((seen.has('I') || seen.has('l')) !== seen.has('p')) {
    throw new Error(`time format ${JSON.stringify(format)}: %I/%l and %p go together`);
  }
  const regex = new RegExp(re);
  return (value) => {
    const m = regex.exec(typeof value === 'number' ? String(value) : value);
    if (!m) return NaN;
    const p: Parts = { year: 1970, month: 1, day: 1, yday: 0, hour: 0, minute: 0, second: 0, ms: 0, pm: -1, offsetMs: NaN, epochMs: NaN };
    for (let g = 0; g < setters.length; g++) if (!setters[g](p, m[g + 1])) return NaN;
    return toEpoch(p, resolve);
  };
}
