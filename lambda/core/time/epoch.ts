/** `epoch_s`, `epoch_ms` and `epoch_us`: numbers or numeric strings. */
import { inRange } from './calendar';
import type { TimeParser } from './wall-clock';

/** Parses a plain decimal (`-12`, `1446249499.322`) into integer units × 10^scale, truncating extra digits. */
export function decimalScaled(s: string, scale: number): number {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 0 && (s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43)) {
    neg = s.charCodeAt(0) === 45;
    i = 1;
  }
  let int = 0;
  let digits = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    int = int * 10 + c;
    digits++;
  }
  if (digits === 0 || digits > 17) return NaN;
  let frac = 0;
  let fracDigits = 0;
  if (i < n) {
    if (s.charCodeAt(i) !== 46) return NaN;
    i++;
    if (i === n) return NaN;
    for (; i < n; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return NaN;
      if (fracDigits < scale) {
        frac = frac * 10 + c;
        fracDigits++;
      }
    }
  }
  while (fracDigits < scale) {
    frac *= 10;
    fracDigits++;
  }
  const v = int * 10 ** scale + frac;
  return neg ? -v : v;
}

export function epochParser(unit: 's' | 'ms' | 'us'): TimeParser {
  return (value) => {
    const s = typeof value === 'number' ? String(value) : value;
    if (unit === 's') return inRange(decimalScaled(s, 3));
    if (unit === 'ms') return inRange(decimalScaled(s, 0));
    return inRange(Math.floor(decimalScaled(s, 0) / 1000));
  };
}
