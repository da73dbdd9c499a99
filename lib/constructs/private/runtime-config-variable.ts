import { toRuntimeConfig } from '../../config/runtime-config';
import type { Pipeline } from '../../config/schema';

/**
 * Lambda allows 4 KiB for all environment variables together; the parsing settings travel in one of them, and the
 * rest (endpoint, bucket, Powertools) needs well under 1 KiB.
 */
const MAX_RUNTIME_CONFIG_BYTES = 3 * 1024;

/**
 * The runtime's part of the pipeline (toRuntimeConfig) as the `RUNTIME_CONFIG` variable handlers read; too big a
 * config is a synth error.
 */
export function runtimeConfigVariable(pipeline: Pipeline): string {
  const json = JSON.stringify(toRuntimeConfig(pipeline));
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_RUNTIME_CONFIG_BYTES) {
    throw new Error(
      `${pipeline.name}: the parsing settings are ${bytes} bytes as JSON, over the ${MAX_RUNTIME_CONFIG_BYTES} bytes that fit in a Lambda environment variable (shorten logFormat: fields, filters, regex)`,
    );
  }
  return json;
}
