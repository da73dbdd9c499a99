/**
 * The alarms of a pipeline, once: what each means, what to do, where it applies and its defaults. The `alarms`
 * schema of pipelines.yaml, the alarms' descriptions (lib/constructs/pipeline-monitor.ts) and the README's table of
 * alarms (`npm run docs`) are all made from here.
 */
import { z } from 'zod';

interface AlarmSpec {
  readonly threshold: number;
  readonly periodMinutes: number;
  readonly evaluationPeriods: number;
  /** What the threshold counts. */
  readonly unit: string;
  /** Which pipelines have it. */
  readonly appliesTo: string;
  /** What it means when it fires. */
  readonly meaning: string;
  /** What to do. */
  readonly action: string;
}

export const ALARMS = {
  backedUp: {
    threshold: 1, periodMinutes: 5, evaluationPeriods: 1, unit: 'records per period',
    appliesTo: 'every pipeline with a processor or a Light Engine',
    meaning: 'Records were written to the backup bucket instead of being indexed or written to Parquet, each with its raw text and the reason.',
    action: 'Read them under `<pipeline>/failed-records/` (and `failed-lines/`, `broken-objects/`) in the backup bucket: a format that does not match, a mapping conflict, a record outside the projection. Fix the cause and replay them.',
  },
  deadLetters: {
    threshold: 1, periodMinutes: 5, evaluationPeriods: 1, unit: 'messages per period',
    appliesTo: 'every pipeline with a work queue',
    meaning: 'Messages exhausted their deliveries and the dead-letter backup wrote them to the backup bucket, beside whole copies of the objects they name.',
    action: "Read them under `<pipeline>/dead-letters/` in the backup bucket and the consumer function's errors at that time; replay the copied objects once fixed.",
  },
  oldestMessage: {
    threshold: 60, periodMinutes: 5, evaluationPeriods: 1, unit: 'minutes',
    appliesTo: 'every work queue and dead-letter queue',
    meaning: 'A message has waited longer than the threshold: the consumer is not keeping up or not running (for a dead-letter queue: its backup keeps failing).',
    action: "Look at the consumer function's errors, throttles and concurrency. SQS drops a message 14 days after it was sent; a one-time load's backlog may pass the threshold by design.",
  },
  errorRate: {
    threshold: 5, periodMinutes: 5, evaluationPeriods: 3, unit: 'percent of invocations',
    appliesTo: 'every function of the data path',
    meaning: "The share of the function's invocations that failed passed the threshold.",
    action: 'Its log group has the errors. Failed work is retried, then kept by the dead-letter queue and the backup bucket: nothing is lost, but it waits.',
  },
  unbalanced: {
    threshold: 1, periodMinutes: 5, evaluationPeriods: 1, unit: 'units per period',
    appliesTo: 'the processors and the Light Engine convert',
    meaning: "A unit of work's counts did not add up (records in ≠ indexed or written + duplicates + filtered + backed up + deferred); it was failed instead of counted as done, and is retried.",
    action: 'It is a bug: report it with the function\'s "counts do not balance" log line.',
  },
  iteratorAge: {
    threshold: 10, periodMinutes: 5, evaluationPeriods: 2, unit: 'minutes',
    appliesTo: 'buffer kinesis',
    meaning: 'The Kinesis processor lags behind the newest record of the stream by more than the threshold.',
    action: 'Records older than `kinesis.maxRecordAgeSeconds` go to the backup bucket instead of OpenSearch: add shards or raise `parallelizationFactor`, and check the domain.',
  },
  throttles: {
    threshold: 1, periodMinutes: 5, evaluationPeriods: 3, unit: 'throttles per period',
    appliesTo: 'the processors and the convert; buffer kinesis: the stream',
    meaning: 'Invocations were throttled (the account\'s or function\'s concurrency), or the stream refused agent writes for capacity.',
    action: 'Throttled work waits in its queue or stream and the agents retry refused writes; raise the concurrency limit, or add shards (unset `kinesis.shards` for on-demand).',
  },
  lightEngineFailed: {
    threshold: 1, periodMinutes: 5, evaluationPeriods: 1, unit: 'runs per period',
    appliesTo: 'Light Engine',
    meaning: 'A batch or compaction run failed, timed out or was aborted (the failure topic also receives its error).',
    action: 'Its execution history names the step; staged objects stay staged until a run converts them, so the next run retries.',
  },
  scannerFailed: {
    threshold: 1, periodMinutes: 5, evaluationPeriods: 1, unit: 'failed scans per period',
    appliesTo: 'source mode one-time',
    meaning: 'The one-time scanner task ended in an error. A task that ECS stops from outside (out of memory) reports nothing: the scanner row of the dashboard then shows no more objects sent.',
    action: 'Its log group has the reason. Run it again with the `ScannerRunTaskCommand` output: it resumes from its checkpoint and sends no object twice.',
  },
  agentRetriesFailed: {
    threshold: 1, periodMinutes: 5, evaluationPeriods: 1, unit: 'new failed retries per period (growth of the fleet maximum)',
    appliesTo: 'fluent-bit and syslog sources',
    meaning: "An agent's or receiver's main output ran out of retries for a chunk: its records were dropped.",
    action: "Read the agents' logs for the output's errors (credentials, network, the buffer's throttling). Fluent Bit counts since it started: the alarm watches the growth of the fleet's maximum, so a second agent's first failures below another's total show only on the dashboard.",
  },
  agentDropped: {
    threshold: 1, periodMinutes: 5, evaluationPeriods: 1, unit: 'new dropped records per period (growth of the fleet maximum)',
    appliesTo: 'fluent-bit and syslog sources',
    meaning: "An agent's or receiver's main output dropped records.",
    action: "Read the agents' logs; dropped records never reached the buffer and cannot be replayed from it. The same counting caveat as agentRetriesFailed.",
  },
  receiversUnhealthy: {
    threshold: 1, periodMinutes: 1, evaluationPeriods: 3, unit: 'unhealthy tasks',
    appliesTo: 'syslog sources',
    meaning: "Receiver tasks fail the load balancer's health check (Fluent Bit's health endpoint, which also fails while its outputs keep failing).",
    action: "Check the tasks' logs and stopped-task reasons in the ECS console; clients lose UDP frames sent to an unhealthy task, and TCP clients reconnect.",
  },
} as const satisfies Record<string, AlarmSpec>;

export type AlarmName = keyof typeof ALARMS;

/** CloudWatch evaluates at most one day of periods (period × evaluation periods ≤ 86,400 s for 1-minute periods and up). */
const MAX_EVALUATION_MINUTES = 24 * 60;

function alarmSetting(spec: AlarmSpec) {
  return z
    .strictObject({
      enabled: z.boolean().default(true),
      threshold: z.number().min(0).default(spec.threshold).meta({ description: `Fires at or above this: ${spec.unit}.` }),
      periodMinutes: z.number().int().min(1).max(MAX_EVALUATION_MINUTES).default(spec.periodMinutes),
      evaluationPeriods: z.number().int().min(1).max(MAX_EVALUATION_MINUTES).default(spec.evaluationPeriods).meta({ description: 'Consecutive periods at or above the threshold before it fires.' }),
    })
    .superRefine((a, ctx) => {
      if (a.periodMinutes * a.evaluationPeriods > MAX_EVALUATION_MINUTES) {
        ctx.addIssue({ code: 'custom', path: ['evaluationPeriods'], message: `periodMinutes × evaluationPeriods must be at most ${MAX_EVALUATION_MINUTES} (CloudWatch evaluates one day at most)` });
      }
    })
    .prefault({})
    .meta({ description: `${spec.appliesTo}: ${spec.meaning}` });
}

const settings = Object.fromEntries(Object.entries(ALARMS).map(([name, spec]) => [name, alarmSetting(spec)])) as { [K in AlarmName]: ReturnType<typeof alarmSetting> };

export const AlarmsSchema = z
  .strictObject(settings)
  .prefault({})
  .meta({ description: 'CloudWatch alarms of the pipeline, all notifying its failure topic; each applies where the pipeline has what it watches (README: Operations).' });

export type AlarmsConfig = z.infer<typeof AlarmsSchema>;
export type AlarmSetting = AlarmsConfig[AlarmName];

export const ALARMS_BEGIN = '<!-- alarms:begin (npm run docs) -->';
export const ALARMS_END = '<!-- alarms:end -->';

/** The README's table of alarms. */
export function alarmsMarkdown(): string {
  const cell = (t: string) => t.replace(/\|/g, '\\|');
  return [
    '| alarm (`alarms.<name>`) | where | fires when | what to do | default |',
    '|---|---|---|---|---|',
    ...Object.entries(ALARMS).map(
      ([name, a]) => `| \`${name}\` | ${cell(a.appliesTo)} | ${cell(a.meaning)} | ${cell(a.action)} | ≥ ${a.threshold} ${cell(a.unit)}, ${a.evaluationPeriods} × ${a.periodMinutes} min |`,
    ),
  ].join('\n');
}
