/**
 * Apache httpd `LogFormat` parser (mod_log_config). The format compiles into the same literal/field template as
 * nginx (see template/ for the scanner and the value rules).
 *
 * Directive → field:
 *   %h remote_addr (ip: with HostnameLookups On, override it to keyword)  %a client_ip  %{c}a peer_ip  %A server_ip
 *   %l remote_ident  %u remote_user  %t time_local (the brackets are literal)  %{fmt}t time_local (strftime fmt, or
 *   sec/msec/usec → epoch formats; consecutive %{fmt}t pieces, such as Apache's own
 *   `%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t`, are one time_local with msec_frac → %L and usec_frac → %f)  %r request → request_method / request_uri / request_protocol (as nginx $request)
 *   %m request_method  %U request_path  %q query_string  %H request_protocol  %>s %<s %s status (with %>s in the
 *   same format, %s / %<s is original_status: the status before internal redirects)
 *   %b response_size_bytes (`-` → 0: CLF writes `-` for a zero-byte body)  %B response_size_bytes
 *   %D request_time_us  %T request_time_s  %{ms}T request_time_ms  %{us}T request_time_us  %{s}T request_time_s
 *   %I bytes_received  %O bytes_sent  %S bytes_transferred  %v server_name  %V host
 *   %p server_port  %{canonical}p server_port  %{local}p local_port  %{remote}p remote_port
 *   %P process_id  %{pid}P process_id  %{tid}P %{hextid}P thread_id  %f filename  %X connection_status
 *   %k keepalive_requests  %L log_id  %R handler
 *   %{Name}i http_<name>  %{Name}o sent_http_<name>  %{Name}e env_<name>  %{Name}n note_<name>  %{Name}C cookie_<name>
 *   (<name>: lower case, non-alphanumerics → `_`, as nginx names header variables: User-Agent → http_user_agent)
 * Status conditions (`%400,501{User-agent}i`, `%!200r`) are accepted and ignored. `%%` is a literal percent sign.
 * The format may be given as httpd.conf has it (`"%h %l … \"%r\" …"`): outer quotes are dropped and `\"` → `"`.
 * Named formats: combined (default), common, vhost_combined, referer, agent.
 */
import type { LogFormat } from '../config/log-format';
import { apacheFieldType } from '../fields';
import { TIME_LOCAL_FORMAT } from '../time';
import { compileTemplate, type FieldRole, type Template, type TemplateField, type TemplateParser } from './template';

export const APACHE_COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"';
export const APACHE_COMMON = '%h %l %u %t "%r" %>s %b';

const NAMED_FORMATS: Record<string, string> = {
  combined: APACHE_COMBINED,
  common: APACHE_COMMON,
  vhost_combined: '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
  referer: '%{Referer}i -> %U',
  agent: '%{User-agent}i',
};

/** `User-Agent` → `user_agent` */
export function snakeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

const SIMPLE: Record<string, string> = {
  a: 'client_ip',
  A: 'server_ip',
  B: 'response_size_bytes',
  b: 'response_size_bytes',
  D: 'request_time_us',
  f: 'filename',
  h: 'remote_addr',
  H: 'request_protocol',
  k: 'keepalive_requests',
  l: 'remote_ident',
  L: 'log_id',
  m: 'request_method',
  p: 'server_port',
  P: 'process_id',
  q: 'query_string',
  R: 'handler',
  s: 'status',
  T: 'request_time_s',
  u: 'remote_user',
  U: 'request_path',
  v: 'server_name',
  V: 'host',
  X: 'connection_status',
  I: 'bytes_received',
  O: 'bytes_sent',
  S: 'bytes_transferred',
};

const ARG_PREFIX: Record<string, string> = { i: 'http_', o: 'sent_http_', e: 'env_', n: 'note_', C: 'cookie_' };

interface Resolved {
  name: string;
  role: FieldRole;
  /** For %{fmt}t: the time format it implies. */
  timeFormat?: string;
  /** A strftime piece of %{fmt}t, which joins the piece before it (see apacheTemplate). */
  piece?: boolean;
}

function resolveDirective(letter: string, arg: string | undefined, label: string): Resolved {
  const bad = (): never => {
    throw new Error(`apache format: unsupported directive ${label}`);
  };
  if (ARG_PREFIX[letter]) {
    if (!arg) bad();
    return { name: ARG_PREFIX[letter] + snakeName(arg!), role: 'value' };
  }
  switch (letter) {
    case 'r':
      return { name: 'request', role: 'request' };
    case 'b':
      return { name: 'response_size_bytes', role: 'clf-bytes' };
    case 't': {
      if (arg === undefined) return { name: 'time_local', role: 'value', timeFormat: TIME_LOCAL_FORMAT };
      const fmt = arg.replace(/^(begin|end):/, '');
      const epoch: Record<string, string> = { sec: 'epoch_s', msec: 'epoch_ms', usec: 'epoch_us' };
      if (epoch[fmt]) return { name: 'time_local', role: 'value', timeFormat: epoch[fmt] };
      if (fmt === 'msec_frac') return { name: 'time_local', role: 'value', timeFormat: '%L', piece: true };
      if (fmt === 'usec_frac') return { name: 'time_local', role: 'value', timeFormat: '%f', piece: true };
      if (fmt === '') return { name: 'time_local', role: 'value', timeFormat: TIME_LOCAL_FORMAT };
      return { name: 'time_local', role: 'value', timeFormat: fmt, piece: true };
    }
    case 'T':
      if (arg === undefined || arg === 's') return { name: 'request_time_s', role: 'value' };
      if (arg === 'ms') return { name: 'request_time_ms', role: 'value' };
      if (arg === 'us') return { name: 'request_time_us', role: 'value' };
      return bad();
    case 'a':
      return { name: arg === 'c' ? 'peer_ip' : 'client_ip', role: 'value' };
    case 'p':
      if (arg === undefined || arg === 'canonical') return { name: 'server_port', role: 'value' };
      if (arg === 'local') return { name: 'local_port', role: 'value' };
      if (arg === 'remote') return { name: 'remote_port', role: 'value' };
      return bad();
    case 'P':
      if (arg === 'tid' || arg === 'hextid') return { name: 'thread_id', role: 'value' };
      if (arg === undefined || arg === 'pid') return { name: 'process_id', role: 'value' };
      return bad();
  }
  const name = SIMPLE[letter];
  if (!name) bad();
  return { name, role: 'value' };
}

export function normaliseApacheFormat(format: string | undefined): string {
  let f = (format ?? 'combined').trim();
  if (NAMED_FORMATS[f]) return NAMED_FORMATS[f];
  if (f.length >= 2 && f.startsWith('"') && f.endsWith('"') && !f.endsWith('\\"')) f = f.slice(1, -1);
  return f.replace(/\\"/g, '"');
}

export function apacheTemplate(format: string | undefined): { template: Template; timeFormat?: string } {
  const src = normaliseApacheFormat(format);
  const fields: TemplateField[] = [];
  const literals: string[] = [];
  let prefix = '';
  let lit = '';
  let timeFormat: string | undefined;
  /** The last field, when it is a %{fmt}t piece: the next piece with only a literal between joins it. */
  let openPiece: TemplateField | undefined;
  const statusLabels: { final: TemplateField[]; original: TemplateField[] } = { final: [], original: [] };
  // % [<>]? [!]?[0-9,]* [<>]? ({arg})? [<>]? letter   (the ^ti / ^to trailer directives are not supported)
  const re = /%([<>]?)(!?[0-9,]*)([<>]?)(?:\{([^}]*)\})?([<>]?)([A-Za-z%^])/g;
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const letter = m[6];
    if (letter === '%') {
      lit += src.slice(last, m.index) + '%';
      last = m.index + m[0].length;
      continue;
    }
    lit += src.slice(last, m.index);
    const r = resolveDirective(letter, m[4], m[0]);
    if (r.piece && openPiece) {
      // `%{%d/%b/%Y %T}t.%{msec_frac}t`: one value, the literal between part of the time format
      timeFormat = `${timeFormat}${lit.replace(/%/g, '%%')}${r.timeFormat}`;
      openPiece.label += lit + m[0];
      lit = '';
      last = m.index + m[0].length;
      continue;
    }
    if (r.piece && /^%[Lf]$/.test(r.timeFormat!)) {
      throw new Error(`apache format: ${m[0]} (a fraction of a second) must follow a %{…}t time, as in %{%d/%b/%Y %T}t.${m[0]}`);
    }
    if (fields.length === 0) prefix = lit;
    else literals.push(lit);
    lit = '';
    if (letter === 't') {
      // %t writes `[17/May/2015:10:05:03 +0000]`: the brackets become literals
      if (m[4] === undefined) {
        if (fields.length === 0) prefix += '[';
        else literals[literals.length - 1] += '[';
        lit = ']';
      }
      timeFormat ??= r.timeFormat;
    }
    const field: TemplateField = { name: r.name, label: m[0], role: r.role };
    if (letter === 's') statusLabels[m[0].includes('>') ? 'final' : 'original'].push(field);
    fields.push(field);
    // (timeFormat is the first time field's: a format with a second one is refused by compileTemplate anyway)
    openPiece = r.piece ? field : undefined;
    last = m.index + m[0].length;
  }
  if (statusLabels.final.length > 0) for (const f of statusLabels.original) f.name = 'original_status';
  if (fields.length === 0) throw new Error(`apache format ${JSON.stringify(src)} has no % directives`);
  literals.push(lit + src.slice(last));
  const timeFormats: Record<string, string> = { time_local: timeFormat ?? TIME_LOCAL_FORMAT };
  return { template: { kind: 'apache', prefix, fields, literals, timeFormats, defaultType: apacheFieldType }, timeFormat };
}

export function compileApache(format: LogFormat): TemplateParser {
  return compileTemplate(apacheTemplate(format.format).template, format);
}
