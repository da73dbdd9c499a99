/** The document both syslog grammars fill, and how they report a line that is not syslog. */
import { toIsoTimestamp } from '../../time';

export const SYSLOG_FACILITY_NAMES: readonly string[] = Object.freeze([
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security',
  'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]);
export const SYSLOG_SEVERITY_NAMES: readonly string[] = Object.freeze(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']);

export function clip(s: string, n = 40): string {
  return JSON.stringify(s.length > n ? `${s.slice(0, n)}…` : s);
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function emptyDoc(): Record<string, unknown> {
  return {
    '@timestamp': null,
    facility: null,
    facility_name: null,
    severity: null,
    severity_name: null,
    version: null,
    timestamp: null,
    hostname: null,
    app_name: null,
    procid: null,
    msgid: null,
    structured_data: null,
    message: null,
  };
}

export type Fail = { ok: false; reason: string };
export const fail = (reason: string): Fail => ({ ok: false, reason });

/** facility, severity and their names from PRI (none when the line has no PRI: pri < 0). */
export function setPri(doc: Record<string, unknown>, pri: number): void {
  if (pri < 0) return;
  const fac = pri >> 3;
  const sev = pri & 7;
  doc.facility = fac;
  doc.facility_name = SYSLOG_FACILITY_NAMES[fac];
  doc.severity = sev;
  doc.severity_name = SYSLOG_SEVERITY_NAMES[sev];
}

export function setTime(doc: Record<string, unknown>, ms: number): void {
  const iso = toIsoTimestamp(ms);
  doc['@timestamp'] = iso;
  doc.timestamp = iso;
}
