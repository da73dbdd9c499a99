/**
 * CloudFormation custom resource (Provider framework onEvent): creates the index template, ISM policy and the first
 * index behind the write alias, idempotently, then imports the pipeline's OpenSearch Dashboards saved objects. Delete
 * keeps the data (and the saved objects): indices outlive the stack on purpose.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { connectDashboards, connectOpenSearch, ensurePipelineLayout } from '../adapters/opensearch';
import { logger } from '../adapters/powertools';
import { LogFormatSchema, type LogFormat } from '../core/config/log-format';
import { IndexSettingsSchema } from '../core/config/runtime';
import type { FieldTypes } from '../core/fields';
import { compileParser } from '../core/formats';
import { importSavedObjects, pipelineSavedObjects } from '../core/opensearch/saved-objects';

/** Properties arrive as strings (see lib/constructs/index-bootstrap.ts). */
interface Properties {
  pipelineName: string;
  indexPrefix: string;
  flavor: 'aws' | 'self-managed';
  logFormat: string;
  index: string;
  /** OpenSearch Dashboards base URL; '' or absent: no saved objects. */
  dashboardsUrl?: string;
}

export const handler = async (event: CloudFormationCustomResourceEvent) => {
  const p = event.ResourceProperties as unknown as Properties;
  const physicalId = `logtong-index-layout-${p.pipelineName}`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId };
  const indexing = { indexPrefix: p.indexPrefix, flavor: p.flavor, index: IndexSettingsSchema.parse(JSON.parse(p.index)) };
  const logFormat = LogFormatSchema.parse(JSON.parse(p.logFormat));
  const fields = compileParser(logFormat).fields;
  const result = await ensurePipelineLayout((await connectOpenSearch()).http, indexing, fields);
  logger.info('index layout ensured', { ...result, indexPrefix: indexing.indexPrefix });
  const savedObjects = await importDashboards(p, logFormat, fields);
  return { PhysicalResourceId: physicalId, Data: { Alias: indexing.indexPrefix, Ism: result.ism, SavedObjects: savedObjects } };
};

/** Dashboards are a convenience: a failed import is a warning, never a failed deploy (the layout is what matters). */
async function importDashboards(p: Properties, logFormat: LogFormat, fields: FieldTypes): Promise<'imported' | 'skipped' | 'failed'> {
  if (!p.dashboardsUrl) {
    logger.info('no OpenSearch Dashboards URL (engine.domain.dashboardsUrl): saved objects not imported', { pipeline: p.pipelineName });
    return 'skipped';
  }
  try {
    const objects = pipelineSavedObjects({ pipelineName: p.pipelineName, indexPrefix: p.indexPrefix, logFormat, fields });
    const outcome = await importSavedObjects(await connectDashboards(p.dashboardsUrl), objects, `logtong-${p.pipelineName}.ndjson`);
    const details = { ...outcome, dashboardsUrl: p.dashboardsUrl, objects: objects.length };
    if (outcome.status === 'imported') logger.info('saved objects imported', details);
    else logger.warn('saved objects not imported; the stack goes on without them', details);
    return outcome.status;
  } catch (e) {
    logger.warn('saved objects not imported; the stack goes on without them', { error: (e as Error).message, dashboardsUrl: p.dashboardsUrl });
    return 'failed';
  }
}
