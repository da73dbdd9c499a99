/**
 * toOnigmo writes JS regex sources in the subset JS and Onigmo (Fluent Bit's engine, Ruby syntax) read alike. Here JS
 * RegExp compiles the output (fast, no process), so these tests check that the converted pattern matches in JS
 * exactly what the original did, and that it avoids the constructs whose Onigmo meaning differs (line anchors, `.`
 * and \r, identity escapes, `{,n}`, nested classes, `&&`). The same samples (ONIGMO_SAMPLES) run in the real Fluent
 * Bit in test/integration/fluent-bit-regex.test.ts.
 */
import { ConversionError, toOnigmo } from '../../../lib/agent/onigmo';
import { ONIGMO_SAMPLES } from './simulate';

const same = (source: string, inputs: string[]) => {
  const a = new RegExp(source);
  const b = new RegExp(toOnigmo(source));
  for (const s of inputs) expect({ s, m: b.exec(s)?.slice() ?? null, g: b.exec(s)?.groups }).toEqual({ s, m: a.exec(s)?.slice() ?? null, g: a.exec(s)?.groups });
};

describe('toOnigmo', () => {
  it.each(Object.keys(ONIGMO_SAMPLES))('samples (%s): the converted pattern matches what the source matches', (rule) => {
    for (const [source, inputs] of ONIGMO_SAMPLES[rule]) same(source, inputs);
  });

  it('anchors ^ and $ to the input, not to lines (Ruby syntax makes them line anchors)', () => {
    const o = toOnigmo('^a$');
    expect(o).toBe('(?<![\\s\\S])a(?![\\s\\S])');
    expect(o).not.toMatch(/[$^]/);
  });

  it('writes `.` as the class JS means (no \\n, \\r, U+2028/9); Onigmo\'s `.` would take \\r', () => {
    expect(toOnigmo('a.b')).toBe('a[^\\n\\r\\u2028\\u2029]b');
  });

  it('spells out \\d \\w \\s and their negations, in and out of classes', () => {
    expect(toOnigmo('\\d+')).toBe('[0-9]+');
    expect(toOnigmo('[\\w.-]+')).toBe('[A-Za-z0-9_.-]+');
    expect(() => toOnigmo('[\\S]')).toThrow(ConversionError);
    // a `-` beside a shorthand is literal in JS; spelled out it must not become a range
    expect(toOnigmo('[\\w-z]')).toBe('[A-Za-z0-9_\\-z]');
    expect(toOnigmo('[\\s\\S]*')).toBe('[\\s\\S]*');
    expect(toOnigmo('[^\\s\\S]')).toBe('(?!)');
  });

  it('\\b as lookarounds over ASCII word characters', () => {
    expect(toOnigmo('\\bx')).toBe('(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))x');
  });

  it('identity escapes become the character (Onigmo reads \\h \\a \\p… as classes or controls)', () => {
    expect(toOnigmo('\\h\\a\\p')).toBe('hap');
    expect(toOnigmo('\\x41\\u00e9\\0')).toBe('\\u0041\\u00e9\\u0000');
  });

  it('a `{` that is no quantifier is escaped (Onigmo reads {,3} as one)', () => {
    expect(toOnigmo('a{,3}')).toBe('a\\{,3\\}');
    expect(toOnigmo('a{2,}b{3}')).toBe('a{2,}b{3}');
  });

  it('escapes `[` and `&` inside classes (nested classes and && intersections in Onigmo)', () => {
    expect(toOnigmo('[[a&&b]')).toBe('[\\[a\\&\\&b]');
    expect(toOnigmo('[^]')).toBe('[\\s\\S]');
    expect(toOnigmo('a[]')).toBe('a(?!)');
  });

  it('escapes `/`: Fluent Bit strips the slashes of a pattern written /…/', () => {
    expect(toOnigmo('/api/')).toBe('\\/api\\/');
    expect(toOnigmo('\\/x')).toBe('\\/x');
  });

  it('keeps named groups, non-capturing groups, lookarounds and \\k<name>', () => {
    const src = '(?<q>["\'])(?<v>(?:(?!\\k<q>).)*)\\k<q>(?=;)(?<!x)';
    expect(toOnigmo(src)).toBe(`(?<q>["'])(?<v>(?:(?!\\k<q>)[^\\n\\r\\u2028\\u2029])*)\\k<q>(?=;)(?<!x)`);
  });

  it('refuses what Onigmo cannot do the same way', () => {
    const refused: Array<[string, RegExp]> = [
      ['(?<a>x)\\1', /back-reference/],
      ['(?<=a+)b', /lookbehind/],
      ['(?<=a|bb)c', /$^/],
      ['(?<a$b>x)', /group name/],
      ['\\cA', /control escape/],
      ['\\012', /octal/],
      ['(', /not a valid JavaScript regular expression/],
    ];
    for (const [src, re] of refused) {
      if (re.source === '$^') expect(() => toOnigmo(src)).not.toThrow();
      else expect(() => toOnigmo(src)).toThrow(re);
    }
  });
});
