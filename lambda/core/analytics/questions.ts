/**
 * The questions an access log (nginx, apache) is asked, in one catalog for both engines: the OpenSearch Dashboards
 * visualizations (`lambda/core/opensearch/saved-objects.ts`) and the Light Engine's Athena saved queries
 * (`athena-sql.ts`) are rendered from the same resolved list, so the engines answer the same questions by
 * construction. A question is resolved against the fields the pipeline's format produces, with their types: one whose
 * field is missing, or typed so that the question cannot be asked of it (a keyword duration would sort as text), is
 * left out of both.
 */
import type { LogFormat } from '../config/log-format';
import type { FieldType, FieldTypes } from '../fields';

export type LogType = LogFormat['type'];

/** In dashboard order. */
export const QUESTION_IDS = ['requests-over-time', 'status-codes', 'failed-share', 'top-uris', 'top-clients', 'bytes', 'request-time'] as const;
export type QuestionId = (typeof QUESTION_IDS)[number];

/** Unit of a request-duration field, from its name: nginx `$request_time` is seconds, Apache's carry their unit. */
export type DurationUnit = 's' | 'ms' | 'us';

/**
 * A question resolved for one pipeline: which of its fields answers it. The record time is not named: it is
 * `@timestamp` in OpenSearch and `event_time` / `event_hour` in the Light Engine table, for every format.
 */
export type Question =
  | { readonly id: 'requests-over-time' }
  | { readonly id: 'status-codes'; readonly status: string }
  | { readonly id: 'failed-share'; readonly status: string }
  | { readonly id: 'top-uris'; readonly uri: string }
  | { readonly id: 'top-clients'; readonly client: string }
  | { readonly id: 'bytes'; readonly bytes: string }
  | { readonly id: 'request-time'; readonly duration: string; readonly unit: DurationUnit };

export const QUESTION_TEXT: Readonly<Record<QuestionId, { readonly title: string; readonly description: string }>> = {
  'requests-over-time': { title: 'Requests over time', description: 'Requests per time interval.' },
  'status-codes': { title: 'Status codes over time', description: 'Requests per HTTP status code and time interval.' },
  'failed-share': { title: 'Failed requests (4xx/5xx share)', description: 'Share of requests answered with a 4xx or 5xx status.' },
  'top-uris': { title: 'Top request URIs', description: 'The most requested URIs.' },
  'top-clients': { title: 'Top clients', description: 'The client addresses with the most requests.' },
  bytes: { title: 'Bytes sent over time', description: 'Response bytes sent per time interval.' },
  'request-time': { title: 'Request time over time', description: 'Average and 50th/95th/99th percentile of the request duration per time interval.' },
};

const NUMERIC = new Set<FieldType>(['integer', 'long', 'float', 'double']);
const WHOLE = new Set<FieldType>(['integer', 'long']);
// A text field is analysed (no terms aggregation, no GROUP BY on the whole value): keyword or ip only.
const GROUPABLE = new Set<FieldType>(['keyword', 'ip']);

// Candidates in order of preference: nginx and Apache name the same value differently, and a custom format may log
// only one of them.
const URI_FIELDS = ['request_uri', 'request_path', 'uri', 'document_uri'];
const CLIENT_FIELDS = ['remote_addr', 'client_ip'];
const BYTES_FIELDS = ['body_bytes_sent', 'response_size_bytes', 'bytes_sent', 'bytes_transferred'];
// Most precise first: nginx $request_time (seconds, ms resolution); Apache %D / %{us}T, %{ms}T, %T / %{s}T.
const DURATION_FIELDS: ReadonlyArray<readonly [string, DurationUnit]> = [
  ['request_time', 's'],
  ['request_time_us', 'us'],
  ['request_time_ms', 'ms'],
  ['request_time_s', 's'],
];

/** The access-log types: the ones with questions, a dashboard and Athena saved queries. */
export function isAccessLog(logType: LogType): boolean {
  return logType === 'nginx' || logType === 'apache';
}

/**
 * The questions a pipeline's records can answer, in QUESTION_IDS order; none for a log type that is not an access
 * log. `fields`: the parser's field types (`compileParser(format).fields`, overrides applied).
 */
export function accessQuestions(logType: LogType, fields: FieldTypes): Question[] {
  if (!isAccessLog(logType)) return [];
  const first = (names: readonly string[], types: ReadonlySet<FieldType>) => names.find((n) => fields[n] !== undefined && types.has(fields[n]));
  const out: Question[] = [{ id: 'requests-over-time' }];
  // A status typed keyword can still be grouped; the 4xx/5xx share needs it numeric (a range, `>= 400`).
  const status = first(['status'], new Set([...WHOLE, 'keyword']));
  if (status) out.push({ id: 'status-codes', status });
  if (status && WHOLE.has(fields[status])) out.push({ id: 'failed-share', status });
  const uri = first(URI_FIELDS, new Set(['keyword']));
  if (uri) out.push({ id: 'top-uris', uri });
  const client = first(CLIENT_FIELDS, GROUPABLE);
  if (client) out.push({ id: 'top-clients', client });
  const bytes = first(BYTES_FIELDS, NUMERIC);
  if (bytes) out.push({ id: 'bytes', bytes });
  const duration = DURATION_FIELDS.find(([name]) => fields[name] !== undefined && NUMERIC.has(fields[name]));
  if (duration) out.push({ id: 'request-time', duration: duration[0], unit: duration[1] });
  return out;
}

/** The fields a question reads (besides the record time). */
export function questionFields(q: Question): string[] {
  switch (q.id) {
    case 'requests-over-time':
      return [];
    case 'status-codes':
    case 'failed-share':
      return [q.status];
    case 'top-uris':
      return [q.uri];
    case 'top-clients':
      return [q.client];
    case 'bytes':
      return [q.bytes];
    case 'request-time':
      return [q.duration];
  }
}

/** How many top URIs / clients both engines list. */
export const TOP_N = { dashboard: 20, sql: 100 } as const;

/** The 4xx and 5xx ranges of the failed-share question, shared by the Lucene filters and the SQL. */
export const FAILED_RANGES = { client: [400, 499], server: [500, 599] } as const;

/** Percentiles of the request-time question. */
export const DURATION_PERCENTILES = [50, 95, 99] as const;
