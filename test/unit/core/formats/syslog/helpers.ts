/** What the syslog tests share: the parser with a fixed "now", and the document of a line with nothing in it. */
import { LogFormatSchema, type LogFormat } from '../../../../../lambda/core/config/log-format';
import type { LineParser } from '../../../../../lambda/core/formats';
import { compileSyslog, type SyslogOptions } from '../../../../../lambda/core/formats/syslog';

export const syslog = (f: Partial<LogFormat> = {}, o: SyslogOptions = {}): LineParser =>
  compileSyslog(LogFormatSchema.parse({ type: 'syslog', ...f }), o);

export const NOW = Date.UTC(2026, 10, 26, 12, 0, 0); // 2026-11-26T12:00:00Z
export const p = syslog({}, { now: NOW });

export const NULLS = {
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
export const at = (iso: string) => ({ '@timestamp': iso, timestamp: iso });
