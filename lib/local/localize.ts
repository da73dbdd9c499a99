/**
 * The pipeline `logtong local` runs: the user's pipeline as configured, with only what cannot exist on this machine
 * pointed at the local components. The OpenSearch engine writes to the local node (plain HTTP, no authentication,
 * no VPC, no replicas on a single node); everything else — source bucket and prefix, log format, filters, buffer,
 * batch sizes, the Light Engine's table and schedule — is the user's, so the local run goes through the same stack.
 */
import type { Pipeline } from '../config/schema';

export interface LocalTargets {
  /** The local OpenSearch node, for an OpenSearch engine. */
  readonly opensearchUrl?: string;
}

export function localPipeline(pipeline: Pipeline, t: LocalTargets): Pipeline {
  if (pipeline.engine.type !== 'opensearch') return pipeline;
  if (!t.opensearchUrl) throw new Error(`pipeline ${pipeline.name}: its OpenSearch engine needs the local node's URL`);
  return {
    ...pipeline,
    engine: {
      ...pipeline.engine,
      domain: { type: 'self-managed', url: t.opensearchUrl, auth: 'none' },
      index: { ...pipeline.engine.index, replicas: 0 },
    },
  };
}
