import {
  APACHE_FIELD_TYPES,
  INVALID,
  KEYWORD_IGNORE_ABOVE,
  NGINX_FIELD_TYPES,
  coerceJsonValue,
  converterFor,
  invalidReason,
  nginxFieldType,
  apacheFieldType,
  resolveFieldTypes,
  toOpenSearchMappings,
} from '../../../lambda/core/fields';

describe('default type tables', () => {
  it('types the nginx variables', () => {
    expect(NGINX_FIELD_TYPES.status).toBe('integer');
    expect(NGINX_FIELD_TYPES.body_bytes_sent).toBe('long');
    expect(NGINX_FIELD_TYPES.request_time).toBe('float');
    expect(NGINX_FIELD_TYPES.remote_addr).toBe('ip');
    expect(NGINX_FIELD_TYPES.http_user_agent).toBe('text');
    expect(NGINX_FIELD_TYPES.upstream_response_time).toBe('float');
    expect(nginxFieldType('http_x_custom_header')).toBe('keyword');
    expect(nginxFieldType('arg_page')).toBe('keyword');
  });

  it('types the Apache directive fields', () => {
    expect(APACHE_FIELD_TYPES.status).toBe('integer');
    expect(APACHE_FIELD_TYPES.response_size_bytes).toBe('long');
    expect(APACHE_FIELD_TYPES.request_time_us).toBe('long');
    expect(APACHE_FIELD_TYPES.remote_addr).toBe('ip');
    expect(apacheFieldType('http_user_agent')).toBe('text');
    expect(apacheFieldType('env_unique_id')).toBe('keyword');
  });

  it('resolveFieldTypes: defaults, then overrides (also for unknown fields), and @timestamp: date', () => {
    const types = resolveFieldTypes(['remote_addr', 'status', 'http_user_agent'], nginxFieldType, {
      remote_addr: 'keyword',
      'extra.nested': 'long',
      '@timestamp': 'keyword',
    });
    expect(types).toEqual({
      '@timestamp': 'date',
      remote_addr: 'keyword',
      status: 'integer',
      http_user_agent: 'text',
      'extra.nested': 'long',
    });
  });
});

describe('converters', () => {
  it('integer: strict digits, 32-bit range, `-` and empty → null', () => {
    const c = converterFor('integer');
    expect(c('200')).toBe(200);
    expect(c('-12')).toBe(-12);
    expect(c('+7')).toBe(7);
    expect(c('-')).toBeNull();
    expect(c('')).toBeNull();
    expect(c('2147483647')).toBe(2147483647);
    for (const bad of ['abc', '1.5', '1e3', '0x10', ' 12', '12 ', '2147483648', '--1']) expect(c(bad)).toBe(INVALID);
  });

  it('long: exact as a JSON number, never other digits than the line has', () => {
    const c = converterFor('long');
    expect(c('9007199254740991')).toBe(9007199254740991);
    expect(c('-9007199254740991')).toBe(-9007199254740991);
    // would be written 1234567890123456800 and 9223372036854776000 (which the domain refuses)
    for (const bad of ['9007199254740992', '1234567890123456789', '9223372036854775807', '12345678901234567890']) expect(c(bad)).toBe(INVALID);
    expect(invalidReason('id', 'long', '1234567890123456789')).toBe('id "1234567890123456789" is not an integer within ±(2^53 - 1), exact as a JSON number (type the field keyword to keep every digit)');
    expect(coerceJsonValue('long', 2 ** 53, c)).toBe(INVALID);
    expect(c('-')).toBeNull();
  });

  it('float/double: decimal and exponent forms, nothing else', () => {
    const c = converterFor('float');
    expect(c('0.004')).toBe(0.004);
    expect(c('1')).toBe(1);
    expect(c('.5')).toBe(0.5);
    expect(c('2.')).toBe(2);
    expect(c('1e-3')).toBe(0.001);
    expect(c('-')).toBeNull();
    for (const bad of ['abc', '1.2.3', 'NaN', 'Infinity', '0.004, 0.010', '1,5']) expect(c(bad)).toBe(INVALID);
  });

  it('boolean', () => {
    const c = converterFor('boolean');
    expect([c('true'), c('FALSE'), c('1'), c('0'), c('on'), c('off'), c('yes'), c('no'), c('-')]).toEqual([true, false, true, false, true, false, true, false, null]);
    expect(c('maybe')).toBe(INVALID);
  });

  it('ip: IPv4 and IPv6, `-` and nginx\'s `unix:` (a unix-socket client) → null, anything else invalid', () => {
    const c = converterFor('ip');
    for (const ok of ['83.149.9.216', '0.0.0.0', '255.255.255.255', '2001:db8::1', '::1', '::ffff:10.0.0.1', 'fe80::1ff:fe23:4567:890a']) expect(c(ok)).toBe(ok);
    expect(c('-')).toBeNull();
    expect(c('unix:')).toBeNull();
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', 'example.com', '1.2.3.4:80', '[::1]', 'unix:/run/x.sock', 'unix']) expect(c(bad)).toBe(INVALID);
  });

  it('date: ISO-8601 normalised to UTC millis (zone for values without offset)', () => {
    expect(converterFor('date')('2024-07-01T12:00:00+08:00')).toBe('2024-07-01T04:00:00.000Z');
    expect(converterFor('date', 'Asia/Shanghai')('2024-07-01 12:00:00')).toBe('2024-07-01T04:00:00.000Z');
    expect(converterFor('date')('yesterday')).toBe(INVALID);
  });

  it('keyword/text keep the text, including `-`', () => {
    expect(converterFor('keyword')('-')).toBe('-');
    expect(converterFor('text')('Mozilla/5.0')).toBe('Mozilla/5.0');
  });

  it('invalidReason names the field, value and type', () => {
    expect(invalidReason('status', 'integer', 'abc')).toBe('status "abc" is not an integer');
    expect(invalidReason('status', 'integer', '99999999999')).toBe('status "99999999999" is not an integer in 32-bit range');
    expect(invalidReason('remote_addr', 'ip', 'example.com')).toBe('remote_addr "example.com" is not an IP address');
    expect(invalidReason('request_time', 'float', 'x')).toBe('request_time "x" is not a number');
    expect(invalidReason('a.b', 'long', { x: 1 })).toBe('a.b "{\\"x\\":1}" is not an integer');
  });

  it('coerceJsonValue checks JSON numbers/booleans and converts strings', () => {
    expect(coerceJsonValue('integer', '200', converterFor('integer'))).toBe(200);
    expect(coerceJsonValue('integer', 200, converterFor('integer'))).toBe(200);
    expect(coerceJsonValue('integer', 1.5, converterFor('integer'))).toBe(INVALID);
    expect(coerceJsonValue('keyword', 42, converterFor('keyword'))).toBe('42');
    expect(coerceJsonValue('long', [1, '2'], converterFor('long'))).toEqual([1, 2]);
    expect(coerceJsonValue('object', { a: 1 }, converterFor('object'))).toEqual({ a: 1 });
    expect(coerceJsonValue('keyword', { a: 1 }, converterFor('keyword'))).toBe(INVALID);
    expect(coerceJsonValue('date', 1446249499322, converterFor('date'))).toBe('2015-10-30T23:58:19.322Z');
    expect(coerceJsonValue('boolean', null, converterFor('boolean'))).toBeNull();
  });
});

describe('toOpenSearchMappings', () => {
  it('maps every type, text with a keyword sub-field, unknown strings to keyword', () => {
    const m = toOpenSearchMappings({
      '@timestamp': 'date',
      remote_addr: 'ip',
      status: 'integer',
      body_bytes_sent: 'long',
      request_time: 'float',
      score: 'double',
      cached: 'boolean',
      request_uri: 'keyword',
      http_user_agent: 'text',
      extra: 'object',
    });
    expect(m.properties).toEqual({
      '@timestamp': { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
      remote_addr: { type: 'ip' },
      status: { type: 'integer' },
      body_bytes_sent: { type: 'long' },
      request_time: { type: 'float' },
      score: { type: 'double' },
      cached: { type: 'boolean' },
      request_uri: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE },
      http_user_agent: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      extra: { type: 'object' },
    });
    expect(m.dynamic_templates).toEqual([
      { strings_as_keyword: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE } } },
    ]);
    expect(m.date_detection).toBe(false);
  });

  it('nests dotted names under object properties', () => {
    const m = toOpenSearchMappings({ '@timestamp': 'date', 'connections.active': 'long', 'connections.idle': 'long', 'a.b.c': 'keyword', a: 'object' });
    expect(m.properties.connections).toEqual({ type: 'object', properties: { active: { type: 'long' }, idle: { type: 'long' } } });
    expect(m.properties.a).toEqual({ type: 'object', properties: { b: { type: 'object', properties: { c: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE } } } } });
  });

  it('refuses a field that is both a leaf and a parent', () => {
    expect(() => toOpenSearchMappings({ a: 'keyword', 'a.b': 'long' })).toThrow(/a is keyword, not an object/);
  });
});
