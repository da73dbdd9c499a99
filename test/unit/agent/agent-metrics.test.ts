/**
 * The metrics path of every generated agent configuration (lib/agent/agent-metrics.ts): its input and output, that it
 * stays apart from the log path, the metric filters and the names the dashboards read, which instances those filters
 * take, `logtong agent-config` printing it, and the log group, filters and grant the stack gives it.
 * test/integration/fluent-bit-metrics.test.ts runs it on the real Fluent Bit.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import {
  AGENT_COUNTER,
  AGENT_INSTANCE,
  AGENT_METRIC_NAMES,
  AGENT_METRICS_NAMESPACE,
  AGENT_METRICS_SCRAPE_SECONDS,
  agentInputAlias,
  agentMetricDimensions,
  agentMetricFilters,
  agentMetricsLogGroupName,
  agentMetricsTag,
} from '../../../lib/agent/agent-metrics';
import { eksManifest } from '../../../lib/agent/eks-manifest';
import { fluentBitConfig, placeholderTargets, type AgentTargets, type FluentBitConfigDocument } from '../../../lib/agent/fluent-bit-config';
import { runAgentConfig } from '../../../lib/cli/agent-config-command';
import { parseConfig } from '../../../lib/config/load';
import type { Pipeline } from '../../../lib/config/schema';
import { AgentConfig } from '../../../lib/constructs/agent-config';
import { METRICS_NAMESPACE } from '../../../lambda/core/metric-catalog';
import { jsonFilterPatternMatches, metricFilterDatapoints, templateMetricFilters } from '../../integration/harness/cloudwatch-logs';

const DOMAIN = { type: 'aws', endpoint: 'https://search-logs.eu-west-1.es.amazonaws.com', arn: 'arn:aws:es:eu-west-1:123456789012:domain/logs' };
const EKS = { clusterName: 'prod', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC' };
const SYSLOG_NET = { vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d'] };
const TARGETS: AgentTargets = { region: 'ap-southeast-2', bucketName: 'buf', streamName: 'stream', backupBucketName: 'backup' };

/**
 * One pipeline of every agent shape: each buffer, EC2 and EKS, multi-line per-file tags, each syslog protocol; and a
 * buffer-none pipeline whose name starts with `in`, so that its rewrite_tag emitter (an input instance) is named
 * `logtong_inbound_failed`, like the log input's alias at the start.
 */
const PIPELINES: Pipeline[] = parseConfig({
  syslog: SYSLOG_NET,
  pipelines: [
    { name: 'direct', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/nginx/access.log'] }, logFormat: { type: 'nginx' }, engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'd', domain: DOMAIN } },
    { name: 'inbound', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/in.log'] }, logFormat: { type: 'json' }, engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'i', domain: DOMAIN } },
    { name: 'stream', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/a.log'] }, logFormat: { type: 'json' }, engine: { type: 'opensearch', buffer: 'kinesis', indexPrefix: 's', domain: DOMAIN } },
    { name: 'light', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/a.log'] }, logFormat: { type: 'apache' }, engine: { type: 'light' } },
    {
      name: 'pods',
      source: { type: 'fluent-bit', platform: 'eks', logPaths: ['/var/log/containers/app-*.log'], eks: EKS },
      logFormat: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%t] %c: %m%n' },
      engine: { type: 'opensearch', buffer: 's3', indexPrefix: 'p', domain: DOMAIN },
    },
    { name: 'sys-tcp', source: { type: 'syslog', protocol: 'tcp', port: 5140, clientCidrs: ['10.0.0.0/8'] }, logFormat: { type: 'syslog' }, engine: { type: 'light' } },
    { name: 'sys-udp', source: { type: 'syslog', protocol: 'udp', port: 5141, clientCidrs: ['10.0.0.0/8'] }, logFormat: { type: 'syslog' }, engine: { type: 'opensearch', buffer: 'kinesis', indexPrefix: 'u', domain: DOMAIN } },
    { name: 'sys-both', source: { type: 'syslog', protocol: 'tcp_udp', port: 514, clientCidrs: ['10.0.0.0/8'] }, logFormat: { type: 'syslog' }, engine: { type: 'light' } },
  ],
}).pipelines;

const read = (p: Pipeline, t: AgentTargets = TARGETS) => parseYaml(fluentBitConfig(p, t)) as FluentBitConfigDocument;
const isMetricsPath = (plugin: Record<string, unknown>) => plugin.name === 'fluentbit_metrics' || plugin.name === 'cloudwatch_logs';

/** Fluent Bit's tag match (flb_router_match): `*` matches any run of characters, everything else itself. */
function tagMatches(pattern: string, tag: string): boolean {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(tag);
}

/** The counters Fluent Bit 4.2.2 has per input and output instance (plus neighbours of the chosen ones). */
const FLUENT_BIT_COUNTERS = [
  'fluentbit_input_records_total',
  'fluentbit_input_bytes_total',
  'fluentbit_input_metrics_scrapes_total',
  'fluentbit_output_proc_records_total',
  'fluentbit_output_proc_bytes_total',
  'fluentbit_output_errors_total',
  'fluentbit_output_retries_total',
  'fluentbit_output_retries_failed_total',
  'fluentbit_output_dropped_records_total',
  'fluentbit_output_retried_records_total',
  'fluentbit_filter_drop_records_total',
  'fluentbit_uptime',
  'fluentbit_storage_chunks',
  'xfluentbit_input_records_total',
  'fluentbit_input_records_total_x',
];

describe('agent metrics: the names the dashboards read', () => {
  it('Logtong’s namespace, one metric per Fluent Bit counter, the pipeline as the only dimension, one log group per pipeline', () => {
    expect(AGENT_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(AGENT_METRICS_NAMESPACE).toBe('Logtong');
    expect(AGENT_METRICS_SCRAPE_SECONDS).toBe(60);
    expect(AGENT_COUNTER).toEqual({
      inputRecords: 'fluentbit_input_records_total',
      outputProcRecords: 'fluentbit_output_proc_records_total',
      outputRetries: 'fluentbit_output_retries_total',
      outputRetriesFailed: 'fluentbit_output_retries_failed_total',
      outputDroppedRecords: 'fluentbit_output_dropped_records_total',
      outputErrors: 'fluentbit_output_errors_total',
    });
    expect(AGENT_METRIC_NAMES).toEqual({
      inputRecords: 'AgentInputRecords',
      outputProcRecords: 'AgentOutputRecords',
      outputRetries: 'AgentRetries',
      outputRetriesFailed: 'AgentRetriesFailed',
      outputDroppedRecords: 'AgentDroppedRecords',
      outputErrors: 'AgentErrors',
    });
    expect(agentMetricDimensions('web-access')).toEqual({ pipeline: 'web-access' });
    expect(agentMetricsLogGroupName('web-access')).toBe('/logtong/web-access/agent-metrics');
  });

  it('the metric filters: one per metric, exact patterns on the pipeline, the instance and the counter', () => {
    const counter = (k: keyof typeof AGENT_COUNTER) => ({ metricValue: `$.${AGENT_COUNTER[k]}`, dimensions: { pipeline: '$.pipeline' }, unit: 'Count' });
    expect(agentMetricFilters('web-access')).toEqual([
      {
        id: 'AgentInputRecords',
        metricName: 'AgentInputRecords',
        filterPattern:
          '{ ($.pipeline = "web-access") && ($.name = "logtong_in" || $.name = "logtong_in_tcp" || $.name = "logtong_in_udp") && ($.fluentbit_input_records_total = *) }',
        ...counter('inputRecords'),
      },
      {
        id: 'AgentOutputRecords',
        metricName: 'AgentOutputRecords',
        filterPattern: '{ ($.pipeline = "web-access") && ($.name = "logtong_out") && ($.fluentbit_output_proc_records_total = *) }',
        ...counter('outputProcRecords'),
      },
      {
        id: 'AgentRetries',
        metricName: 'AgentRetries',
        filterPattern: '{ ($.pipeline = "web-access") && ($.name = "logtong_out") && ($.fluentbit_output_retries_total = *) }',
        ...counter('outputRetries'),
      },
      {
        id: 'AgentRetriesFailed',
        metricName: 'AgentRetriesFailed',
        filterPattern: '{ ($.pipeline = "web-access") && ($.name = "logtong_out") && ($.fluentbit_output_retries_failed_total = *) }',
        ...counter('outputRetriesFailed'),
      },
      {
        id: 'AgentDroppedRecords',
        metricName: 'AgentDroppedRecords',
        filterPattern: '{ ($.pipeline = "web-access") && ($.name = "logtong_out") && ($.fluentbit_output_dropped_records_total = *) }',
        ...counter('outputDroppedRecords'),
      },
      {
        id: 'AgentErrors',
        metricName: 'AgentErrors',
        filterPattern: '{ ($.pipeline = "web-access") && ($.name = "logtong_out") && ($.fluentbit_output_errors_total = *) }',
        ...counter('outputErrors'),
      },
    ]);
    // CloudWatch's limits: a pattern of at most 1,024 characters, at most three dimensions
    for (const f of agentMetricFilters('a'.repeat(40))) expect(f.filterPattern.length).toBeLessThanOrEqual(1024);
  });
});

describe.each(PIPELINES.map((p) => [p.name, p] as const))('agent metrics path of %s', (name, pipeline) => {
  const doc = read(pipeline);
  const metricsIn = doc.pipeline.inputs.filter((i) => i.name === 'fluentbit_metrics');
  const metricsOut = doc.pipeline.outputs.filter((o) => o.name === 'cloudwatch_logs');

  it('one fluentbit_metrics input: every scrape interval, in memory, bounded, the chosen counters labelled with the pipeline', () => {
    expect(metricsIn).toEqual([
      {
        name: 'fluentbit_metrics',
        alias: AGENT_INSTANCE.metrics,
        tag: agentMetricsTag(name),
        scrape_interval: AGENT_METRICS_SCRAPE_SECONDS,
        'storage.type': 'memory',
        mem_buf_limit: '1MB',
        processors: {
          metrics: [
            { name: 'metrics_selector', metric_name: expect.stringMatching(/^\/.*\/$/), action: 'include' },
            { name: 'labels', insert: `pipeline ${name}` },
          ],
        },
      },
    ]);
    // metrics_selector takes `/…/` as a regex over the full metric name (Onigmo; the same as a JS RegExp for this one)
    const selector = String((metricsIn[0].processors as { metrics: Array<Record<string, string>> }).metrics[0].metric_name);
    const re = new RegExp(selector.slice(1, -1));
    expect(FLUENT_BIT_COUNTERS.filter((c) => re.test(c)).sort()).toEqual(Object.values(AGENT_COUNTER).sort());
  });

  it('one cloudwatch_logs output: plain JSON events (no log_format) into the pipeline’s group in the target region, a stream per host, few retries', () => {
    expect(metricsOut).toEqual([
      {
        name: 'cloudwatch_logs',
        alias: AGENT_INSTANCE.metrics,
        match: agentMetricsTag(name),
        region: 'ap-southeast-2',
        log_group_name: agentMetricsLogGroupName(name),
        log_stream_name: '${HOSTNAME}',
        retry_limit: 2,
        'net.io_timeout': '30s',
      },
    ]);
    // EMF extraction is not asked for (the metric filters read the events), the agents may not create the group (the
    // stack does), and the log path's retry limit is not the metrics path's
    expect(metricsOut[0].log_format).toBeUndefined();
    expect(metricsOut[0].auto_create_group).toBeUndefined();
    const logOutputs = doc.pipeline.outputs.filter((o) => !isMetricsPath(o));
    for (const o of logOutputs) expect(Number(o.retry_limit)).toBeGreaterThan(Number(metricsOut[0].retry_limit));
  });

  it('apart from the log path: no log filter or output takes its records, it takes none of theirs', () => {
    const metricsTag = agentMetricsTag(name);
    const logTags = [...doc.pipeline.inputs.filter((i) => !isMetricsPath(i)).map((i) => String(i.tag).replace('*', 'var.log.containers.app-1.log')), `failed.${name}`];
    for (const p of [...(doc.pipeline.filters ?? []), ...doc.pipeline.outputs.filter((o) => !isMetricsPath(o))]) {
      expect({ match: p.match, takes: tagMatches(String(p.match), metricsTag) }).toEqual({ match: p.match, takes: false });
    }
    for (const tag of logTags) expect({ tag, takes: tagMatches(String(metricsOut[0].match), tag) }).toEqual({ tag, takes: false });
    // last, so the log path's instances keep their places (and Fluent Bit's default names)
    expect(doc.pipeline.inputs.at(-1)).toBe(metricsIn[0]);
    expect(doc.pipeline.outputs.at(-1)).toBe(metricsOut[0]);
  });

  it('the instances the filters read: the log input(s) and the main output carry those aliases, every name once', () => {
    const logInputs = doc.pipeline.inputs.filter((i) => !isMetricsPath(i));
    expect(logInputs.map((i) => i.alias)).toEqual(logInputAliases(pipeline));
    const logOutputs = doc.pipeline.outputs.filter((o) => !isMetricsPath(o));
    expect(logOutputs[0].alias).toBe(AGENT_INSTANCE.output);
    // buffer none: the backup of unparsed lines is an output of its own
    const bufferNone = pipeline.engine.type === 'opensearch' && pipeline.engine.buffer === 'none';
    expect(logOutputs.slice(1).map((o) => o.alias)).toEqual(bufferNone ? [AGENT_INSTANCE.failed] : []);
    // two instances of one name would overwrite each other's counters when Fluent Bit gathers them
    for (const list of [doc.pipeline.inputs, doc.pipeline.outputs]) {
      const aliases = list.map((p) => p.alias);
      expect(new Set(aliases).size).toBe(aliases.length);
    }
  });

  it('the filters take exactly those instances: each counter of every instance the agent has, as Fluent Bit names them', () => {
    // every instance a counter can come from: the aliased ones, Fluent Bit's default names for the others (plugin.N),
    // the emitters filters create (named by emitter_name), and Fluent Bit's own storage_backlog input
    const named = (list: Array<Record<string, unknown>>) => list.map((p, i) => String(p.alias ?? `${p.name}.${list.slice(0, i).filter((q) => q.name === p.name).length}`));
    const instances = [
      ...named(doc.pipeline.inputs),
      ...named(doc.pipeline.outputs),
      ...(doc.pipeline.filters ?? []).flatMap((f) => (f.emitter_name ? [String(f.emitter_name)] : [])),
      `storage_backlog.${doc.pipeline.inputs.length}`,
    ];
    if (name === 'inbound') expect(instances).toContain('logtong_inbound_failed');
    const events = instances.flatMap((instance) =>
      Object.values(AGENT_COUNTER).map((counter, i) => ({ timestamp: i, message: JSON.stringify({ name: instance, pipeline: name, prom_metric_type: 'counter', [counter]: 1 }) })),
    );
    const filters = agentMetricFilters(name);
    for (const f of filters) {
      const taken = events.filter((e) => jsonFilterPatternMatches(f.filterPattern, e.message)).map((e) => JSON.parse(e.message).name);
      expect({ metric: f.metricName, taken }).toEqual({ metric: f.metricName, taken: f.metricName === AGENT_METRIC_NAMES.inputRecords ? logInputAliases(pipeline) : [AGENT_INSTANCE.output] });
    }
    // and another pipeline's events publish nothing here
    const foreign = events.map((e) => ({ ...e, message: e.message.replace(`"pipeline":"${name}"`, '"pipeline":"other"') }));
    expect(foreign.filter((e) => filters.some((f) => jsonFilterPatternMatches(f.filterPattern, e.message)))).toEqual([]);
  });
});

/** The aliases of the inputs that read a pipeline's logs: one, or one per protocol for a syslog source with tcp_udp. */
function logInputAliases(pipeline: Pipeline): string[] {
  const s = pipeline.source;
  return s.type === 'syslog' && s.protocol === 'tcp_udp' ? [agentInputAlias('tcp'), agentInputAlias('udp')] : [agentInputAlias()];
}

describe('logtong agent-config and the EKS manifest render the metrics path', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logtong-agent-metrics-'));
  const config = path.join(dir, 'pipelines.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      pipelines: [
        { name: 'web', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/nginx/access.log'] }, logFormat: { type: 'nginx' }, engine: { type: 'light' } },
        { name: 'pods', source: { type: 'fluent-bit', platform: 'eks', logPaths: ['/var/log/containers/*.log'], eks: EKS }, logFormat: { type: 'json' }, engine: { type: 'light' } },
      ],
    }),
  );
  const run = (argv: string[]): string => {
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (c) => out.push(c));
    runAgentConfig(argv, { stdout });
    return Buffer.concat(out).toString('utf8');
  };
  const metricsPath = (doc: FluentBitConfigDocument) => [...doc.pipeline.inputs, ...doc.pipeline.outputs].filter(isMetricsPath);

  it('ec2: the same sections as the generator, in the --region or the placeholder region', () => {
    const web = parseConfig(JSON.parse(readFileSync(config, 'utf8'))).pipelines[0];
    const printed = parseYaml(run(['--config', config, '--pipeline', 'web', '--platform', 'ec2', '--region', 'eu-central-1'])) as FluentBitConfigDocument;
    expect(metricsPath(printed)).toEqual(metricsPath(read(web, placeholderTargets(web, 'eu-central-1'))));
    expect(metricsPath(printed)[1]).toMatchObject({ region: 'eu-central-1', log_group_name: '/logtong/web/agent-metrics' });
    const placeholder = parseYaml(run(['--config', config, '--pipeline', 'web', '--platform', 'ec2'])) as FluentBitConfigDocument;
    expect(metricsPath(placeholder)[1]).toMatchObject({ region: '${LOGTONG_REGION}' });
  });

  it('eks: the ConfigMap holds it', () => {
    const docs = parseAllDocuments(run(['--config', config, '--pipeline', 'pods', '--platform', 'eks'])).map((d) => d.toJS());
    const configMap = docs.find((d) => d.kind === 'ConfigMap');
    expect(metricsPath(parseYaml(configMap.data['fluent-bit.yaml']))).toEqual([
      expect.objectContaining({ name: 'fluentbit_metrics', tag: 'metrics.pods' }),
      expect.objectContaining({ name: 'cloudwatch_logs', log_group_name: '/logtong/pods/agent-metrics' }),
    ]);
    const pods = PIPELINES.find((p) => p.name === 'pods')!;
    expect(eksManifest(pods, { roleArn: 'arn:aws:iam::123456789012:role/r', configYaml: fluentBitConfig(pods, TARGETS) })).toContain('name: cloudwatch_logs');
  });
});

describe('AgentConfig: the log group, its metric filters and what the agents may do in it', () => {
  const synth = (platform: 'ec2' | 'eks' | 'ecs') => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    const agent = new AgentConfig(stack, 'Agent', {
      pipelineName: 'web',
      platform,
      configYaml: 'service: {}\n',
      ...(platform === 'eks' ? { eksOidcProviderArn: EKS.oidcProviderArn, eksNamespace: 'logging', eksServiceAccountName: 'logtong-web' } : {}),
    });
    return { stack, agent, template: Template.fromStack(stack) };
  };

  it.each(['ec2', 'eks', 'ecs'] as const)('%s: the group named for the configuration, a month of events, gone with the stack; CreateLogStream and PutLogEvents on it only', (platform) => {
    const { stack, agent, template } = synth(platform);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResource('AWS::Logs::LogGroup', { Properties: { LogGroupName: '/logtong/web/agent-metrics', RetentionInDays: 30 }, DeletionPolicy: 'Delete' });
    const groupId = stack.getLogicalId(agent.metricsLogGroup.node.defaultChild as never);
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((r) => r.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const logs = statements.filter((s) => [s.Action].flat().some((a) => String(a).startsWith('logs:')));
    expect(logs).toEqual([{ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [groupId, 'Arn'] } }]);
    // the receivers' task role and the agents' roles take this one policy
    if (platform !== 'ecs') template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.arrayWith([{ Ref: stack.getLogicalId(agent.policy.node.defaultChild as never) }]) });
  });

  it.each(['ec2', 'eks', 'ecs'] as const)('%s: one metric filter per agent metric on that group, as agentMetricFilters specifies', (platform) => {
    const { stack, agent, template } = synth(platform);
    const groupId = stack.getLogicalId(agent.metricsLogGroup.node.defaultChild as never);
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((r) => r.Properties);
    expect(filters).toEqual(
      agentMetricFilters('web').map((f) => ({
        LogGroupName: { Ref: groupId },
        FilterPattern: f.filterPattern,
        MetricTransformations: [{ MetricNamespace: 'Logtong', MetricName: f.metricName, MetricValue: f.metricValue, Dimensions: [{ Key: 'pipeline', Value: '$.pipeline' }], Unit: 'Count' }],
      })),
    );
    expect(agent.metricFilters).toHaveLength(Object.keys(AGENT_METRIC_NAMES).length);
    // read back as the integration test reads them: a main-output event of the pipeline publishes into each output
    // metric, under exactly the dimensions the dashboards ask for
    const event = { timestamp: 5, message: JSON.stringify({ name: 'logtong_out', pipeline: 'web', ...Object.fromEntries(Object.values(AGENT_COUNTER).map((c) => [c, 3])) }) };
    const datapoints = metricFilterDatapoints(templateMetricFilters(template.toJSON() as never, agentMetricsLogGroupName('web')), [event]);
    expect(datapoints.map((d) => d.name).sort()).toEqual(Object.values(AGENT_METRIC_NAMES).filter((n) => n !== AGENT_METRIC_NAMES.inputRecords).sort());
    for (const d of datapoints) expect(d).toEqual({ namespace: AGENT_METRICS_NAMESPACE, name: d.name, dimensions: agentMetricDimensions('web'), value: 3, timestamp: 5, unit: 'Count' });
  });
});
