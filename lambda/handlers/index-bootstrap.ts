/**
 * CloudFormation custom resource (Provider framework onEvent): creates the index template, ISM policy and the first
 * index behind the write alias, idempotently. Delete keeps the data: indices outlive the stack on purpose.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { connectOpenSearch, ensurePipelineLayout } from '../adapters/opensearch';
import { logger } from '../adapters/powertools';
import { LogFormatSchema } from '../core/config/log-format';
import { IndexSettingsSchema } from '../core/config/runtime';
import { compileParser } from '../core/formats';

/** Properties arrive as strings (see lib/constructs/index-bootstrap.ts). */
interface Properties {
  pipelineName: string;
  indexPrefix: string;
  flavor: 'aws' | 'self-managed';
  logFormat: string;
  index: string;
}

export const handler = async (event: CloudFormationCustomResourceEvent) => {
  const p = event.ResourceProperties as unknown as Properties;
  const physicalId = `logtong-index-layout-${p.pipelineName}`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId };
  const indexing = { indexPrefix: p.indexPrefix, flavor: p.flavor, index: IndexSettingsSchema.parse(JSON.parse(p.index)) };
  const fields = compileParser(LogFormatSchema.parse(JSON.parse(p.logFormat))).fields;
  const result = await ensurePipelineLayout((await connectOpenSearch()).http, indexing, fields);
  logger.info('index layout ensured', { ...result, indexPrefix: indexing.indexPrefix });
  return { PhysicalResourceId: physicalId, Data: { Alias: indexing.indexPrefix, Ism: result.ism } };
};
