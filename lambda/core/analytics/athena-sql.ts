/**
 * The access-log questions (questions.ts) as Athena SQL over a Light Engine table: one or more saved queries per
 * question, each reading the columns that answer it. Every query restricts `event_hour` to the last
 * QUERY_WINDOW_HOURS hours, so Athena reads one day of partitions, not the whole projection range.
 */
import { TIME_COLUMN, type Column } from '../parquet/columns';
import { DURATION_PERCENTILES, FAILED_RANGES, TOP_N, accessQuestions, type LogType, type Question, type QuestionId } from './questions';
import type { FieldTypes } from '../fields';

/** Hours the named queries look back: one day of `event_hour` partitions. */
export const QUERY_WINDOW_HOURS = 24;

/** A saved Athena query, generated from the columns a table actually has. */
export interface CommonQuery {
  /** Construct id of the `AWS::Athena::NamedQuery`. */
  readonly id: string;
  /** The question it answers. */
  readonly question: QuestionId;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/**
 * The window's lower bound. A string comparison is enough: YYYYMMDDHH sorts as time, and Athena's session time zone
 * is UTC, like the partitions. (`date_format` is Athena's; a test running the SQL elsewhere substitutes it.)
 */
export const RECENT_HOURS_SQL = `event_hour >= date_format(current_timestamp - INTERVAL '${QUERY_WINDOW_HOURS}' HOUR, '%Y%m%d%H')`;

/** The field types a table's columns were made from (the inverse of tableColumns, for resolving the questions). */
export function fieldTypesOfColumns(columns: readonly Column[]): FieldTypes {
  return Object.fromEntries(columns.map((c) => [c.source, c.fieldType]));
}

/**
 * Named queries for access logs (nginx, apache), from the questions the table's columns can answer; none for other
 * log types. Construct ids of the queries that predate the catalog (TopRequestUris, StatusCodesPerHour,
 * SlowestRequests) are kept, so deployed stacks update them in place.
 */
export function commonQueries(logType: LogType, columns: readonly Column[], databaseName: string, tableName: string): CommonQuery[] {
  const columnOf = new Map(columns.map((c) => [c.source, quote(c.name)]));
  const from = `${quote(databaseName)}.${quote(tableName)}`;
  const window = `${QUERY_WINDOW_HOURS} h`;
  const perHour = (select: string, extraWhere: string[] = []) =>
    [`SELECT event_hour, ${select}`, `FROM ${from}`, `WHERE ${RECENT_HOURS_SQL}`, ...extraWhere.map((w) => `  AND ${w}`), 'GROUP BY event_hour', 'ORDER BY event_hour'].join('\n');
  const top = (column: string) =>
    [`SELECT ${column}, count(*) AS requests`, `FROM ${from}`, `WHERE ${RECENT_HOURS_SQL}`, `GROUP BY ${column}`, 'ORDER BY requests DESC', `LIMIT ${TOP_N.sql}`].join('\n');

  const render = (q: Question): Array<Omit<CommonQuery, 'question'>> => {
    switch (q.id) {
      case 'requests-over-time':
        return [
          {
            id: 'RequestsPerHour',
            name: `${tableName}: requests per hour (last ${window})`,
            description: `Requests per hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: perHour('count(*) AS requests'),
          },
        ];
      case 'status-codes': {
        const status = columnOf.get(q.status)!;
        return [
          {
            id: 'StatusCodesPerHour',
            name: `${tableName}: status codes per hour (last ${window})`,
            description: `Requests per HTTP status and hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: [
              `SELECT event_hour, ${status}, count(*) AS requests`,
              `FROM ${from}`,
              `WHERE ${RECENT_HOURS_SQL}`,
              `GROUP BY event_hour, ${status}`,
              `ORDER BY event_hour, ${status}`,
            ].join('\n'),
          },
        ];
      }
      case 'failed-share': {
        const status = columnOf.get(q.status)!;
        const between = ([lo, hi]: readonly [number, number]) => `${status} BETWEEN ${lo} AND ${hi}`;
        return [
          {
            id: 'FailedSharePerHour',
            name: `${tableName}: failed requests (4xx/5xx) per hour (last ${window})`,
            description: `Requests, 4xx and 5xx answers and their share in percent, per hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: perHour(
              [
                'count(*) AS requests',
                `count_if(${between(FAILED_RANGES.client)}) AS client_errors`,
                `count_if(${between(FAILED_RANGES.server)}) AS server_errors`,
                `round(100 * CAST(count_if(${between([FAILED_RANGES.client[0], FAILED_RANGES.server[1]])}) AS double) / count(*), 2) AS failed_percent`,
              ].join(', '),
            ),
          },
        ];
      }
      case 'top-uris':
        return [
          {
            id: 'TopRequestUris',
            name: `${tableName}: top request URIs (last ${window})`,
            description: `The ${TOP_N.sql} most requested URIs in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: top(columnOf.get(q.uri)!),
          },
        ];
      case 'top-clients':
        return [
          {
            id: 'TopClients',
            name: `${tableName}: top clients (last ${window})`,
            description: `The ${TOP_N.sql} client addresses with the most requests in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: top(columnOf.get(q.client)!),
          },
        ];
      case 'bytes':
        return [
          {
            id: 'BytesPerHour',
            name: `${tableName}: bytes sent per hour (last ${window})`,
            description: `Sum of ${q.bytes} per hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: perHour(`sum(${columnOf.get(q.bytes)!}) AS bytes`),
          },
        ];
      case 'request-time': {
        const d = columnOf.get(q.duration)!;
        const context = [TIME_COLUMN, 'request_method', 'request_uri', 'status'].filter((s) => columns.some((c) => c.name === s)).map(quote);
        const percentiles = DURATION_PERCENTILES.map((p) => `approx_percentile(${d}, ${p / 100}) AS p${p}`);
        return [
          {
            id: 'RequestTimePerHour',
            name: `${tableName}: request time per hour (last ${window})`,
            description: `Average and ${DURATION_PERCENTILES.join('th/')}th percentile of ${q.duration} (${q.unit}) per hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: perHour([`avg(${d}) AS avg`, ...percentiles].join(', '), [`${d} IS NOT NULL`]),
          },
          {
            id: 'SlowestRequests',
            name: `${tableName}: slowest requests (last ${window})`,
            description: `The ${TOP_N.sql} requests with the highest ${q.duration} in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: [
              `SELECT ${[...context, 'region', d].join(', ')}`,
              `FROM ${from}`,
              `WHERE ${RECENT_HOURS_SQL}`,
              `  AND ${d} IS NOT NULL`,
              `ORDER BY ${d} DESC`,
              `LIMIT ${TOP_N.sql}`,
            ].join('\n'),
          },
        ];
      }
    }
  };
  return accessQuestions(logType, fieldTypesOfColumns(columns)).flatMap((q) => render(q).map((query) => ({ ...query, question: q.id })));
}

function quote(identifier: string): string {
  return `"${identifier}"`;
}
