/**
 * What a deployed function needs of its pipeline, and nothing of the deployment (VPCs, subnets, scanner sizes…): the
 * name, the log format and, for the OpenSearch engine, how to index. The CDK side writes it as the RUNTIME_CONFIG
 * variable (lib/config/runtime-config.ts, toRuntimeConfig); handlers read it back with RuntimeConfigSchema.
 */
import { z } from 'zod';
import { LogFormatSchema } from './log-format';

const mustMatch = (re: RegExp) => ({ error: `must match ${re.source}` });
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
export const IndexingSchema = z.strictObject({
  indexPrefix: z.string().regex(INDEX_PREFIX, mustMatch(INDEX_PREFIX)),
  flavor: z.enum(['aws', 'self-managed']),
  bulkMaxBytes: z.number().int().min(1),
  bulkMaxDocs: z.number().int().min(1),
  index: IndexSettingsSchema,
});
export type Indexing = z.infer<typeof IndexingSchema>;

export const RuntimeConfigSchema = z.strictObject({
  name: z.string().min(1),
  logFormat: LogFormatSchema,
  /** Set for the OpenSearch engine. */
  indexing: IndexingSchema.optional(),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;
