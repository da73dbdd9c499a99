/** The log format a command works with: a pipeline of a config file (--config, --pipeline) or flags. */
import { ConfigError, loadConfig, parseConfig } from '../config/load';
import type { LogFormat, Pipeline } from '../config/schema';
import { UsageError } from './errors';

/** Flags naming a log format without a config file (shared by every command that parses). */
export const FORMAT_FLAGS = ['type', 'format', 'regex', 'time-key', 'time-format', 'time-zone'] as const;

const FLAG_OF: Record<string, string> = { type: '--type', format: '--format', regex: '--regex', timeKey: '--time-key', timeFormat: '--time-format', timeZone: '--time-zone' };

/** The pipeline named by --config/--pipeline, or undefined when neither is given. */
export function pipelineFrom(values: Record<string, unknown>): Pipeline | undefined {
  if (!values.config && !values.pipeline) return undefined;
  if (!values.config || !values.pipeline) throw new UsageError('--config and --pipeline go together');
  const config = loadConfig(values.config as string);
  const pipeline = config.pipelines.find((p) => p.name === values.pipeline);
  if (!pipeline) throw new UsageError(`${values.config} has no pipeline named ${values.pipeline} (it has ${config.pipelines.map((p) => p.name).join(', ')})`);
  return pipeline;
}

/** The log format from either a pipeline of a config file or the flags; validated by the one schema. */
export function formatFrom(values: Record<string, string | undefined>, pipeline = pipelineFrom(values)): LogFormat {
  if (pipeline) {
    const mixed = FORMAT_FLAGS.filter((f) => values[f] !== undefined);
    if (mixed.length > 0) throw new UsageError(`--${mixed[0]} goes without --config: the pipeline's logFormat is used`);
    return pipeline.logFormat;
  }
  if (!values.type) throw new UsageError('give --config and --pipeline, or --type');
  // Validated through a throw-away pipeline so that flags get exactly the checks a config file gets.
  const logFormat = Object.fromEntries(
    Object.entries({
      type: values.type,
      format: values.format,
      regex: values.regex,
      timeKey: values['time-key'],
      timeFormat: values['time-format'],
      timeZone: values['time-zone'],
    }).filter(([, v]) => v !== undefined),
  );
  try {
    return parseConfig(
      {
        pipelines: [
          {
            name: 'cli',
            source: { type: 's3', bucketName: 'cli-input' },
            logFormat,
            engine: { type: 'opensearch', indexPrefix: 'cli', domain: { type: 'self-managed', url: 'http://localhost:9200' } },
          },
        ],
      },
      'flags',
    ).pipelines[0].logFormat;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // Problems are phrased for the config file; name the flag instead.
    const problems = e.problems.map((p) =>
      p.replace(/^pipelines\[0\] \(cli\)\.logFormat(?:\.(\w+))?: /, (_m, key?: string) => (key ? `${FLAG_OF[key] ?? key}: ` : '')),
    );
    throw new UsageError(problems.join('\n'));
  }
}
