/**
 * What a deployed function needs of its pipeline, and nothing of the deployment (VPCs, subnets, scanner sizes…): the
 * name, the log format and, for the OpenSearch engine, how to index; for the Light Engine, the hours its Glue table
 * projects. The CDK side writes it as the RUNTIME_CONFIG variable (lib/config/runtime-config.ts, toRuntimeConfig);
 * handlers read it back with RuntimeConfigSchema.
 */
import { z } from 'zod';
import { LogFormatSchema } from './log-format';

/** The error of a string that does not match its pattern (the deployment schema says it the same way). */
export const mustMatch = (re: RegExp) => ({ error: `must match ${re.source}` });
const DURATION = /^\d+[smhd]$/;
const SIZE = /^\d+(b|kb|mb|gb|tb)$/;
export const INDEX_PREFIX = /^[a-z][a-z0-9-]*$/;

export const IndexSettingsSchema = z
  .strictObject({
    shards: z.number().int().min(1).default(1),
    replicas: z.number().int().min(0).default(1),
    rolloverAge: z.string().regex(DURATION, mustMatch(DURATION)).default('1d').meta({ description: 'Roll the write index over after this age.' }),
    rolloverPrimaryShardSize: z.string().regex(SIZE, mustMatch(SIZE)).default('30gb'),
    warmAfterDays: z.number().int().min(0).optional().meta({ description: 'Move to warm (UltraWarm) after N days; unset: no warm phase.' }),
    coldAfterDays: z.number().int().min(0).optional().meta({ description: 'Move to cold storage after N days; unset: no cold phase.' }),
    deleteAfterDays: z.number().int().min(1).default(30),
  })
  .superRefine((s, ctx) => {
    const order: Array<[string, number | undefined]> = [
      ['warmAfterDays', s.warmAfterDays],
      ['coldAfterDays', s.coldAfterDays],
      ['deleteAfterDays', s.deleteAfterDays],
    ];
    let last = -1;
    for (const [key, v] of order) {
      if (v === undefined) continue;
      if (v <= last) ctx.addIssue({ code: 'custom', path: [key], message: 'must be later than the previous phase' });
      last = v;
    }
  });
export type IndexSettings = z.infer<typeof IndexSettingsSchema>;

/** How the OpenSearch engine indexes: write alias, bulk caps, index lifecycle, the flavor of the domain. */
/** The indexing settings of `engine` (type opensearch), as pipelines.yaml writes them and the runtime reads them. */
export const INDEXING_FIELDS = {
  indexPrefix: z.string().regex(INDEX_PREFIX, mustMatch(INDEX_PREFIX)).meta({ description: 'Write alias; indices are `<indexPrefix>-<yyyy.MM.dd>-000001`.' }),
  bulkMaxBytes: z.number().int().min(65_536).max(104_857_600).default(5_242_880).meta({ description: 'Bulk request body cap; Amazon OpenSearch rejects > 10 MiB on small instances.' }),
  bulkMaxDocs: z.number().int().min(1).default(10_000),
};

export const IndexingSchema = z.strictObject({
  ...INDEXING_FIELDS,
  flavor: z.enum(['aws', 'self-managed']),
  index: IndexSettingsSchema,
});
export type Indexing = z.infer<typeof IndexingSchema>;

const EVENT_HOUR = /^\d{10}$/;

/** What the Light Engine's converter checks records against: the Glue table's `event_hour` projection range. */
export const LightRuntimeSchema = z.strictObject({
  projection: z.strictObject({
    /** First projected hour, UTC `YYYYMMDDHH`. */
    fromHour: z.string().regex(EVENT_HOUR, mustMatch(EVENT_HOUR)),
    /** Hours after NOW that are projected too. */
    futureHours: z.number().int().min(0),
  }),
});
export type LightRuntime = z.infer<typeof LightRuntimeSchema>;

export const RuntimeConfigSchema = z.strictObject({
  name: z.string().min(1),
  logFormat: LogFormatSchema,
  /** Set for the OpenSearch engine. */
  indexing: IndexingSchema.optional(),
  /** Set for the Light Engine. */
  light: LightRuntimeSchema.optional(),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;
