/**
 * nginx `log_format` parser: the format (a named one, or a log_format value pasted from nginx.conf) becomes a template
 * for the compiler in template/, which holds the scanner and the value rules. Every variable becomes a field of the
 * same name; `$request` is split into its parts; the upstream_* variables nginx writes once per upstream tried are
 * lists (times and byte counts summed, `$upstream_status` the last).
 */
import type { LogFormat } from '../config/log-format';
import { nginxFieldType } from '../fields';
import { TIME_LOCAL_FORMAT } from '../time';
import { compileTemplate, type Template, type TemplateField, type TemplateParser } from './template';

// (formats/nginx is where the agent comparisons import it from)
export { unescapeLogValue } from './template';

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
