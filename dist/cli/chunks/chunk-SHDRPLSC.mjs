import {
  ConfigError,
  getPath,
  loadConfig,
  parseConfig
} from "./chunk-ESIZHS62.mjs";
import {
  UsageError
} from "./chunk-GE7FCKWW.mjs";

// lambda/core/filters.ts
var keepAll = () => true;
function compileCondition(c) {
  let re;
  try {
    re = new RegExp(c.regex);
  } catch (e) {
    throw new Error(`filter on ${c.field}: invalid regex ${JSON.stringify(c.regex)} (${e.message})`);
  }
  const test = (v) => {
    if (v === void 0 || v === null) return false;
    if (typeof v === "string") return re.test(v);
    if (Array.isArray(v)) return v.some(test);
    return re.test(typeof v === "object" ? JSON.stringify(v) : String(v));
  };
  const field = c.field;
  return (doc) => test(getPath(doc, field));
}
function compileFilters(filters) {
  const include = (filters?.include ?? []).map(compileCondition);
  const exclude = (filters?.exclude ?? []).map(compileCondition);
  if (include.length === 0 && exclude.length === 0) return keepAll;
  return (doc) => {
    for (let i = 0; i < include.length; i++) if (!include[i](doc)) return false;
    for (let i = 0; i < exclude.length; i++) if (exclude[i](doc)) return false;
    return true;
  };
}
function isKeepAll(filter) {
  return filter === keepAll;
}

// lib/cli/format-flags.ts
var FORMAT_FLAGS = ["type", "format", "regex", "time-key", "time-format", "time-zone"];
var FLAG_OF = { type: "--type", format: "--format", regex: "--regex", timeKey: "--time-key", timeFormat: "--time-format", timeZone: "--time-zone" };
function pipelineFrom(values) {
  if (!values.config && !values.pipeline) return void 0;
  if (!values.config || !values.pipeline) throw new UsageError("--config and --pipeline go together");
  const config = loadConfig(values.config);
  const pipeline = config.pipelines.find((p) => p.name === values.pipeline);
  if (!pipeline) throw new UsageError(`${values.config} has no pipeline named ${values.pipeline} (it has ${config.pipelines.map((p) => p.name).join(", ")})`);
  return pipeline;
}
function formatFrom(values, pipeline = pipelineFrom(values)) {
  if (pipeline) {
    const mixed = FORMAT_FLAGS.filter((f) => values[f] !== void 0);
    if (mixed.length > 0) throw new UsageError(`--${mixed[0]} goes without --config: the pipeline's logFormat is used`);
    return pipeline.logFormat;
  }
  if (!values.type) throw new UsageError("give --config and --pipeline, or --type");
  const logFormat = Object.fromEntries(
    Object.entries({
      type: values.type,
      format: values.format,
      regex: values.regex,
      timeKey: values["time-key"],
      timeFormat: values["time-format"],
      timeZone: values["time-zone"]
    }).filter(([, v]) => v !== void 0)
  );
  try {
    return parseConfig(
      {
        pipelines: [
          {
            name: "cli",
            source: { type: "s3", bucketName: "cli-input" },
            logFormat,
            engine: { type: "opensearch", indexPrefix: "cli", domain: { type: "self-managed", url: "http://localhost:9200" } }
          }
        ]
      },
      "flags"
    ).pipelines[0].logFormat;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const problems = e.problems.map(
      (p) => p.replace(/^pipelines\[0\] \(cli\)\.logFormat(?:\.(\w+))?: /, (_m, key) => key ? `${FLAG_OF[key] ?? key}: ` : "")
    );
    throw new UsageError(problems.join("\n"));
  }
}

// lib/cli/progress.ts
var MIB = 1024 * 1024;
function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor(s % 3600 / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
function progressLine(p) {
  const seconds = p.elapsedMs / 1e3;
  const parts = [p.totalBytes !== void 0 ? `${(p.bytes / MIB).toFixed(1)} MiB of ${(p.totalBytes / MIB).toFixed(1)} MiB (${p.totalBytes > 0 ? Math.floor(100 * p.bytes / p.totalBytes) : 100}%)` : `${(p.bytes / MIB).toFixed(1)} MiB`];
  parts.push(`${p.lines.toLocaleString("en-US")} lines`);
  if (seconds > 0) parts.push(`${Math.round(p.lines / seconds).toLocaleString("en-US")} lines/s`);
  if (p.totalBytes !== void 0 && p.bytes > 0 && seconds > 0) parts.push(`ETA ${clock((p.totalBytes - p.bytes) * seconds / p.bytes)}`);
  return parts.join(" \xB7 ");
}
var NONE = { count: (body) => body, lines: () => void 0, stop: () => void 0 };
function startProgress(stderr, totalBytes, intervalMs = 250, now = Date.now) {
  if (!stderr.isTTY) return NONE;
  const started = now();
  let bytes = 0;
  let lines = 0;
  const draw = () => {
    const text = progressLine({ bytes, totalBytes, lines, elapsedMs: now() - started });
    stderr.write(`\r\x1B[K${text.slice(0, (stderr.columns ?? 120) - 1)}`);
  };
  const timer = setInterval(draw, intervalMs);
  timer.unref();
  return {
    async *count(body) {
      for await (const chunk of body) {
        bytes += chunk.length;
        yield chunk;
      }
    },
    lines(n) {
      lines += n;
    },
    stop() {
      clearInterval(timer);
      stderr.write("\r\x1B[K");
    }
  };
}

export {
  compileFilters,
  isKeepAll,
  FORMAT_FLAGS,
  pipelineFrom,
  formatFrom,
  startProgress
};
