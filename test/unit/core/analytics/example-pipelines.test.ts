/**
 * The shipped pipelines.yaml, pipeline by pipeline: the saved objects only use fields the pipeline's index template
 * maps, with a type their aggregation or query works on, and the OpenSearch dashboard and the Athena saved queries
 * answer the same questions.
 */
import * as path from 'node:path';
import { loadConfig } from '../../../../lib/config/load';
import type { Pipeline } from '../../../../lib/config/schema';
import { commonQueries } from '../../../../lambda/core/analytics/athena-sql';
import { QUESTION_IDS, isAccessLog } from '../../../../lambda/core/analytics/questions';
import { IndexSettingsSchema } from '../../../../lambda/core/config/runtime';
import { toOpenSearchMappings } from '../../../../lambda/core/fields';
import { compileParser } from '../../../../lambda/core/formats';
import { lightTable } from '../../../../lambda/core/light/table';
import { indexTemplate } from '../../../../lambda/core/opensearch/index-layout';
import { pipelineSavedObjects, visualizationId, type SavedObject } from '../../../../lambda/core/opensearch/saved-objects';
import { layoutSettings } from '../../../../lambda/core/opensearch/settings';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const pipelines = loadConfig(path.resolve(__dirname, '..', '..', '..', '..', 'pipelines.yaml')).pipelines;

function savedObjectsOf(p: Pipeline): SavedObject[] {
  const indexPrefix = p.engine.type === 'opensearch' ? p.engine.indexPrefix : p.name;
  return pipelineSavedObjects({ pipelineName: p.name, indexPrefix, logFormat: p.logFormat, fields: compileParser(p.logFormat).fields });
}

/**
 * The mappings of the template the index bootstrap puts: the pipeline's own settings for an OpenSearch pipeline; a
 * Light Engine pipeline's format is checked as if it were indexed (same builder, default settings).
 */
function templateMappings(p: Pipeline): Json {
  const fields = compileParser(p.logFormat).fields;
  const indexing =
    p.engine.type === 'opensearch'
      ? { indexPrefix: p.engine.indexPrefix, flavor: p.engine.domain.type === 'aws' ? ('aws' as const) : ('self-managed' as const), index: p.engine.index }
      : { indexPrefix: p.name, flavor: 'aws' as const, index: IndexSettingsSchema.parse({}) };
  return (indexTemplate(layoutSettings(indexing), toOpenSearchMappings(fields), true) as Json).template.mappings;
}

/** The mapped type of a field (dotted names are nested properties; `a.keyword` a multi-field), or undefined. */
function mappedType(mappings: Json, field: string): string | undefined {
  if (mappings.properties[field]) return mappings.properties[field].type;
  let level = mappings.properties;
  const parts = field.split('.');
  for (let i = 0; i < parts.length; i++) {
    const p = level?.[parts[i]];
    if (!p) return undefined;
    if (i === parts.length - 1) return p.type;
    if (p.fields?.[parts[i + 1]] && i + 1 === parts.length - 1) return p.fields[parts[i + 1]].type;
    level = p.properties;
  }
  return undefined;
}

const NUMERIC = ['integer', 'long', 'short', 'byte', 'float', 'double', 'half_float', 'scaled_float'];
// What a terms aggregation runs on: exact values with doc values (a text field has neither).
const TERMS = ['keyword', 'ip', 'boolean', ...NUMERIC];
const COMPATIBLE: Record<string, string[]> = { date_histogram: ['date'], terms: TERMS, sum: NUMERIC, avg: NUMERIC, percentiles: NUMERIC };

/** `field:[a TO b]` needs a numeric field (a keyword range would compare text); `field:(A OR B)` an exact one. */
function luceneFieldUses(query: string): Array<{ field: string; compatible: string[] }> {
  const uses: Array<{ field: string; compatible: string[] }> = [];
  for (const m of query.matchAll(/([A-Za-z_@][\w.@]*):(\[|\(|")?/g)) uses.push({ field: m[1], compatible: m[2] === '[' ? NUMERIC : ['keyword', 'ip', ...NUMERIC] });
  return uses;
}

/** Every field use of the visualizations that the template does not allow, as `<id> <agg>: <why>`. */
function visualizationProblems(objects: readonly SavedObject[], mappings: Json): string[] {
  const problems: string[] = [];
  const check = (where: string, field: string, compatible: string[]) => {
    const type = mappedType(mappings, field);
    if (!type) problems.push(`${where}: ${field} is not in the template`);
    else if (!compatible.includes(type)) problems.push(`${where}: ${field} is ${type}, needs one of ${compatible.join('/')}`);
  };
  for (const v of objects.filter((o) => o.type === 'visualization')) {
    const vis = JSON.parse(v.attributes.visState as string);
    if (vis.aggs.length === 0) problems.push(`${v.id}: no aggregations`);
    for (const agg of vis.aggs) {
      if (agg.type === 'count') continue;
      if (agg.type === 'filters') {
        for (const f of agg.params.filters) {
          if (f.input.language !== 'lucene') problems.push(`${v.id} filters: ${f.input.language} query`);
          for (const use of luceneFieldUses(f.input.query)) check(`${v.id} filters`, use.field, use.compatible);
        }
      } else if (!COMPATIBLE[agg.type]) problems.push(`${v.id}: unchecked aggregation ${agg.type}`);
      else check(`${v.id} ${agg.type}`, agg.params.field, COMPATIBLE[agg.type]);
    }
  }
  return problems;
}

it('the check finds a text field under terms, a keyword under sum, a keyword range and a missing field', () => {
  const mappings = { properties: { ua: { type: 'text', fields: { keyword: { type: 'keyword' } } }, code: { type: 'keyword' }, n: { type: 'long' } } };
  const vis = (aggs: Json[]): SavedObject => ({ id: 'v', type: 'visualization', attributes: { visState: JSON.stringify({ aggs }) }, references: [], migrationVersion: {} });
  const agg = (type: string, params: Json) => ({ id: '1', enabled: true, type, schema: 'metric', params });
  expect(visualizationProblems([vis([agg('terms', { field: 'ua' })])], mappings)).toEqual(['v terms: ua is text, needs one of ' + TERMS.join('/')]);
  expect(visualizationProblems([vis([agg('terms', { field: 'ua.keyword' }), agg('sum', { field: 'n' })])], mappings)).toEqual([]);
  expect(visualizationProblems([vis([agg('sum', { field: 'code' })])], mappings)).toEqual(['v sum: code is keyword, needs one of ' + NUMERIC.join('/')]);
  expect(visualizationProblems([vis([agg('avg', { field: 'nope' })])], mappings)).toEqual(['v avg: nope is not in the template']);
  const filters = agg('filters', { filters: [{ input: { query: 'code:[400 TO 499]', language: 'lucene' } }] });
  expect(visualizationProblems([vis([filters])], mappings)).toEqual(['v filters: code is keyword, needs one of ' + NUMERIC.join('/')]);
  expect(visualizationProblems([vis([agg('date_histogram', { field: 'n' })])], mappings)).toEqual(['v date_histogram: n is long, needs one of date']);
});

describe.each(pipelines.map((p) => [p.name, p] as const))('example pipeline %s', (_name, p) => {
  const objects = savedObjectsOf(p);
  const mappings = templateMappings(p);
  const searchSource = (o: SavedObject) => JSON.parse((o.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON);

  it('every field a visualization uses is in the index template, with a type its aggregation works on', () => {
    expect(visualizationProblems(objects, mappings)).toEqual([]);
    for (const v of objects.filter((o) => o.type === 'visualization')) expect(searchSource(v).query.query).toBe('');
  });

  it('the index pattern and saved searches name mapped fields only', () => {
    const pattern = objects.find((o) => o.type === 'index-pattern')!;
    if (pattern.attributes.timeFieldName) expect(mappedType(mappings, pattern.attributes.timeFieldName as string)).toBe('date');
    const searches = objects.filter((o) => o.type === 'search');
    expect(searches.length).toBeGreaterThan(0);
    for (const s of searches) {
      for (const c of s.attributes.columns as string[]) if (c !== '_source') expect([s.id, c, mappedType(mappings, c)]).toEqual([s.id, c, expect.any(String)]);
      for (const use of luceneFieldUses(searchSource(s).query.query)) expect([s.id, use.field, use.compatible]).toEqual([s.id, use.field, expect.arrayContaining([mappedType(mappings, use.field)])]);
    }
  });

  it('the dashboard and the Athena saved queries answer the same questions', () => {
    const fields = compileParser(p.logFormat).fields;
    const dashboard = objects.filter((o) => o.type === 'visualization').map((o) => QUESTION_IDS.find((q) => visualizationId(p.name, q) === o.id));
    expect(dashboard).not.toContain(undefined);
    const athena = [...new Set(commonQueries(p.logFormat.type, lightTable(p.logFormat, fields).columns, 'db', 't').map((q) => q.question))];
    expect(athena.sort()).toEqual([...dashboard].sort());
    // Requests over time, status codes, failed share, URIs, clients and bytes: every example access format logs them;
    // other log types have neither a dashboard nor saved queries.
    if (isAccessLog(p.logFormat.type)) expect(dashboard.length).toBeGreaterThanOrEqual(6);
    else expect(dashboard).toEqual([]);
  });
});

it('the examples cover nginx and apache, with and without a request time', () => {
  const questions = (type: string) =>
    pipelines.filter((p) => p.logFormat.type === type).map((p) => savedObjectsOf(p).filter((o) => o.type === 'visualization').some((o) => o.id.endsWith('-request-time')));
  expect(questions('nginx')).toEqual(expect.arrayContaining([true, false]));
  expect(questions('apache').length).toBeGreaterThan(0);
});
