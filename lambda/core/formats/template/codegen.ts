/**
 * The code generated for a template: parse() (the document as one object literal), and write() / writeRange(), which
 * write the same document as JSON bytes without building it (the processor's hot path when nothing needs the
 * document). The generated source refers to user text only through the constant array K (never embedded) and to
 * field names as JSON-quoted keys.
 */
import { converterFor, type Converter } from '../../fields';
import { reduceMulti } from './runtime';
import { bytesAt, scanCode } from './scan';
import type { Template } from './types';
import type { TemplatePlan } from './validate';

export type EntryKind = 'string' | 'nullable-string' | 'optional-string' | 'scalar';

/** A document entry: its value in parse() (`expr`), how the serializer writes it, and the writer's code for it. */
export interface Entry {
  expr: string;
  kind: EntryKind;
  /** writer code storing `,"name":value` at B[o..], the key included */
  emit: string;
}

export interface GeneratedCode {
  parse: string;
  write: string;
  writeRange: string;
  entries: Map<string, Entry>;
  /** the literals (K[0] is the prefix), converters and list reducers the generated code refers to */
  K: string[];
  C: Converter[];
  M: Array<(raw: string) => unknown>;
  /** bytes of room the writer needs besides 4 per character of the line */
  writerFixed: number;
  writable: boolean;
  rangeable: boolean;
}

export function generateCode(tpl: Template, plan: TemplatePlan): GeneratedCode {
  const { types, keepRawRequest, zone, timeIndex } = plan;
  const n = tpl.fields.length;
  const K: string[] = [tpl.prefix, ...tpl.literals];
  const C: Converter[] = [];
  const M: Array<(raw: string) => unknown> = [];
  const q = (v: string) => JSON.stringify(v);

  let code = scanCode(tpl, types, false);
  // The writer copies the line's bytes once (native UTF-8 encode) to scratch room X after its output, checks them
  // (ASCII, no control character, no backslash, no `"` but the format's own), then copies values with copyWithin.
  const whead = "if (line.indexOf('\\\\') !== -1) return -1;\n" + scanCode(tpl, types, true) + 'const X = o + FIXED + len;\n';
  let wcode = '';
  // (room for 3 bytes a character, so that every character is written: more than len bytes written means a
  // non-ASCII character; a short count with less room could hide one)
  const wcheck = 'if (B.utf8Write(line, X, 3 * len) !== len || PLAIN_QUOTES(B, X, X + len) !== QUOTES) return -1;\n';

  /** Writer code storing the UTF-8 bytes of a constant at B[o..]. */
  let wConstBytes = 0;
  const wConst = (text: string): string => {
    const bytes = Buffer.from(text, 'utf8');
    wConstBytes += bytes.length;
    if (bytes.length === 0) return '';
    return `${Array.from(bytes, (b, k) => `B[o${k ? ` + ${k}` : ''}] = ${b};`).join(' ')}\no += ${bytes.length};\n`;
  };

  // ---- values, in field order (escapes are looked for only when the line has a backslash at all); doc entries
  // deduplicated by name (a field repeated in the format is refused by planTemplate; $request's parts beside a $request_method:
  // the later one wins)
  code += "const HAS_BS = line.indexOf('\\\\') !== -1;\n";
  // The writer's code for an entry (`emit`) writes `,"name":value` at B[o..], the key included.
  const entries = new Map<string, Entry>();
  const put = (name: string, expr: string, kind: EntryKind, emit: (key: string) => string) => {
    entries.delete(name);
    entries.set(name, { expr, kind, emit: emit(`,${q(name)}:`) });
  };
  /** Writer code: a quoted string copied (JSON-escaped) from line[a..b). */
  const wStr = (key: string, a: string, b: string) =>
    `${wConst(`${key}"`)}B.copyWithin(o, X + ${a}, X + ${b});\no += ${b} - ${a};\n${wConst('"')}`;
  /** Writer code: null when a < 0, else a quoted string copied from line[a..b). */
  const wNullableStr = (key: string, a: string, b: string) => `${wConst(key)}if (${a} < 0) {\n${wConst('null')}} else {\n${wStr('', a, b)}}\n`;
  /** Writer code: line[a..b) as is (digits) when w === null, else the JSON text w. */
  const wScalar = (key: string, a: string, b: string, w: string) =>
    `${wConst(key)}if (${w} === null) o = RC(line, ${a}, ${b}, B, o);\nelse {\n  o = WS(${w}, B, o);\n  if (o < 0) return -1;\n}\n`;
  /** Writer code: value i converted as parse() does (wcode sets w<i> to its JSON text, or returns -1 if invalid). */
  const wGeneric = (i: number, convert: string) =>
    `let w${i} = null;\n{\n  const r = line.slice(a${i}, b${i});\n  const v = ${convert};\n  if (v === INVALID) return -1;\n  w${i} = JSON.stringify(v);\n}\n`;
  tpl.fields.forEach((f, i) => {
    const r = `r${i}`;
    // range writer: a `"` inside a copied value (not the format's own) sends the line to parse()
    const copied = f.role === 'request' || types[f.name] === 'keyword' || types[f.name] === 'text';
    // (not needed when the value ends at a literal that starts with `"`: the range scan declines an earlier one)
    if (copied && !(i < n - 1 && tpl.literals[i].startsWith('"'))) wcode += `/*QUOTE(a${i}, b${i})*/\n`;
    if (f.role === 'request') {
      code += `const q${i} = HAS_BS && ${r}.indexOf('\\\\') !== -1 ? UNESCAPE(${r}) : ${r};\n`;
      code += `let m${i} = null, u${i} = null, p${i} = null;\n`;
      code += `{\n  const a = q${i}.indexOf(' ');\n`;
      code += `  if (a > 0 && IS_METHOD(q${i}, a)) {\n    const b = q${i}.lastIndexOf(' ');\n`;
      code += `    if (b > a + 1 && q${i}.startsWith('HTTP/', b + 1)) { m${i} = q${i}.slice(0, a); u${i} = q${i}.slice(a + 1, b); p${i} = q${i}.slice(b + 1); }\n`;
      code += `    else if (a === b && a < q${i}.length - 1) { m${i} = q${i}.slice(0, a); u${i} = q${i}.slice(a + 1); }\n  }\n}\n`;
      // writer: the same split on bounds within line[a..b) (no backslash: q is the raw text); -1 = null
      wcode += `let ma${i} = -1, mb${i} = -1, ua${i} = -1, ub${i} = -1, pa${i} = -1, pb${i} = -1;\n`;
      // (the range writer searches the chunk's bytes at B[X..]: see SPLIT below)
      wcode += `{\n  /*SPACE${i}*/\n`;
      wcode += `  if (a > a${i} && a < b${i} && IS_METHOD_AT(line, a${i}, a)) {\n    /*LASTSPACE${i}*/\n`;
      wcode += `    if (b > a + 1 && b + 6 <= b${i} && line.startsWith('HTTP/', b + 1)) { ma${i} = a${i}; mb${i} = a; ua${i} = a + 1; ub${i} = b; pa${i} = b + 1; pb${i} = b${i}; }\n`;
      wcode += `    else if (a === b && a < b${i} - 1) { ma${i} = a${i}; mb${i} = a; ua${i} = a + 1; ub${i} = b${i}; }\n  }\n}\n`;
      put('request_method', `m${i}`, 'nullable-string', (k) => wNullableStr(k, `ma${i}`, `mb${i}`));
      put('request_uri', `u${i}`, 'nullable-string', (k) => wNullableStr(k, `ua${i}`, `ub${i}`));
      put('request_protocol', `p${i}`, 'nullable-string', (k) => wNullableStr(k, `pa${i}`, `pb${i}`));
      if (keepRawRequest) put('request', `q${i}`, 'string', (k) => wStr(k, `a${i}`, `b${i}`));
      else put('request', `(m${i} === null ? q${i} : undefined)`, 'optional-string', (k) => `if (ma${i} < 0) {\n${wStr(k, `a${i}`, `b${i}`)}}\n`);
      return;
    }
    const type = types[f.name];
    if (type === 'keyword' || type === 'text') {
      code += `const v${i} = HAS_BS && ${r}.indexOf('\\\\') !== -1 ? UNESCAPE(${r}) : ${r};\n`;
      put(f.name, `v${i}`, 'string', (k) => wStr(k, `a${i}`, `b${i}`));
      return;
    }
    if ((f.role === 'sum' || f.role === 'last') && (type === 'integer' || type === 'long' || type === 'float' || type === 'double')) {
      const convert = converterFor(type, zone);
      const mode = f.role;
      M[i] = (raw) => reduceMulti(raw, mode, convert);
      code += `const v${i} = M[${i}](${r});\n`;
      wcode += wGeneric(i, `M[${i}](r)`);
    } else {
      C[i] = converterFor(type, zone);
      // Apache %b: `-` means no body bytes (CLF), i.e. 0
      code += f.role === 'clf-bytes' ? `const v${i} = ${r} === '-' ? 0 : C[${i}](${r});\n` : `const v${i} = C[${i}](${r});\n`;
      if (type === 'ip' && f.role === 'value') {
        // `-` or empty → null; a dotted quad is checked in place; anything else as parse() checks it (null too: `unix:`)
        wcode += `let ia${i} = a${i};\n`;
        wcode += `if (b${i} === a${i} || (b${i} === a${i} + 1 && line.charCodeAt(a${i}) === 45)) ia${i} = -1;\n`;
        wcode += `else if (!IPV4_AT(line, a${i}, b${i})) {\n  const v = C[${i}](line.slice(a${i}, b${i}));\n  if (v === INVALID) return -1;\n  if (v === null) ia${i} = -1;\n}\n`;
      } else if ((type === 'integer' || type === 'long') && f.role !== 'clf-bytes') {
        // plain digits that JSON writes as they are (no sign, no leading zero, exact as a double, in range) are copied
        wcode += `let w${i} = null;\nif (!DIGITS_AT(line, a${i}, b${i}, ${type === 'integer'})) {\n`;
        wcode += `  const v = C[${i}](line.slice(a${i}, b${i}));\n  if (v === INVALID) return -1;\n  w${i} = JSON.stringify(v);\n}\n`;
      } else {
        wcode += wGeneric(i, f.role === 'clf-bytes' ? `r === '-' ? 0 : C[${i}](r)` : `C[${i}](r)`);
      }
    }
    code += `if (v${i} === INVALID) return BAD(${q(f.name)}, ${r});\n`;
    const kind: EntryKind = type === 'ip' || type === 'date' ? 'nullable-string' : 'scalar';
    let emit: (k: string) => string;
    if (type === 'ip' && f.role === 'value') emit = (k) => wNullableStr(k, `ia${i}`, `b${i}`);
    else if ((type === 'integer' || type === 'long') && f.role !== 'clf-bytes') emit = (k) => wScalar(k, `a${i}`, `b${i}`, `w${i}`);
    else emit = (k) => `${wConst(k)}o = WS(w${i}, B, o);\nif (o < 0) return -1;\n`;
    put(f.name, `v${i}`, kind, emit);
  });
  code += `const ts = TIMESTAMP(r${timeIndex});\nif (ts === undefined) return BAD_TIME(r${timeIndex});\n`;
  code += `const doc = { "@timestamp": ts, ${[...entries].map(([name, e]) => `${q(name)}: ${e.expr}`).join(', ')} };\n`;
  code += 'LAST_DOC = doc;\nLAST_LINE = line;\nreturn { ok: true, doc };\n';

  // ---- writer: the same document as JSON bytes, straight into the caller's buffer (see TemplateParser.writeJson)
  const wfields = wcode;
  const split = (code: string, range: boolean) =>
    code
      .replace(/\/\*SPACE(\d+)\*\//g, (_, i) => (range ? `let a = a${i};\n  while (a < b${i} && B[X + a] !== 32) a++;` : `const a = line.indexOf(' ', a${i});`))
      .replace(/\/\*LASTSPACE(\d+)\*\//g, (_, i) => (range ? `let b = b${i} - 1;\n    while (b > a && B[X + b] !== 32) b--;` : `const b = line.lastIndexOf(' ', b${i} - 1);`));
  wcode = whead + wcheck + split(wfields, false);
  wcode += `${wConst('{"@timestamp":"')}o = TS_WRITE(line.slice(a${timeIndex}, b${timeIndex}), B, o);\nif (o < 0) return -1;\n${wConst('"')}`;
  for (const [, e] of entries) wcode += e.emit;
  wcode += `${wConst('}')}return o;\n`;
  // Room the writer needs: FIXED (its constants, and 64 per value written from a string: numbers, null, dates,
  // @timestamp) + the line's characters once as output and once more when the raw request is kept too, then the
  // scratch copy of the line at X = o + FIXED + len (3 bytes a character): the output never catches up with a value
  // not yet copied.
  const writerFixed = wConstBytes + 64 * (entries.size + 2);
  const writable = !entries.has('@timestamp');
  // The range writer: same code over a chunk's string and bytes; formats whose scan looks around a literal (list
  // separators, host:port) keep the string writer.
  // Non-ASCII literals: a line that matches them is never clean, and the byte scan compares latin1 bytes.
  let rangeable = writable && !tpl.fields.some((f) => f.list) && !tpl.literals.some((l) => l.startsWith(':')) && /^[\x20-\x7e]*$/.test(K.join(''));
  const onBytes = (code: string) =>
    code
      .replace(/IPV4_AT\(line, /g, 'IPV4_B(B, X, ')
      .replace(/DIGITS_AT\(line, /g, 'DIGITS_B(B, X, ')
      .replace(/IS_METHOD_AT\(line, /g, 'METHOD_B(B, X, ')
      .replace(/RC\(line, ([^,]*), ([^,]*), B, o\)/g, 'RC_B(B, X, $1, $2, o)')
      .replace(/line\.slice\(/g, 'SLICE(B, X, ')
      .replace(/line\.charCodeAt\(([^()]*)\)/g, 'B[X + $1]')
      .replace(/line\.startsWith\('HTTP\/', b \+ 1\)/g, `(true${bytesAt('HTTP/', 'b + 1')})`)
      .replace(/((?:B\[o(?: \+ \d+)?\] = \d+; ?)+)\no \+= (\d+);/g, (_, stores: string, n: string) => wordStores(stores, Number(n)))
      .replace(/\/\*QUOTE\(([^,]*), ([^)]*)\)\*\//g, (_, a, b) => `if (FIND(B, DV, X + ${a}, X + ${b} - 1, 34, ${34 * 0x01010101}) >= 0) return -1;`)
      // value copies inline (the writer is too big for the compiler to inline calls into it): a loop for short
      // values, a native copy for others (a word-at-a-time copy function measured slower than both)
      .replace(
        /B\.copyWithin\(o, X \+ ([^,]*), X \+ ([^)]*)\);\no \+= [^;]*;/g,
        (_, a, b) => `if (${b} - ${a} <= 16) for (let i = X + ${a}; i < X + ${b}; i++) B[o++] = B[i];\nelse {\n  B.copyWithin(o, X + ${a}, X + ${b});\n  o += ${b} - ${a};\n}`,
      );
  let rcode = scanCode(tpl, types, true, true) + onBytes(split(wfields, true));
  if (/\bline\b/.test(rcode)) rangeable = false;
  rcode += `${wConst('{"@timestamp":"')}o = TS_RANGE(B, DV, X, a${timeIndex}, b${timeIndex}, o);\nif (o < 0) return -1;\n${wConst('"')}`;
  for (const [, e] of entries) rcode += onBytes(e.emit);
  rcode += `${wConst('}')}return o;\n`;

  return { parse: code, write: wcode, writeRange: rcode, entries, K, C, M, writerFixed, writable, rangeable };
}

/** Writer code storing constant bytes (given as `B[o + k] = v;` code) four at a time through the DataView DV. */
function wordStores(stores: string, n: number): string {
  const bytes = Array.from(stores.matchAll(/= (\d+);/g), (m) => Number(m[1]));
  let c = '';
  let k = 0;
  for (; k + 4 <= n; k += 4) c += `DV.setUint32(o${k ? ` + ${k}` : ''}, ${(bytes[k] | (bytes[k + 1] << 8) | (bytes[k + 2] << 16) | (bytes[k + 3] << 24)) >>> 0}, true); `;
  for (; k < n; k++) c += `B[o${k ? ` + ${k}` : ''}] = ${bytes[k]}; `;
  return `${c}\no += ${n};`;
}
