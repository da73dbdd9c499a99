/**
 * Values are converted to the column type; a value that cannot be converted is written as null (never throws):
 *   string    strings as they are; numbers / booleans / bigints → their decimal text; objects and arrays → JSON text
 *   int       integers in 32-bit range (numbers, or strings holding one)
 *   bigint    integers in 64-bit range (numbers, bigints, or strings holding one)
 *   float / double   numbers (NaN → null; FLOAT: beyond float32 range → null), or strings holding a finite one
 *   boolean   booleans, `true`/`false` strings (any case), 0/1
 *   timestamp ISO-8601 strings (time/iso8601.ts; no offset → UTC), epoch millis, Date
 */
import { compileTimeParser } from '../time';
import type { ColumnType } from './columns';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export type Convert = (v: unknown) => unknown;

function numericString(s: string): number | null {
  // Number('') and Number('  ') are 0, Number('0x10') is 16: only plain decimal text counts.
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function toStringValue(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? String(v) : null;
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'object':
      if (v === null) return null;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
      try {
        return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? null;
      } catch {
        return null; // cycles
      }
    default:
      return null;
  }
}

export function toInt32(v: unknown): number | null {
  let n: number | null;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') n = numericString(v);
  else if (typeof v === 'bigint') n = v >= INT32_MIN && v <= INT32_MAX ? Number(v) : null;
  else return null;
  return n !== null && Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX ? n : null;
}

export function toInt64(v: unknown): bigint | null {
  let b: bigint;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return null;
    b = BigInt(v);
  } else if (typeof v === 'bigint') {
    b = v;
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (!/^[-+]?\d{1,20}$/.test(s)) {
      const n = numericString(s);
      if (n === null || !Number.isInteger(n)) return null;
      b = BigInt(n);
    } else {
      b = BigInt(s[0] === '+' ? s.slice(1) : s);
    }
  } else {
    return null;
  }
  return b >= INT64_MIN && b <= INT64_MAX ? b : null;
}

export function toFloatValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  if (typeof v === 'string') return numericString(v);
  if (typeof v === 'bigint') return Number(v);
  return null;
}

/** FLOAT: a finite double beyond float32 range would become Infinity: null instead. */
export function toFloat32Value(v: unknown): number | null {
  const n = toFloatValue(v);
  if (n === null || !Number.isFinite(n)) return n;
  return Math.abs(Math.fround(n)) === Infinity ? null : n;
}

export function toBooleanValue(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : null;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    return s === 'true' ? true : s === 'false' ? false : null;
  }
  return null;
}

const MAX_MS = 8.64e15; // ±275,760 years: the range of Date

/**
 * The codebase's ISO-8601 parser (time/iso8601.ts; values without an offset are UTC), with its hour cache: consecutive
 * time values mostly share their hour.
 */
const isoUtc = compileTimeParser('iso8601');

/** Epoch millis of an ISO-8601 timestamp, or null. */
export function isoMillis(s: string): number | null {
  const t = isoUtc(s);
  return Number.isNaN(t) ? null : t;
}

export function toTimestampMillis(v: unknown): number | null {
  if (typeof v === 'string') return isoMillis(v);
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= MAX_MS ? Math.trunc(v) : null;
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isNaN(t) ? null : t;
  }
  if (typeof v === 'bigint') return v >= -MAX_MS && v <= MAX_MS ? Number(v) : null;
  return null;
}

export const CONVERT: Record<ColumnType, Convert> = {
  string: toStringValue,
  int: toInt32,
  bigint: toInt64,
  float: toFloat32Value,
  double: toFloatValue,
  boolean: toBooleanValue,
  timestamp: toTimestampMillis,
};

/** Converter of one column type (exported for tests and for the compactor). */
export function converterOf(type: ColumnType): Convert {
  return CONVERT[type];
}
