/**
 * RFC 6587 framing: a syslog TCP stream split into messages (splitSyslogFrames), and the octet count of a frame
 * written to a file as a line.
 */
import { isDigit } from './message';

export const OCTET_COUNTED = /^([1-9]\d{0,9}) </;

/** Largest octet count taken as a frame length; a bigger number is read as the start of an LF-terminated frame. */
export const MAX_OCTET_COUNT = 64 * 1024 * 1024;

/** UTF-8 length of s[a..b) (a lone surrogate, as TextEncoder writes it, is 3 bytes). */
export function utf8Length(s: string, a: number, b: number): number {
  let len = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < b && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 4;
      i++;
    } else len += 3;
  }
  return len;
}

/** Index after `octets` UTF-8 bytes from s[a..], or -1 when s ends first (or the count splits a character). */
function advanceOctets(s: string, a: number, octets: number): number {
  let i = a;
  let left = octets;
  while (left > 0) {
    if (i >= s.length) return -1;
    const c = s.charCodeAt(i);
    let w: number;
    let step = 1;
    if (c < 0x80) w = 1;
    else if (c < 0x800) w = 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      w = 4;
      step = 2;
    } else w = 3;
    if (w > left) return i; // a count that ends inside a character: cut before it
    left -= w;
    i += step;
  }
  return i;
}

function stripLf(frame: string): string {
  let n = frame.length;
  if (n > 0 && frame.charCodeAt(n - 1) === 10) {
    n--;
    if (n > 0 && frame.charCodeAt(n - 1) === 13) n--;
    return frame.slice(0, n);
  }
  return frame;
}

/**
 * Splits what a syslog TCP stream delivered so far into frames (RFC 6587), octet-counted (`LEN SP MSG`, LEN counting
 * the UTF-8 bytes of MSG) and LF-terminated ("non-transparent") frames mixed as they come. A frame is octet-counted
 * when it starts with `LEN SP <` (LEN without a leading zero, ≤ MAX_OCTET_COUNT); anything else runs to the next LF.
 * Each frame loses one trailing LF (or CRLF): rsyslog counts the LF it appends in LEN. Empty frames (blank lines)
 * are skipped. `rest` is the incomplete tail to put before the next read; with `final` (end of stream) the tail is
 * the last frame instead. Decode the stream with a streaming UTF-8 decoder so that characters are not split.
 * UDP needs none of this: a datagram is one message.
 */
export function splitSyslogFrames(buffer: string, final = false): { frames: string[]; rest: string } {
  const frames: string[] = [];
  const n = buffer.length;
  let i = 0;
  while (i < n) {
    const c = buffer.charCodeAt(i);
    if (c === 10 || (c === 13 && buffer.charCodeAt(i + 1) === 10)) {
      i += c === 10 ? 1 : 2; // blank line between frames
      continue;
    }
    if (c >= 49 && c <= 57) {
      let j = i;
      let len = 0;
      while (j < n && j - i < 10 && isDigit(buffer.charCodeAt(j))) len = len * 10 + buffer.charCodeAt(j++) - 48;
      if (j === n && j - i < 10) break; // digits so far: a count or a line, wait for more
      if (buffer.charCodeAt(j) === 32 && len <= MAX_OCTET_COUNT) {
        if (j + 1 === n) break; // `LEN SP` so far
        if (buffer.charCodeAt(j + 1) === 60 /* < */) {
          const end = advanceOctets(buffer, j + 1, len);
          if (end < 0) break; // incomplete frame
          const frame = stripLf(buffer.slice(j + 1, end));
          if (frame.length > 0) frames.push(frame);
          i = end;
          continue;
        }
      }
    }
    const lf = buffer.indexOf('\n', i);
    if (lf < 0) break;
    const frame = stripLf(buffer.slice(i, lf + 1));
    if (frame.length > 0) frames.push(frame);
    i = lf + 1;
  }
  let rest = buffer.slice(i);
  if (final && rest.length > 0) {
    const m = /^([1-9]\d{0,9}) (<[\s\S]*)$/.exec(rest);
    const frame = stripLf(m && utf8Length(m[2], 0, m[2].length) <= +m[1] ? m[2] : rest);
    if (frame.length > 0) frames.push(frame);
    rest = '';
  }
  return { frames, rest };
}
