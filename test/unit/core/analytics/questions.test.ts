import { LogFormatSchema, type LogFormat } from '../../../../lambda/core/config/log-format';
import { compileParser } from '../../../../lambda/core/formats';
import { QUESTION_IDS, accessQuestions, questionFields } from '../../../../lambda/core/analytics/questions';

const fieldsOf = (f: Partial<LogFormat> & { type: LogFormat['type'] }) => compileParser(LogFormatSchema.parse(f)).fields;

describe('access-log questions', () => {
  it('nginx combined: every question but request time, answered by the nginx variables', () => {
    expect(accessQuestions('nginx', fieldsOf({ type: 'nginx' }))).toEqual([
      { id: 'requests-over-time' },
      { id: 'status-codes', status: 'status' },
      { id: 'failed-share', status: 'status' },
      { id: 'top-uris', uri: 'request_uri' },
      { id: 'top-clients', client: 'remote_addr' },
      { id: 'bytes', bytes: 'body_bytes_sent' },
    ]);
  });

  it('nginx with $request_time: request time in seconds', () => {
    const fields = fieldsOf({ type: 'nginx', format: '$remote_addr [$time_local] "$request" $status $bytes_sent $request_time' });
    const qs = accessQuestions('nginx', fields);
    expect(qs.map((q) => q.id)).toEqual([...QUESTION_IDS]);
    expect(qs.find((q) => q.id === 'request-time')).toEqual({ id: 'request-time', duration: 'request_time', unit: 's' });
    // $bytes_sent when the format has no $body_bytes_sent.
    expect(qs.find((q) => q.id === 'bytes')).toEqual({ id: 'bytes', bytes: 'bytes_sent' });
  });

  it('apache: %b is the bytes, %D the most precise duration, %a a client when %h is absent', () => {
    const combined = accessQuestions('apache', fieldsOf({ type: 'apache' }));
    expect(combined.find((q) => q.id === 'bytes')).toEqual({ id: 'bytes', bytes: 'response_size_bytes' });
    expect(combined.some((q) => q.id === 'request-time')).toBe(false);
    const timed = accessQuestions('apache', fieldsOf({ type: 'apache', format: '%a %t "%r" %>s %b %{ms}T %D' }));
    expect(timed.find((q) => q.id === 'request-time')).toEqual({ id: 'request-time', duration: 'request_time_us', unit: 'us' });
    expect(timed.find((q) => q.id === 'top-clients')).toEqual({ id: 'top-clients', client: 'client_ip' });
    // %U (the path) answers the URI question when %r is absent.
    const pathOnly = accessQuestions('apache', fieldsOf({ type: 'apache', format: '%h %t %U %>s' }));
    expect(pathOnly.find((q) => q.id === 'top-uris')).toEqual({ id: 'top-uris', uri: 'request_path' });
  });

  it('a field overridden to a type the question cannot use leaves the question out', () => {
    const fields = fieldsOf({ type: 'nginx', format: '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time', fields: { status: 'keyword', request_time: 'keyword', body_bytes_sent: 'keyword', request_uri: 'text' } });
    // keyword status: grouped, but no 4xx/5xx range; keyword duration and bytes: no average or sum; text URI: no terms.
    expect(accessQuestions('nginx', fields).map((q) => q.id)).toEqual(['requests-over-time', 'status-codes', 'top-clients']);
  });

  it('other log types ask none', () => {
    for (const type of ['json', 'regex', 'syslog', 'single-line-text', 'multi-line-text'] as const) expect(accessQuestions(type, { status: 'integer', request_uri: 'keyword' })).toEqual([]);
  });

  it('questionFields names what each question reads', () => {
    const all = accessQuestions('nginx', fieldsOf({ type: 'nginx', format: '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time' }));
    expect(Object.fromEntries(all.map((q) => [q.id, questionFields(q)]))).toEqual({
      'requests-over-time': [],
      'status-codes': ['status'],
      'failed-share': ['status'],
      'top-uris': ['request_uri'],
      'top-clients': ['remote_addr'],
      bytes: ['body_bytes_sent'],
      'request-time': ['request_time'],
    });
  });
});
