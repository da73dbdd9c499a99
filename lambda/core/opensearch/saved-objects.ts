/**
 * OpenSearch Dashboards saved objects of one pipeline, and their import: an index pattern over the pipeline's indices
 * (time field `@timestamp`), for nginx and apache a visualization per access-log question (lambda/core/analytics)
 * and one dashboard of them, and saved searches for every log type.
 *
 * Ids are derived from the pipeline name alone, so importing again with `overwrite=true` replaces the same objects
 * (an unchanged import changes nothing; a changed format replaces what it changed). Objects are written in the shape
 * OpenSearch Dashboards 2.x exports, with the migration versions of that shape, so the import does not rewrite them.
 */
import type { LogFormat } from '../config/log-format';
import { layoutToRegex } from '../formats/text';
import { TIMESTAMP_FIELD, type FieldTypes } from '../fields';
import { FAILED_RANGES, QUESTION_TEXT, accessQuestions, isAccessLog, questionFields, type Question } from '../analytics/questions';
import { visStateOf } from '../analytics/visualizations';

export type SavedObjectType = 'index-pattern' | 'visualization' | 'dashboard' | 'search';

export interface SavedObject {
  readonly id: string;
  readonly type: SavedObjectType;
  readonly attributes: Record<string, unknown>;
  readonly references: ReadonlyArray<{ readonly name: string; readonly type: SavedObjectType; readonly id: string }>;
  readonly migrationVersion: Readonly<Record<string, string>>;
}

export interface SavedObjectsInput {
  readonly pipelineName: string;
  /** Write alias; the indices are `<indexPrefix>-*`. */
  readonly indexPrefix: string;
  readonly logFormat: Pick<LogFormat, 'type' | 'timeKey' | 'regex' | 'format'>;
  /** `compileParser(logFormat).fields`: the fields the index template maps. */
  readonly fields: FieldTypes;
}

/** The last migration of each type in OpenSearch Dashboards 2.x: objects written in that shape are kept as they are. */
const MIGRATION_VERSION: Record<SavedObjectType, string> = { 'index-pattern': '7.6.0', visualization: '7.10.0', dashboard: '7.9.3', search: '7.9.3' };

const INDEX_REF = 'kibanaSavedObjectMeta.searchSourceJSON.index';

export const indexPatternId = (pipelineName: string) => `logtong-${pipelineName}`;
export const visualizationId = (pipelineName: string, q: Question['id']) => `logtong-${pipelineName}-${q}`;
export const dashboardId = (pipelineName: string) => `logtong-${pipelineName}-dashboard`;
export const searchId = (pipelineName: string, kind: string) => `logtong-${pipelineName}-search-${kind}`;

/**
 * Whether the records carry `@timestamp`. json, regex and text formats without a time (no timeKey, a layout without
 * `%d`) index documents without one, and an index pattern with a time field would hide every one of them.
 */
export function recordsHaveTime(format: SavedObjectsInput['logFormat']): boolean {
  switch (format.type) {
    case 'nginx':
    case 'apache':
    case 'syslog':
      return true;
    case 'json':
    case 'regex':
      return format.timeKey !== undefined;
    case 'single-line-text':
    case 'multi-line-text':
      return format.timeKey !== undefined || (!format.regex && format.format !== undefined && layoutToRegex(format.format).timeKey !== undefined);
  }
}

/** A saved search: its Lucene query ('' = every record) and the columns Discover shows. */
export interface SavedSearch {
  readonly kind: string;
  readonly title: string;
  readonly query: string;
  readonly columns: readonly string[];
}

// Discover columns per log type, in order, where the format has the field.
const SEARCH_COLUMNS: Partial<Record<LogFormat['type'], readonly string[]>> = {
  syslog: ['hostname', 'app_name', 'severity_name', 'message'],
  'single-line-text': ['level', 'logger', 'thread', 'message'],
  'multi-line-text': ['level', 'logger', 'thread', 'message'],
};
const NUMERIC = new Set(['integer', 'long', 'float', 'double']);

/** The saved searches of a pipeline: every record, and for log types with a severity its errors. */
export function savedSearches(input: SavedObjectsInput): SavedSearch[] {
  const { fields, logFormat } = input;
  const has = (f: string) => fields[f] !== undefined && f !== TIMESTAMP_FIELD;
  const declared = Object.keys(fields).filter(has);
  let columns: string[];
  if (isAccessLog(logFormat.type)) {
    const asked = accessQuestions(logFormat.type, fields).flatMap(questionFields);
    columns = [...new Set(['request_method', ...asked])].filter(has);
  } else {
    columns = (SEARCH_COLUMNS[logFormat.type] ?? []).filter(has);
    if (columns.length === 0) columns = declared.slice(0, 6);
  }
  if (columns.length === 0) columns = ['_source'];
  const searches: SavedSearch[] = [{ kind: 'all', title: `${input.pipelineName}: all records`, query: '', columns }];
  const failed = accessQuestions(logFormat.type, fields).find((q) => q.id === 'failed-share');
  if (failed) searches.push({ kind: 'failed', title: `${input.pipelineName}: failed requests (4xx/5xx)`, query: `${failed.status}:[${FAILED_RANGES.client[0]} TO ${FAILED_RANGES.server[1]}]`, columns });
  // Syslog severities 0-3: emergency, alert, critical, error.
  if (logFormat.type === 'syslog' && NUMERIC.has(fields.severity)) searches.push({ kind: 'errors', title: `${input.pipelineName}: errors (severity 0-3)`, query: 'severity:[0 TO 3]', columns });
  if ((logFormat.type === 'single-line-text' || logFormat.type === 'multi-line-text') && fields.level === 'keyword') {
    searches.push({ kind: 'errors', title: `${input.pipelineName}: errors (level ERROR or FATAL)`, query: 'level:(ERROR OR FATAL)', columns });
  }
  return searches;
}

function searchSource(query: string): string {
  return JSON.stringify({ query: { query, language: 'lucene' }, filter: [], indexRefName: INDEX_REF });
}

/** Every saved object of the pipeline: index pattern first, then what refers to it, the dashboard last. */
export function pipelineSavedObjects(input: SavedObjectsInput): SavedObject[] {
  const { pipelineName } = input;
  const pattern = indexPatternId(pipelineName);
  const indexRef = [{ name: INDEX_REF, type: 'index-pattern' as const, id: pattern }];
  const objects: SavedObject[] = [
    {
      id: pattern,
      type: 'index-pattern',
      // `<prefix>-*`, not `<prefix>*`: the ledger index `<prefix>.ledger` holds delivery pins, not records. No `fields`:
      // OpenSearch Dashboards reads them from the mapping when the pattern is first opened.
      attributes: { title: `${input.indexPrefix}-*`, ...(recordsHaveTime(input.logFormat) ? { timeFieldName: TIMESTAMP_FIELD } : {}) },
      references: [],
      migrationVersion: { 'index-pattern': MIGRATION_VERSION['index-pattern'] },
    },
  ];

  for (const s of savedSearches(input)) {
    objects.push({
      id: searchId(pipelineName, s.kind),
      type: 'search',
      attributes: {
        title: s.title,
        description: `Logtong pipeline ${pipelineName}.`,
        hits: 0,
        columns: s.columns,
        sort: recordsHaveTime(input.logFormat) ? [[TIMESTAMP_FIELD, 'desc']] : [],
        version: 1,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource(s.query) },
      },
      references: indexRef,
      migrationVersion: { search: MIGRATION_VERSION.search },
    });
  }

  const questions = accessQuestions(input.logFormat.type, input.fields);
  if (questions.length === 0) return objects;
  for (const q of questions) {
    objects.push({
      id: visualizationId(pipelineName, q.id),
      type: 'visualization',
      attributes: {
        title: `${pipelineName}: ${QUESTION_TEXT[q.id].title}`,
        visState: JSON.stringify(visStateOf(q, `${pipelineName}: `)),
        uiStateJSON: '{}',
        description: QUESTION_TEXT[q.id].description,
        version: 1,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource('') },
      },
      references: indexRef,
      migrationVersion: { visualization: MIGRATION_VERSION.visualization },
    });
  }
  // Two panels a row on the 48-column grid.
  const panels = questions.map((_q, i) => ({
    version: '2.0.0',
    gridData: { x: (i % 2) * 24, y: Math.floor(i / 2) * 15, w: 24, h: 15, i: String(i + 1) },
    panelIndex: String(i + 1),
    embeddableConfig: {},
    panelRefName: `panel_${i}`,
  }));
  objects.push({
    id: dashboardId(pipelineName),
    type: 'dashboard',
    attributes: {
      title: `${pipelineName}: ${input.logFormat.type} access logs`,
      hits: 0,
      description: `Logtong pipeline ${pipelineName} (index pattern ${input.indexPrefix}-*).`,
      panelsJSON: JSON.stringify(panels),
      optionsJSON: JSON.stringify({ hidePanelTitles: false, useMargins: true }),
      version: 1,
      timeRestore: false,
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'lucene' }, filter: [] }) },
    },
    references: questions.map((q, i) => ({ name: `panel_${i}`, type: 'visualization' as const, id: visualizationId(pipelineName, q.id) })),
    migrationVersion: { dashboard: MIGRATION_VERSION.dashboard },
  });
  return objects;
}

/** The `_import` file: one object a line. */
export function toNdjson(objects: readonly SavedObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

/** A `multipart/form-data` body with the ndjson as the `file` field (the import refuses a name not ending .ndjson). */
export function importRequestBody(ndjson: string, fileName: string, boundary: string): { body: Buffer; contentType: string } {
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/ndjson\r\n\r\n`;
  return { body: Buffer.concat([Buffer.from(head), Buffer.from(ndjson), Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST to the dashboards base URL; answers every HTTP status as data, throws only on network failures and timeouts. */
export type DashboardsPost = (path: string, body: Buffer, headers: Record<string, string>) => Promise<{ status: number; body: string }>;

export const IMPORT_PATH = '/api/saved_objects/_import?overwrite=true';

export interface ImportOutcome {
  readonly status: 'imported' | 'failed';
  readonly attempts: number;
  readonly successCount?: number;
  /** Why the last attempt failed. */
  readonly error?: string;
}

export interface ImportOptions {
  /** @default 3 */
  readonly attempts?: number;
  /** Wait before the second attempt, doubled before each further one. @default 1000 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default a random one */
  readonly boundary?: string;
}

/**
 * Imports the objects with `overwrite=true`, retrying network failures, 429 and 5xx a few times. Never throws: the
 * outcome says whether it worked, because dashboards are a convenience and must not fail the deploy.
 */
export async function importSavedObjects(post: DashboardsPost, objects: readonly SavedObject[], fileName: string, opts: ImportOptions = {}): Promise<ImportOutcome> {
  const attempts = opts.attempts ?? 3;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const boundary = opts.boundary ?? `logtong-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const { body, contentType } = importRequestBody(toNdjson(objects), fileName, boundary);
  // osd-xsrf: the API refuses a POST without it. securitytenant: with multi-tenancy on, the global tenant is the one
  // every user sees (the bootstrap role's own private tenant would hide the objects); without it, ignored.
  const headers = { 'content-type': contentType, 'osd-xsrf': 'true', securitytenant: 'global' };
  let error = '';
  let made = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    made = attempt;
    if (attempt > 1) await sleep((opts.baseDelayMs ?? 1000) * 2 ** (attempt - 2));
    let res: { status: number; body: string };
    try {
      res = await post(IMPORT_PATH, body, headers);
    } catch (e) {
      error = (e as Error).message;
      continue;
    }
    if (res.status >= 200 && res.status < 300) {
      const answer = parseAnswer(res.body);
      if (answer?.success === true) return { status: 'imported', attempts: attempt, successCount: answer.successCount };
      // Per-object errors (conflict, missing reference, unknown type) do not go away when asked again.
      return { status: 'failed', attempts: attempt, error: `import answered success=false: ${JSON.stringify(answer?.errors ?? res.body).slice(0, 1000)}` };
    }
    error = `HTTP ${res.status} ${res.body.slice(0, 500)}`;
    if (res.status !== 429 && res.status < 500) break;
  }
  return { status: 'failed', attempts: made, error };
}

function parseAnswer(body: string): { success?: boolean; successCount?: number; errors?: unknown } | undefined {
  try {
    return JSON.parse(body) as { success?: boolean; successCount?: number; errors?: unknown };
  } catch {
    return undefined;
  }
}
