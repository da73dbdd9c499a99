/**
 * The CloudWatch Logs metric-filter evaluator of the integration harness (test/integration/harness/cloudwatch-logs.ts):
 * fluent-bit-metrics.test.ts trusts it to say what CloudWatch would publish from the agents' events, so here it is held
 * to the documented behaviour (FilterAndPatternSyntax: the JSON examples and their stated outcomes), to the agent
 * events' shape, and to refusing what it does not model.
 */
import {
  compileJsonFilterPattern,
  jsonFilterPatternMatches,
  metricFilterDatapoints,
  type LogEvent,
  type MetricFilterDefinition,
} from '../../integration/harness/cloudwatch-logs';

/** The JSON example of the CloudWatch Logs documentation ("Matching terms in JSON log events"). */
const DOC_EVENT = JSON.stringify({
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [1, 2, 3],
  latency: 250,
});

/** An event as Fluent Bit 4.2.2 writes a counter (measured, see lib/agent/agent-metrics.ts). */
const agentEvent = (name: string, counter: string, value: number, pipeline = 'orders-agent'): string =>
  JSON.stringify({
    _aws: { Timestamp: 1796477744078, CloudWatchMetrics: [{ Namespace: 'fluentbit', Dimensions: [['name', 'pipeline']], Metrics: [{ Name: counter, Unit: 'Counter', StorageResolution: 60 }] }] },
    name,
    pipeline,
    prom_metric_type: 'counter',
    [counter]: value,
  });

const DROPPED = '{ ($.pipeline = "orders-agent") && ($.name = "logtong_out") && ($.fluentbit_output_dropped_records_total = *) }';
const INPUT = '{ ($.pipeline = "orders-agent") && ($.name = "logtong_in" || $.name = "logtong_in_tcp" || $.name = "logtong_in_udp") && ($.fluentbit_input_records_total = *) }';

describe('JSON filter patterns: the documented examples', () => {
  // Each with the outcome the documentation states or its definition implies (wildcards at, before or after a term; a
  // `*` inside is itself; a selector reaching an array matches neither = nor !=; && before ||).
  it.each([
    ['{ $.eventType = "UpdateTrail" }', true],
    ['{ $.eventType = UpdateTrail }', true],
    ['{ $.eventType = "Update*" }', true],
    ['{ $.eventType = "*Trail" }', true],
    ['{ $.eventType = "*dateTr*" }', true],
    ['{ $.eventType = "Up*Trail" }', false],
    ['{ $.eventType = "Trail*" }', false],
    ['{ $.eventType = "updatetrail" }', false],
    ['{ $.sourceIPAddress != 123.123.* }', true],
    ['{ $.sourceIPAddress != 111.111.* }', false],
    ['{ $.user.id = 1 }', true],
    ['{ $.user.email = "John.Stiles@example.com" }', true],
    ['{ $.users = 1 }', false],
    ['{ $.users != 1 }', false],
    ['{ $.latency >= 250 }', true],
    ['{ $.latency > 250 }', false],
    ['{ $.latency < 1e3 }', true],
    ['{ $.latency != 500 }', true],
    // the documented way to require a field a metric value takes (`metricFilter: { $.latency = * }`)
    ['{ $.latency = * }', true],
    ['{ $.eventType = "nomatch" || $.user.id = 1 && $.latency = 250 }', true],
    ['{ ($.eventType = "nomatch" || $.user.id = 1) && $.latency = 1 }', false],
    ['{ $.eventType = "UpdateTrail" || $.user.id = 2 && $.latency = 1 }', true],
    ['{ ($.eventType = "UpdateTrail" || $.user.id = 2) && $.latency = 1 }', false],
  ])('%s → %s', (pattern, expected) => {
    expect(jsonFilterPatternMatches(pattern, DOC_EVENT)).toBe(expected);
  });

  // Where the documentation says nothing, the evaluator does not match (the agent filters rely on none of these: only
  // exact strings on string fields, and `= *` on a number field, both documented).
  it.each([
    ['{ $.user != "x" }', 'an object'],
    ['{ $.missing = * }', 'a missing field'],
    ['{ $.missing != "x" }', 'a missing field, with !='],
    ['{ $.SomeObject = * }', 'null'],
    ['{ $.ThisFlag = * }', 'a boolean'],
    ['{ $.latency = "250" }', 'a number against a quoted string'],
    ['{ $.eventType = 250 }', 'a string against a number'],
  ])('undocumented, no match: %s (%s)', (pattern) => {
    expect(jsonFilterPatternMatches(pattern, DOC_EVENT)).toBe(false);
  });

  it('an event that is not a JSON object matches no JSON pattern', () => {
    for (const message of ['UpdateTrail', '[1,2]', '"UpdateTrail"', '{"eventType": "UpdateTrail"']) expect(jsonFilterPatternMatches('{ $.eventType = * }', message)).toBe(false);
  });

  it.each([
    ['IS NULL', '{ $.SomeObject IS NULL }'],
    ['NOT EXISTS', '{ $.other NOT EXISTS }'],
    ['IS TRUE', '{ $.ThisFlag IS TRUE }'],
    ['array indices', '{ $.arrayKey[0] = "value" }'],
    ['a quoted "*" (aws-cdk FilterPattern.exists)', '{ $.latency = "*" }'],
    ['!= *', '{ $.latency != * }'],
    ['< on a string', '{ $.eventType < "x" }'],
    ['no braces', '$.eventType = "UpdateTrail"'],
    ['an unclosed parenthesis', '{ ($.eventType = "UpdateTrail" }'],
    ['a term-pattern', 'ERROR'],
  ])('what it does not model throws: %s', (_what, pattern) => {
    expect(() => compileJsonFilterPattern(pattern)).toThrow();
  });
});

describe('JSON filter patterns: the agent-metrics shapes', () => {
  it('the dropped-records pattern takes the main output’s counter of its pipeline, nothing else', () => {
    expect(jsonFilterPatternMatches(DROPPED, agentEvent('logtong_out', 'fluentbit_output_dropped_records_total', 7))).toBe(true);
    expect(jsonFilterPatternMatches(DROPPED, agentEvent('logtong_out', 'fluentbit_output_dropped_records_total', 0))).toBe(true);
    // another instance, another counter, another pipeline, a name that only starts alike
    expect(jsonFilterPatternMatches(DROPPED, agentEvent('logtong_failed', 'fluentbit_output_dropped_records_total', 7))).toBe(false);
    expect(jsonFilterPatternMatches(DROPPED, agentEvent('logtong_metrics', 'fluentbit_output_dropped_records_total', 7))).toBe(false);
    expect(jsonFilterPatternMatches(DROPPED, agentEvent('logtong_out', 'fluentbit_output_retries_total', 7))).toBe(false);
    expect(jsonFilterPatternMatches(DROPPED, agentEvent('logtong_out', 'fluentbit_output_dropped_records_total', 7, 'orders'))).toBe(false);
    expect(jsonFilterPatternMatches(DROPPED, agentEvent('logtong_out_2', 'fluentbit_output_dropped_records_total', 7))).toBe(false);
    expect(jsonFilterPatternMatches(DROPPED, JSON.stringify({ name: 'logtong_out', fluentbit_output_dropped_records_total: 7 }))).toBe(false);
  });

  it('the input pattern takes each input alias, not an emitter whose name starts alike', () => {
    for (const name of ['logtong_in', 'logtong_in_tcp', 'logtong_in_udp']) expect(jsonFilterPatternMatches(INPUT, agentEvent(name, 'fluentbit_input_records_total', 3))).toBe(true);
    for (const name of ['logtong_in_bound_failed', 'logtong_metrics', 'storage_backlog.1', 'tail.0', 'logtong_in_tcp2']) {
      expect({ name, matches: jsonFilterPatternMatches(INPUT, agentEvent(name, 'fluentbit_input_records_total', 3)) }).toEqual({ name, matches: false });
    }
  });
});

describe('metricFilterDatapoints', () => {
  const filter = (pattern: string, transformation: Partial<MetricFilterDefinition['MetricTransformations'][number]> = {}): MetricFilterDefinition => ({
    FilterPattern: pattern,
    MetricTransformations: [
      { MetricNamespace: 'Logtong', MetricName: 'AgentDroppedRecords', MetricValue: '$.fluentbit_output_dropped_records_total', Dimensions: [{ Key: 'pipeline', Value: '$.pipeline' }], Unit: 'Count', ...transformation },
    ],
  });
  const ev = (timestamp: number, message: string): LogEvent => ({ timestamp, message });

  it('one datapoint per matching event: the field’s value, the dimensions from the event, at the event’s time', () => {
    const events = [
      ev(1000, agentEvent('logtong_out', 'fluentbit_output_dropped_records_total', 0)),
      ev(2000, agentEvent('logtong_in', 'fluentbit_input_records_total', 5)),
      ev(3000, 'not json'),
      ev(4000, agentEvent('logtong_out', 'fluentbit_output_dropped_records_total', 7)),
    ];
    expect(metricFilterDatapoints([filter(DROPPED)], events)).toEqual([
      { namespace: 'Logtong', name: 'AgentDroppedRecords', dimensions: { pipeline: 'orders-agent' }, value: 0, timestamp: 1000, unit: 'Count' },
      { namespace: 'Logtong', name: 'AgentDroppedRecords', dimensions: { pipeline: 'orders-agent' }, value: 7, timestamp: 4000, unit: 'Count' },
    ]);
  });

  it('a literal metric value counts the matching events', () => {
    const events = [ev(1, agentEvent('logtong_out', 'fluentbit_output_dropped_records_total', 7)), ev(2, agentEvent('logtong_out', 'fluentbit_output_dropped_records_total', 9))];
    expect(metricFilterDatapoints([filter(DROPPED, { MetricValue: '1', Dimensions: undefined, Unit: undefined })], events).map((d) => [d.value, d.dimensions])).toEqual([
      [1, {}],
      [1, {}],
    ]);
  });

  it('what it does not model throws: a default value, a dimension field the event lacks, a value that is not a number', () => {
    const event = [ev(1, agentEvent('logtong_out', 'fluentbit_output_dropped_records_total', 7))];
    expect(() => metricFilterDatapoints([filter(DROPPED, { DefaultValue: 0 })], event)).toThrow(/DefaultValue/);
    expect(() => metricFilterDatapoints([filter(DROPPED, { Dimensions: [{ Key: 'host', Value: '$.host' }] })], event)).toThrow(/dimension \$\.host/);
    expect(() => metricFilterDatapoints([filter(DROPPED, { MetricValue: '$.name' })], event)).toThrow(/not a number/);
  });
});
