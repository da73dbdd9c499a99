/**
 * What the access-log questions must answer for a corpus, counted straight from the raw `combined` lines with a regex
 * of its own (no Logtong parser involved), for the integration tests that run the dashboards' aggregations on the
 * real OpenSearch node and the Athena saved queries on DuckDB.
 *
 * The shared corpora have no access log with a request time, so the request-time question runs on a derived corpus:
 * the real lines with a duration appended (`requestTimeOf`, a deterministic function of the line's position and
 * byte count, stated as such in the tests). Every other value is the server's own.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const COMBINED = /^(\S+) \S+ \S+ \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "([^"]*)" (\d{3}) (\d+|-) "[^"]*" "[^"]*"(?: (\S+))?$/;

export interface RawRequest {
  readonly client: string;
  /** UTC epoch ms. */
  readonly time: number;
  /** `YYYYMMDDHH` (UTC): the Light Engine's event_hour. */
  readonly hour: string;
  readonly method: string | null;
  readonly uri: string | null;
  readonly status: number;
  readonly bytes: number | null;
  /** The appended duration, as written (seconds with a fraction, or whole microseconds). */
  readonly duration: number | null;
}

/** The lines that are whole `combined` lines (optionally with one appended value), read without Logtong's parser. */
export function rawRequests(lines: readonly string[]): RawRequest[] {
  const out: RawRequest[] = [];
  for (const l of lines) {
    const m = COMBINED.exec(l);
    if (!m) continue;
    const offsetMin = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
    const time = Date.UTC(+m[4], MONTHS.indexOf(m[3]), +m[2], +m[5], +m[6], +m[7]) - offsetMin * 60_000;
    const request = /^(\S+) (\S+) (\S+)$/.exec(m[11]);
    out.push({
      client: m[1],
      time,
      hour: new Date(time).toISOString().slice(0, 13).replace(/[-T]/g, ''),
      method: request ? request[1] : null,
      uri: request ? request[2] : null,
      status: Number(m[12]),
      bytes: m[13] === '-' ? null : Number(m[13]),
      duration: m[14] === undefined ? null : Number(m[14]),
    });
  }
  return out;
}

/** The derived duration of line `i` (0-based) in seconds, ms resolution: 0..4.999 s from its byte count, plus 0..9 ms. */
export function requestTimeOf(line: string, i: number): number {
  const bytes = /" \d{3} (\d+) "/.exec(line);
  return ((Number(bytes?.[1] ?? 0) % 5000) + (i % 10)) / 1000;
}

/** The corpus with a duration appended to every line: seconds (`0.123`, nginx $request_time) or microseconds (Apache %D). */
export function withRequestTimes(lines: readonly string[], unit: 's' | 'us'): string[] {
  return lines.map((l, i) => `${l} ${unit === 's' ? requestTimeOf(l, i).toFixed(3) : Math.round(requestTimeOf(l, i) * 1e6)}`);
}

export function countBy<T>(items: readonly T[], key: (t: T) => string | number | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of items) {
    const k = key(t);
    if (k === null) continue;
    out.set(String(k), (out.get(String(k)) ?? 0) + 1);
  }
  return out;
}

/** The `n` most frequent keys with their counts, most first (ties in key order, so the cut is stable). */
export function top(counts: Map<string, number>, n: number): Array<[string, number]> {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

export const isClientError = (r: RawRequest) => r.status >= 400 && r.status <= 499;
export const isServerError = (r: RawRequest) => r.status >= 500 && r.status <= 599;
