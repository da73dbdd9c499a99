/**
 * Runtime helpers of the generated code (passed to it by name: see compileTemplate's factory), and the unescaping of
 * logged values, which parse() and the agent comparisons share.
 */
import { isUtf8 } from 'node:buffer';
import { INVALID, isIPv4Bytes, type Converted, type Converter } from '../../fields';

/** Characters that JSON must escape (and lone surrogates, which JSON.stringify escapes too). */
export const JSON_NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** A line without these has no value that needs escaping, except for `"`, which is counted. */
export const LINE_DIRTY = /[\\\u0000-\u001f\ud800-\udfff]/;

const views = new WeakMap<ArrayBufferLike, DataView>();

/**
 * The number of `"` in B[a..b), or -1 when B[a..b) has a byte that JSON cannot take as is: a control character
 * (needs a \u escape), a backslash, or a non-ASCII byte (the writer leaves UTF-8 to parse() + stringify). Four bytes
 * at a time: per-byte loops cost several times more than the word tests.
 */
export function plainQuotes(B: Buffer, a: number, b: number): number {
  let dv = views.get(B.buffer);
  if (dv === undefined) {
    dv = new DataView(B.buffer);
    views.set(B.buffer, dv);
  }
  const base = B.byteOffset;
  let quotes = 0;
  let i = a;
  for (; i + 4 <= b; i += 4) {
    const w = dv.getUint32(base + i, true);
    const bs = w ^ 0x5c5c5c5c;
    const qt = w ^ 0x22222222;
    // high bit of a byte set: byte < 0x20 or ≥ 0x80 (first term, exact for the test of the whole word), or a zero
    // byte in w ^ 0x5c… (backslash) or w ^ 0x22… (quote)
    if ((((w - 0x20202020) & ~w) | w | ((bs - 0x01010101) & ~bs) | ((qt - 0x01010101) & ~qt)) & 0x80808080) {
      for (let k = i; k < i + 4; k++) {
        const c = B[k];
        if (c < 32 || c > 127 || c === 92) return -1;
        if (c === 34) quotes++;
      }
    }
  }
  for (; i < b; i++) {
    const c = B[i];
    if (c < 32 || c > 127 || c === 92) return -1;
    if (c === 34) quotes++;
  }
  return quotes;
}

export function isIPv4Staged(B: Uint8Array, X: number, a: number, b: number): boolean {
  return isIPv4Bytes(B, X + a, X + b);
}

/** isPlainDigitsAt over the bytes B[X+a..X+b). */
export function isPlainDigitsBytes(B: Uint8Array, X: number, a: number, b: number, int32: boolean): boolean {
  const n = b - a;
  if (n < 1 || n > 15 || (n > 1 && B[X + a] === 48)) return false;
  let v = 0;
  for (let i = X + a; i < X + b; i++) {
    const c = B[i] - 48;
    if (c < 0 || c > 9) return false;
    v = v * 10 + c;
  }
  return !int32 || v <= 2_147_483_647;
}

/** isMethodAt over the bytes B[X+a..X+end). */
export function isMethodBytes(B: Uint8Array, X: number, a: number, end: number): boolean {
  if (end - a > 32) return false;
  for (let i = X + a; i < X + end; i++) {
    const c = B[i];
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95)) return false;
  }
  return true;
}

/** B[X+a..X+b) (digits) copied to B[o..]. */
export function copyDigits(B: Uint8Array, X: number, a: number, b: number, o: number): number {
  for (let i = X + a; i < X + b; i++) B[o++] = B[i];
  return o;
}

/**
 * The first position p in [from, last] with B[p] === c (`pattern`: c in every byte of a word), or -1. A word at a
 * time through the DataView DV of B: values are tens of bytes, where a native search costs more in its call than
 * in its work. (A zero byte of w ^ pattern is a c; the test may flag a word wrongly only above a real zero byte.)
 */
export function findByte(B: Buffer, DV: DataView, from: number, last: number, c: number, pattern: number): number {
  let p = from;
  for (; p + 3 <= last; p += 4) {
    const w = DV.getInt32(p, true) ^ pattern;
    if (((w - 0x01010101) & ~w & 0x80808080) !== 0) break;
  }
  for (; p <= last; p++) if (B[p] === c) return p;
  return -1;
}

export function sliceLatin1(B: Buffer, X: number, a: number, b: number): string {
  return B.toString('latin1', X + a, X + b);
}

/** line[a..b) (known ASCII: digits) written at B[o..]. */
export function copyRaw(line: string, a: number, b: number, B: Uint8Array, o: number): number {
  for (let i = a; i < b; i++) B[o++] = line.charCodeAt(i);
  return o;
}

/** An ASCII string (JSON text of a number, a timestamp) written at B[o..]; -1 if it is not ASCII after all. */
export function writeAscii(s: string, B: Uint8Array, o: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return -1;
    B[o++] = c;
  }
  return o;
}

/** line[a..b) is 1–15 digits without a leading zero (JSON.stringify(parseInteger(x)) === x), within int32 if asked. */
export function isPlainDigitsAt(line: string, a: number, b: number, int32: boolean): boolean {
  const n = b - a;
  if (n < 1 || n > 15 || (n > 1 && line.charCodeAt(a) === 48)) return false;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    v = v * 10 + c;
  }
  return !int32 || v <= 2_147_483_647;
}

/** isMethod on line[a..end). */
export function isMethodAt(line: string, a: number, end: number): boolean {
  if (end - a > 32) return false;
  for (let i = a; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95)) return false;
  }
  return true;
}

/** Is the space at line[idx] part of a `, ` or ` : ` list separator? */
export function isListSeparator(line: string, idx: number): boolean {
  const prev = line.charCodeAt(idx - 1);
  return prev === 44 || (prev === 58 && line.charCodeAt(idx - 2) === 32) || (line.charCodeAt(idx + 1) === 58 && line.charCodeAt(idx + 2) === 32);
}

/** Is line[idx] preceded by an odd number of backslashes (not looking before `from`)? */
export function isEscaped(line: string, idx: number, from: number): boolean {
  let k = idx - 1;
  while (k >= from && line.charCodeAt(k) === 92) k--;
  return (idx - 1 - k) % 2 === 1;
}

/** An HTTP method token: upper-case letters, `-` or `_` (GET, PROPFIND, VERSION-CONTROL). */
export function isMethod(s: string, end: number): boolean {
  if (end > 32) return false;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95)) return false;
  }
  return true;
}

const MULTI_SPLIT = /\s*[,:]\s*/;

/** `0.004, 0.010 : 0.002` → 0.016 (sum) or 0.002 (last); `-` parts are skipped; all `-` → null. */
export function reduceMulti(raw: string, mode: 'sum' | 'last', convert: Converter): Converted {
  if (raw.indexOf(',') === -1 && raw.indexOf(':') === -1) return convert(raw);
  let acc: number | null = null;
  for (const part of raw.split(MULTI_SPLIT)) {
    const v = convert(part);
    if (v === INVALID || typeof v === 'string' || typeof v === 'boolean') return INVALID;
    if (v === null) continue;
    acc = mode === 'last' || acc === null ? v : acc + v;
  }
  // sums of millisecond-resolution times: drop float noise (0.004 + 0.010 → 0.014, not 0.013999999999999999)
  return acc !== null && mode === 'sum' && !Number.isInteger(acc) ? Math.round(acc * 1e6) / 1e6 : acc;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const C_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', v: '\v', f: '\f', '"': '"', '\\': '\\' };

/**
 * Undoes the escaping nginx and Apache apply to logged values: a run of `\xHH` is decoded when it is printable
 * UTF-8 text (`\xE4\xB8\xAD` → 中, `\x22` → `"`), and kept as written otherwise (binary such as a TLS handshake
 * sent to a plain-HTTP port, `\x16\x03\x01`, stays readable); `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\v`, `\f` become
 * the character; anything else is kept as written.
 */
export function unescapeLogValue(s: string): string {
  let out = '';
  let i = 0;
  let from = 0;
  const n = s.length;
  while (i < n) {
    const bs = s.indexOf('\\', i);
    if (bs === -1 || bs === n - 1) break;
    const c = s[bs + 1];
    if (c === 'x' && isHex(s, bs + 2) && isHex(s, bs + 3)) {
      // a run of \xHH
      let j = bs;
      const bytes: number[] = [];
      while (j + 3 < n && s.charCodeAt(j) === 92 && s[j + 1] === 'x' && isHex(s, j + 2) && isHex(s, j + 3)) {
        bytes.push(parseInt(s.slice(j + 2, j + 4), 16));
        j += 4;
      }
      const buf = Buffer.from(bytes);
      const text = isUtf8(buf) ? buf.toString('utf8') : '';
      out += s.slice(from, bs) + (text && !CONTROL.test(text) ? text : s.slice(bs, j));
      i = from = j;
    } else if (C_ESCAPES[c] !== undefined) {
      out += s.slice(from, bs) + C_ESCAPES[c];
      i = from = bs + 2;
    } else {
      i = bs + 2;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

function isHex(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
