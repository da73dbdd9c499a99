import type { RuntimeConfig, Indexing } from '../config/runtime';
import type { IndexLayoutSettings } from './index-layout';

/** The indexing settings of an OpenSearch pipeline; a function of the Light Engine has none. */
export function indexingOf(c: RuntimeConfig): Indexing {
  if (!c.indexing) throw new Error(`pipeline ${c.name} does not use the OpenSearch engine`);
  return c.indexing;
}

/** The index layout of a pipeline: what the bootstrap creates and the processors check. */
export function layoutSettings(i: Pick<Indexing, 'indexPrefix' | 'flavor' | 'index'>): IndexLayoutSettings {
  return { indexPrefix: i.indexPrefix, ...i.index, flavor: i.flavor };
}
