/**
 * The access-log questions (questions.ts) as OpenSearch Dashboards visualizations: the `visState` of each, in the
 * shape OpenSearch Dashboards 2.x saves (saved-object migration version 7.10.0), built from standard aggregations
 * only (count, sum, avg, percentiles; date_histogram, terms, filters) so no scripting is needed on the cluster.
 * Filters are Lucene query strings: OpenSearch Dashboards sends them as `query_string` queries unchanged, so the
 * tests can run exactly what it would send.
 */
import { TIMESTAMP_FIELD } from '../fields';
import { DURATION_PERCENTILES, FAILED_RANGES, QUESTION_TEXT, TOP_N, type Question } from './questions';

export interface VisAgg {
  readonly id: string;
  readonly enabled: true;
  readonly type: 'count' | 'sum' | 'avg' | 'percentiles' | 'date_histogram' | 'terms' | 'filters';
  readonly schema: 'metric' | 'segment' | 'group' | 'bucket';
  readonly params: Record<string, unknown>;
}

export interface VisState {
  readonly title: string;
  readonly type: 'line' | 'histogram' | 'table' | 'pie';
  readonly params: Record<string, unknown>;
  readonly aggs: readonly VisAgg[];
}

/** A Lucene filter of a `filters` aggregation, with its bucket label. */
export interface LuceneFilter {
  readonly label: string;
  readonly query: string;
}

/** The failed-share buckets: together they count every request (a missing status falls in the last one). */
export function failedShareFilters(status: string): LuceneFilter[] {
  const range = ([lo, hi]: readonly [number, number]) => `${status}:[${lo} TO ${hi}]`;
  return [
    { label: '4xx', query: range(FAILED_RANGES.client) },
    { label: '5xx', query: range(FAILED_RANGES.server) },
    { label: 'not 4xx/5xx', query: `NOT ${range([FAILED_RANGES.client[0], FAILED_RANGES.server[1]])}` },
  ];
}

const metric = (id: string, type: VisAgg['type'], params: Record<string, unknown> = {}): VisAgg => ({ id, enabled: true, type, schema: 'metric', params });

const overTime = (id: string): VisAgg => ({
  id,
  enabled: true,
  type: 'date_histogram',
  schema: 'segment',
  // `auto`: OpenSearch Dashboards picks the interval from the time range shown.
  params: { field: TIMESTAMP_FIELD, useNormalizedOpenSearchInterval: true, scaleMetricValues: false, interval: 'auto', drop_partials: false, min_doc_count: 1, extended_bounds: {} },
});

const terms = (id: string, schema: VisAgg['schema'], field: string, size: number, label?: string): VisAgg => ({
  id,
  enabled: true,
  type: 'terms',
  schema,
  params: {
    field,
    orderBy: '1',
    order: 'desc',
    size,
    otherBucket: false,
    otherBucketLabel: 'Other',
    missingBucket: false,
    missingBucketLabel: 'Missing',
    ...(label ? { customLabel: label } : {}),
  },
});

/** The axes and series of a line or bar chart: every metric on the one value axis. */
function xyParams(type: 'line' | 'histogram', metrics: ReadonlyArray<{ id: string; label: string }>, stacked: boolean): Record<string, unknown> {
  return {
    type,
    grid: { categoryLines: false },
    categoryAxes: [{ id: 'CategoryAxis-1', type: 'category', position: 'bottom', show: true, style: {}, scale: { type: 'linear' }, labels: { show: true, filter: true, truncate: 100 }, title: {} }],
    valueAxes: [
      {
        id: 'ValueAxis-1',
        name: 'LeftAxis-1',
        type: 'value',
        position: 'left',
        show: true,
        style: {},
        scale: { type: 'linear', mode: 'normal' },
        labels: { show: true, rotate: 0, filter: false, truncate: 100 },
        title: { text: metrics.map((m) => m.label).join(', ') },
      },
    ],
    seriesParams: metrics.map((m) => ({
      show: true,
      type,
      mode: stacked ? 'stacked' : 'normal',
      data: { label: m.label, id: m.id },
      valueAxis: 'ValueAxis-1',
      drawLinesBetweenPoints: true,
      lineWidth: 2,
      interpolate: 'linear',
      showCircles: true,
    })),
    addTooltip: true,
    addLegend: true,
    legendPosition: 'right',
    times: [],
    addTimeMarker: false,
    labels: {},
    thresholdLine: { show: false, value: 10, width: 1, style: 'full', color: '#E7664C' },
  };
}

const TABLE_PARAMS = { perPage: 10, showPartialRows: false, showMetricsAtAllLevels: false, showTotal: false, totalFunc: 'sum', percentageCol: '' };

/** The visualization of one question, titled `<prefix><question title>`. */
export function visStateOf(q: Question, titlePrefix: string): VisState {
  const title = `${titlePrefix}${QUESTION_TEXT[q.id].title}`;
  switch (q.id) {
    case 'requests-over-time':
      return { title, type: 'line', params: xyParams('line', [{ id: '1', label: 'Requests' }], false), aggs: [metric('1', 'count', { customLabel: 'Requests' }), overTime('2')] };
    case 'status-codes':
      return {
        title,
        type: 'histogram',
        params: xyParams('histogram', [{ id: '1', label: 'Requests' }], true),
        aggs: [metric('1', 'count', { customLabel: 'Requests' }), overTime('2'), terms('3', 'group', q.status, 10, 'Status')],
      };
    case 'failed-share':
      return {
        title,
        type: 'pie',
        params: { type: 'pie', addTooltip: true, addLegend: true, legendPosition: 'right', isDonut: true, labels: { show: true, values: true, last_level: true, truncate: 100 } },
        aggs: [
          metric('1', 'count', { customLabel: 'Requests' }),
          {
            id: '2',
            enabled: true,
            type: 'filters',
            schema: 'segment',
            params: { filters: failedShareFilters(q.status).map((f) => ({ input: { query: f.query, language: 'lucene' }, label: f.label })) },
          },
        ],
      };
    case 'top-uris':
      return { title, type: 'table', params: TABLE_PARAMS, aggs: [metric('1', 'count', { customLabel: 'Requests' }), terms('2', 'bucket', q.uri, TOP_N.dashboard, 'URI')] };
    case 'top-clients':
      return { title, type: 'table', params: TABLE_PARAMS, aggs: [metric('1', 'count', { customLabel: 'Requests' }), terms('2', 'bucket', q.client, TOP_N.dashboard, 'Client')] };
    case 'bytes':
      return { title, type: 'line', params: xyParams('line', [{ id: '1', label: 'Bytes' }], false), aggs: [metric('1', 'sum', { field: q.bytes, customLabel: 'Bytes' }), overTime('2')] };
    case 'request-time': {
      const unit = `${q.duration} (${q.unit})`;
      return {
        title,
        type: 'line',
        params: xyParams(
          'line',
          [
            { id: '1', label: `Average ${unit}` },
            { id: '2', label: `Percentiles of ${unit}` },
          ],
          false,
        ),
        aggs: [
          metric('1', 'avg', { field: q.duration, customLabel: `Average ${unit}` }),
          metric('2', 'percentiles', { field: q.duration, percents: [...DURATION_PERCENTILES], customLabel: `Percentiles of ${unit}` }),
          overTime('3'),
        ],
      };
    }
  }
}
