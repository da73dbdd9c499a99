/**
 * The runtime's part of a pipeline (lambda/core/config/runtime.ts): what the CDK side hands each function as its
 * RUNTIME_CONFIG variable, and no more (no VPC, subnets, scanner sizes or domain endpoint).
 */
import type { RuntimeConfig } from '../../lambda/core/config/runtime';
import { lightProjection, type Pipeline } from './schema';

export function toRuntimeConfig(pipeline: Pipeline): RuntimeConfig {
  const e = pipeline.engine;
  return {
    name: pipeline.name,
    logFormat: pipeline.logFormat,
    ...(e.type === 'opensearch'
      ? { indexing: { indexPrefix: e.indexPrefix, flavor: e.domain.type, bulkMaxBytes: e.bulkMaxBytes, bulkMaxDocs: e.bulkMaxDocs, index: e.index } }
      : { light: { projection: lightProjection(e) } }),
  };
}
