/**
 * The pipeline as a deployed function sees it: RUNTIME_CONFIG (written by the CDK side, lib/config/runtime-config.ts),
 * validated once per cold start by the core's own schema.
 */
import { RuntimeConfigSchema, type RuntimeConfig } from '../core/config/runtime';
import { requireEnv } from './aws';

export function runtimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return RuntimeConfigSchema.parse(JSON.parse(requireEnv('RUNTIME_CONFIG', env)));
}
