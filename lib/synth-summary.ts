/**
 * The table `cdk synth` prints on stderr after the templates are written: one row per stack, saying what it deploys
 * and where the Fluent Bit configuration of its agents is. Pure: `bin/app.ts` hands in the synthesized templates.
 */
import type { Pipeline } from './config/schema';
import { planPipeline, type Intake } from './stacks/pipeline/plan';

/** The parts of a CloudFormation template the summary reads. */
export interface TemplateJson {
  readonly Resources?: Record<string, { readonly Type?: string; readonly Properties?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, { readonly Value?: unknown }>;
}

export type SynthesizedStack =
  | {
      readonly kind: 'pipeline';
      readonly stackName: string;
      readonly pipeline: Pipeline;
      readonly template: TemplateJson;
      /** The EKS DaemonSet manifest written beside the template, as the user would type its path. */
      readonly agentManifest?: string;
    }
  /** `LogtongSyslog`: the load balancer and the receivers of the syslog pipelines. */
  | { readonly kind: 'syslog-shared'; readonly stackName: string; readonly receivers: number }
  /** `LogtongSource-<name>`: what the bucket's own account deploys for a pipeline reading it. */
  | { readonly kind: 'source-account'; readonly stackName: string; readonly account: string };

export interface SummaryRow {
  readonly stack: string;
  readonly source: string;
  readonly engine: string;
  /** Where the agents' Fluent Bit configuration is, or '-' when the stack runs no agents. */
  readonly agentConfig: string;
}

/** The stack output naming the SSM parameter that holds the agents' configuration (PipelineStack). */
const AGENT_CONFIG_OUTPUT = 'AgentConfigParameterName';

export function summaryRow(stack: SynthesizedStack): SummaryRow {
  switch (stack.kind) {
    case 'syslog-shared':
      return {
        stack: stack.stackName,
        source: stack.receivers === 0 ? 'placeholder (no syslog pipeline)' : `syslog NLB + ${stack.receivers} receiver${stack.receivers === 1 ? '' : 's'}`,
        engine: '-',
        agentConfig: '-',
      };
    case 'source-account':
      return { stack: stack.stackName, source: `s3 source, account ${stack.account}`, engine: '-', agentConfig: '-' };
    case 'pipeline': {
      const { pipeline } = stack;
      const plan = planPipeline(pipeline);
      return { stack: stack.stackName, source: sourceLabel(pipeline, plan.intake), engine: plan.engine, agentConfig: agentConfigLabel(stack) };
    }
  }
}

function sourceLabel(pipeline: Pipeline, intake: Intake): string {
  const { source } = pipeline;
  if (source.type === 's3') return `s3 ${source.mode}`;
  const agents = source.type === 'syslog' ? `syslog ${source.protocol}/${source.port}` : `fluent-bit ${source.platform}`;
  const buffer = { 'source-bucket': '', 'buffer-bucket': 's3 buffer', 'kinesis-stream': 'kinesis', 'agents-index': 'no buffer' }[intake.type];
  return buffer ? `${agents}, ${buffer}` : agents;
}

/**
 * EKS agents read the ConfigMap of the manifest in cdk.out (its path alone: the column is the widest); EC2 hosts and
 * the syslog receivers read the SSM parameter, named by the stack's output so the summary cannot drift from the stack.
 */
function agentConfigLabel(stack: Extract<SynthesizedStack, { kind: 'pipeline' }>): string {
  if (stack.agentManifest) return stack.agentManifest;
  const name = parameterName(stack.template);
  return name ? `SSM ${name}` : '-';
}

function parameterName(template: TemplateJson): string | undefined {
  const value = template.Outputs?.[AGENT_CONFIG_OUTPUT]?.Value;
  if (typeof value === 'string') return value;
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  const name = typeof ref === 'string' ? template.Resources?.[ref]?.Properties?.Name : undefined;
  return typeof name === 'string' ? name : undefined;
}

const HEADER: SummaryRow = { stack: 'Stack', source: 'Source', engine: 'Engine', agentConfig: 'Agent configuration' };
const COLUMNS = ['stack', 'source', 'engine', 'agentConfig'] as const;

/**
 * Plain columns, two spaces apart, the last one unpadded: readable in a terminal and in a CI log, and nothing to
 * strip when pasted into a note.
 */
export function formatSummary(rows: readonly SummaryRow[], outdir: string): string {
  const all = [HEADER, ...rows];
  const widths = COLUMNS.map((c) => Math.max(...all.map((r) => r[c].length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  return [
    `Logtong: ${rows.length} stack${rows.length === 1 ? '' : 's'} in ${outdir}`,
    line(COLUMNS.map((c) => HEADER[c])),
    // the last column's rule as long as its title: its longest cell alone would set the width of the whole table
    line(widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? HEADER[COLUMNS[i]].length : w))),
    ...rows.map((r) => line(COLUMNS.map((c) => r[c]))),
  ].join('\n') + '\n';
}
