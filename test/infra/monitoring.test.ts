/**
 * The pipeline's CloudWatch dashboard and alarms, as synthesized for every example and variant pipeline: one
 * dashboard named after the pipeline, laid out along its data path; the alarms its scenario calls for, configured by
 * `alarms` in pipelines.yaml; every custom metric an alarm watches has the dimensions the functions emit with.
 * (test/integration/emitted-metrics.test.ts checks that the handlers really emit them.)
 */
import { Stack } from 'aws-cdk-lib';
import type { Pipeline } from '../../lib/config/schema';
import { planPipeline } from '../../lib/stacks/pipeline/plan';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DASHBOARD_PICTURE, dashboardSvg, templateDashboardWidgets } from '../../lib/docs/dashboard-svg';
import { build, configOf, exampleConfig, ROOT, variantConfig } from './synth';
import { METRICS_NAMESPACE } from '../../lambda/core/metric-catalog';
import { AGENT_METRIC_NAMES } from '../../lib/agent/agent-metrics';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Resources = Record<string, { Type: string; Properties: Json }>;

interface Synthesized {
  readonly resources: Resources;
  readonly outputs: Record<string, Json>;
  /** The dashboard body with every token replaced by a placeholder, parsed. */
  readonly dashboard: { widgets: Array<{ type: string; x: number; y: number; width: number; height: number; properties: Json }> };
}

const synthesized = new Map<string, Synthesized>();

function synth(pipelines: Pipeline[], config = configOf({ pipelines: pipelines as never, ...(pipelines.some((p) => p.source.type === 'syslog') ? { syslog: SYSLOG_NETWORK } : {}) })): Map<string, Synthesized> {
  const { app, stacks } = build(config);
  const assembly = app.synth();
  const out = new Map<string, Synthesized>();
  for (const stack of stacks) {
    const template = assembly.getStackByName(stack.stackName).template;
    const dashboards = Object.values(template.Resources as Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    out.set(stack.pipeline.name, { resources: template.Resources, outputs: template.Outputs, dashboard: JSON.parse(placeholders(Stack.of(stack).resolve(dashboards[0].Properties.DashboardBody))) });
  }
  return out;
}

const SYSLOG_NETWORK = { vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d'] };

/** `Fn::Join` of strings and intrinsics as one string, each intrinsic as `<token>`. */
function placeholders(body: Json): string {
  if (typeof body === 'string') return body;
  return (body['Fn::Join'][1] as Json[]).map((part) => (typeof part === 'string' ? part : '<token>')).join('');
}

const pipelines: Pipeline[] = [...exampleConfig().pipelines, ...variantConfig().pipelines];

beforeAll(() => {
  for (const config of [exampleConfig(), variantConfig()]) {
    for (const [name, s] of synth(config.pipelines, config)) synthesized.set(name, s);
  }
});

const alarmsOf = (s: Synthesized) => Object.values(s.resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
/** The `alarms.<name>` setting each alarm says it comes from. */
const settingOf = (alarm: Json) => /\(pipelines\.yaml: alarms\.(\w+)\)$/.exec(alarm.AlarmDescription)?.[1];
const titles = (s: Synthesized) =>
  s.dashboard.widgets.filter((w) => w.type === 'text').sort((a, b) => a.y - b.y).map((w) => String(w.properties.markdown).replace(/^#+ /, ''));

describe.each(pipelines.map((p) => [p.name, p] as const))('%s', (name, pipeline) => {
  const get = () => synthesized.get(name)!;
  const plan = planPipeline(pipeline);

  it('has one dashboard named after the pipeline, its URL in the outputs, its widgets on the 24-column grid without overlap', () => {
    const { outputs, dashboard, resources } = get();
    const body = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!;
    expect(body.Properties.DashboardName).toBe(`Logtong-${name}`);
    expect(JSON.stringify(outputs.DashboardUrl.Value)).toContain(`#dashboards:name=Logtong-${name}`);
    const cells = new Set<string>();
    for (const w of dashboard.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('reads along the data path of its scenario', () => {
    const rows = titles(get());
    expect(rows[0]).toBe(`Logtong pipeline ${name}\n${rows[0].split('\n')[1]}`);
    const order: RegExp[] = [];
    if (pipeline.source.type !== 's3') order.push(pipeline.source.type === 'syslog' ? /^Syslog receivers \(Fluent Bit/ : /^Agents \(Fluent Bit/);
    if (pipeline.source.type === 'syslog') order.push(/^Syslog receivers \(ECS tasks/);
    if (pipeline.source.type === 's3' && pipeline.source.mode === 'one-time') order.push(/^One-time scanner/);
    if (plan.intake.type === 'source-bucket' || plan.intake.type === 'buffer-bucket') order.push(/^Copy queue/, /^Copy \(function\)/);
    if (plan.engine === 'light') order.push(/^Light Engine batch/, /^Convert \(function\)/, /^Records \(RecordsIn = Written/, /^Compaction \(Step/, /^Dead letters/);
    else if (plan.intake.type === 'kinesis-stream') order.push(/^Kinesis buffer/, /^Kinesis processor \(function\)/, /^Records \(RecordsIn = Indexed/, /^Kinesis failures/, /^Dead letters/);
    else if (plan.intake.type !== 'agents-index') order.push(/^Processor queue/, /^Processor \(function\)/, /^Records \(RecordsIn = Indexed/, /^Dead letters/);
    const positions = order.map((re) => rows.findIndex((t) => re.test(t)));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('has the alarms its scenario calls for, each from one alarms.<name> setting, with the defaults', () => {
    const alarms = alarmsOf(get());
    const settings = new Set(alarms.map(settingOf));
    expect(settings.has(undefined)).toBe(false);
    // buffer none: the agents index themselves, so there is no queue and no function of the data path.
    const expected = new Set<string>(plan.intake.type === 'agents-index' ? [] : ['oldestMessage', 'errorRate', 'deadLetters', 'backedUp', 'unbalanced', 'throttles']);
    if (plan.intake.type === 'kinesis-stream') expected.add('iteratorAge');
    if (plan.engine === 'light') expected.add('lightEngineFailed');
    if (pipeline.source.type === 's3' && pipeline.source.mode === 'one-time') expected.add('scannerFailed');
    if (pipeline.source.type !== 's3') expected.add('agentRetriesFailed').add('agentDropped');
    // the receivers' health alarm is in the shared syslog stack, beside them; the dashboard graphs it by name
    if (pipeline.source.type === 'syslog') {
      const widget = get().dashboard.widgets.find((w) => w.type === 'metric' && w.properties.annotations?.alarms);
      expect(JSON.stringify(widget?.properties.annotations.alarms)).toContain(`alarm:Logtong-${name}-ReceiversUnhealthy`);
    }
    expect([...settings].sort()).toEqual([...expected].sort());
    for (const a of alarms) {
      expect(a.AlarmName).toMatch(new RegExp(`^Logtong-${name}-\\w+$`));
      expect(a.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(a.TreatMissingData).toBe('notBreaching');
      const s = pipeline.alarms[settingOf(a) as keyof Pipeline['alarms']];
      expect(a.EvaluationPeriods).toBe(s.evaluationPeriods);
    }
  });

  it("watches its own functions' custom metrics: dimensions service and pipeline, as the functions emit them", () => {
    const { resources } = get();
    const services = new Set(
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => r.Properties.Environment?.Variables)
        .filter((v) => v?.PIPELINE_NAME === name)
        .map((v) => v.POWERTOOLS_SERVICE_NAME),
    );
    const custom = alarmsOf(get()).flatMap((a) => (a.Metrics ?? [a]).map((m: Json) => m.MetricStat?.Metric ?? (a.Namespace ? a : undefined)).filter(Boolean));
    // the agents' counters have only `pipeline` (their metric filters: fluent-bit-metrics.test.ts)
    const agent = new Set<string>(Object.values(AGENT_METRIC_NAMES));
    for (const m of custom.filter((x: Json) => x.Namespace === METRICS_NAMESPACE && !agent.has(x.MetricName))) {
      const dims = Object.fromEntries(m.Dimensions.map((d: Json) => [d.Name, d.Value]));
      expect(Object.keys(dims).sort()).toEqual(['pipeline', 'service']);
      expect(dims.pipeline).toBe(name);
      if (dims.service !== 'logtong-scanner') expect(services.has(dims.service)).toBe(true);
    }
  });
});

describe('the README picture', () => {
  it(`${DASHBOARD_PICTURE.file} is drawn from the synthesized dashboard of ${DASHBOARD_PICTURE.pipeline} (run \`npm run docs\` after changing the monitor)`, () => {
    const { resources } = synthesized.get(DASHBOARD_PICTURE.pipeline)!;
    const drawn = dashboardSvg(templateDashboardWidgets({ Resources: resources }), DASHBOARD_PICTURE.title);
    expect(readFileSync(path.join(ROOT, DASHBOARD_PICTURE.file), 'utf8')).toBe(drawn);
  });
});

describe('alarms in pipelines.yaml', () => {
  const base = exampleConfig().pipelines.find((p) => p.name === 'web-access')!;

  it('sets thresholds, periods and evaluation periods, and turns an alarm off', () => {
    const tuned = { ...base, alarms: { oldestMessage: { threshold: 30, periodMinutes: 10, evaluationPeriods: 2 }, backedUp: { enabled: false } } };
    const s = synth([configOf({ pipelines: [tuned as never] }).pipelines[0]]).get('web-access')!;
    const alarms = alarmsOf(s);
    const age = alarms.filter((a) => settingOf(a) === 'oldestMessage');
    expect(age.length).toBeGreaterThanOrEqual(4);
    for (const a of age) expect(a).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 1800, Period: 600, EvaluationPeriods: 2 });
    expect(alarms.some((a) => settingOf(a) === 'backedUp')).toBe(false);
    // the others keep their defaults
    expect(alarms.find((a) => settingOf(a) === 'unbalanced')).toMatchObject({ Threshold: 1, Period: 300, EvaluationPeriods: 1 });
  });

  it('refuses more than a day of evaluation, naming the key', () => {
    expect(() => configOf({ pipelines: [{ ...base, alarms: { iteratorAge: { periodMinutes: 60, evaluationPeriods: 25 } } } as never] })).toThrow(
      /alarms\.iteratorAge\.evaluationPeriods.*at most 1440/s,
    );
  });
});
