import type { OpenSearchEngineConfig, Pipeline } from '../../../lib/config/schema';
import type { IndexLayoutSettings } from './index-layout';

export function openSearchEngine(p: Pipeline): OpenSearchEngineConfig {
  if (p.engine.type !== 'opensearch') throw new Error(`pipeline ${p.name} does not use the OpenSearch engine`);
  return p.engine;
}

export function layoutSettings(p: Pipeline): IndexLayoutSettings {
  const e = openSearchEngine(p);
  return { indexPrefix: e.indexPrefix, ...e.index, flavor: e.domain.type };
}
