/** nginx $time_local / Apache %t fast path: `17/May/2015:10:05:03 +0000` (fixed width, 26 chars). */
import { HOUR, MINUTE, MONTH_BY_CODE, inRange, wallMs } from './calendar';

export const TIME_LOCAL_FORMAT = '%d/%b/%Y:%H:%M:%S %z';

export function timeLocalFast(s: string): number {
  if (s.length !== 26 || s.charCodeAt(2) !== 47 || s.charCodeAt(6) !== 47 || s.charCodeAt(11) !== 58) return NaN;
  if (s.charCodeAt(14) !== 58 || s.charCodeAt(17) !== 58 || s.charCodeAt(20) !== 32) return NaN;
  const d0 = s.charCodeAt(0) - 48, d1 = s.charCodeAt(1) - 48;
  const y0 = s.charCodeAt(7) - 48, y1 = s.charCodeAt(8) - 48, y2 = s.charCodeAt(9) - 48, y3 = s.charCodeAt(10) - 48;
  const h0 = s.charCodeAt(12) - 48, h1 = s.charCodeAt(13) - 48;
  const m0 = s.charCodeAt(15) - 48, m1 = s.charCodeAt(16) - 48;
  const s0 = s.charCodeAt(18) - 48, s1 = s.charCodeAt(19) - 48;
  const z0 = s.charCodeAt(22) - 48, z1 = s.charCodeAt(23) - 48, z2 = s.charCodeAt(24) - 48, z3 = s.charCodeAt(25) - 48;
  // every digit must be 0..9 (a non-digit is negative or > 9; `>>> 0` makes negatives huge)
  if (d0 >>> 0 > 9 || d1 >>> 0 > 9 || y0 >>> 0 > 9 || y1 >>> 0 > 9 || y2 >>> 0 > 9 || y3 >>> 0 > 9) return NaN;
  if (h0 >>> 0 > 9 || h1 >>> 0 > 9 || m0 >>> 0 > 9 || m1 >>> 0 > 9 || s0 >>> 0 > 9 || s1 >>> 0 > 9) return NaN;
  if (z0 >>> 0 > 9 || z1 >>> 0 > 9 || z2 >>> 0 > 9 || z3 >>> 0 > 9) return NaN;
  const month = MONTH_BY_CODE.get(((s.charCodeAt(3) | 32) << 16) | ((s.charCodeAt(4) | 32) << 8) | (s.charCodeAt(5) | 32));
  if (month === undefined) return NaN;
  const sign = s.charCodeAt(21);
  if (sign !== 43 && sign !== 45) return NaN;
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const day = d0 * 10 + d1;
  const hour = h0 * 10 + h1;
  const minute = m0 * 10 + m1;
  const second = s0 * 10 + s1;
  const oh = z0 * 10 + z1;
  const om = z2 * 10 + z3;
  if (oh > 23 || om > 59) return NaN;
  const wall = wallMs(year, month, day, hour, minute, second, 0);
  return Number.isNaN(wall) ? NaN : inRange(wall - (sign === 45 ? -1 : 1) * (oh * HOUR + om * MINUTE));
}
