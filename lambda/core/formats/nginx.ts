/**
 * nginx `log_format` parser, and the template scanner it shares with the Apache parser.
 *
 * A format is compiled into literals and fields: `$remote_addr - $remote_user [$time_local] "$request" …` is
 * prefix '' then remote_addr + ' - ', remote_user + ' [', time_local + '] "', request + '" ', … and the scanner
 * walks a line with `indexOf(literal)` — no regex, no per-line interpretation of the format. Punctuation next to a
 * variable is literal (`$host:$server_port`), the value of a field ends at the first occurrence of the literal that
 * follows it (inside quotes, a backslash-escaped occurrence is skipped), and the last field ends where the line's
 * final literal starts, so a user agent may contain anything.
 *
 * Values:
 * - every variable becomes a field of the same name, typed by fields.ts (`-` in a non-string field → null);
 * - `$request` (`%r`) is split into request_method, request_uri and request_protocol; the raw `request` field is
 *   kept only when the request line does not split (garbage, TLS handshakes on a plain port, `-`), in which case the
 *   three parts are null — or always, when `request` is named in logFormat.fields;
 * - the upstream_* numbers that nginx writes once per upstream tried (`0.004, 0.010` or `0.004 : 0.010`) become one
 *   number: times and byte counts are summed, `$upstream_status` is the last status (the one returned); `-` parts are
 *   skipped, all `-` → null;
 * - string values are unescaped (see unescapeLogValue): `\xHH` runs (nginx escape=default) that are printable UTF-8
 *   are decoded, `\"`, `\\`, `\n`, `\t`… (Apache, nginx escape=json) become the character;
 * - a field whose value does not split (request) is `undefined` in the doc object (absent from its JSON).
 */
import { isUtf8 } from 'node:buffer';
import type { LogFormat } from '../config/log-format';
import { INVALID, converterFor, invalidReason, isIPv4At, isIPv4Bytes, nginxFieldType, resolveFieldTypes, type Converted, type Converter, type FieldType } from '../fields';
import { toStrptimeFormat } from '../java-time';
import { TIME_LOCAL_FORMAT, createTimestampRangeWriter, createTimestampWriter, createTimestamper } from '../time';
import type { JsonWriter, LineParser, ParseResult } from './index';

export const NGINX_COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
/** The `main` format of the stock nginx.conf. */
export const NGINX_MAIN = `${NGINX_COMBINED} "$http_x_forwarded_for"`;

const NAMED_FORMATS: Record<string, string> = { combined: NGINX_COMBINED, main: NGINX_MAIN };

/** Time variables usable as timeKey without a timeFormat. */
const NGINX_TIME_FORMATS: Record<string, string> = { time_local: TIME_LOCAL_FORMAT, time_iso8601: 'iso8601', msec: 'epoch_s' };

/** Upstream variables holding one value per upstream tried, and how they are reduced to one number. */
const MULTI_VALUE: Record<string, 'sum' | 'last'> = {
  upstream_response_time: 'sum',
  upstream_connect_time: 'sum',
  upstream_header_time: 'sum',
  upstream_queue_time: 'sum',
  upstream_response_length: 'sum',
  upstream_bytes_received: 'sum',
  upstream_bytes_sent: 'sum',
  upstream_status: 'last',
};

// ---------------------------------------------------------------------------------------------------------------
// Template (shared with apache.ts)

export type FieldRole = 'value' | 'request' | 'clf-bytes' | 'sum' | 'last';

export interface TemplateField {
  /** Output field name. */
  name: string;
  /** The field as written in the format, for messages: `$status`, `%>s`. */
  label: string;
  role: FieldRole;
  /** The value may be a list (`a, b : c`, nginx upstream variables): spaces after `,` and around `:` belong to it. */
  list?: boolean;
}

export interface Template {
  kind: 'nginx' | 'apache';
  /** Literal text before the first field. */
  prefix: string;
  fields: TemplateField[];
  /** literals[i] follows fields[i]; the last one may be '' (the field runs to the end of the line). */
  literals: string[];
  /** Time fields usable as timeKey without a timeFormat, and their format; the first one present is the default. */
  timeFormats: Record<string, string>;
  defaultType: (name: string) => FieldType;
}

const REQUEST_PARTS = ['request_method', 'request_uri', 'request_protocol'] as const;

/** A template parser also knows how to serialize its own documents, faster than JSON.stringify. */
export interface TemplateParser extends LineParser {
  /** `JSON.stringify(doc)` for a doc returned by this parser's parse() and not modified since. */
  stringify(doc: Record<string, unknown>): string;
}

/** Characters that JSON must escape (and lone surrogates, which JSON.stringify escapes too). */
const JSON_NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** A line without these has no value that needs escaping, except for `"`, which is counted. */
const LINE_DIRTY = /[\\\u0000-\u001f\ud800-\udfff]/;

type EntryKind = 'string' | 'nullable-string' | 'optional-string' | 'scalar';

/**
 * Compiles a template into straight-line code (new Function) specialised for this format: one indexOf per literal,
 * one slice per field, converters called directly, and the document built as a single object literal (so all
 * documents share one hidden class and are built without per-field dictionary stores). The generated source refers
 * to user text only through the constant array K (never embedded) and to field names as JSON-quoted keys.
 */
export function compileTemplate(tpl: Template, format: LogFormat): TemplateParser {
  const n = tpl.fields.length;
  if (n === 0) throw new Error(`${tpl.kind} format has no fields`);
  for (let i = 0; i < n - 1; i++) {
    if (tpl.literals[i] === '') {
      throw new Error(`${tpl.kind} format: ${tpl.fields[i].label} and ${tpl.fields[i + 1].label} are adjacent; nothing tells where one ends`);
    }
  }
  const labels = new Map<string, string>();
  for (const f of tpl.fields) {
    const other = labels.get(f.name);
    // one value would silently replace the other in the document
    if (other !== undefined) throw new Error(`${tpl.kind} format: ${other} and ${f.label} both give the field ${f.name}; keep one`);
    labels.set(f.name, f.label);
  }
  const produced: string[] = [];
  for (const f of tpl.fields) {
    if (f.role === 'request') produced.push(...REQUEST_PARTS, 'request');
    else produced.push(f.name);
  }
  const overrides = format.fields ?? {};
  const types = resolveFieldTypes(produced, tpl.defaultType, overrides);
  if (tpl.fields.some((f) => f.role === 'request')) {
    for (const name of [...REQUEST_PARTS, 'request']) {
      if (types[name] !== 'keyword' && types[name] !== 'text') throw new Error(`${name} must be keyword or text, not ${types[name]}`);
    }
  }
  const keepRawRequest = 'request' in overrides;
  const zone = format.timeZone ?? 'UTC';

  const timeKey = format.timeKey ?? Object.keys(tpl.timeFormats).find((k) => produced.includes(k));
  if (!timeKey) {
    throw new Error(`${tpl.kind} format has no time field (${Object.keys(tpl.timeFormats).join(', ')}); set logFormat.timeKey`);
  }
  const timeIndex = tpl.fields.findIndex((f) => f.name === timeKey && f.role !== 'request');
  if (timeIndex === -1) {
    throw new Error(`timeKey ${JSON.stringify(timeKey)} is not a field of the ${tpl.kind} format (fields: ${produced.join(', ')})`);
  }
  // (a Java pattern as the user may write it, in strptime style as time.ts reads it; messages show the user's)
  const timeFormat = format.timeFormat ?? tpl.timeFormats[timeKey] ?? 'iso8601';
  const strptime = toStrptimeFormat(timeFormat);
  const timestamp = createTimestamper(strptime, zone);
  const timestampWriter = createTimestampWriter(strptime, zone);
  const timestampRangeWriter = createTimestampRangeWriter(strptime, zone);

  // ---- what the generated code refers to
  const K: string[] = [tpl.prefix, ...tpl.literals];
  const C: Converter[] = [];
  const M: Array<(raw: string) => unknown> = [];
  const fail = (reason: string): ParseResult => ({ ok: false, reason });
  const mismatch = (i: number, pos: number): ParseResult => {
    const what =
      i < 0
        ? `expected ${JSON.stringify(tpl.prefix)}`
        : i === n - 1
          ? `${tpl.fields[i].label} is not followed by ${JSON.stringify(tpl.literals[i])} at the end of the line`
          : `${tpl.fields[i].label} is not followed by ${JSON.stringify(tpl.literals[i])}`;
    return fail(`does not match the ${tpl.kind} format at column ${pos + 1}: ${what}`);
  };
  const bad = (name: string, raw: string): ParseResult => fail(invalidReason(name, types[name], raw));
  const badTime = (raw: string): ParseResult => fail(`${timeKey} ${JSON.stringify(raw)} does not match ${timeFormat}`);
  const q = (v: string) => JSON.stringify(v);

  // ---- scanning: r<i> = raw text of field i (parse); a<i>, b<i> = its bounds (write: the line has no backslash,
  // so no quote is escaped, and a mismatch just sends the line to parse() for its reason)
  // range: the writer of lines given as line[S0..len) of a chunk's latin1 string (search results past the line's
  // end count as not found)
  const scan = (forWriter: boolean, range = false): string => {
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
  };
  let code = scan(false);
  // The writer copies the line's bytes once (native UTF-8 encode) to scratch room X after its output, checks them
  // (ASCII, no control character, no backslash, no `"` but the format's own), then copies values with copyWithin.
  const whead = "if (line.indexOf('\\\\') !== -1) return -1;\n" + scan(true) + 'const X = o + FIXED + len;\n';
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
  // deduplicated by name (a field repeated in the format is refused above; $request's parts beside a $request_method:
  // the later one wins)
  code += "const HAS_BS = line.indexOf('\\\\') !== -1;\n";
  // The writer's code for an entry (`emit`) writes `,"name":value` at B[o..], the key included.
  const entries = new Map<string, { expr: string; kind: EntryKind; emit: string }>();
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
  let rcode = scan(true, true) + onBytes(split(wfields, true));
  if (/\bline\b/.test(rcode)) rangeable = false;
  rcode += `${wConst('{"@timestamp":"')}o = TS_RANGE(B, DV, X, a${timeIndex}, b${timeIndex}, o);\nif (o < 0) return -1;\n${wConst('"')}`;
  for (const [, e] of entries) rcode += onBytes(e.emit);
  rcode += `${wConst('}')}return o;\n`;

  // ---- serializer: plain concatenation of constant JSON pieces and values known to need no escaping. A doc is
  // known clean when it is the one parse() just returned (checked by identity) and its line had no backslash,
  // control character or lone surrogate, and no more `"` than the format's literals (so no value holds one);
  // otherwise one regex test over all string values decides, and JSON.stringify handles anything else.
  const quotes = K.join('').split('"').length - 1;
  const segs: Array<{ c: string } | { e: string }> = [{ c: '{"@timestamp":"' }, { e: 'd["@timestamp"]' }, { c: '"' }];
  const strs: string[] = [];
  let ser = '';
  [...entries].forEach(([name, e], j) => {
    const key = `,${q(name)}:`;
    ser += `const s${j} = d[${q(name)}];\n`;
    switch (e.kind) {
      case 'string':
        strs.push(`s${j}`);
        segs.push({ c: `${key}"` }, { e: `s${j}` }, { c: '"' });
        break;
      case 'nullable-string':
        strs.push(`(s${j} === null ? '' : s${j})`);
        segs.push({ c: key }, { e: `(s${j} === null ? 'null' : '"' + s${j} + '"')` });
        break;
      case 'optional-string':
        strs.push(`(s${j} === undefined ? '' : s${j})`);
        segs.push({ e: `(s${j} === undefined ? '' : ${q(`${key}"`)} + s${j} + '"')` });
        break;
      case 'scalar':
        segs.push({ c: key }, { e: `s${j}` });
        break;
    }
  });
  segs.push({ c: '}' });
  const merged: string[] = [];
  let pending = '';
  for (const sg of segs) {
    if ('c' in sg) pending += sg.c;
    else {
      if (pending) merged.push(q(pending));
      pending = '';
      merged.push(sg.e);
    }
  }
  if (pending) merged.push(q(pending));
  ser += `if (d !== LAST_DOC || !isClean(LAST_LINE)) {\n`;
  ser += `  if (typeof d["@timestamp"] !== 'string'${strs.length ? ` || NEEDS_ESCAPE.test(${strs.join(' + ')})` : ''}) return JSON.stringify(d);\n}\n`;
  ser += `return ${merged.join(' + ')};\n`;

  const factory = new Function(
    'K', 'C', 'M', 'INVALID', 'TIMESTAMP', 'UNESCAPE', 'IS_METHOD', 'ESCAPED', 'LIST_SEPARATOR', 'MISMATCH', 'BAD', 'BAD_TIME', 'NEEDS_ESCAPE', 'DIRTY', 'QUOTES',
    'RC', 'WS', 'IPV4_AT', 'DIGITS_AT', 'IS_METHOD_AT', 'PLAIN_QUOTES', 'FIXED', 'TS_WRITE', 'TS_RANGE', 'IPV4_B', 'DIGITS_B', 'METHOD_B', 'RC_B', 'SLICE', 'FIND',
    `"use strict";
let LAST_DOC = null, LAST_LINE = '';
function isClean(line) {
  if (DIRTY.test(line)) return false;
  let n = 0;
  for (let p = line.indexOf('"'); p !== -1; p = line.indexOf('"', p + 1)) n++;
  return n === QUOTES;
}
function parse(line) {
${code}}
function stringify(d) {
${ser}}
function write(line, B, o) {
${wcode}}
function writeRange(X, S0, E, B, o, DV) {
${rcode}}
return { parse, stringify, write, writeRange };`,
  );
  const { parse, stringify, write, writeRange } = factory(
    K, C, M, INVALID, timestamp, unescapeLogValue, isMethod, isEscaped, isListSeparator, mismatch, bad, badTime, JSON_NEEDS_ESCAPE, LINE_DIRTY, quotes,
    copyRaw, writeAscii, isIPv4At, isPlainDigitsAt, isMethodAt, plainQuotes, writerFixed, timestampWriter, timestampRangeWriter, isIPv4Staged, isPlainDigitsBytes, isMethodBytes, copyDigits, sliceLatin1, findByte,
  ) as {
    parse: (line: string) => ParseResult;
    stringify: (doc: Record<string, unknown>) => string;
    write: (line: string, buf: Buffer, off: number) => number;
    writeRange: (at: number, start: number, end: number, buf: Buffer, off: number, view: DataView) => number;
  };

  const json: JsonWriter | undefined = writable
    ? { write, maxBytes: (lineLength) => writerFixed + 4 * lineLength, ...(rangeable ? { writeRange } : {}) }
    : undefined;
  return { fields: types, parse, stringify, json };
}

const views = new WeakMap<ArrayBufferLike, DataView>();

/**
 * The number of `"` in B[a..b), or -1 when B[a..b) has a byte that JSON cannot take as is: a control character
 * (needs a \u escape), a backslash, or a non-ASCII byte (the writer leaves UTF-8 to parse() + stringify). Four bytes
 * at a time: per-byte loops cost several times more than the word tests.
 */
function plainQuotes(B: Buffer, a: number, b: number): number {
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

/** Writer code storing constant bytes (given as `B[o + k] = v;` code) four at a time through the DataView DV. */
function wordStores(stores: string, n: number): string {
  const bytes = Array.from(stores.matchAll(/= (\d+);/g), (m) => Number(m[1]));
  let c = '';
  let k = 0;
  for (; k + 4 <= n; k += 4) c += `DV.setUint32(o${k ? ` + ${k}` : ''}, ${(bytes[k] | (bytes[k + 1] << 8) | (bytes[k + 2] << 16) | (bytes[k + 3] << 24)) >>> 0}, true); `;
  for (; k < n; k++) c += `B[o${k ? ` + ${k}` : ''}] = ${bytes[k]}; `;
  return `${c}\no += ${n};`;
}

/** ` && B[X + at + k] === byte k of text` for each byte of an ASCII text. */
function bytesAt(text: string, at: string): string {
  return Array.from(Buffer.from(text, 'latin1'), (b, k) => ` && B[X + ${at}${k ? ` + ${k}` : ''}] === ${b}`).join('');
}

function isIPv4Staged(B: Uint8Array, X: number, a: number, b: number): boolean {
  return isIPv4Bytes(B, X + a, X + b);
}

/** isPlainDigitsAt over the bytes B[X+a..X+b). */
function isPlainDigitsBytes(B: Uint8Array, X: number, a: number, b: number, int32: boolean): boolean {
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
function isMethodBytes(B: Uint8Array, X: number, a: number, end: number): boolean {
  if (end - a > 32) return false;
  for (let i = X + a; i < X + end; i++) {
    const c = B[i];
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95)) return false;
  }
  return true;
}

/** B[X+a..X+b) (digits) copied to B[o..]. */
function copyDigits(B: Uint8Array, X: number, a: number, b: number, o: number): number {
  for (let i = X + a; i < X + b; i++) B[o++] = B[i];
  return o;
}

/**
 * The first position p in [from, last] with B[p] === c (`pattern`: c in every byte of a word), or -1. A word at a
 * time through the DataView DV of B: values are tens of bytes, where a native search costs more in its call than
 * in its work. (A zero byte of w ^ pattern is a c; the test may flag a word wrongly only above a real zero byte.)
 */
function findByte(B: Buffer, DV: DataView, from: number, last: number, c: number, pattern: number): number {
  let p = from;
  for (; p + 3 <= last; p += 4) {
    const w = DV.getInt32(p, true) ^ pattern;
    if (((w - 0x01010101) & ~w & 0x80808080) !== 0) break;
  }
  for (; p <= last; p++) if (B[p] === c) return p;
  return -1;
}

function sliceLatin1(B: Buffer, X: number, a: number, b: number): string {
  return B.toString('latin1', X + a, X + b);
}

/** line[a..b) (known ASCII: digits) written at B[o..]. */
function copyRaw(line: string, a: number, b: number, B: Uint8Array, o: number): number {
  for (let i = a; i < b; i++) B[o++] = line.charCodeAt(i);
  return o;
}

/** An ASCII string (JSON text of a number, a timestamp) written at B[o..]; -1 if it is not ASCII after all. */
function writeAscii(s: string, B: Uint8Array, o: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return -1;
    B[o++] = c;
  }
  return o;
}

/** line[a..b) is 1–15 digits without a leading zero (JSON.stringify(parseInteger(x)) === x), within int32 if asked. */
function isPlainDigitsAt(line: string, a: number, b: number, int32: boolean): boolean {
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
function isMethodAt(line: string, a: number, end: number): boolean {
  if (end - a > 32) return false;
  for (let i = a; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95)) return false;
  }
  return true;
}

/** Is the space at line[idx] part of a `, ` or ` : ` list separator? */
function isListSeparator(line: string, idx: number): boolean {
  const prev = line.charCodeAt(idx - 1);
  return prev === 44 || (prev === 58 && line.charCodeAt(idx - 2) === 32) || (line.charCodeAt(idx + 1) === 58 && line.charCodeAt(idx + 2) === 32);
}

/** Is line[idx] preceded by an odd number of backslashes (not looking before `from`)? */
function isEscaped(line: string, idx: number, from: number): boolean {
  let k = idx - 1;
  while (k >= from && line.charCodeAt(k) === 92) k--;
  return (idx - 1 - k) % 2 === 1;
}

/** An HTTP method token: upper-case letters, `-` or `_` (GET, PROPFIND, VERSION-CONTROL). */
function isMethod(s: string, end: number): boolean {
  if (end > 32) return false;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95)) return false;
  }
  return true;
}

const MULTI_SPLIT = /\s*[,:]\s*/;

/** `0.004, 0.010 : 0.002` → 0.016 (sum) or 0.002 (last); `-` parts are skipped; all `-` → null. */
function reduceMulti(raw: string, mode: 'sum' | 'last', convert: Converter): Converted {
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

// ---------------------------------------------------------------------------------------------------------------
// nginx log_format → template

/** nginx.conf's escapes, in quoted and bare tokens alike: \" \' \\ \t \n \r; any other backslash stays. */
function unescapeConf(s: string): string {
  return s.replace(/\\(["'\\tnr])/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

const CONF_CHUNK = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;

/**
 * The format as nginx sees it: a named format, or the value of a `log_format` directive pasted as is — one or more
 * single- or double-quoted chunks (`'$remote_addr - … ' '"$request" …'`, joined as nginx joins them) or a bare
 * string — with nginx.conf escapes undone.
 */
export function normaliseNginxFormat(format: string | undefined): string {
  const f = (format ?? 'combined').trim();
  if (NAMED_FORMATS[f]) return NAMED_FORMATS[f];
  if (/^(?:(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*)+$/.test(f)) {
    return [...f.matchAll(CONF_CHUNK)].map((m) => unescapeConf(m[1] ?? m[2])).join('');
  }
  return unescapeConf(f);
}

export function nginxTemplate(format: string | undefined): Template {
  const src = normaliseNginxFormat(format);
  const fields: TemplateField[] = [];
  const literals: string[] = [];
  let prefix = '';
  let lit = '';
  const re = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    lit += src.slice(last, m.index);
    if (fields.length === 0) prefix = lit;
    else literals.push(lit);
    lit = '';
    const name = m[1] ?? m[2];
    fields.push({ name, label: `$${name}`, role: name === 'request' ? 'request' : (MULTI_VALUE[name] ?? 'value'), list: name in MULTI_VALUE || name === 'upstream_addr' });
    last = m.index + m[0].length;
  }
  if (fields.length === 0) throw new Error(`nginx format ${JSON.stringify(src)} has no $variables`);
  literals.push(lit + src.slice(last));
  return { kind: 'nginx', prefix, fields, literals, timeFormats: NGINX_TIME_FORMATS, defaultType: nginxFieldType };
}

export function compileNginx(format: LogFormat): TemplateParser {
  return compileTemplate(nginxTemplate(format.format), format);
}
