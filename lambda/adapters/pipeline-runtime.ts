/**
 * The pipeline as the functions that parse see it: RUNTIME_CONFIG validated (runtime-config.ts), its log format
 * compiled into a parser and its filters into a predicate, plus the Logger, Metrics and entry points every handler
 * shares (powertools.ts). A handler builds its runtime once, when its module loads (the cold start), so a bad
 * RUNTIME_CONFIG fails the cold start with the schema's message before any event is taken.
 */
import type { Indexing, RuntimeConfig } from '../core/config/runtime';
import { compileFilters, type RecordFilter } from '../core/filters';
import { compileParser, type LineParser } from '../core/formats';
import { indexingOf } from '../core/opensearch/settings';
import type { IndexingOptions } from '../core/process-object';
import { runtimeConfig } from './runtime-config';

export { entryPoint, logger, metrics, sqsEntryPoint } from './powertools';

export interface PipelineRuntime {
  readonly config: RuntimeConfig;
  readonly parser: LineParser;
  readonly filter: RecordFilter;
}

/**
 * Not cached here but by the handler's module: the tests load the handlers of several pipelines into one process,
 * each with its own environment.
 */
export function pipelineRuntime(env: NodeJS.ProcessEnv = process.env): PipelineRuntime {
  const config = runtimeConfig(env);
  return { config, parser: compileParser(config.logFormat), filter: compileFilters(config.logFormat.filters) };
}

/** For the OpenSearch functions: the index settings, and how lines become bulk items whatever brought them. */
export function indexingRuntime(r: PipelineRuntime = pipelineRuntime()): PipelineRuntime & { readonly indexing: Indexing; readonly options: IndexingOptions } {
  const indexing = indexingOf(r.config);
  return {
    ...r,
    indexing,
    options: {
      parser: r.parser,
      filter: r.filter,
      index: indexing.indexPrefix,
      bulkMaxBytes: indexing.bulkMaxBytes,
      bulkMaxDocs: indexing.bulkMaxDocs,
      maxLineBytes: r.config.logFormat.maxLineBytes,
    },
  };
}
