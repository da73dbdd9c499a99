/**
 * `single-line-text` and `multi-line-text` logs (Java / Logback / log4j / Spring Boot application logs).
 *
 * - single-line-text: `logFormat.regex` (named groups, as for type regex) applied to each line; a Logback pattern
 *   layout in `logFormat.format` is accepted too when no regex is given.
 * - multi-line-text: an event starts at a line that matches the first-line regex (`logFormat.regex`, else the regex
 *   compiled from the pattern layout in `logFormat.format`); the lines that follow and do not match (stack traces,
 *   `Caused by: …`, `\tat …`, `... 12 more`) are joined to it with `\n` by a `MultilineAssembler`, which sits between
 *   the line splitter and the parser. The parser then reads an event's text: the first-line regex applied to its
 *   first line gives the fields; `message` is the first line's message followed by every continuation line
 *   (`message + "\n" + continuation`), so that a search on the exception text finds the event. When the regex has no
 *   `message` group, `message` holds the continuation lines alone (null when there are none).
 *
 * Time: `timeKey` (a layout's `%d` makes the field `time`, which is the default time key) and `timeFormat` in
 * strptime style (`%Y-%m-%d %H:%M:%S,%L`), in Java/Joda style (`yyyy-MM-dd HH:mm:ss,SSS`; a layout's `%d{pattern}`
 * is the default), or `iso8601` / `epoch_*`. Wall-clock times are read in `timeZone` (IANA), or in the zone written
 * in the layout (`%d{HH:mm:ss.SSS, Asia/Shanghai}`), which wins. A time that does not parse fails the record.
 */
import { isTimeZone, type LogFormat } from '../config/log-format';
import { resolveFieldTypes, type FieldType } from '../fields';
import { isFailed, type FailedLine, type LineBatch, type LineEntry } from '../lines';
import { NAMED_JAVA_PATTERNS, compileJavaTime, toStrptimeFormat } from '../java-time';
import { createTimestamper, escapeRe } from '../time';
import type { LineParser, ParseResult } from './index';
import { assignGroups, groupFields, groupNames } from './regex';

// ---------------------------------------------------------------------------------------------------------------
// Logback / log4j / Spring Boot pattern layouts

function escapeClass(c: string): string {
  return c.replace(/[\\\]^-]/g, '\\$&');
}

export interface CompiledLayout {
  /** Anchored regex source (`^…$`) with one named group per field. */
  regex: string;
  fields: string[];
  /** `time` when the layout has `%d`. */
  timeKey?: string;
  /** The Java pattern of the first `%d`. */
  timeFormat?: string;
  /** A time zone written in the layout (`%d{pattern, Zone}`). */
  timeZone?: string;
}

/** Default types of the fields a layout produces (others: keyword). */
const LAYOUT_FIELD_TYPES: Record<string, FieldType> = { message: 'text', line: 'integer', pid: 'integer', relative: 'long' };

interface Word {
  field: string;
  re: string;
}

/**
 * Backtracking bounds: field regexes are bounded so that a long line that starts like an event but does not match
 * costs linear time, not a polynomial (lazy `.*?` groups next to each other are cubic on a 100 kB line). A free-text
 * field (MDC, NDC, marker) followed by a literal cannot contain that literal's first character; the thread (which
 * may contain `:`, `[`, `]` in log4j) is any text up to 512 characters.
 */
const LAZY_ANY = '.{0,512}?';

const WORDS: Record<string, Word> = {};
const word = (names: string[], field: string, re: string) => names.forEach((n) => (WORDS[n] = { field, re }));
word(['p', 'le', 'level'], 'level', '[A-Za-z]{1,32}');
word(['t', 'thread'], 'thread', LAZY_ANY);
word(['c', 'lo', 'logger'], 'logger', '\\S{1,1024}');
word(['m', 'msg', 'message'], 'message', '.*');
// Java class and method names have no `:`, `@` or parentheses: a thread name before `:%C` may have them
word(['C', 'class'], 'class', '[^\\s:@()]{1,1024}');
word(['M', 'method'], 'method', '[^\\s:@().]{1,512}');
word(['L', 'line'], 'line', '(?:\\d{1,10}|\\?)');
word(['F', 'file'], 'file', '[^\\s:@()]{1,512}');
word(['l', 'caller'], 'location', '\\S{1,2048}');
word(['r', 'relative'], 'relative', '\\d{1,19}');
word(['x'], 'ndc', LAZY_ANY);
word(['marker'], 'marker', LAZY_ANY);
word(['cn', 'contextName'], 'context', '\\S{0,256}');
word(['pid'], 'pid', '\\d{1,10}');
word(['X', 'mdc'], 'mdc', LAZY_ANY);

/** Conversion words that print nothing on the first line (the exception goes to continuation lines). */
const SILENT = new Set(['n', 'ex', 'exception', 'throwable', 'xEx', 'xException', 'xThrowable', 'rEx', 'rootException', 'wEx', 'wex', 'nopex', 'nopexception']);

/** Composite words whose content is printed as is (colours, Spring Boot `%clr`). */
const COMPOSITE = new Set([
  '',
  'clr',
  'highlight',
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'gray',
  'faint',
  'boldRed',
  'boldGreen',
  'boldYellow',
  'boldBlue',
  'boldMagenta',
  'boldCyan',
  'boldWhite',
]);

interface LayoutState {
  layout: string;
  fields: string[];
  timeFormat?: string;
  timeZone?: string;
}

/** Reads `{…}` options at s[i] (several may follow each other); returns them and the index after. */
function readOptions(s: string, i: number, st: LayoutState): { options: string[]; end: number } {
  const options: string[] = [];
  while (s[i] === '{') {
    // balanced: an option may hold `${NAME:-default}`
    let depth = 0;
    let close = -1;
    for (let k = i; k < s.length; k++) {
      if (s[k] === '{') depth++;
      else if (s[k] === '}' && --depth === 0) {
        close = k;
        break;
      }
    }
    if (close === -1) throw new Error(`layout ${JSON.stringify(st.layout)}: unterminated { at position ${i}`);
    // `${NAME:-default}` in an option → its default (Spring Boot's LOG_DATEFORMAT_PATTERN)
    options.push(s.slice(i + 1, close).replace(/\$\{[^}:]*:-([^}]*)\}/g, '$1'));
    i = close + 1;
  }
  return { options, end: i };
}

/** Index of the `)` that closes the `(` at s[open]. */
function closingParen(s: string, open: number, st: LayoutState): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`layout ${JSON.stringify(st.layout)}: unbalanced ( at position ${open}`);
}

function addField(st: LayoutState, base: string): string {
  let name = base;
  for (let k = 2; st.fields.includes(name); k++) name = `${base}_${k}`;
  st.fields.push(name);
  return name;
}

/** One token of the layout as a regex piece; `last` marks the last field-producing token of the whole layout. */
interface Piece {
  re: string;
  /** Literal text of a literal piece. */
  lit?: string;
  field?: string;
  greedyIfLast?: boolean;
}

function timePiece(st: LayoutState, option: string | undefined): Piece {
  let pattern = option === undefined || option.trim() === '' ? 'ISO8601' : option.trim();
  let zone: string | undefined;
  const quoted = /^"([^"]*)"\s*(?:,\s*(.+))?$/.exec(pattern);
  if (quoted) {
    pattern = quoted[1];
    zone = quoted[2]?.trim();
  } else {
    const comma = pattern.lastIndexOf(',');
    if (comma !== -1) {
      const tail = pattern.slice(comma + 1).trim();
      if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tail) && !/^([A-Za-z])\1*$/.test(tail) && isTimeZone(tail)) {
        zone = tail;
        pattern = pattern.slice(0, comma).trim();
      }
    }
  }
  if (zone !== undefined && !isTimeZone(zone)) throw new Error(`layout ${JSON.stringify(st.layout)}: unknown time zone ${JSON.stringify(zone)}`);
  const java = compileJavaTime(pattern);
  const field = addField(st, 'time');
  if (st.timeFormat === undefined) {
    st.timeFormat = NAMED_JAVA_PATTERNS[pattern] ?? pattern;
    st.timeZone = zone;
  }
  return { re: java.regex, field };
}

function parseLayout(s: string, st: LayoutState, out: Piece[]): void {
  let lit = '';
  const flushLit = () => {
    if (lit) out.push({ re: escapeRe(lit), lit });
    lit = '';
  };
  for (let i = 0; i < s.length; ) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) {
      lit += s[i + 1];
      i += 2;
      continue;
    }
    if (ch === '$' && s[i + 1] === '{') {
      const close = s.indexOf('}', i + 2);
      if (close === -1) throw new Error(`layout ${JSON.stringify(st.layout)}: unterminated \${ at position ${i}`);
      const body = s.slice(i + 2, close);
      const dflt = body.indexOf(':-');
      const name = dflt === -1 ? body : body.slice(0, dflt);
      i = close + 1;
      flushLit();
      if (name === 'PID') {
        out.push({ re: '\\d{1,10}', field: addField(st, 'pid') });
      } else if (dflt !== -1) {
        parseLayout(body.slice(dflt + 2), st, out);
      } else {
        throw new Error(`layout ${JSON.stringify(st.layout)}: unknown property \${${name}} (only \${PID} or \${NAME:-default})`);
      }
      continue;
    }
    if (ch !== '%') {
      lit += ch;
      i++;
      continue;
    }
    if (s[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    const start = i;
    const m = /^%(-?)(\d*)(?:\.(-?\d+))?([A-Za-z]*)/.exec(s.slice(i, i + 64));
    if (!m) throw new Error(`layout ${JSON.stringify(st.layout)}: bad conversion at position ${i}`);
    const leftAlign = m[1] === '-';
    const padded = m[2] !== '' && +m[2] > 0;
    const name = m[4];
    i += m[0].length;
    flushLit();
    // a `(` after a plain conversion word is literal (log4j's `%C.%M(%F:%L)`)
    const plain = WORDS[name] !== undefined || SILENT.has(name) || name === 'd' || name === 'date';
    if (s[i] === '(' && !plain) {
      if (!COMPOSITE.has(name)) throw new Error(`layout ${JSON.stringify(st.layout)}: composite conversion %${name}(…) is not supported (position ${start})`);
      const close = closingParen(s, i, st);
      const inner: Piece[] = [];
      parseLayout(s.slice(i + 1, close), st, inner);
      i = readOptions(s, close + 1, st).end;
      if (padded && !leftAlign) out.push({ re: ' *' });
      out.push(...inner);
      if (padded && leftAlign) out.push({ re: ' *' });
      continue;
    }
    if (name === '') throw new Error(`layout ${JSON.stringify(st.layout)}: % without a conversion word at position ${start}`);
    const opts = readOptions(s, i, st);
    i = opts.end;
    if (SILENT.has(name)) continue;
    let piece: Piece;
    if (name === 'd' || name === 'date') {
      piece = timePiece(st, opts.options[0]);
    } else {
      const w = WORDS[name];
      if (!w) throw new Error(`layout ${JSON.stringify(st.layout)}: unknown conversion word %${name} at position ${start}`);
      let base = w.field;
      if (base === 'message' && st.fields.includes('message')) throw new Error(`layout ${JSON.stringify(st.layout)}: %${name} appears more than once (position ${start})`);
      if (base === 'mdc' && opts.options[0]) base = `mdc_${opts.options[0].split(':-')[0].trim().replace(/[^\w$]/g, '_')}`;
      piece = { re: w.re, field: addField(st, base), greedyIfLast: base === 'message' };
    }
    // thread names are padded on the left by Spring Boot (`[%15.15t]`) even when a user copies the layout as `[%t]`
    if ((padded && !leftAlign) || piece.field?.startsWith('thread')) out.push({ re: ' *' });
    out.push(piece);
    if (padded && leftAlign) out.push({ re: ' *' });
  }
  flushLit();
}

/**
 * A Logback / log4j / Spring Boot pattern layout → an anchored regex with one named group per field: `%d{pattern}`
 * → `time`, `%level` → `level`, `%thread` → `thread`, `%logger` → `logger`, `%msg` → `message` (rest of the line),
 * `%X{key}` → `mdc_key`, `%C` → `class`, `%M` → `method`, `%L` → `line`, `%F` → `file`, `%l` → `location`,
 * `%r` → `relative`, `${PID}` / `%pid` → `pid`; `%n` and exception words print nothing; colour composites
 * (`%clr(…){cyan}`, `%highlight(…)`) keep their content. Throws on an unknown conversion word.
 */
export function layoutToRegex(layout: string): CompiledLayout {
  const st: LayoutState = { layout, fields: [] };
  const pieces: Piece[] = [];
  parseLayout(layout, st, pieces);
  // trailing literal whitespace (before %n) is often trimmed by log shippers: make it optional
  let lastField = -1;
  for (let k = pieces.length - 1; k >= 0; k--) {
    if (pieces[k].field) {
      lastField = k;
      break;
    }
  }
  if (lastField === -1) throw new Error(`layout ${JSON.stringify(layout)} has no conversion that produces a field`);
  let re = '^';
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k];
    if (!p.field) {
      re += p.re;
      continue;
    }
    let body = p.greedyIfLast && k !== lastField ? '.*?' : p.re;
    const next = pieces[k + 1];
    if (body === LAZY_ANY && !p.field.startsWith('thread') && next?.lit) body = `[^${escapeClass(next.lit[0])}]*`;
    re += `(?<${p.field}>${body})`;
  }
  re += '$';
  // Compile now: a broken regex is a layout error.
  new RegExp(re);
  const out: CompiledLayout = { regex: re, fields: st.fields };
  if (st.timeFormat !== undefined) {
    out.timeKey = st.fields.find((f) => f === 'time');
    out.timeFormat = st.timeFormat;
    if (st.timeZone) out.timeZone = st.timeZone;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsers

interface FirstLine {
  regex: RegExp;
  parse(line: string, doc: Record<string, unknown>): string | undefined; // undefined = ok, else the failure reason
  fields: Record<string, FieldType>;
  names: string[];
  timeKey?: string;
}

function compileFirstLine(format: LogFormat, extraFields: string[] = []): FirstLine {
  let source: string;
  let names: string[];
  let timeKey = format.timeKey;
  let timeFormat = format.timeFormat;
  let zone = format.timeZone ?? 'UTC';
  let defaultType: (name: string) => FieldType = () => 'keyword';
  if (format.regex) {
    source = format.regex;
    names = groupNames(source);
    if (names.length === 0) throw new Error('logFormat.regex has no named groups ((?<name>…))');
  } else if (format.format) {
    const layout = layoutToRegex(format.format);
    source = layout.regex;
    names = layout.fields;
    timeKey ??= layout.timeKey;
    timeFormat ??= layout.timeFormat;
    if (layout.timeZone) zone = layout.timeZone;
    defaultType = (name) => LAYOUT_FIELD_TYPES[name] ?? 'keyword';
  } else {
    throw new Error(`logFormat.regex or logFormat.format is required for type ${format.type}`);
  }
  const regex = new RegExp(source);
  if (timeKey && !names.includes(timeKey)) {
    throw new Error(`timeKey ${JSON.stringify(timeKey)} is not a field of the ${format.regex ? 'regex' : 'layout'} (fields: ${names.join(', ')})`);
  }
  const produced = [...names, ...extraFields.filter((f) => !names.includes(f))];
  const types = resolveFieldTypes(produced, defaultType, format.fields ?? {});
  const groups = groupFields(names, types, zone);
  const shownFormat = timeFormat ?? 'iso8601';
  const timestamp = timeKey ? createTimestamper(toStrptimeFormat(shownFormat), zone) : undefined;

  function parse(line: string, doc: Record<string, unknown>): string | undefined {
    const m = regex.exec(line);
    if (!m) return `does not match the ${format.regex ? 'regex' : 'layout'}`;
    const g = m.groups!;
    if (timestamp) {
      const raw = g[timeKey!];
      const ts = raw === undefined || raw === '' ? undefined : timestamp(raw);
      if (ts === undefined) return raw === undefined || raw === '' ? `${timeKey} is empty` : `${timeKey} ${JSON.stringify(raw)} does not match ${shownFormat}`;
      doc['@timestamp'] = ts;
    }
    // log4j prints `?` for an unknown line number / location
    return assignGroups(groups, g, doc, '?');
  }

  return { regex, parse, fields: types, names, timeKey };
}

/** `single-line-text`: one record per line, fields from the regex's named groups (or a pattern layout). */
export function compileSingleLineText(format: LogFormat): LineParser {
  const first = compileFirstLine(format);
  const hasTime = first.timeKey !== undefined;
  return {
    fields: first.fields,
    parse(text: string): ParseResult {
      const doc: Record<string, unknown> = hasTime ? { '@timestamp': null } : {};
      const reason = first.parse(text, doc);
      return reason === undefined ? { ok: true, doc } : { ok: false, reason };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Multi-line events

/** An assembled event: its first line's number, its lines joined with `\n`, and how many lines it holds. */
export interface MultilineEvent {
  lineNo: number;
  text: string;
  lines: number;
  /** Number of the last line joined (lines skipped upstream, e.g. empty ones, are within lineNo..endLineNo). */
  endLineNo: number;
}
export type AssembledEntry = MultilineEvent | FailedLine;

export interface AssemblerOptions {
  /** Most lines in one event (default 1000); further continuation lines become failed records. */
  maxLines?: number;
  /** Most UTF-8 bytes of one event's text, `\n` separators included (default 1 MiB). */
  maxBytes?: number;
}

export const DEFAULT_MAX_EVENT_LINES = 1000;
export const DEFAULT_MAX_EVENT_BYTES = 1_048_576;

/**
 * Streaming, pure grouping of numbered lines into multi-line events. A line for which `isStart` is true opens an
 * event (and closes the previous one); other lines join the open event. Every input entry ends up in exactly one
 * output entry:
 * - lines before the first event start (orphan continuation lines) → failed records;
 * - continuation lines beyond maxLines, or that would make the event's text longer than maxBytes → failed records
 *   (once an event is cut, all its further continuation lines are failed, so that its text stays a prefix);
 * - a start line longer than maxBytes → a failed record (its continuation lines are then orphans);
 * - failed entries from upstream (over-long, not UTF-8) pass through at once; the open event stays open.
 * Call flush() at the end of the stream (of the object) for the last event.
 */
export class MultilineAssembler {
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private lines: string[] = [];
  private bytes = 0;
  private lineNo = 0;
  private endLineNo = 0;
  private cut: string | undefined;

  constructor(
    private readonly isStart: (line: string) => boolean,
    opts: AssemblerOptions = {},
  ) {
    this.maxLines = opts.maxLines ?? DEFAULT_MAX_EVENT_LINES;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!(this.maxLines >= 1)) throw new Error(`maxLines must be >= 1, got ${this.maxLines}`);
    if (!(this.maxBytes >= 1)) throw new Error(`maxBytes must be >= 1, got ${this.maxBytes}`);
  }

  push(entry: LineEntry): AssembledEntry[] {
    if (isFailed(entry)) return [entry];
    const out: AssembledEntry[] = [];
    const text = entry.text;
    let start = false;
    try {
      start = this.isStart(text);
    } catch {
      start = false;
    }
    if (start) {
      this.emit(out);
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > this.maxBytes) {
        out.push({ lineNo: entry.lineNo, raw: text, reason: `event first line is ${bytes} bytes, longer than maxEventBytes (${this.maxBytes})` });
        return out;
      }
      this.lines = [text];
      this.bytes = bytes;
      this.lineNo = this.endLineNo = entry.lineNo;
      this.cut = undefined;
      return out;
    }
    if (this.lines.length === 0) {
      out.push({ lineNo: entry.lineNo, raw: text, reason: 'continuation line without an event start before it (does not match the first-line pattern)' });
      return out;
    }
    if (this.cut === undefined) {
      if (this.lines.length >= this.maxLines) {
        this.cut = `the event at line ${this.lineNo} exceeds maxEventLines (${this.maxLines}): continuation line cut from it`;
      } else {
        const bytes = this.bytes + 1 + Buffer.byteLength(text, 'utf8');
        if (bytes > this.maxBytes) {
          this.cut = `the event at line ${this.lineNo} exceeds maxEventBytes (${this.maxBytes}): continuation line cut from it`;
        } else {
          this.lines.push(text);
          this.bytes = bytes;
          this.endLineNo = entry.lineNo;
          return out;
        }
      }
    }
    out.push({ lineNo: entry.lineNo, raw: text, reason: this.cut });
    return out;
  }

  /** Emits the open event (end of the stream). */
  flush(): AssembledEntry[] {
    const out: AssembledEntry[] = [];
    this.emit(out);
    return out;
  }

  private emit(out: AssembledEntry[]): void {
    if (this.lines.length === 0) return;
    out.push({ lineNo: this.lineNo, text: this.lines.length === 1 ? this.lines[0] : this.lines.join('\n'), lines: this.lines.length, endLineNo: this.endLineNo });
    this.lines = [];
    this.bytes = 0;
    this.cut = undefined;
  }
}

/**
 * The assembler applied to a stream of line batches (splitLines' output): yields batches of the same shape, where a
 * Line is now a whole event (`text` with `\n`, plus `lines` / `endLineNo`), ready for parser.parse(). The last event
 * is yielded when the input ends.
 */
export async function* assembleBatches(batches: AsyncIterable<LineBatch>, assembler: MultilineAssembler): AsyncIterable<LineBatch> {
  for await (const batch of batches) {
    const out: LineBatch = [];
    for (const entry of batch) for (const e of assembler.push(entry)) out.push(e);
    if (out.length > 0) yield out;
  }
  const last = assembler.flush();
  if (last.length > 0) yield last;
}

export interface MultiLineTextParser extends LineParser {
  readonly multiline: {
    /** Tests whether a line starts an event. */
    readonly firstLine: RegExp;
    readonly maxLines: number;
    readonly maxBytes: number;
    /** A fresh assembler (one per object / input stream). */
    createAssembler(): MultilineAssembler;
  };
}

/**
 * `multi-line-text`: parse(eventText) applies the first-line regex to the event's first line; `message` is the first
 * line's message plus `\n` and the continuation lines (see the file comment). Event bounds: logFormat.maxEventLines
 * (default 1000) and logFormat.maxEventBytes (default logFormat.maxLineBytes, itself 1 MiB by default); `opts`
 * overrides both.
 */
export function compileMultiLineText(format: LogFormat, opts: AssemblerOptions = {}): MultiLineTextParser {
  const first = compileFirstLine(format, ['message']);
  // the message carries stack traces: full-text by default
  if (!format.fields?.message) first.fields.message = 'text';
  const hasMessageGroup = first.names.includes('message');
  const hasTime = first.timeKey !== undefined;
  const regex = first.regex;
  const firstLine = new RegExp(regex.source, regex.flags.replace(/[gy]/g, ''));
  const maxLines = opts.maxLines ?? format.maxEventLines ?? DEFAULT_MAX_EVENT_LINES;
  const maxBytes = opts.maxBytes ?? format.maxEventBytes ?? format.maxLineBytes ?? DEFAULT_MAX_EVENT_BYTES;

  function parse(text: string): ParseResult {
    const nl = text.indexOf('\n');
    const head = nl === -1 ? text : text.slice(0, nl);
    const doc: Record<string, unknown> = hasTime ? { '@timestamp': null } : {};
    const reason = first.parse(head.endsWith('\r') ? head.slice(0, -1) : head, doc);
    if (reason !== undefined) return { ok: false, reason: nl === -1 ? reason : `first line ${reason}` };
    if (nl !== -1) {
      const rest = text.slice(nl + 1);
      if (hasMessageGroup) {
        const msg = doc.message;
        doc.message = typeof msg === 'string' ? `${msg}\n${rest}` : rest;
      } else doc.message = rest;
    } else if (!hasMessageGroup) doc.message = null;
    return { ok: true, doc };
  }

  return {
    fields: first.fields,
    parse,
    multiline: {
      firstLine,
      maxLines,
      maxBytes,
      createAssembler: () => new MultilineAssembler((line) => firstLine.test(line), { maxLines, maxBytes }),
    },
  };
}
