/**
 * Field types of parsed records: default tables for nginx variables and Apache directives, user overrides
 * (`logFormat.fields`), value converters used by the parsers, and the OpenSearch mapping built from a type table
 * (the same table will drive the Parquet schema).
 *
 * Value rules (all parsers):
 * - keyword / text: the string as written (`-` stays `-`: it is what the server logged).
 * - integer / long / float / double / boolean / ip / date: `-` or an empty value → null; anything else that is not a
 *   valid value of the type fails the line with a reason such as `status "abc" is not an integer`.
 * - integer must fit 32 bits (OpenSearch rejects larger values); long must be exact as a JSON number (±(2^53 - 1)).
 * - date fields other than `@timestamp` must be ISO-8601 and are normalised to `YYYY-MM-DDTHH:mm:ss.sssZ`.
 */
import { isIP } from 'node:net';
import type { FieldType, LogFormat } from './config/log-format';
import { compileTimeParser, toIsoTimestamp } from './time';

export type { FieldType };
export type FieldTypes = Record<string, FieldType>;

export const TIMESTAMP_FIELD = '@timestamp';

/** nginx variables (without `$`). Variables not listed: see nginxFieldType. */
export const NGINX_FIELD_TYPES: Readonly<FieldTypes> = Object.freeze({
  remote_addr: 'ip',
  realip_remote_addr: 'ip',
  server_addr: 'ip',
  remote_port: 'integer',
  realip_remote_port: 'integer',
  server_port: 'integer',
  remote_user: 'keyword',
  time_local: 'keyword',
  time_iso8601: 'keyword',
  msec: 'double',
  request: 'keyword',
  request_method: 'keyword',
  request_uri: 'keyword',
  request_protocol: 'keyword',
  server_protocol: 'keyword',
  uri: 'keyword',
  document_uri: 'keyword',
  args: 'keyword',
  query_string: 'keyword',
  scheme: 'keyword',
  https: 'keyword',
  host: 'keyword',
  hostname: 'keyword',
  server_name: 'keyword',
  status: 'integer',
  body_bytes_sent: 'long',
  bytes_sent: 'long',
  bytes_received: 'long',
  request_length: 'long',
  content_length: 'long',
  request_time: 'float',
  connection: 'long',
  connection_requests: 'integer',
  pid: 'integer',
  pipe: 'keyword',
  gzip_ratio: 'float',
  http_referer: 'keyword',
  http_user_agent: 'text',
  http_x_forwarded_for: 'keyword',
  sent_http_content_length: 'long',
  upstream_addr: 'keyword',
  upstream_status: 'integer',
  upstream_response_time: 'float',
  upstream_connect_time: 'float',
  upstream_header_time: 'float',
  upstream_queue_time: 'float',
  upstream_response_length: 'long',
  upstream_bytes_received: 'long',
  upstream_bytes_sent: 'long',
  upstream_cache_status: 'keyword',
  ssl_protocol: 'keyword',
  ssl_cipher: 'keyword',
  request_id: 'keyword',
});

/** Field names produced by Apache `LogFormat` directives (see formats/apache.ts for the directive → name table). */
export const APACHE_FIELD_TYPES: Readonly<FieldTypes> = Object.freeze({
  remote_addr: 'ip',
  client_ip: 'ip',
  peer_ip: 'ip',
  server_ip: 'ip',
  remote_ident: 'keyword',
  remote_user: 'keyword',
  time_local: 'keyword',
  request: 'keyword',
  request_method: 'keyword',
  request_uri: 'keyword',
  request_protocol: 'keyword',
  request_path: 'keyword',
  query_string: 'keyword',
  status: 'integer',
  original_status: 'integer',
  response_size_bytes: 'long',
  bytes_received: 'long',
  bytes_sent: 'long',
  bytes_transferred: 'long',
  request_time_us: 'long',
  request_time_ms: 'long',
  request_time_s: 'long',
  server_name: 'keyword',
  host: 'keyword',
  server_port: 'integer',
  local_port: 'integer',
  remote_port: 'integer',
  process_id: 'integer',
  thread_id: 'long',
  filename: 'keyword',
  connection_status: 'keyword',
  keepalive_requests: 'integer',
  log_id: 'keyword',
  handler: 'keyword',
  http_referer: 'keyword',
  http_user_agent: 'text',
  http_x_forwarded_for: 'keyword',
  sent_http_content_length: 'long',
});

/** Default type of an nginx variable: the table, else keyword (http_*, sent_http_*, arg_*, cookie_* … included). */
export function nginxFieldType(name: string): FieldType {
  return NGINX_FIELD_TYPES[name] ?? 'keyword';
}

export function apacheFieldType(name: string): FieldType {
  return APACHE_FIELD_TYPES[name] ?? 'keyword';
}

/**
 * The type table of a parser: the produced fields with their default types, then the user's overrides (which may
 * also name fields the parser does not know, e.g. nested JSON paths), then `@timestamp: date`.
 */
export function resolveFieldTypes(produced: Iterable<string>, defaultType: (name: string) => FieldType, overrides: LogFormat['fields'] = {}): FieldTypes {
  const types: FieldTypes = { [TIMESTAMP_FIELD]: 'date' };
  for (const name of produced) types[name] = defaultType(name);
  for (const [name, type] of Object.entries(overrides)) types[name] = type;
  types[TIMESTAMP_FIELD] = 'date';
  return types;
}

// ---------------------------------------------------------------------------------------------------------------
// Converters

/** Returned by a converter for a value that is not valid for the field's type. */
export const INVALID: unique symbol = Symbol('invalid');
export type Converted = string | number | boolean | null | typeof INVALID;
export type Converter = (raw: string) => Converted;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** Strict decimal integer (optional sign, ≤ 19 digits), or INVALID. */
export function parseInteger(s: string): number | typeof INVALID {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 1 && (s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43)) {
    neg = s.charCodeAt(0) === 45;
    i = 1;
  }
  if (n - i === 0 || n - i > 19) return INVALID;
  let v = 0;
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return INVALID;
    v = v * 10 + c;
  }
  // beyond 2^53 the running sum rounds at every step: let Number() round once, correctly
  if (n - i > 15) v = Number(s.slice(i));
  return neg ? -v : v;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseFloatStrict(s: string): number | typeof INVALID {
  return FLOAT_RE.test(s) ? +s : INVALID;
}

const toInteger: Converter = (s) => {
  if (s === '-' || s === '') return null;
  const v = parseInteger(s);
  return v !== INVALID && (v < INT32_MIN || v > INT32_MAX) ? INVALID : v;
};
/**
 * A long must be exact as a JSON number (±(2^53 - 1)): beyond it the document would carry other digits than the line
 * (9223372036854775807 is written 9223372036854776000, which the domain even refuses as out of range). Such a line is
 * backed up with the reason; typed keyword the field keeps every digit.
 */
const toLong: Converter = (s) => {
  if (s === '-' || s === '') return null;
  const v = parseInteger(s);
  return v !== INVALID && !Number.isSafeInteger(v) ? INVALID : v;
};
const toFloat: Converter = (s) => (s === '-' || s === '' ? null : parseFloatStrict(s));
const toBoolean: Converter = (s) => {
  switch (s.toLowerCase()) {
    case 'true':
    case '1':
    case 'yes':
    case 'on':
      return true;
    case 'false':
    case '0':
    case 'no':
    case 'off':
      return false;
    case '-':
    case '':
      return null;
    default:
      return INVALID;
  }
};
const toIp: Converter = (s) => {
  // nginx writes `unix:` for a client on a unix socket: it has no address (a line with it would fail otherwise)
  if (s === '-' || s === '' || s === 'unix:') return null;
  // Fast accept of a dotted quad; everything else (IPv6, odd forms) goes through node:net.
  return isIPv4At(s, 0, s.length) || isIP(s) !== 0 ? s : INVALID;
};
const identity: Converter = (s) => s;
const toObject: Converter = (s) => (s === '-' || s === '' ? null : INVALID);

/** s[a..b) is a dotted quad that node:net accepts (no leading zeros, octets ≤ 255). Hot: no allocation. */
export function isIPv4At(s: string, a: number, b: number): boolean {
  const n = b - a;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let octet = 0;
  let digits = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255 || (digits > 1 && s.charCodeAt(i - digits) === 48)) return false;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else return false;
  }
  return dots === 3 && digits > 0 && octet <= 255 && !(digits > 1 && s.charCodeAt(b - digits) === 48);
}

/** isIPv4At over bytes B[a..b). */
export function isIPv4Bytes(B: Uint8Array, a: number, b: number): boolean {
  const n = b - a;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let octet = 0;
  let digits = 0;
  for (let i = a; i < b; i++) {
    const c = B[i];
    if (c === 46) {
      if (digits === 0 || octet > 255 || (digits > 1 && B[i - digits] === 48)) return false;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else return false;
  }
  return dots === 3 && digits > 0 && octet <= 255 && !(digits > 1 && B[b - digits] === 48);
}

/** Converter for one field type; `timeZone` reads date fields without an offset. */
export function converterFor(type: FieldType, timeZone = 'UTC'): Converter {
  switch (type) {
    case 'keyword':
    case 'text':
      return identity;
    case 'integer':
      return toInteger;
    case 'long':
      return toLong;
    case 'float':
    case 'double':
      return toFloat;
    case 'boolean':
      return toBoolean;
    case 'ip':
      return toIp;
    case 'object':
      return toObject;
    case 'date': {
      const iso = compileTimeParser('iso8601', timeZone);
      return (s) => {
        if (s === '-' || s === '') return null;
        const ms = iso(s);
        return Number.isNaN(ms) ? INVALID : toIsoTimestamp(ms);
      };
    }
  }
}

const TYPE_NOUN: Record<FieldType, string> = {
  keyword: 'a string',
  text: 'a string',
  integer: 'an integer',
  long: 'an integer',
  float: 'a number',
  double: 'a number',
  boolean: 'a boolean',
  ip: 'an IP address',
  date: 'an ISO-8601 date',
  object: 'an object',
};

/** `status "abc" is not an integer` */
export function invalidReason(name: string, type: FieldType, raw: unknown): string {
  const shown = typeof raw === 'string' ? raw : JSON.stringify(raw);
  const clipped = shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
  const whole = typeof raw === 'string' ? parseInteger(raw) !== INVALID : typeof raw === 'number' && Number.isInteger(raw);
  const range = !whole ? '' : type === 'integer' ? ' in 32-bit range' : type === 'long' ? ' within ±(2^53 - 1), exact as a JSON number (type the field keyword to keep every digit)' : '';
  return `${name} ${JSON.stringify(clipped)} is not ${TYPE_NOUN[type]}${range}`;
}

/**
 * Coerces a JSON value to a field type: strings go through the converter; numbers and booleans are checked
 * (an integer field rejects 1.5); objects and arrays only fit `object` (arrays: each element is coerced).
 */
export function coerceJsonValue(type: FieldType, value: unknown, convert: Converter): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return convert(value);
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = coerceJsonValue(type, value[i], convert);
      if (v === INVALID) return INVALID;
      out[i] = v;
    }
    return out;
  }
  switch (type) {
    case 'keyword':
    case 'text':
      return typeof value === 'object' ? INVALID : String(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? value : INVALID;
    case 'long':
      // JSON.parse already rounded a longer one: refused, not indexed with other digits (toLong)
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : INVALID;
    case 'float':
    case 'double':
      return typeof value === 'number' ? value : INVALID;
    case 'boolean':
      return typeof value === 'boolean' ? value : INVALID;
    case 'object':
      return typeof value === 'object' ? value : INVALID;
    case 'ip':
      return INVALID;
    case 'date':
      return typeof value === 'number' ? convertEpochMillis(value) : INVALID;
  }
}

function convertEpochMillis(ms: number): string | typeof INVALID {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? INVALID : d.toISOString();
}

// ---------------------------------------------------------------------------------------------------------------
// OpenSearch mapping

/** Longest keyword indexed (chars): Lucene's term limit is 32,766 bytes, ≤ 4 bytes a char. Longer values stay in _source. */
export const KEYWORD_IGNORE_ABOVE = 8191;

export interface OpenSearchMappings {
  dynamic_templates: Array<Record<string, { match_mapping_type: string; mapping: Record<string, unknown> }>>;
  date_detection: boolean;
  properties: Record<string, Record<string, unknown>>;
}

function propertyFor(type: FieldType): Record<string, unknown> {
  switch (type) {
    case 'keyword':
      return { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE };
    case 'text':
      return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
    case 'date':
      return { type: 'date', format: 'strict_date_optional_time||epoch_millis' };
    case 'object':
      return { type: 'object' };
    default:
      return { type };
  }
}

/**
 * Index mapping for a type table. Dotted names become nested `properties` (`a.b` → a: { properties: { b } }).
 * Unknown string fields are mapped as keyword by a dynamic template; date detection is off so that the mapping
 * does not depend on the first document that arrives.
 */
export function toOpenSearchMappings(types: FieldTypes): OpenSearchMappings {
  const properties: Record<string, Record<string, unknown>> = {};
  const names = Object.keys(types).sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b));
  for (const name of names) {
    const path = name === TIMESTAMP_FIELD ? [name] : name.split('.');
    let level = properties;
    for (let i = 0; i < path.length - 1; i++) {
      let parent = level[path[i]];
      if (!parent) parent = level[path[i]] = { type: 'object', properties: {} };
      if (parent.type !== 'object') {
        throw new Error(`field ${name}: ${path.slice(0, i + 1).join('.')} is ${String(parent.type)}, not an object`);
      }
      parent.properties ??= {};
      level = parent.properties as Record<string, Record<string, unknown>>;
    }
    const leaf = path[path.length - 1];
    const existing = level[leaf];
    if (existing && existing.properties) {
      if (types[name] !== 'object') throw new Error(`field ${name} is ${types[name]} but has sub-fields`);
      continue;
    }
    level[leaf] = propertyFor(types[name]);
  }
  return {
    dynamic_templates: [{ strings_as_keyword: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE } } }],
    date_detection: false,
    properties,
  };
}
