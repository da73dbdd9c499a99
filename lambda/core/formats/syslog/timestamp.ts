/**
 * Syslog timestamps: RFC 3164's `Mmm dd hh:mm:ss` is read field by field (time/calendar.ts wallMs, with the year the parser infers);
 * RFC 5424's TIMESTAMP and rsyslog's high-precision 3164 one are RFC 3339, read by the codebase's one ISO-8601 parser
 * (lambda/core/time/iso8601.ts).
 */
/**
 * RFC 3339's profile of ISO 8601 (a full date and time, seconds, `Z` or `±hh:mm`): what RFC 5424 allows. The value is
 * then read by the one ISO-8601 parser; this only refuses the shorter forms ISO also has (a date alone, no seconds).
 */
export const RFC3339_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?$/;
