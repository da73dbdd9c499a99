/**
 * JavaScript regular expression source (as the processor compiles it: `new RegExp(source)`, no flags) → a pattern
 * for Onigmo, the engine of Fluent Bit's parsers and grep filter (UTF-8, Ruby syntax).
 *
 * The output is written in the subset both engines read the same way, so that the unit tests can compile it with JS
 * RegExp, fast and in-process, and see what the agent will match; test/integration/fluent-bit-regex.test.ts runs
 * every generated pattern in the real Fluent Bit 4.2.2 and holds it to the same lines:
 * - `^` / `$`: in Ruby syntax they are line anchors, in JS (no `m` flag) input anchors; a multi-line event would
 *   match differently. They become `(?<![\s\S])` / `(?![\s\S])` (JS has no `\A` / `\z`).
 * - `.`: JS excludes \n, \r, U+2028, U+2029; Onigmo only \n. Written as that class.
 * - `\d`, `\w`, `\s` (and negations), `\b`: written as explicit classes / lookarounds, so Onigmo's ASCII-range and
 *   word-boundary options cannot change them.
 * - identity escapes (`\a`, `\h`, `\p`, `\/` …): JS reads the character itself, Onigmo gives several of them a
 *   meaning (`\h` hex digit, `\a` bell, `\p{…}` property): written as the literal character.
 * - a `{` that is not a quantifier (JS: literal) is escaped: Onigmo reads `{,n}` as a quantifier.
 * - `/` is escaped: Fluent Bit (flb_regex.c) reads a pattern that starts with `/` as `/pattern/options` and strips
 *   the slashes.
 * - in classes: `[` starts a nested class and `&&` an intersection in Onigmo, so both are escaped; `[^]` (any
 *   character) and `[]` (nothing) become `[\s\S]` and `(?!)`.
 * Refused (ConversionError, naming the construct): numbered back-references (Onigmo disallows them next to named
 * groups), lookbehind of variable length (Onigmo needs fixed-length alternatives), `$` in a group name, inline
 * modifiers `(?i:…)`, `\c` control escapes, negated shorthands inside a class (`[\S…]`: needs a nested class).
 * Not converted (documented limit): characters outside the BMP are two UTF-16 units for JS and one code point for
 * Onigmo, so `.` or a negated class counts them differently.
 */

export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

const SPACE_CHARS = '\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const DIGIT_CHARS = '0-9';
const WORD_CHARS = 'A-Za-z0-9_';
const DOT = '[^\\n\\r\\u2028\\u2029]';
const START = '(?<![\\s\\S])';
const END = '(?![\\s\\S])';
/**
 * Characters outside classes and escapes that are rewritten: `}` and `/` escaped (`/` because Fluent Bit strips a
 * `/…/` around the pattern), `.` `^` `$` as their JS meaning.
 */
const SINGLE: Record<string, string | undefined> = { '}': '\\}', '/': '\\/', '.': DOT, '^': START, '$': END };
const WORD_BOUNDARY = `(?:(?<=[${WORD_CHARS}])(?![${WORD_CHARS}])|(?<![${WORD_CHARS}])(?=[${WORD_CHARS}]))`;
const NOT_WORD_BOUNDARY = `(?:(?<=[${WORD_CHARS}])(?=[${WORD_CHARS}])|(?<![${WORD_CHARS}])(?![${WORD_CHARS}]))`;

/** Shorthand classes, outside a character class. */
const SHORTHAND: Record<string, string> = {
  d: `[${DIGIT_CHARS}]`,
  D: `[^${DIGIT_CHARS}]`,
  w: `[${WORD_CHARS}]`,
  W: `[^${WORD_CHARS}]`,
  s: `[${SPACE_CHARS}]`,
  S: `[^${SPACE_CHARS}]`,
};
const CLASS_SHORTHAND: Record<string, string> = { d: DIGIT_CHARS, w: WORD_CHARS, s: SPACE_CHARS };
/** Escapes with the same meaning in both engines. */
const SAME_ESCAPES = new Set(['n', 'r', 't', 'f', 'v']);
const HEX = /^[0-9A-Fa-f]$/;

function hex4(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

interface Group {
  lookbehind: boolean;
  /** Output position where the group's body starts (for the lookbehind length check). */
  start: number;
}

/** Converts; throws ConversionError when the construct has no faithful Onigmo equivalent. */
export function toOnigmo(source: string): string {
  try {
    new RegExp(source);
  } catch (e) {
    throw new ConversionError(`not a valid JavaScript regular expression: ${(e as Error).message}`);
  }
  let out = '';
  const groups: Group[] = [];
  const n = source.length;
  const bodyChecks: Array<{ from: number; to: number }> = [];

  /** Reads the escape at source[i] (a backslash); returns its conversion and the next index. */
  const escape = (i: number, inClass: boolean): [string, number] => {
    const c = source[i + 1];
    if (c === undefined) throw new ConversionError('trailing backslash');
    if (inClass) {
      if (CLASS_SHORTHAND[c]) return [CLASS_SHORTHAND[c], i + 2];
      if (c === 'D' || c === 'W' || c === 'S') throw new ConversionError(`\\${c} inside a character class cannot be written for Onigmo without a nested class; write the class out`);
      if (c === 'b') return ['\\u0008', i + 2];
    } else {
      if (SHORTHAND[c]) return [SHORTHAND[c], i + 2];
      if (c === 'b') return [WORD_BOUNDARY, i + 2];
      if (c === 'B') return [NOT_WORD_BOUNDARY, i + 2];
      if (/[1-9]/.test(c)) throw new ConversionError(`numbered back-reference \\${c}: Onigmo refuses them next to named groups; use \\k<name>`);
      if (c === 'k' && source[i + 2] === '<') {
        const close = source.indexOf('>', i + 3);
        return [source.slice(i, close + 1), close + 1];
      }
    }
    if (SAME_ESCAPES.has(c)) return [`\\${c}`, i + 2];
    if (c === '0' && !/[0-9]/.test(source[i + 2] ?? '')) return ['\\u0000', i + 2];
    if (/[0-9]/.test(c)) throw new ConversionError(`octal escape \\${c}…: write \\uHHHH`);
    if (c === 'x' && HEX.test(source[i + 2] ?? '') && HEX.test(source[i + 3] ?? '')) {
      return [hex4(parseInt(source.slice(i + 2, i + 4), 16)), i + 4];
    }
    if (c === 'u' && /^[0-9A-Fa-f]{4}$/.test(source.slice(i + 2, i + 6))) return [`\\u${source.slice(i + 2, i + 6).toLowerCase()}`, i + 6];
    if (c === 'c') throw new ConversionError('control escape \\c: write \\uHHHH');
    // Identity escape: the character itself (letters and digits unescaped, punctuation kept escaped).
    if (/[A-Za-z0-9]/.test(c)) return [c, i + 2];
    if (c === '/') return ['\\/', i + 2];
    return [`\\${c}`, i + 2];
  };

  let i = 0;
  while (i < n) {
    const ch = source[i];
    if (ch === '\\') {
      const [s, next] = escape(i, false);
      out += s;
      i = next;
      continue;
    }
    if (ch === '[') {
      let j = i + 1;
      let negated = false;
      if (source[j] === '^') {
        negated = true;
        j++;
      }
      if (source[j] === ']') {
        out += negated ? '[\\s\\S]' : '(?!)';
        i = j + 1;
        continue;
      }
      // `[\s\S]` and its kin: any character in both engines, whatever the shorthands mean
      const whole = /^(?:\\s\\S|\\S\\s|\\d\\D|\\D\\d|\\w\\W|\\W\\w)\]/.exec(source.slice(j));
      if (whole) {
        out += negated ? '(?!)' : '[\\s\\S]';
        i = j + whole[0].length;
        continue;
      }
      let body = '';
      while (j < n && source[j] !== ']') {
        const c = source[j];
        if (c === '\\') {
          const [s, next] = escape(j, true);
          if (CLASS_SHORTHAND[source[j + 1]]) {
            // JS reads `a-\d` and `\d-z` as a literal `-` beside the class; spelled out, it would make a range
            if (body.endsWith('-') && !body.endsWith('\\-') && body.length > 1) body = `${body.slice(0, -1)}\\-`;
            body += s;
            if (source[next] === '-' && source[next + 1] !== ']') {
              body += '\\-';
              j = next + 1;
              continue;
            }
          } else body += s;
          j = next;
        } else if (c === '[' || c === '&' || c === '{' || c === '}') {
          body += `\\${c}`;
          j++;
        } else {
          body += c;
          j++;
        }
      }
      out += `[${negated ? '^' : ''}${body}]`;
      i = j + 1;
      continue;
    }
    if (ch === '(') {
      if (source[i + 1] !== '?') {
        groups.push({ lookbehind: false, start: out.length + 1 });
        out += '(';
        i++;
        continue;
      }
      const head = /^\(\?(?::|=|!|<=|<!|<([^>]*)>)/.exec(source.slice(i));
      if (!head) throw new ConversionError(`group construct ${source.slice(i, i + 4)}… is not supported`);
      if (head[1] !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(head[1])) {
        throw new ConversionError(`group name ${head[1]}: Onigmo names are letters, digits and _`);
      }
      groups.push({ lookbehind: head[0] === '(?<=' || head[0] === '(?<!', start: out.length + head[0].length });
      out += head[0];
      i += head[0].length;
      continue;
    }
    if (ch === ')') {
      const g = groups.pop();
      if (g?.lookbehind) bodyChecks.push({ from: g.start, to: out.length });
      out += ')';
      i++;
      continue;
    }
    if (ch === '{') {
      const q = /^\{\d+(?:,\d*)?\}/.exec(source.slice(i));
      if (q) {
        out += q[0];
        i += q[0].length;
      } else {
        out += '\\{';
        i++;
      }
      continue;
    }
    // one character spelled the same for both engines (or the plain character)
    out += SINGLE[ch] ?? ch;
    i++;
  }
  for (const b of bodyChecks) {
    const body = out.slice(b.from, b.to);
    if (hasVariableLength(body)) throw new ConversionError(`lookbehind ${JSON.stringify(body)} has a variable length; Onigmo needs a fixed one`);
  }
  return out;
}

/** A quantifier other than `{n}` outside classes and escapes (the lookarounds this module writes are fixed-length). */
function hasVariableLength(body: string): boolean {
  const stripped = body.replace(/\\u[0-9a-f]{4}|\\./g, 'x').replace(/\[(?:\\.|[^\]\\])*\]/g, 'x').replace(/\(\?(?::|<?[=!]|<[A-Za-z_][A-Za-z0-9_]*>)/g, '(');
  return /[*+?]|\{\d+,\d*\}/.test(stripped);
}
