/**
 * Generated code that walks a line along the template: one indexOf per literal, then each field's value. parse()
 * (forWriter false) gets r<i> = the raw text of field i; the writers get a<i>, b<i> = its bounds (the line has no
 * backslash, so no quote is escaped, and a mismatch just sends the line to parse() for its reason). range: the writer
 * of lines given as line[S0..len) of a chunk's latin1 string (search results past the line's end count as not found).
 */
import type { FieldTypes } from '../../fields';
import type { Template } from './types';

export function scanCode(tpl: Template, types: FieldTypes, forWriter: boolean, range = false): string {
  const n = tpl.fields.length;
  const miss = (i: number, at: string) => (forWriter ? 'return -1' : `return MISMATCH(${i}, ${at})`);
  let c = range ? 'const len = E;\nlet pos = S0 + K[0].length, end = 0;\n' : 'const len = line.length;\nlet pos = K[0].length, end = 0;\n';
  if (tpl.prefix) c += range ? `if (!(S0 + ${tpl.prefix.length} <= len${bytesAt(tpl.prefix, 'S0')})) return -1;\n` : `if (!line.startsWith(K[0])) ${miss(-1, '0')};\n`;
  tpl.fields.forEach((_, i) => {
    const lit = tpl.literals[i];
    const before = i === 0 ? tpl.prefix : tpl.literals[i - 1];
    if (i === n - 1) {
      c += `end = len - ${lit.length};\n`;
      c += `if (end < pos${lit ? (range ? ` || !(true${bytesAt(lit, 'end')})` : ` || !line.endsWith(K[${i + 1}])`) : ''}) ${miss(i, 'pos')};\n`;
    } else if (lit.startsWith(':')) {
      // host:port pairs. `[::1]:8080`: look for the literal after the closing bracket. An unbracketed IPv6 address
      // (nginx writes $remote_addr that way) before `:`: take the last `:` before the literal that follows.
      c += `{\n  let from = pos;\n  if (line.charCodeAt(pos) === 91) { const rb = line.indexOf(']', pos); if (rb !== -1) from = rb; }\n`;
      c += `  end = line.indexOf(K[${i + 1}], from);\n`;
      if (types[tpl.fields[i].name] === 'ip') {
        const stop = i + 1 === n - 1 ? `len - ${tpl.literals[i + 1].length}` : `line.indexOf(K[${i + 2}], end + ${lit.length})`;
        c += `  if (from === pos && end !== -1) {\n    const stop = ${stop};\n`;
        c += `    for (let nx = line.indexOf(K[${i + 1}], end + 1); nx !== -1 && nx < stop; nx = line.indexOf(K[${i + 1}], nx + 1)) end = nx;\n  }\n`;
      }
      c += `}\nif (end === -1) ${miss(i, 'pos')};\n`;
    } else {
      if (range) {
        // the chunk's bytes are at B[X..]: the first byte of the literal found a word at a time (FIND), the rest
        // compared in place. A `"` that does not start the literal is inside the value: declined.
        const lb = Array.from(Buffer.from(lit, 'latin1'));
        const rest = lb.slice(1).map((b, k) => ` && B[X + end + ${k + 1}] === ${b}`).join('');
        c += `end = pos;\nfor (const lim = len - ${lb.length}; ; end++) {\n`;
        c += `  end = FIND(B, DV, X + end, X + lim, ${lb[0]}, ${lb[0] * 0x01010101});\n  if (end < 0) break;\n  end -= X;\n`;
        c += `  if (true${rest}) break;\n${lb[0] === 34 ? '  end = -1;\n  break;\n' : ''}}\n`;
      } else c += `end = line.indexOf(K[${i + 1}], pos);\n`;
      if (before.endsWith('"') && lit.startsWith('"')) {
        if (!forWriter) c += `while (end !== -1 && ESCAPED(line, end, pos)) end = line.indexOf(K[${i + 1}], end + 1);\n`;
      } else if (tpl.fields[i].list && lit.startsWith(' ')) {
        // `0.004, 0.010 : 0.002`: the spaces of the list separators are not the literal
        c += `while (end !== -1 && LIST_SEPARATOR(line, end)) end = line.indexOf(K[${i + 1}], end + 1);\n`;
      }
      if (range) c += `if (end + ${lit.length} > len) end = -1;\n`;
      c += `if (end === -1) ${miss(i, 'pos')};\n`;
    }
    c += forWriter ? `const a${i} = pos, b${i} = end;\n` : `const r${i} = line.slice(pos, end);\n`;
    if (i < n - 1) c += `pos = end + ${lit.length};\n`;
  });
  return c;
}

/** ` && B[X + at + k] === byte k of text` for each byte of an ASCII text. */
export function bytesAt(text: string, at: string): string {
  return Array.from(Buffer.from(text, 'latin1'), (b, k) => ` && B[X + ${at}${k ? ` + ${k}` : ''}] === ${b}`).join('');
}
