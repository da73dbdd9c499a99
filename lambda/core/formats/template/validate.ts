/**
 * What a template means before any code is generated: the field types (with the user's overrides), the time field and
 * its format; a template that cannot be scanned or timed is refused here, with a message naming the fields.
 */
import type { LogFormat } from '../../config/log-format';
import { resolveFieldTypes, type FieldTypes } from '../../fields';
import type { Template } from './types';

export const REQUEST_PARTS = ['request_method', 'request_uri', 'request_protocol'] as const;

export interface TemplatePlan {
  /** Type of every field the parser produces (request parts included). */
  types: FieldTypes;
  produced: string[];
  /** `request` is named in logFormat.fields: the raw request line is kept even when it splits. */
  keepRawRequest: boolean;
  zone: string;
  timeKey: string;
  /** Index in tpl.fields of the time field. */
  timeIndex: number;
  /** The time format as the user wrote it (a Java pattern, strptime, iso8601…): messages show it. */
  timeFormat: string;
}

export function planTemplate(tpl: Template, format: LogFormat): TemplatePlan {
  const n = tpl.fields.length;
  if (n === 0) throw new Error(`${tpl.kind} format has no fields`);
  for (let i = 0; i < n - 1; i++) {
    if (tpl.literals[i] === '') {
      throw new Error(`${tpl.kind} format: ${tpl.fields[i].label} and ${tpl.fields[i + 1].label} are adjacent; nothing tells where one ends`);
    }
  }
  const labels = new Map<string, string>();
  for (const f of tpl.fields) {
    const other = labels.get(f.name);
    // one value would silently replace the other in the document
    if (other !== undefined) throw new Error(`${tpl.kind} format: ${other} and ${f.label} both give the field ${f.name}; keep one`);
    labels.set(f.name, f.label);
  }
  const produced: string[] = [];
  for (const f of tpl.fields) {
    if (f.role === 'request') produced.push(...REQUEST_PARTS, 'request');
    else produced.push(f.name);
  }
  const overrides = format.fields ?? {};
  const types = resolveFieldTypes(produced, tpl.defaultType, overrides);
  if (tpl.fields.some((f) => f.role === 'request')) {
    for (const name of [...REQUEST_PARTS, 'request']) {
      if (types[name] !== 'keyword' && types[name] !== 'text') throw new Error(`${name} must be keyword or text, not ${types[name]}`);
    }
  }
  const keepRawRequest = 'request' in overrides;
  const zone = format.timeZone ?? 'UTC';

  const timeKey = format.timeKey ?? Object.keys(tpl.timeFormats).find((k) => produced.includes(k));
  if (!timeKey) {
    throw new Error(`${tpl.kind} format has no time field (${Object.keys(tpl.timeFormats).join(', ')}); set logFormat.timeKey`);
  }
  const timeIndex = tpl.fields.findIndex((f) => f.name === timeKey && f.role !== 'request');
  if (timeIndex === -1) {
    throw new Error(`timeKey ${JSON.stringify(timeKey)} is not a field of the ${tpl.kind} format (fields: ${produced.join(', ')})`);
  }
  const timeFormat = format.timeFormat ?? tpl.timeFormats[timeKey] ?? 'iso8601';
  return { types, produced, keepRawRequest, zone, timeKey, timeIndex, timeFormat };
}
