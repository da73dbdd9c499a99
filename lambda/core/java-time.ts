/**
 * Java (SimpleDateFormat / Joda / DateTimeFormatter) time patterns, as Logback / log4j layouts and Java users write
 * them, turned into the strptime style lambda/core/time reads. Every log type's `timeFormat` may be one.
 */

import { escapeRe } from './time';

export interface JavaTime {
  strptime: string;
  regex: string;
}

const SPECIAL_TIME_FORMATS = new Set(['iso8601', 'epoch_s', 'epoch_ms', 'epoch_us']);

/** Logback / log4j named date formats. */
export const NAMED_JAVA_PATTERNS: Record<string, string> = {
  ISO8601: 'yyyy-MM-dd HH:mm:ss,SSS',
  ABSOLUTE: 'HH:mm:ss,SSS',
  DATE: 'dd MMM yyyy HH:mm:ss,SSS',
  COMPACT: 'yyyyMMddHHmmssSSS',
};

/** A Java date pattern → the strptime format lambda/core/time understands and a regex (no capture groups) matching it. */
export function compileJavaTime(pattern: string): JavaTime {
  const java = NAMED_JAVA_PATTERNS[pattern] ?? pattern;
  let strptime = '';
  let regex = '';
  const literal = (s: string) => {
    strptime += s.replace(/%/g, '%%');
    regex += s === ' ' ? ' +' : escapeRe(s);
  };
  for (let i = 0; i < java.length; ) {
    const ch = java[i];
    if (ch === "'") {
      const end = java.indexOf("'", i + 1);
      if (end === -1) throw new Error(`time pattern ${JSON.stringify(pattern)}: unterminated quote`);
      literal(end === i + 1 ? "'" : java.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(ch)) {
      literal(ch);
      i++;
      continue;
    }
    let n = 1;
    while (java[i + n] === ch) n++;
    i += n;
    switch (ch) {
      case 'y':
      case 'u':
        if (n === 2) (strptime += '%y'), (regex += '\\d{2}');
        else (strptime += '%Y'), (regex += '\\d{4}');
        break;
      case 'M':
      case 'L':
        if (n >= 4) (strptime += '%B'), (regex += '[A-Za-z]{3,9}');
        else if (n === 3) (strptime += '%b'), (regex += '[A-Za-z]{3}');
        else (strptime += '%m'), (regex += n === 2 ? '\\d{2}' : '\\d{1,2}');
        break;
      case 'd':
        (strptime += '%d'), (regex += n === 2 ? '\\d{2}' : '\\d{1,2}');
        break;
      case 'D':
        (strptime += '%j'), (regex += '\\d{1,3}');
        break;
      case 'H':
        (strptime += '%H'), (regex += n === 2 ? '\\d{2}' : '\\d{1,2}');
        break;
      case 'h':
        (strptime += '%I'), (regex += n === 2 ? '\\d{2}' : '\\d{1,2}');
        break;
      case 'm':
        (strptime += '%M'), (regex += n === 2 ? '\\d{2}' : '\\d{1,2}');
        break;
      case 's':
        (strptime += '%S'), (regex += n === 2 ? '\\d{2}' : '\\d{1,2}');
        break;
      case 'S':
        if (n === 3) (strptime += '%L'), (regex += '\\d{3}');
        else (strptime += '%f'), (regex += `\\d{${n}}`);
        break;
      case 'a':
        (strptime += '%p'), (regex += '[AaPp][Mm]');
        break;
      case 'E':
        if (n >= 4) (strptime += '%A'), (regex += '[A-Za-z]{3,9}');
        else (strptime += '%a'), (regex += '[A-Za-z]{3}');
        break;
      case 'Z':
      case 'X':
      case 'x':
        (strptime += '%z'), (regex += '(?:Z|[+-]\\d{2}(?::?\\d{2})?)');
        break;
      case 'z':
        (strptime += '%Z'), (regex += '[A-Za-z]{1,5}');
        break;
      default:
        throw new Error(`time pattern ${JSON.stringify(pattern)}: unsupported pattern letter ${ch}`);
    }
  }
  return { strptime, regex };
}

/** A Java/Joda date pattern (`yyyy-MM-dd HH:mm:ss,SSS`) → strptime style (`%Y-%m-%d %H:%M:%S,%L`). */
export function javaTimeToStrptime(pattern: string): string {
  return compileJavaTime(pattern).strptime;
}

/** A time format as configured (strptime with `%`, `iso8601`/`epoch_*`, or a Java pattern) → what lambda/core/time takes. */
export function toStrptimeFormat(format: string): string {
  if (SPECIAL_TIME_FORMATS.has(format) || format.includes('%')) return format;
  return javaTimeToStrptime(format);
}
