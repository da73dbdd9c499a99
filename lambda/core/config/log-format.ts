/**
 * The part of the pipeline schema the runtime reads to parse a line: the log format, its field types and filters.
 * Owned by the core (Lambda handlers, the CLI and the tests share it); the deployment schema of `pipelines.yaml`
 * (lib/config/schema.ts) is built on top of it. Only zod is imported: nothing of the CDK side reaches a bundle.
 */
import { z } from 'zod';

/** An IANA zone name the runtime's Intl knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function regExpError(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function isRegExp(source: string): boolean {
  return regExpError(source) === undefined;
}

export const FIELD_TYPES = ['keyword', 'text', 'integer', 'long', 'float', 'double', 'boolean', 'ip', 'date', 'object'] as const;
export const FieldTypeSchema = z.enum(FIELD_TYPES);
export type FieldType = z.infer<typeof FieldTypeSchema>;

export const LOG_TYPES = ['nginx', 'apache', 'json', 'regex', 'syslog', 'single-line-text', 'multi-line-text'] as const;

const FilterCondition = z.strictObject({
  field: z.string().min(1).meta({ description: 'Field name after parsing (dotted path for nested JSON).' }),
  regex: z
    .string()
    .min(1)
    .refine(isRegExp, { error: (i) => `is not a valid regular expression (${regExpError(String(i.input))})` })
    .meta({ description: 'JavaScript regular expression tested against the field value.' }),
});

export const LogFormatSchema = z
  .strictObject({
    type: z.enum(LOG_TYPES).meta({ description: 'How each line (or event) is parsed.' }),
    format: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'nginx: a `log_format` string; apache: a `LogFormat` string; multi-line-text: a Logback/Spring Boot pattern layout. Default for nginx and apache: the `combined` format.',
      }),
    regex: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'regex / single-line-text: regex with named groups; multi-line-text: first-line regex.' }),
    timeKey: z.string().min(1).optional().meta({ description: 'Field that holds the record time; default per type (nginx/apache `time_local`).' }),
    timeFormat: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'strptime-style format (`%d/%b/%Y:%H:%M:%S %z`), a Java/Joda pattern (`yyyy-MM-dd HH:mm:ss.SSS`), or `epoch_s`, `epoch_ms`, `epoch_us`, `iso8601`.' }),
    timeZone: z
      .string()
      .default('UTC')
      .refine(isTimeZone, { error: 'must be an IANA time zone such as UTC or Asia/Shanghai' })
      .meta({ description: 'IANA time zone for timestamps without an offset.' }),
    fields: z
      .record(z.string(), FieldTypeSchema)
      .default({})
      .meta({ description: 'Field type overrides (`status: integer`); they drive the index mapping and Parquet schema.' }),
    filters: z
      .strictObject({
        include: z.array(FilterCondition).default([]).meta({ description: 'Keep a record only if every condition matches.' }),
        exclude: z.array(FilterCondition).default([]).meta({ description: 'Drop a record if any condition matches (counted, not lost silently).' }),
      })
      .prefault({}),
    maxLineBytes: z.number().int().min(1024).default(1_048_576).meta({ description: 'Longer lines become failed records.' }),
    maxEventLines: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .meta({ description: 'multi-line-text: lines per event at most; the lines past it become failed records.' }),
    maxEventBytes: z
      .number()
      .int()
      .min(1024)
      .optional()
      .meta({ description: 'multi-line-text: bytes per event at most (default: maxLineBytes); the lines past it become failed records.' }),
    flattenJson: z.boolean().default(false).meta({ description: 'json: flatten nested objects into dotted keys.' }),
  })
  .superRefine((f, ctx) => {
    if ((f.type === 'regex' || f.type === 'single-line-text') && !f.regex) {
      ctx.addIssue({ code: 'custom', path: ['regex'], message: `is required for type ${f.type}` });
    }
    if (f.type === 'multi-line-text' && !f.regex && !f.format) {
      ctx.addIssue({ code: 'custom', path: ['format'], message: 'multi-line-text needs a pattern layout (format) or a first-line regex' });
    }
    if (f.regex && !isRegExp(f.regex)) {
      ctx.addIssue({ code: 'custom', path: ['regex'], message: `is not a valid regular expression (${regExpError(f.regex)})` });
    }
  });
export type LogFormat = z.infer<typeof LogFormatSchema>;
