/**
 * A CloudWatch Logs API stand-in on 127.0.0.1 for the agent's `cloudwatch_logs` output (Fluent Bit 4.2.2,
 * plugins/out_cloudwatch_logs): the JSON 1.1 protocol (`POST /`, `X-Amz-Target: Logs_20140328.<Action>`) and only
 * the actions that plugin calls — CreateLogGroup, PutRetentionPolicy, CreateLogStream, PutLogEvents. Events are kept
 * per group and stream.
 *
 * It refuses what the real service refuses where a plugin bug would otherwise pass unseen: a stream of a group that
 * does not exist, events into a stream that does not exist, a batch whose events are not in time order, or over the
 * service's count and size limits (10,000 events, 1,048,576 bytes counting 26 bytes per event). The plugin treats a
 * 200 without an `x-amzn-RequestId` header as a failure, so every answer carries one. Signatures are not checked; the
 * region and service of each request's SigV4 credential scope are recorded, so a test can see where the agent signs.
 *
 * TLS only: Fluent Bit 4.2.2's cloudwatch_logs output cannot speak plain HTTP. Its `tls off` is overwritten while it
 * starts: the standard credential chain always holds the EC2 (IMDS) provider, whose upstream_set sets the output's
 * use_tls back to true (src/aws/flb_aws_credentials_ec2.c, upstream_set_fn_ec2) before the output picks its transport
 * (plugins/out_cloudwatch_logs/cloudwatch_logs.c). The certificate is the self-signed one kinesis-local ships (the
 * Kinesis emulator's TLS port uses it too); the agent trusts it with `tls.ca_file` and keeps verifying.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
}

export interface CloudWatchLogsRequest {
  /** The action (`PutLogEvents` …). */
  readonly action: string;
  /** Region and service of the SigV4 credential scope (`us-east-1`, `logs`); undefined when unsigned. */
  readonly region?: string;
  readonly service?: string;
  /** The `x-amzn-logs-format` header (`json/emf`), when sent. */
  readonly logsFormat?: string;
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface CloudWatchLogsShim {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The server's certificate (PEM file), for the agent's `tls.ca_file`. */
  readonly certificateFile: string;
  /** Creates a group, as the stack's LogGroup resource does before any agent runs. */
  createLogGroup(name: string): void;
  /** Every event of a group (all its streams, each stream's in arrival order). */
  events(group: string): LogEvent[];
  /** Stream name → events. */
  streams(group: string): Map<string, LogEvent[]>;
  /** Every request answered so far. */
  readonly requests: readonly CloudWatchLogsRequest[];
  close(): Promise<void>;
}

const MAX_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function selfSignedCertificate(): { key: string; cert: string; certificateFile: string } {
  const { key, cert } = (JSON.parse(fs.readFileSync(require.resolve('kinesis-local/server.json'), 'utf8')) as { server: { key: string; cert: string } }).server;
  const certificateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-cwlogs-')), 'server.pem');
  fs.writeFileSync(certificateFile, cert);
  return { key, cert, certificateFile };
}

export async function startCloudWatchLogs(): Promise<CloudWatchLogsShim> {
  const { key, cert, certificateFile } = selfSignedCertificate();
  const groups = new Map<string, { retentionInDays?: number; streams: Map<string, LogEvent[]> }>();
  const requests: CloudWatchLogsRequest[] = [];

  const group = (name: unknown) => {
    const g = groups.get(String(name));
    if (!g) throw new ApiError('ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  };

  const actions: Record<string, (body: Record<string, any>) => Record<string, unknown>> = {
    CreateLogGroup(b) {
      if (groups.has(b.logGroupName)) throw new ApiError('ResourceAlreadyExistsException', 'The specified log group already exists');
      groups.set(b.logGroupName, { streams: new Map() });
      return {};
    },
    PutRetentionPolicy(b) {
      group(b.logGroupName).retentionInDays = b.retentionInDays;
      return {};
    },
    CreateLogStream(b) {
      const g = group(b.logGroupName);
      if (g.streams.has(b.logStreamName)) throw new ApiError('ResourceAlreadyExistsException', 'The specified log stream already exists');
      g.streams.set(b.logStreamName, []);
      return {};
    },
    PutLogEvents(b) {
      const stream = group(b.logGroupName).streams.get(b.logStreamName);
      if (!stream) throw new ApiError('ResourceNotFoundException', 'The specified log stream does not exist.');
      const events = b.logEvents as LogEvent[];
      if (!Array.isArray(events) || events.length === 0) throw new ApiError('InvalidParameterException', 'logEvents must not be empty');
      if (events.length > MAX_EVENTS) throw new ApiError('InvalidParameterException', `more than ${MAX_EVENTS} events`);
      const bytes = events.reduce((a, e) => a + Buffer.byteLength(e.message) + EVENT_OVERHEAD_BYTES, 0);
      if (bytes > MAX_BATCH_BYTES) throw new ApiError('InvalidParameterException', `batch of ${bytes} bytes`);
      for (let i = 1; i < events.length; i++) {
        if (events[i].timestamp < events[i - 1].timestamp) {
          throw new ApiError('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.');
        }
      }
      stream.push(...events.map((e) => ({ timestamp: e.timestamp, message: e.message })));
      return { nextSequenceToken: String(Date.now()) };
    },
  };

  const server = https.createServer({ key, cert }, (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.startsWith('Logs_20140328.') ? target.slice('Logs_20140328.'.length) : target;
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
      let status = 200;
      let answer: Record<string, unknown>;
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        const run = req.method === 'POST' ? actions[action] : undefined;
        if (!run) throw new ApiError('UnknownOperationException', `${req.method} ${action || '(no X-Amz-Target)'}`);
        answer = run(body);
      } catch (e) {
        status = 400;
        answer = e instanceof ApiError ? { __type: e.type, message: e.message } : { __type: 'SerializationException', message: String(e) };
      }
      requests.push({
        action,
        region: scope?.[1],
        service: scope?.[2],
        logsFormat: req.headers['x-amzn-logs-format'] as string | undefined,
        status,
        body,
      });
      const text = JSON.stringify(answer);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-RequestId': randomUUID() });
      res.end(text);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `https://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    certificateFile,
    createLogGroup(name) {
      if (!groups.has(name)) groups.set(name, { streams: new Map() });
    },
    events: (name) => [...(groups.get(name)?.streams.values() ?? [])].flat(),
    streams: (name) => new Map(groups.get(name)?.streams ?? []),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(path.dirname(certificateFile), { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/** One metric of an embedded-metric-format event. */
export interface EmfMetric {
  readonly namespace: string;
  readonly name: string;
  /** The dimension keys the directive declares, each with the event's value for it. */
  readonly dimensions: Record<string, string>;
  /** The event's value of the metric (Fluent Bit: the counter's total since the agent started). */
  readonly value: number;
  /** `_aws.Timestamp`, milliseconds. */
  readonly timestamp: number;
  /** The event's `Unit` for the metric, when declared. */
  readonly unit?: string;
}

/**
 * The metrics of CloudWatch embedded-metric-format events, read as CloudWatch extracts them: each `CloudWatchMetrics`
 * directive's metrics under each of its dimension sets, the values from the event's top-level keys. An event that is
 * not JSON, or is JSON without `_aws.CloudWatchMetrics`, has none. A dimension or metric the directive declares but
 * the event lacks throws: CloudWatch would not extract it, and the agent meant it to be.
 */
export function emfMetrics(events: ReadonlyArray<LogEvent | string>): EmfMetric[] {
  const out: EmfMetric[] = [];
  for (const e of events) {
    const text = typeof e === 'string' ? e : e.message;
    let doc: Record<string, any>;
    try {
      doc = JSON.parse(text);
    } catch {
      continue;
    }
    const directives = doc?._aws?.CloudWatchMetrics;
    if (!Array.isArray(directives)) continue;
    for (const d of directives as Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }>) {
      for (const set of d.Dimensions) {
        const dimensions: Record<string, string> = {};
        for (const key of set) {
          if (typeof doc[key] !== 'string') throw new Error(`EMF event declares dimension ${key} without a string value: ${text}`);
          dimensions[key] = doc[key];
        }
        for (const m of d.Metrics) {
          if (typeof doc[m.Name] !== 'number') throw new Error(`EMF event declares metric ${m.Name} without a number: ${text}`);
          out.push({ namespace: d.Namespace, name: m.Name, dimensions, value: doc[m.Name], timestamp: doc._aws.Timestamp, ...(m.Unit ? { unit: m.Unit } : {}) });
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Metric filters: what CloudWatch Logs publishes from a log group's events, for a test that cannot reach AWS.

/** A template's `AWS::Logs::MetricFilter` properties (the parts the evaluator reads). */
export interface MetricFilterDefinition {
  readonly FilterPattern: string;
  readonly MetricTransformations: ReadonlyArray<{
    readonly MetricNamespace: string;
    readonly MetricName: string;
    readonly MetricValue: string;
    readonly Dimensions?: ReadonlyArray<{ readonly Key: string; readonly Value: string }>;
    readonly Unit?: string;
    readonly DefaultValue?: number;
  }>;
}

/**
 * One datapoint a metric filter publishes: the same shape as an embedded metric, its `timestamp` the log event's
 * (CloudWatch files the datapoint at the event's time).
 */
export type MetricDatapoint = EmfMetric;

type TemplateLike = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };

/**
 * The metric filters a synthesized template puts on the log group named `logGroupName`: those whose LogGroupName is
 * that name, or a `Ref` to the template's `AWS::Logs::LogGroup` of that name.
 */
export function templateMetricFilters(template: TemplateLike, logGroupName: string): MetricFilterDefinition[] {
  const groupIds = new Set(Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup' && r.Properties?.LogGroupName === logGroupName).map(([id]) => id));
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Logs::MetricFilter')
    .filter((r) => r.Properties!.LogGroupName === logGroupName || groupIds.has(r.Properties!.LogGroupName?.Ref))
    .map((r) => r.Properties as MetricFilterDefinition);
}

/**
 * The datapoints CloudWatch Logs publishes from `events` with `filters`: for each event and each filter whose pattern
 * matches it, one datapoint per transformation, valued by the transformation's MetricValue (a literal number, or the
 * event's `$.field`), its dimensions' values taken from the event's fields, at the event's timestamp. What is not
 * modeled throws instead of guessing: DefaultValue (published per minute when nothing matched), a dimension or value
 * field the event lacks, a value that is not a number.
 */
export function metricFilterDatapoints(filters: readonly MetricFilterDefinition[], events: ReadonlyArray<LogEvent>): MetricDatapoint[] {
  const compiled = filters.map((f) => ({ f, matches: compileJsonFilterPattern(f.FilterPattern) }));
  const out: MetricDatapoint[] = [];
  for (const e of events) {
    const doc = parseJsonObject(e.message);
    if (doc === undefined) continue;
    for (const { f, matches } of compiled) {
      if (!matches(doc)) continue;
      for (const t of f.MetricTransformations) {
        if (t.DefaultValue !== undefined) throw new Error(`metric filter ${t.MetricName}: DefaultValue is not modeled`);
        const field = (selector: string, what: string) => {
          const v = select(doc, selector);
          if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`metric filter ${t.MetricName}: ${what} ${selector} is not a string or number in ${e.message}`);
          return v;
        };
        const raw = t.MetricValue.startsWith('$.') ? field(t.MetricValue, 'value') : t.MetricValue;
        const value = Number(raw);
        if (!Number.isFinite(value)) throw new Error(`metric filter ${t.MetricName}: value ${JSON.stringify(raw)} is not a number`);
        const dimensions = Object.fromEntries((t.Dimensions ?? []).map((d) => [d.Key, String(d.Value.startsWith('$.') ? field(d.Value, 'dimension') : d.Value)]));
        out.push({ namespace: t.MetricNamespace, name: t.MetricName, dimensions, value, timestamp: e.timestamp, ...(t.Unit ? { unit: t.Unit } : {}) });
      }
    }
  }
  return out;
}

/** Whether a CloudWatch Logs JSON filter pattern matches a log event's message (see compileJsonFilterPattern). */
export function jsonFilterPatternMatches(pattern: string, message: string): boolean {
  const doc = parseJsonObject(message);
  return doc !== undefined && compileJsonFilterPattern(pattern)(doc);
}

function parseJsonObject(message: string): Record<string, unknown> | undefined {
  try {
    const doc = JSON.parse(message);
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** `$.a.b` → the event's value there (undefined when any step is missing). Array indices are not supported. */
function select(doc: unknown, selector: string): unknown {
  return selector
    .slice(2)
    .split('.')
    .reduce<unknown>((v, key) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined), doc);
}

type Predicate = (doc: Record<string, unknown>) => boolean;

/**
 * The subset of the CloudWatch Logs JSON filter-pattern syntax (FilterAndPatternSyntax, "Matching terms in JSON log
 * events") that Logtong's metric filters use, compiled to a predicate; anything else throws, so a filter outside the
 * subset fails its test rather than being matched by a guess:
 *   `{ EXPR }`  EXPR := TERM (`&&` TERM | `||` TERM)…, `&&` binding tighter than `||`; TERM := `( EXPR )` | `SELECTOR OP VALUE`
 *   SELECTOR    `$.field` or `$.a.b` (letters, digits, `_`, `-`; no array indices)
 *   `= *`       the field holds a value node (a string or a number)
 *   `= "text"`, `!= "text"` (or unquoted text): a string field, exactly; a `*` at the start and/or end matches any
 *               run of characters there (a `*` elsewhere is itself)
 *   `= 5`, `!= 5`, `<`, `<=`, `>`, `>=` with a number: a number field
 * As documented, a selector that does not reach a value node (missing, object, array) matches nothing, with `!=` too.
 */
export function compileJsonFilterPattern(pattern: string): Predicate {
  const tokens = tokenize(pattern);
  let i = 0;
  const peek = () => tokens[i];
  const take = (want?: string) => {
    const t = tokens[i++];
    if (t === undefined || (want !== undefined && t.text !== want)) throw new Error(`filter pattern ${pattern}: expected ${want ?? 'more'} at token ${i}, got ${t?.text ?? 'the end'}`);
    return t;
  };
  const expr = (): Predicate => {
    const alternatives: Predicate[] = [conjunction()];
    while (peek()?.text === '||') {
      take();
      alternatives.push(conjunction());
    }
    return alternatives.length === 1 ? alternatives[0] : (d) => alternatives.some((p) => p(d));
  };
  const conjunction = (): Predicate => {
    const terms: Predicate[] = [term()];
    while (peek()?.text === '&&') {
      take();
      terms.push(term());
    }
    return terms.length === 1 ? terms[0] : (d) => terms.every((p) => p(d));
  };
  const term = (): Predicate => {
    if (peek()?.text === '(') {
      take('(');
      const inner = expr();
      take(')');
      return inner;
    }
    const selector = take().text;
    if (!/^\$(\.[A-Za-z0-9_-]+)+$/.test(selector)) throw new Error(`filter pattern ${pattern}: unsupported selector ${selector}`);
    const op = take().text;
    if (!['=', '!=', '<', '<=', '>', '>='].includes(op)) throw new Error(`filter pattern ${pattern}: unsupported operator ${op} (IS NULL, NOT EXISTS … are not modeled)`);
    return comparison(selector, op, take());
  };
  const comparison = (selector: string, op: string, value: Token): Predicate => {
    const isValue = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
    if (!value.quoted && value.text === '*') {
      if (op !== '=') throw new Error(`filter pattern ${pattern}: only = * is modeled`);
      return (d) => isValue(select(d, selector));
    }
    if (!value.quoted && /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.text)) {
      const n = Number(value.text);
      const cmp: Record<string, (a: number) => boolean> = { '=': (a) => a === n, '!=': (a) => a !== n, '<': (a) => a < n, '<=': (a) => a <= n, '>': (a) => a > n, '>=': (a) => a >= n };
      return (d) => {
        const v = select(d, selector);
        return typeof v === 'number' && cmp[op](v);
      };
    }
    if (op !== '=' && op !== '!=') throw new Error(`filter pattern ${pattern}: ${op} needs a number`);
    // `= "*"` (what aws-cdk's FilterPattern.exists writes) is not the documented `= *`: what CloudWatch makes of it is unknown here
    if (value.quoted && value.text === '*') throw new Error(`filter pattern ${pattern}: a quoted "*" is not modeled; write = *`);
    const text = value.text;
    const head = text.startsWith('*') && text.length > 1;
    const tail = text.endsWith('*') && text.length > 1;
    const core = text.slice(head ? 1 : 0, tail ? -1 : undefined);
    const like = (s: string) => (head && tail ? s.includes(core) : head ? s.endsWith(core) : tail ? s.startsWith(core) : s === text);
    return (d) => {
      const v = select(d, selector);
      return typeof v === 'string' && like(v) === (op === '=');
    };
  };
  take('{');
  const predicate = expr();
  take('}');
  if (i !== tokens.length) throw new Error(`filter pattern ${pattern}: unexpected ${tokens[i].text}`);
  return predicate;
}

interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|(&&|\|\||!=|<=|>=|[{}()=<>])|([^\s{}()=<>!&|"]+))/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < pattern.length && (m = re.exec(pattern)) !== null) {
    at = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ text: m[1].replace(/\\(.)/g, '$1'), quoted: true });
    else tokens.push({ text: m[2] ?? m[3], quoted: false });
  }
  if (pattern.slice(at).trim() !== '') throw new Error(`filter pattern ${pattern}: cannot read from ${pattern.slice(at)}`);
  return tokens;
}
