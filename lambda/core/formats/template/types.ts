/** A log format as the scanner sees it (literals and fields), and the parser compiled from it. */
import type { FieldType } from '../../fields';
import type { LineParser } from '../index';

export type FieldRole = 'value' | 'request' | 'clf-bytes' | 'sum' | 'last';

export interface TemplateField {
  /** Output field name. */
  name: string;
  /** The field as written in the format, for messages: `$status`, `%>s`. */
  label: string;
  role: FieldRole;
  /** The value may be a list (`a, b : c`, nginx upstream variables): spaces after `,` and around `:` belong to it. */
  list?: boolean;
}

export interface Template {
  kind: 'nginx' | 'apache';
  /** Literal text before the first field. */
  prefix: string;
  fields: TemplateField[];
  /** literals[i] follows fields[i]; the last one may be '' (the field runs to the end of the line). */
  literals: string[];
  /** Time fields usable as timeKey without a timeFormat, and their format; the first one present is the default. */
  timeFormats: Record<string, string>;
  defaultType: (name: string) => FieldType;
}

/** A template parser also knows how to serialize its own documents, faster than JSON.stringify. */
export interface TemplateParser extends LineParser {
  /** `JSON.stringify(doc)` for a doc returned by this parser's parse() and not modified since. */
  stringify(doc: Record<string, unknown>): string;
}
