/**
 * The Fluent Bit agent configuration (YAML format, Fluent Bit 3.x/4.x as in AWS for Fluent Bit) of a pipeline with a
 * `fluent-bit` source. Pure: the CDK stack (SSM parameter, ConfigMap) and `logtong agent-config` both call it with
 * the deployment values as plain strings (CDK tokens at synth, `${ENV}` placeholders, or stack outputs).
 *
 * Two shapes:
 * - buffer kinesis / s3 (and every Light Engine pipeline): the agent forwards each raw line — or multi-line event,
 *   joined exactly where the processor would join it — unchanged. The processor parses, filters and backs up
 *   failures with their reason; if the agent parsed or dropped anything, a line its regex cannot read would be lost
 *   instead of reaching the backup bucket.
 * - buffer none: the agent parses with the processor's own regex (parser-regex.ts), applies logFormat.filters as
 *   grep filters with the processor's semantics, and indexes into the write alias. A line that does not parse is
 *   not dropped: it goes, raw and with a reason, to the backup bucket.
 * Storage: every input and output uses Fluent Bit's filesystem buffer, so an outage of the domain, stream or bucket
 * fills the disk (up to storage.total_limit_size per output) instead of losing records on restart.
 * Every configuration also publishes the agent's own counters to CloudWatch Logs as JSON events, which the stack's
 * metric filters turn into metrics (agent-metrics.ts), on a path of its own that the log path never waits for.
 */
import { stringify } from 'yaml';
import type { LogFormat, Pipeline } from '../config/schema';
import type { FieldType } from '../../lambda/core/fields';
import { AgentConfigError, agentParsing, multilineParser, parseSteps, type FluentBitMultilineParser, type FluentBitParser } from './parser-regex';
import { ConversionError, toOnigmo } from './onigmo';
import { AGENT_INSTANCE, agentInputAlias, agentMetricsPlugins } from './agent-metrics';

export { AgentConfigError } from './parser-regex';

/** Deployment values, all plain strings (tokens or placeholders welcome). */
export interface AgentTargets {
  region: string;
  /** buffer s3 / light: the bucket the agent uploads to, and the key prefix (default `<pipeline>/`). */
  bucketName?: string;
  keyPrefix?: string;
  /** buffer kinesis. */
  streamName?: string;
  /** buffer none: lines the agent cannot parse go there (`agent-failed/<pipeline>/…`). */
  backupBucketName?: string;
  /** buffer none: where to index; default from engine.domain (endpoint / url). */
  opensearch?: { host: string; port: string; tls: boolean; httpUser?: string; httpPasswd?: string };
  /**
   * Agents in another account (`source.account`): every AWS output assumes this role of the pipeline's account, with
   * the external ID its trust policy requires. @default - the agents' own credentials
   */
  assumeRole?: { roleArn: string; externalId: string };
}

/** Deployment values as placeholders (the CLI without --outputs, the manifest in cdk.out): Fluent Bit substitutes `${NAME}` from its environment at start. */
export const AGENT_PLACEHOLDERS = {
  region: '${LOGTONG_REGION}',
  bucketName: '${LOGTONG_BUFFER_BUCKET}',
  streamName: '${LOGTONG_BUFFER_STREAM}',
  backupBucketName: '${LOGTONG_BACKUP_BUCKET}',
  roleArn: '${LOGTONG_AGENT_ROLE_ARN}',
  /** Agents in another account: the role of the pipeline's account their outputs assume (output AgentRoleArn). */
  assumeRoleArn: '${LOGTONG_ASSUME_ROLE_ARN}',
} as const;

/** The targets of a pipeline's buffer as placeholders (the CLI without --outputs, the manifest in cdk.out). */
export function placeholderTargets(pipeline: Pipeline, region: string = AGENT_PLACEHOLDERS.region): AgentTargets {
  const buffer = pipeline.engine.type === 'light' ? 's3' : pipeline.engine.buffer;
  return {
    region,
    ...(buffer === 's3' ? { bucketName: AGENT_PLACEHOLDERS.bucketName } : {}),
    ...(buffer === 'kinesis' ? { streamName: AGENT_PLACEHOLDERS.streamName } : {}),
    ...(buffer === 'none' ? { backupBucketName: AGENT_PLACEHOLDERS.backupBucketName } : {}),
  };
}

/** Host paths: the offsets DB and the filesystem buffer (a hostPath volume on EKS). */
export const AGENT_STATE_DIR = '/var/fluent-bit/state';
/** Fluent Bit's HTTP server (health checks, metrics). */
export const AGENT_HTTP_PORT = 2020;

/** Per-output cap of the on-disk buffer: the oldest chunks are dropped beyond it. */
const STORAGE_LIMIT = '5G';
/**
 * Retries per chunk, with exponential backoff capped at scheduler.cap (600 s): about two hours of outage before a
 * chunk is given up. Bounded so that one poisoned chunk cannot be retried forever.
 */
const RETRY_LIMIT = 15;

const FAILED_REASON = 'does not match the log format at the agent';

/**
 * buffer none: each record carries where it was read, `logtong: { host, file, offset }` (host from Fluent Bit's
 * ${HOSTNAME}, file and byte offset from tail), and the opensearch output derives the document `_id` from the whole
 * record (generate_id). A chunk Fluent Bit sends again (after a timeout, a 429 on some items, a restart with chunks on
 * disk) then re-creates the same ids and OpenSearch answers 409, which Fluent Bit counts as done: nothing is indexed
 * twice. Two identical lines stay two documents, their offsets differ. The keys are flat `logtong_*` while the
 * filters run (a record accessor has no dotted keys) and nested under `logtong` last.
 */
const PROVENANCE_PREFIX = 'logtong_';
/** The raw line while the agent parses it: a name no parsed record has, so that its presence means "did not parse". */
const RAW_KEY = `${PROVENANCE_PREFIX}raw`;

/** Processors attached to an instance (the YAML format's `processors:`), e.g. the metrics path's selector and labels. */
type Processors = { metrics?: Array<Record<string, string>>; logs?: Array<Record<string, string>> };
type Plugin = Record<string, string | number | boolean | string[] | Processors | undefined>;

export interface FluentBitConfigDocument {
  service: Plugin;
  parsers?: FluentBitParser[];
  multiline_parsers?: FluentBitMultilineParser[];
  pipeline: { inputs: Plugin[]; filters?: Plugin[]; outputs: Plugin[] };
}

function fail(pipeline: Pipeline, message: string): never {
  throw new AgentConfigError(`pipeline ${pipeline.name}: ${message}`);
}

/** `$a['b']['c']` for a dotted path (Fluent Bit record accessor), the plain name otherwise. */
function recordKey(field: string): string {
  const parts = field.split('.');
  return parts.length === 1 ? `$${field}` : `$${parts[0]}${parts.slice(1).map((p) => `['${p}']`).join('')}`;
}

/**
 * logFormat.filters as grep filters, one per condition: a record passes a `regex` grep only if the key exists and
 * matches, and is dropped by an `exclude` grep if it matches; chained filters therefore give exactly the
 * processor's "every include holds and no exclude matches" (filters.ts), without relying on logical_op. A
 * condition is refused where Fluent Bit would test something else than the processor: grep reads string values only,
 * while the processor also tests numbers, booleans, JSON of objects and any element of arrays.
 */
export function grepFilters(pipeline: Pipeline, fields: Record<string, FieldType>, match: string): Plugin[] {
  const format = pipeline.logFormat;
  const out: Plugin[] = [];
  const render = (kind: 'regex' | 'exclude', c: { field: string; regex: string }) => {
    const type = fields[c.field] ?? (format.type === 'json' ? undefined : 'keyword');
    if (type !== 'keyword' && type !== 'text' && type !== 'ip' && type !== 'date') {
      fail(
        pipeline,
        `filter on ${c.field}: ${type ? `a ${type} value` : 'a JSON value of unknown type'} is tested by the processor as text, but Fluent Bit's grep only tests string values${type ? '' : ' (declare the field keyword or text in logFormat.fields)'}; use buffer s3 or kinesis`,
      );
    }
    let regex: string;
    try {
      regex = toOnigmo(c.regex);
    } catch (e) {
      if (e instanceof ConversionError) fail(pipeline, `filter on ${c.field}: ${e.message}`);
      throw e;
    }
    out.push({ name: 'grep', match, [kind]: `${recordKey(c.field)} ${regex}` });
  };
  for (const c of format.filters.include) render('regex', c);
  for (const c of format.filters.exclude) render('exclude', c);
  return out;
}

/** EKS container logs (/var/log/containers or /var/log/pods): CRI-framed lines. */
function isContainerLogs(source: Extract<Pipeline['source'], { type: 'fluent-bit' }>): boolean {
  return source.platform === 'eks' && source.logPaths.some((p) => /^\/var\/log\/(containers|pods)\//.test(p));
}

/**
 * buffer s3, multi-line-text: the tag of each tailed file's records is `<tag>.<its path>`, so that the s3 output,
 * which buffers by tag (plugins/out_s3/s3.c, s3_store_file_get), puts each log file in objects of its own. The
 * processor joins an event's lines by their order in the object: with the records of two files in one object, the
 * first lines of one (a banner before its first event, the rest of an event read in two passes) would follow the
 * other's last event and be joined to it.
 */
function tagPerFile(pipeline: Pipeline, multiline: FluentBitMultilineParser | undefined): boolean {
  return multiline !== undefined && (pipeline.engine.type === 'light' || pipeline.engine.buffer === 's3');
}

function tailInput(pipeline: Pipeline, tag: string, multiline: FluentBitMultilineParser | undefined, provenance: boolean): Plugin {
  const source = pipeline.source;
  if (source.type !== 'fluent-bit') fail(pipeline, `source type ${source.type} has no Fluent Bit agent config`);
  const containerLogs = isContainerLogs(source);
  const multilineParsers = [...(containerLogs ? ['cri'] : []), ...(multiline && !containerLogs ? [multiline.name] : [])];
  return {
    name: 'tail',
    alias: AGENT_INSTANCE.input,
    // in_tail replaces a `*` with the file's path, `/` as `.` (plugins/in_tail/tail_file.c, tag_compose)
    tag,
    path: source.logPaths.join(','),
    db: `${AGENT_STATE_DIR}/logtong-${pipeline.name}.db`,
    'db.locking': true,
    // A new agent also ships what the files held before it started (the DB resumes from the offset afterwards):
    // those are lines of the log too. On a host with large old files, the first start backfills them.
    read_from_head: true,
    'storage.type': 'filesystem',
    // With filesystem storage this bounds memory only: beyond it chunks wait on disk, the input is not paused.
    mem_buf_limit: '64MB',
    buffer_chunk_size: '64KB',
    // Room for any line the processor could parse or back up (maxLineBytes), twice over, and never less than
    // buffer_chunk_size: in_tail refuses to start below it ("buffer_max_size must be >= buffer_chunk",
    // plugins/in_tail/tail_config.c), which any maxLineBytes under 32 KiB gave. With skip_long_lines off a longer
    // line would make Fluent Bit stop reading the whole file, losing every line after it.
    buffer_max_size: `${Math.max(64, Math.ceil((2 * pipeline.logFormat.maxLineBytes) / 1024))}KB`,
    skip_long_lines: 'on',
    // Raw lines (buffer kinesis / s3): a longer line is cut at buffer_max_size and forwarded, the rest of it skipped,
    // so that the processor backs it up as over-long with its first bytes and the reason; skip_long_lines alone
    // drops it with nothing but a warning in the agent's log (plugins/in_tail/tail_file.c, flb_tail_file_chunk).
    ...(provenance ? {} : { truncate_long_lines: 'on' }),
    refresh_interval: 10,
    rotate_wait: 30,
    // As the processor: an empty line carries no record.
    skip_empty_lines: 'on',
    ...(multilineParsers.length ? { 'multiline.parser': multilineParsers.join(',') } : {}),
    // buffer none: where each line was read, for its document id (see PROVENANCE).
    ...(provenance ? { path_key: `${PROVENANCE_PREFIX}file`, offset_key: `${PROVENANCE_PREFIX}offset` } : {}),
  };
}

/**
 * The whole frame as `log`: the receivers parse nothing, so a frame that is not valid RFC 5424/3164 (or the pipeline's
 * format) still reaches the processor, which parses it with the same core as every other source and backs up what
 * fails, with the reason. Fluent Bit's own syslog parsers would drop such frames at the receiver.
 * Any bytes: in_syslog drops a frame its parser does not match (plugins/in_syslog/syslog_prot.c, "error parsing log
 * message"), and Onigmo in UTF-8 mode fails a class such as `[\s\S]` on bytes that are not UTF-8, while `.` steps over
 * any byte; `(?:.|\s)` therefore takes every frame whole, and the processor backs up one that is not UTF-8 with its
 * bytes. One trailing LF (rsyslog ends octet-counted frames and RFC 5424 datagrams with it) is left out, since the s3
 * output ends each record with its own: one frame, one line. The pattern means the same as a JavaScript RegExp.
 */
const RAW_FRAME_PARSER: FluentBitParser = { name: 'logtong-raw-frame', format: 'regex', regex: '^(?<log>(?:.|\\s)*?)\\n?(?!.|\\s)' };

/**
 * Logtong's syslog receivers (ECS behind the NLB): frames on the pipeline's port, over TCP newline-delimited or
 * octet-counted; tcp_udp listens with one input per protocol on the same port.
 * Known Fluent Bit 4.2.2 defect, not avoidable here: with newline framing, an empty line that follows a frame in the
 * same read makes in_syslog drop one byte from the start of its buffer and parse the buffer again (syslog_prot.c,
 * the `len == 0` branch), so the frames before it come again, shortened by a byte each time. rsyslog never sends
 * empty lines; clients that do should use octet counting.
 */
function syslogInputs(pipeline: Pipeline, tag: string): Plugin[] {
  const source = pipeline.source;
  if (source.type !== 'syslog') fail(pipeline, 'not a syslog source');
  const modes: Array<'tcp' | 'udp'> = source.protocol === 'tcp_udp' ? ['tcp', 'udp'] : [source.protocol];
  return modes.map((mode) => ({
    name: 'syslog',
    alias: agentInputAlias(modes.length > 1 ? mode : undefined),
    tag,
    mode,
    listen: '0.0.0.0',
    port: source.port,
    // RFC 6587 octet counting: Fluent Bit 4.2+ (the pinned AWS for Fluent Bit 3.2.1 has 4.2.2).
    ...(mode === 'tcp' && source.framing === 'octet-counting' ? { format: 'octet_counting' } : {}),
    parser: RAW_FRAME_PARSER.name,
    'storage.type': 'filesystem',
    mem_buf_limit: '64MB',
    buffer_chunk_size: '64KB',
    // Room for any frame the processor could index or back up as too long (maxLineBytes), twice over: in_syslog
    // closes a connection whose pending frame outgrows this buffer and that frame is lost, logged at debug level only
    // (plugins/in_syslog/syslog_conn.c). With exactly maxLineBytes the longest frames the processor accepts did not
    // fit either: the buffer also holds the octet count, the LF and a NUL.
    buffer_max_size: `${Math.ceil((2 * pipeline.logFormat.maxLineBytes) / 1024)}KB`,
    ...(mode === 'udp' ? { receive_buffer_size: '4MB' } : {}),
  }));
}

/** The multiline filter, when tail's own multiline parser is taken by the container runtime's (cri) framing. */
function multilineFilter(pipeline: Pipeline, tag: string, multiline: FluentBitMultilineParser | undefined): Plugin[] {
  const source = pipeline.source;
  if (!multiline || source.type !== 'fluent-bit' || source.platform !== 'eks') return [];
  if (!isContainerLogs(source)) return [];
  // Unbuffered: the events of each chunk tail appends (one read of a file) are joined and flushed with it. Buffered
  // mode holds each file's last event in memory until the next first line or its flush timer, and an agent stopped
  // meanwhile loses it for good: cb_ml_exit destroys pending events unflushed (plugins/filter_multiline/ml.c), its
  // emitter is paused at shutdown, and the offsets DB is already past them. Buffered mode also keeps one stream per
  // tag, i.e. one for every container file. Unbuffered, an event whose lines came in two reads is two adjacent
  // records, which the processor joins again with the same first-line regex.
  return [{ name: 'multiline', match: tag, 'multiline.key_content': 'log', 'multiline.parser': multiline.name, buffer: false }];
}

function opensearchTarget(pipeline: Pipeline, targets: AgentTargets): NonNullable<AgentTargets['opensearch']> {
  if (targets.opensearch) return targets.opensearch;
  if (pipeline.engine.type !== 'opensearch') fail(pipeline, 'no OpenSearch engine');
  const domain = pipeline.engine.domain;
  const url = new URL(domain.type === 'aws' ? domain.endpoint : domain.url);
  const tls = url.protocol === 'https:';
  return { host: url.hostname, port: url.port || (tls ? '443' : '80'), tls };
}

const common = (match: string): Plugin => ({ match, retry_limit: RETRY_LIMIT, 'storage.total_limit_size': STORAGE_LIMIT });

function s3Output(alias: string, match: string, region: string, bucket: string, keyFormat: string, storeDir: string, logKey?: string): Plugin {
  return {
    name: 's3',
    alias,
    ...common(match),
    bucket,
    region,
    // One PUT per finished file: an object exists only when complete (the processor reacts to its creation) and no
    // multipart upload state has to survive an agent restart.
    use_put_object: 'on',
    compression: 'gzip',
    total_file_size: '50M',
    upload_timeout: '60s',
    // Keys never collide: date partitions plus a random UUID per object.
    s3_key_format: keyFormat,
    store_dir: storeDir,
    store_dir_limit_size: STORAGE_LIMIT,
    ...(logKey ? { log_key: logKey } : {}),
    auto_retry_requests: true,
  };
}

export function fluentBitConfigDocument(pipeline: Pipeline, targets: AgentTargets): FluentBitConfigDocument {
  if (pipeline.source.type === 's3') fail(pipeline, 'source type s3 has no Fluent Bit agent config');
  if (!targets.region) fail(pipeline, 'targets.region is required');
  const syslog = pipeline.source.type === 'syslog';
  const tag = `logtong.${pipeline.name}`;
  const buffer = pipeline.engine.type === 'light' ? 's3' : pipeline.engine.buffer;
  const format: LogFormat = pipeline.logFormat;
  if (syslog && buffer === 'none') fail(pipeline, 'syslog receivers forward raw frames to the processor: buffer none is not available');
  let multiline: FluentBitMultilineParser | undefined;
  try {
    multiline = syslog ? undefined : multilineParser(pipeline.name, format);
  } catch (e) {
    if (e instanceof AgentConfigError) fail(pipeline, e.message);
    throw e;
  }
  const service: Plugin = {
    flush: 5,
    log_level: 'info',
    http_server: 'on',
    http_listen: '0.0.0.0',
    http_port: AGENT_HTTP_PORT,
    health_check: 'on',
    'storage.path': `${AGENT_STATE_DIR}/storage`,
    'storage.sync': 'normal',
    // Off on purpose: chunkio finalizes a chunk's CRC only when it syncs it, so after a crash (SIGKILL, OOM kill,
    // power loss of the process) the chunk being written fails the check and is deleted at restart with every record
    // in it. Without the check the chunk is read up to its recorded length, which a write updates after the data.
    'storage.checksum': 'off',
    'storage.backlog.mem_limit': '64MB',
    'storage.max_chunks_up': 128,
    // A chunk an output gives up on (retry_limit reached, or refused for good) is kept on disk under
    // storage.path/rejected instead of being deleted: the last copy of those records.
    'storage.keep.rejected': 'on',
    'scheduler.base': 5,
    'scheduler.cap': 600,
  };
  // The tail's tag, and what its records' filters and buffer output match (tagPerFile)
  const recordTag = tagPerFile(pipeline, multiline) ? `${tag}.*` : tag;
  const inputs = syslog ? syslogInputs(pipeline, tag) : [tailInput(pipeline, recordTag, multiline, buffer === 'none')];
  const filters: Plugin[] = [...multilineFilter(pipeline, recordTag, multiline)];
  const outputs: Plugin[] = [];
  let parsers: FluentBitParser[] | undefined = syslog ? [RAW_FRAME_PARSER] : undefined;

  if (buffer === 'kinesis') {
    if (!targets.streamName) fail(pipeline, 'buffer kinesis needs targets.streamName');
    // log_key: the record put is the raw line (or joined event) itself, not a JSON envelope.
    outputs.push({ name: 'kinesis_streams', alias: AGENT_INSTANCE.output, ...common(tag), region: targets.region, stream: targets.streamName, log_key: 'log', auto_retry_requests: true });
  } else if (buffer === 's3') {
    if (!targets.bucketName) fail(pipeline, 'buffer s3 needs targets.bucketName');
    const prefix = targets.keyPrefix ?? `${pipeline.name}/`;
    // log_key: the object holds the raw lines, one per line, as the files had them (a joined event keeps its \n, and
    // the processor re-joins it with the same first-line regex).
    outputs.push(s3Output(AGENT_INSTANCE.output, recordTag, targets.region, targets.bucketName, `/${prefix}%Y/%m/%d/%H/%M%S-$UUID.log.gz`, `${AGENT_STATE_DIR}/s3`, 'log'));
  } else {
    if (pipeline.engine.type !== 'opensearch') fail(pipeline, 'buffer none needs an OpenSearch engine');
    if (!targets.backupBucketName) fail(pipeline, 'buffer none needs targets.backupBucketName (lines the agent cannot parse are kept there)');
    let parsing;
    try {
      parsing = agentParsing(pipeline.name, format);
    } catch (e) {
      if (e instanceof AgentConfigError) fail(pipeline, `buffer none: ${e.message}`);
      throw e;
    }
    const steps = parseSteps(parsing, { match: tag, raw: RAW_KEY, prefix: PROVENANCE_PREFIX, provenance: ['host', 'file', 'offset'].map((k) => `${PROVENANCE_PREFIX}${k}`) });
    parsers = steps.parsers;
    const failedTag = `failed.${pipeline.name}`;
    const source = pipeline.source;
    const containerLogs = source.type === 'fluent-bit' && isContainerLogs(source);
    filters.push({
      name: 'modify',
      match: tag,
      rename: `log ${RAW_KEY}`,
      add: `${PROVENANCE_PREFIX}host \${HOSTNAME}`,
      // The container runtime's framing (cri parser) is not part of the line the processor would see.
      ...(containerLogs ? { remove: ['time', 'stream', '_p'] } : {}),
    });
    filters.push(...steps.parse);
    // A record that still holds RAW_KEY did not parse: re-tagged, it leaves this pipeline's filters and outputs for
    // the backup bucket.
    filters.push({ name: 'rewrite_tag', match: tag, rule: `$${RAW_KEY} ^[\\s\\S]*$ ${failedTag} false`, emitter_name: `logtong_${pipeline.name.replace(/-/g, '_')}_failed`, 'emitter_storage.type': 'filesystem', emitter_mem_buf_limit: '64MB' });
    // The processor's backup records: the raw text and why it is there.
    filters.push({ name: 'modify', match: failedTag, ...steps.failed, add: `reason "${FAILED_REASON}"` });
    filters.push(...steps.settle);
    filters.push(...grepFilters(pipeline, parsing.fields, tag));
    for (const match of [tag, failedTag]) {
      filters.push({ name: 'nest', match, operation: 'nest', wildcard: `${PROVENANCE_PREFIX}*`, nest_under: 'logtong', remove_prefix: PROVENANCE_PREFIX });
    }
    const os = opensearchTarget(pipeline, targets);
    const domain = pipeline.engine.domain;
    if (domain.type === 'self-managed' && domain.auth === 'basic' && !(os.httpUser && os.httpPasswd)) {
      fail(pipeline, 'a self-managed domain with basic auth needs targets.opensearch.httpUser and httpPasswd');
    }
    outputs.push({
      name: 'opensearch',
      alias: AGENT_INSTANCE.output,
      ...common(tag),
      host: os.host,
      port: os.port,
      tls: os.tls ? 'on' : 'off',
      ...(os.tls ? { 'tls.verify': 'on' } : {}),
      ...(domain.type === 'aws' ? { aws_auth: 'on', aws_region: targets.region, aws_service_name: 'es' } : {}),
      ...(os.httpUser ? { http_user: os.httpUser, http_passwd: os.httpPasswd } : {}),
      index: pipeline.engine.indexPrefix,
      suppress_type_name: 'on',
      // Names as the processor writes them (the index template maps those); no `_type` on OpenSearch 2.
      replace_dots: 'off',
      // One id per record (see PROVENANCE_PREFIX), written with `create`: a chunk sent again is not indexed twice.
      generate_id: 'on',
      write_operation: 'create',
      // Off unless asked for: OpenSearch's answer to a rejected request quotes the rejected documents' values.
      trace_error: source.type === 'fluent-bit' && source.traceErrors ? 'on' : 'off',
      // `@timestamp` from the parsed time, as the processor writes it (ISO 8601 UTC, milliseconds).
      time_key: '@timestamp',
      // The answer to a bulk request lists every item (with generate_id, ~150 bytes each): a bounded buffer cannot
      // hold the answer for a large chunk, and Fluent Bit then retries the chunk until it gives up on it.
      buffer_size: 'false',
      compress: 'gzip',
    });
    outputs.push(s3Output(AGENT_INSTANCE.failed, failedTag, targets.region, targets.backupBucketName, `/agent-failed/${pipeline.name}/%Y/%m/%d/%H/%M%S-$UUID.json.gz`, `${AGENT_STATE_DIR}/s3-failed`));
  }

  // Last, so that the log path's instances keep their places (and Fluent Bit's default names) before it.
  const metrics = agentMetricsPlugins(pipeline.name, targets.region);
  inputs.push(metrics.input);
  outputs.push(metrics.output);

  const assumed = targets.assumeRole ? outputs.map((o) => assumingRole(o, targets.assumeRole!)) : outputs;
  // (no empty `filters:` list: older 3.x readers of the YAML format reject an empty section)
  const doc: FluentBitConfigDocument = { service, pipeline: { inputs, ...(filters.length ? { filters } : {}), outputs: assumed } as FluentBitConfigDocument['pipeline'] };
  if (parsers) doc.parsers = parsers;
  if (multiline) doc.multiline_parsers = [multiline];
  return doc;
}

/**
 * An AWS output that signs with the credentials of `role` (STS AssumeRole with the external ID) rather than the agent's
 * own: the option names each Fluent Bit 4.2 plugin reads (plugins/out_<name>/*.c config maps). A self-managed
 * OpenSearch output signs nothing, so it is left as it is.
 */
function assumingRole(output: Plugin, role: { roleArn: string; externalId: string }): Plugin {
  switch (output.name) {
    case 's3':
    case 'kinesis_streams':
    case 'cloudwatch_logs':
      return { ...output, role_arn: role.roleArn, external_id: role.externalId };
    case 'opensearch':
      return output.aws_auth === 'on' ? { ...output, aws_role_arn: role.roleArn, aws_external_id: role.externalId } : output;
    default:
      return output;
  }
}

/** The Fluent Bit YAML configuration file of a pipeline. */
export function fluentBitConfig(pipeline: Pipeline, targets: AgentTargets): string {
  const doc = fluentBitConfigDocument(pipeline, targets);
  // Long regexes on one line: no folding, so that what Fluent Bit reads is exactly the generated pattern.
  return `# Fluent Bit configuration of Logtong pipeline ${pipeline.name} (generated: logtong agent-config)\n${stringify(doc, { lineWidth: 0 })}`;
}
