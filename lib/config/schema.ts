/**
 * The one schema of `pipelines.yaml`: validation, TypeScript types (z.infer) and the README's config reference
 * (rendered from the same objects by `lib/config/docs.ts`) all come from here.
 *
 * The part the runtime reads (log format, field types, filters, index settings) lives in lambda/core/config and is
 * built on here; this file adds what only the deployment needs.
 */
import { z } from 'zod';
import { AlarmsSchema } from './alarms';
import { LogFormatSchema } from '../../lambda/core/config/log-format';
import { IndexSettingsSchema, INDEXING_FIELDS, INDEX_PREFIX, mustMatch } from '../../lambda/core/config/runtime';
import { DEFAULT_PROJECTION, MAX_FUTURE_HOURS, isEventHour, partitionLimitProblem, type ProjectionRange } from '../../lambda/core/light/projection';

export { INDEX_PREFIX };

export { FIELD_TYPES, FieldTypeSchema, LOG_TYPES, LogFormatSchema, type FieldType, type LogFormat } from '../../lambda/core/config/log-format';


export const PIPELINE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SG_ID = /^sg-[0-9a-f]{8,17}$/;
const DOMAIN_ARN = /^arn:aws[a-z-]*:es:[a-z0-9-]+:\d{12}:domain\/[a-z][a-z0-9-]{2,27}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
// STS: 2-1224 characters of [\w+=,.@:/-].
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** `account` of a source in another account (S3 bucket owner, or where the agents run). */
const otherAccount = (description: string) => z.string().regex(ACCOUNT_ID, mustMatch(ACCOUNT_ID)).optional().meta({ description });

/** `externalId` of the role assumed across accounts. */
const externalIdOf = (role: string) =>
  z
    .string()
    .regex(EXTERNAL_ID, mustMatch(EXTERNAL_ID))
    .optional()
    .meta({ description: `With account: the sts:ExternalId ${role} requires (default \`logtong-<pipeline>\`). It guards against a confused deputy, it is not a secret.` });

export const VpcSchema = z.strictObject({
  vpcId: z.string().regex(VPC_ID, mustMatch(VPC_ID)),
  subnetIds: z.array(z.string().regex(SUBNET_ID, mustMatch(SUBNET_ID))).min(1).meta({ description: 'Private subnets the functions (or tasks) are placed in.' }),
  securityGroupIds: z.array(z.string().regex(SG_ID, mustMatch(SG_ID))).min(1).meta({ description: 'Security groups of their network interfaces (allowed to reach the domain, or S3 and SQS).' }),
});
export type VpcRef = z.infer<typeof VpcSchema>;

const Scanner = z
  .strictObject({
    vpc: VpcSchema.meta({
      description: 'Where the scanner task runs: private subnets with a route to S3 and SQS (gateway/interface endpoints or NAT), and its security groups (egress to those).',
    }),
    cpu: z
      .number()
      .int()
      .refine((v) => [256, 512, 1024].includes(v), { error: 'must be 256, 512 or 1024' })
      .default(256)
      .meta({ description: 'Fargate CPU units of the task: 256, 512 or 1024 (it lists and enqueues; it copies nothing).' }),
    memoryMb: z.number().int().min(512).max(8192).default(512),
    startOnDeploy: z.boolean().default(true).meta({ description: 'Start the task once when the stack is created; either way the RunTaskCommand output runs it by hand.' }),
  })
  .meta({ title: 'source.scanner (mode one-time)' });

const S3Source = z
  .strictObject({
    type: z.literal('s3'),
    mode: z.enum(['ongoing', 'one-time']).default('ongoing').meta({ description: 'ongoing: S3 event notifications; one-time: an ECS task lists the bucket.' }),
    scanner: Scanner.optional().meta({ description: 'Required for mode one-time: the ECS Fargate task that lists the bucket.' }),
    bucketName: z.string().regex(BUCKET_NAME, mustMatch(BUCKET_NAME)).meta({ description: 'Existing bucket that holds the logs.' }),
    prefix: z.string().default('').meta({ description: 'Only objects under this key prefix.' }),
    suffix: z.string().default('').meta({ description: 'Only objects whose key ends with this.' }),
    kmsKeyArn: z.string().regex(KMS_KEY_ARN, mustMatch(KMS_KEY_ARN)).optional().meta({ description: 'KMS key of the source bucket, if SSE-KMS.' }),
    account: otherAccount(
      'Account that owns the bucket, when it is not the pipeline\'s: the copy function and the scanner read it through a role in that account, and the stack `LogtongSource-<pipeline>` (deployed there) holds that role and the bucket\'s notification.',
    ),
    roleArn: z
      .string()
      .regex(ROLE_ARN, mustMatch(ROLE_ARN))
      .optional()
      .meta({
        description:
          'With account: an existing role in the source account to assume instead of the one `LogtongSource-<pipeline>` creates; it must trust the pipeline\'s copy and scanner roles with the external ID.',
      }),
    externalId: externalIdOf('the source role'),
  })
  .superRefine((s, ctx) => {
    if (s.mode === 'one-time' && !s.scanner) ctx.addIssue({ code: 'custom', path: ['scanner'], message: 'is required for mode one-time' });
    if (s.mode === 'ongoing' && s.scanner) ctx.addIssue({ code: 'custom', path: ['scanner'], message: 'is only used with mode one-time' });
    for (const k of ['roleArn', 'externalId'] as const) {
      if (s[k] !== undefined && !s.account) ctx.addIssue({ code: 'custom', path: [k], message: 'is only used with account (a source bucket in another account)' });
    }
    // The role is assumed in the source account: one of another account could not read the bucket without more trust.
    if (s.roleArn && s.account && s.roleArn.split(':')[4] !== s.account) {
      ctx.addIssue({ code: 'custom', path: ['roleArn'], message: `must be a role of the source account ${s.account}` });
    }
  })
  .meta({ title: 'source (type s3)' });

const FluentBitSource = z
  .strictObject({
    type: z.literal('fluent-bit'),
    platform: z.enum(['ec2', 'eks']),
    logPaths: z.array(z.string().min(1)).min(1).meta({ description: 'Files the agent tails (globs allowed).' }),
    eks: z
      .strictObject({
        clusterName: z.string().min(1),
        oidcProviderArn: z.string().regex(OIDC_PROVIDER_ARN, mustMatch(OIDC_PROVIDER_ARN)),
        namespace: z.string().default('logging'),
      })
      .optional()
      .meta({ description: 'Required for platform eks.' }),
    account: otherAccount(
      "Account the agents run in, when it is not the pipeline's: their outputs assume the role `Logtong-<pipeline>-agent` of the pipeline's account (output AgentRoleArn), which trusts that account with the external ID; give the agents' own instance or IRSA role sts:AssumeRole on it there.",
    ),
    externalId: externalIdOf('the agent role'),
    traceErrors: z
      .boolean()
      .default(false)
      .meta({
        description:
          "buffer none: print OpenSearch's answer to a rejected bulk request in the agent's log (Fluent Bit's trace_error). Off by default: the answer quotes field values of the rejected documents.",
      }),
  })
  .superRefine((s, ctx) => {
    if (s.platform === 'eks' && !s.eks) ctx.addIssue({ code: 'custom', path: ['eks'], message: 'is required for platform eks' });
    if (s.externalId !== undefined && !s.account) ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'is only used with account (agents in another account)' });
  })
  .meta({ title: 'source (type fluent-bit)' });

const SyslogSource = z
  .strictObject({
    type: z.literal('syslog'),
    protocol: z.enum(['tcp', 'udp', 'tcp_udp']).meta({ description: 'tcp_udp: one listener taking both on the same port (the common case for port 514).' }),
    port: z.number().int().min(1).max(65535),
    clientCidrs: z.array(z.string().regex(CIDR, mustMatch(CIDR))).min(1).meta({ description: 'Only these networks reach the port.' }),
    framing: z
      .enum(['newline', 'octet-counting'])
      .default('newline')
      .meta({ description: 'TCP: how clients delimit frames (RFC 6587): newline (rsyslog\'s default "traditional") or octet-counting (`LEN SP MSG`).' }),
    minTasks: z.number().int().min(1).max(100).default(2).meta({ description: 'Fluent Bit tasks behind the listener at least (two zones for availability).' }),
    maxTasks: z.number().int().min(1).max(100).default(6).meta({ description: 'Upper bound of CPU-based scaling.' }),
    cpu: z
      .number()
      .int()
      .refine((v) => [256, 512, 1024, 2048].includes(v), { error: 'must be 256, 512, 1024 or 2048' })
      .default(512)
      .meta({ description: 'Fargate CPU units per task: 256, 512, 1024 or 2048.' }),
    memoryMb: z.number().int().min(512).max(16_384).default(1024),
  })
  .superRefine((s, ctx) => {
    if (s.maxTasks < s.minTasks) ctx.addIssue({ code: 'custom', path: ['maxTasks'], message: 'must be at least minTasks' });
    if (s.protocol === 'udp' && s.framing !== 'newline') ctx.addIssue({ code: 'custom', path: ['framing'], message: 'applies to tcp only (a UDP datagram is one frame)' });
    // Fluent Bit's HTTP server (health checks) listens there.
    if (s.port === SYSLOG_HEALTH_PORT) ctx.addIssue({ code: 'custom', path: ['port'], message: `${SYSLOG_HEALTH_PORT} is the receivers' health-check port` });
  })
  .meta({ title: 'source (type syslog)' });

/** Port of Fluent Bit's HTTP server in the syslog receiver tasks: the target groups' health checks. */
export const SYSLOG_HEALTH_PORT = 2020;

const SyslogNetwork = z
  .strictObject({
    vpcId: z.string().regex(VPC_ID, mustMatch(VPC_ID)),
    subnetIds: z
      .array(z.string().regex(SUBNET_ID, mustMatch(SUBNET_ID)))
      .min(1)
      .meta({ description: 'Private subnets of the internal load balancer and the receiver tasks (with a route to S3/Kinesis/OpenSearch and ECR: endpoints or NAT).' }),
  })
  .meta({ title: 'syslog (shared by every syslog pipeline)' });

export const SourceSchema = z.discriminatedUnion('type', [S3Source, FluentBitSource, SyslogSource], {
  error: (iss) => (iss.code === 'invalid_union' ? 'must be one of "s3", "fluent-bit", "syslog"' : undefined),
});
export type Source = z.infer<typeof SourceSchema>;

const AwsDomain = z
  .strictObject({
    type: z.literal('aws'),
    endpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).meta({ description: 'Domain endpoint (`https://vpc-….es.amazonaws.com`).' }),
    arn: z.string().regex(DOMAIN_ARN, mustMatch(DOMAIN_ARN)),
    vpc: VpcSchema.optional().meta({ description: 'Set when the domain is in a VPC: the processor Lambda is attached to it.' }),
  })
  .meta({ title: 'engine.domain (type aws): Amazon OpenSearch Service, SigV4' });

const SelfManagedDomain = z
  .strictObject({
    type: z.literal('self-managed'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }),
    auth: z.enum(['none', 'basic']).default('none'),
    basicAuthSecretArn: z
      .string()
      .regex(SECRET_ARN, mustMatch(SECRET_ARN))
      .optional()
      .meta({ description: 'Secrets Manager secret with `username` and `password`; required for auth basic.' }),
    vpc: VpcSchema.optional(),
    dashboardsUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s):// URL' })
      .optional()
      .meta({
        description:
          "OpenSearch Dashboards base URL (`https://dashboards.example.internal:5601`), reached with the cluster's auth: the index bootstrap imports the pipeline's index pattern, dashboards and saved searches there (a failed import is logged, never fails the deploy). Unset: none are imported. Amazon OpenSearch Service domains always get them, at `<endpoint>/_dashboards`.",
      }),
  })
  .superRefine((d, ctx) => {
    if (d.auth === 'basic' && !d.basicAuthSecretArn) {
      ctx.addIssue({ code: 'custom', path: ['basicAuthSecretArn'], message: 'is required for auth basic' });
    }
  })
  .meta({ title: 'engine.domain (type self-managed): your own OpenSearch cluster' });

const KinesisBuffer = z.strictObject({
  shards: z.number().int().min(1).max(500).optional().meta({ description: 'Provisioned shards; unset: on-demand capacity.' }),
  retentionHours: z.number().int().min(24).max(8760).default(24).meta({ description: 'How long records stay readable (also for replaying failed batches into the backup bucket).' }),
  batchSize: z.number().int().min(1).max(10_000).default(500).meta({ description: 'Records per processor invocation.' }),
  parallelizationFactor: z.number().int().min(1).max(10).default(1).meta({ description: 'Concurrent batches per shard.' }),
  retryAttempts: z.number().int().min(0).max(10_000).default(5).meta({ description: 'Retries of a failing batch (halved each time) before it goes to the backup bucket.' }),
  maxRecordAgeSeconds: z.number().int().min(60).max(604_800).default(21_600).meta({ description: 'Records older than this go to the backup bucket instead of being retried.' }),
}).superRefine((k, ctx) => {
  // A failed batch is read back from the stream into the backup bucket: its records must still be there.
  if (k.maxRecordAgeSeconds >= k.retentionHours * 3600) {
    ctx.addIssue({ code: 'custom', path: ['maxRecordAgeSeconds'], message: `must be shorter than retentionHours (${k.retentionHours * 3600} s)` });
  }
});

/** The stream settings of a pipeline with buffer kinesis that sets none. */
export const KINESIS_DEFAULTS = KinesisBuffer.parse({});

/** Both engines: the pipeline's alarms and failed jobs notify one topic. */
const NOTIFICATION_EMAIL = z
  .email()
  .optional()
  .meta({ description: "Subscribed to the pipeline's failure topic (alarms, failed batch runs); unset: subscribe yourself." });

const OpenSearchEngine = z
  .strictObject({
    type: z.literal('opensearch'),
    domain: z.discriminatedUnion('type', [AwsDomain, SelfManagedDomain], {
      error: (iss) => (iss.code === 'invalid_union' ? 'must be one of "aws", "self-managed"' : undefined),
    }),
    indexPrefix: INDEXING_FIELDS.indexPrefix,
    buffer: z
      .enum(['none', 'kinesis', 's3'])
      .default('s3')
      .meta({ description: 'fluent-bit/syslog: where the agent sends logs. Sources in S3 always use the staging bucket (s3).' }),
    kinesis: KinesisBuffer.optional().meta({ description: 'buffer kinesis: the stream and how the processor reads it (defaults below when unset).' }),
    bulkMaxBytes: INDEXING_FIELDS.bulkMaxBytes,
    bulkMaxDocs: INDEXING_FIELDS.bulkMaxDocs,
    index: IndexSettingsSchema.prefault({}),
    notificationEmail: NOTIFICATION_EMAIL,
  })
  .meta({ title: 'engine (type opensearch)' });

const GLUE_NAME = /^[a-z][a-z0-9_]{0,254}$/;

const Compaction = z.strictObject({
  schedule: z
    .string()
    .default('cron(30 1 * * ? *)')
    .meta({ description: 'EventBridge Scheduler expression (UTC) of the compaction run; it catches up every partition not yet compacted.' }),
  minAgeHours: z.number().int().min(1).default(24).meta({ description: 'Only partitions (event hours) at least this old are compacted.' }),
  targetFileMb: z.number().int().min(16).max(1024).default(128).meta({ description: 'Size of the merged files (the whole partition when smaller).' }),
});

const PROJECTION_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The `event_hour` range of the Glue table's partition projection, and the converter's check of the same range:
 * lambda/core/light/projection.ts says why the start is a fixed day and the end relative to NOW.
 */
const Projection = z
  .strictObject({
    from: z
      .string()
      // abort: a malformed day gets one message, not also "not a calendar day".
      .regex(PROJECTION_DAY, { ...mustMatch(PROJECTION_DAY), abort: true })
      .refine((d) => isEventHour(`${d.replace(/-/g, '')}00`), { error: 'must be a calendar day YYYY-MM-DD' })
      .default(projectionDay(DEFAULT_PROJECTION.fromHour))
      .meta({
        description:
          'First UTC day Athena projects. Records of earlier hours go to the backup bucket (with their raw text and the reason) instead of Parquet no query would return; an earlier day only makes queries without an `event_hour` filter read more partitions (refused when that would pass the 1,000,000 Athena reads per query within 10 years).',
      }),
    futureHours: z
      .number()
      .int()
      .min(0)
      .max(MAX_FUTURE_HOURS)
      .default(DEFAULT_PROJECTION.futureHours)
      .meta({
        description:
          'Hours after the query time Athena projects too (`NOW+<n>HOURS`), for clocks that run ahead and local times read as UTC. Records later than this at conversion go to the backup bucket.',
      }),
  })
  .superRefine((p, ctx) => {
    const range = lightProjection({ projection: p });
    if (!isEventHour(range.fromHour)) return; // reported on `from` already
    // The only clock in config validation: the partition count grows by one per hour.
    const problem = partitionLimitProblem(range, Date.now());
    if (problem) ctx.addIssue({ code: 'custom', path: ['from'], message: problem });
  });

function projectionDay(hour: string): string {
  return `${hour.slice(0, 4)}-${hour.slice(4, 6)}-${hour.slice(6, 8)}`;
}

const LightEngine = z
  .strictObject({
    type: z.literal('light'),
    schedule: z.string().default('rate(5 minutes)').meta({ description: 'EventBridge Scheduler expression for the batch.' }),
    retentionDays: z.number().int().min(1).default(365).meta({ description: 'Lifetime of Parquet files in the centralized bucket.' }),
    region: z.string().optional().meta({ description: 'Value of the `region` partition; default the stack region.' }),
    database: z
      .string()
      .regex(GLUE_NAME, mustMatch(GLUE_NAME))
      .optional()
      .meta({ description: 'Glue database the stack creates for the table (one per pipeline); default `logtong_<table>`.' }),
    table: z
      .string()
      .regex(GLUE_NAME, mustMatch(GLUE_NAME))
      .optional()
      .meta({ description: 'Glue table, also the key prefix in the centralized bucket; default the pipeline name with `_` for `-`.' }),
    batchMaxMb: z.number().int().min(1).max(10_240).default(512).meta({ description: 'Raw bytes of staged objects one Convert invocation takes.' }),
    batchMaxObjects: z.number().int().min(1).max(10_000).default(1000),
    maxConcurrency: z.number().int().min(1).max(40).default(4).meta({ description: 'Convert invocations in parallel (the Map state).' }),
    convertMemoryMb: z.number().int().min(512).max(10_240).default(2048),
    convertTimeoutSeconds: z.number().int().min(60).max(900).default(900),
    notificationEmail: NOTIFICATION_EMAIL,
    compaction: Compaction.prefault({}),
    projection: Projection.prefault({}).meta({
      description: 'The `event_hour` partitions Athena projects; the converter backs up (and counts) records outside them, so no written row is invisible to queries.',
    }),
  })
  .meta({ title: 'engine (type light): Parquet on S3 + Athena' });

export const EngineSchema = z.discriminatedUnion('type', [OpenSearchEngine, LightEngine], {
  error: (iss) => (iss.code === 'invalid_union' ? 'must be one of "opensearch", "light"' : undefined),
});
export type Engine = z.infer<typeof EngineSchema>;
export type OpenSearchEngineConfig = z.infer<typeof OpenSearchEngine>;
export type LightEngineConfig = z.infer<typeof LightEngine>;

/** Glue database of a Light Engine pipeline: created by its stack, so never shared between pipelines. */
export function lightDatabaseName(pipeline: Pick<Pipeline, 'name' | 'engine'>): string {
  return (pipeline.engine.type === 'light' && pipeline.engine.database) || `logtong_${lightTableName(pipeline)}`;
}

/** The projection range of a Light Engine pipeline, as the Glue table and the converter both take it. */
export function lightProjection(engine: { readonly projection: { readonly from: string; readonly futureHours: number } }): ProjectionRange {
  return { fromHour: `${engine.projection.from.replace(/-/g, '')}00`, futureHours: engine.projection.futureHours };
}

/** Glue table (and centralized-bucket prefix) of a Light Engine pipeline. */
export function lightTableName(pipeline: Pick<Pipeline, 'name' | 'engine'>): string {
  return (pipeline.engine.type === 'light' && pipeline.engine.table) || pipeline.name.replace(/-/g, '_');
}

export const PipelineSchema = z
  .strictObject({
    name: z.string().regex(PIPELINE_NAME, mustMatch(PIPELINE_NAME)).meta({ description: 'Stack `Logtong-<name>`; also the staging key prefix.' }),
    description: z.string().optional(),
    source: SourceSchema,
    logFormat: LogFormatSchema,
    engine: EngineSchema,
    backupRetentionDays: z.number().int().min(1).default(90).meta({ description: 'Lifetime of failed records in the backup bucket.' }),
    processorMemoryMb: z.number().int().min(128).max(10_240).default(1024),
    processorTimeoutSeconds: z.number().int().min(30).max(900).default(300),
    alarms: AlarmsSchema,
  })
  .superRefine((p, ctx) => {
    if (p.source.type === 's3' && p.engine.type === 'opensearch' && p.engine.buffer !== 's3') {
      ctx.addIssue({ code: 'custom', path: ['engine', 'buffer'], message: 'must be s3 (the staging bucket) for a source of type s3' });
    }
    if (p.source.type === 'syslog' && p.engine.type === 'opensearch' && p.engine.buffer === 'none') {
      ctx.addIssue({ code: 'custom', path: ['engine', 'buffer'], message: 'must be kinesis or s3 for a syslog source (the receivers forward raw frames to the processor)' });
    }
  });
export type Pipeline = z.infer<typeof PipelineSchema>;

export const ConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    account: z.string().regex(/^\d{12}$/, mustMatch(/^\d{12}$/)).optional().meta({ description: 'Target account; default: the CLI environment.' }),
    region: z.string().optional().meta({ description: 'Target region; default: the CLI environment.' }),
    syslog: SyslogNetwork.optional().meta({ description: 'Required when a pipeline has a syslog source: where the shared internal NLB (stack LogtongSyslog) and the receivers run.' }),
    pipelines: z.array(PipelineSchema).min(1),
  })
  .superRefine((c, ctx) => configIssues(c, (path, message) => ctx.addIssue({ code: 'custom', path, message })));
export type Config = z.infer<typeof ConfigSchema>;

/**
 * The checks across pipelines (names, databases, bucket notification rules, index prefixes, syslog ports). A hole
 * (undefined) is a pipeline that did not pass the schema on its own: load.ts runs these on the others too, so that one
 * bad pipeline does not hide the others' conflicts until the next round.
 */
export function configIssues(
  c: { readonly syslog?: unknown; readonly pipelines: ReadonlyArray<Pipeline | undefined> },
  addIssue: (path: PropertyKey[], message: string) => void,
): void {
  const pipelines = c.pipelines.map((p, i) => [p, i] as const).filter((x): x is readonly [Pipeline, number] => x[0] !== undefined);
  const seen = new Map<string, number>();
  pipelines.forEach(([p, i]) => {
    const first = seen.get(p.name);
    if (first !== undefined) addIssue(['pipelines', i, 'name'], `duplicates pipelines[${first}]`);
    else seen.set(p.name, i);
  });
  const databases = new Map<string, number>();
  pipelines.forEach(([p, i]) => {
    if (p.engine.type !== 'light') return;
    const db = lightDatabaseName(p);
    const first = databases.get(db);
    if (first !== undefined) {
      addIssue(['pipelines', i, 'engine', 'database'], `${db} is already created by pipelines[${first}]; each Light Engine stack creates its own database`);
    } else databases.set(db, i);
  });
  const firstSyslog = pipelines.find(([p]) => p.source.type === 'syslog')?.[1] ?? -1;
  if (firstSyslog >= 0 && !c.syslog) {
    addIssue(['syslog'], `is required: pipelines[${firstSyslog}] has a syslog source`);
  }
  // S3 refuses a bucket notification configuration whose ObjectCreated rules overlap: one prefix starts the other
  // and one suffix ends the other (an empty one matches all). Each ongoing pipeline adds one rule to its bucket.
  pipelines.forEach(([p, i]) => {
    if (p.source.type !== 's3' || p.source.mode !== 'ongoing') return;
    const a = p.source;
    const j = pipelines.find(([q, k]) => {
      if (k >= i || q.source.type !== 's3' || q.source.mode !== 'ongoing' || q.source.bucketName !== a.bucketName) return false;
      const b = q.source;
      return (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix)) && (a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix));
    })?.[1] ?? -1;
    if (j >= 0) {
      addIssue(['pipelines', i, 'source', 'prefix'], `overlaps pipelines[${j}] (${c.pipelines[j]!.name}) on bucket ${a.bucketName}: S3 takes no two notification rules for the same objects; give them prefixes (or suffixes) that do not cover each other`);
    }
  });
  // The index template and ISM policy of `<prefix>` match `<prefix>-*`, which also matches the indices of a prefix
  // `<prefix>-<more>` on the same cluster: two templates of equal priority on one index, which OpenSearch refuses.
  pipelines.forEach(([p, i]) => {
    if (p.engine.type !== 'opensearch') return;
    const a = p.engine;
    const j = pipelines.find(([q, k]) => k < i && q.engine.type === 'opensearch' && domainOf(q.engine) === domainOf(a) && prefixesOverlap(a.indexPrefix, q.engine.indexPrefix))?.[1] ?? -1;
    if (j >= 0) {
      const other = (c.pipelines[j]!.engine as typeof a).indexPrefix;
      const why = other === a.indexPrefix ? 'is also the prefix of' : `and ${other} overlap (one's \`<prefix>-*\` matches the other's indices) with`;
      addIssue(['pipelines', i, 'engine', 'indexPrefix'], `${a.indexPrefix} ${why} pipelines[${j}] (${c.pipelines[j]!.name}) on the same cluster; give them prefixes neither of which is the other's followed by "-"`);
    }
  });
  const ports = new Map<string, number>();
  pipelines.forEach(([p, i]) => {
    if (p.source.type !== 'syslog') return;
    // One load balancer for all: a port has one listener, whatever the protocol.
    const key = String(p.source.port);
    const first = ports.get(key);
    if (first !== undefined) {
      addIssue(['pipelines', i, 'source', 'port'], `${key} is already the port of pipelines[${first}] (${c.pipelines[first]!.name}) on the shared load balancer, which has one listener per port (tcp_udp takes both protocols on one)`);
    } else ports.set(key, i);
  });
}


const prefixesOverlap = (x: string, y: string) => x === y || x.startsWith(`${y}-`) || y.startsWith(`${x}-`);

/** The cluster an OpenSearch engine writes to, as the config names it. */
function domainOf(engine: OpenSearchEngineConfig): string {
  return engine.domain.type === 'aws' ? engine.domain.endpoint : engine.domain.url;
}
export type ConfigInput = z.input<typeof ConfigSchema>;
