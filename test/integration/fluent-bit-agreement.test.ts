/**
 * Issue 11, point 4 ("Agent and processor agree"): for every log type and corpus the tests use, the agent path with
 * buffer none (the generated configuration on the real Fluent Bit 4.2.2, tailing a file, indexing into a real
 * OpenSearch node, backing up to the S3 emulator) produces, for each line, the processor's document — field by field,
 * `@timestamp` included — and backs up exactly the lines the processor fails.
 *
 * What Fluent Bit cannot do as the processor does is AGENT_PARSE_DIFFERENCES (lib/agent/differences.ts). The
 * comparison tolerates a difference only through `reconcile`, one rule per entry, tagged with the entry's id, and each
 * entry must have been needed by at least one line here: an entry that no line needs any more (Fluent Bit or the
 * generator changed) fails its pin test.
 *
 * Documents and backup records are matched to lines by where the agent read them (`logtong.offset`): a line's start
 * offset, or for multi-line-text the end of the event's last line (in_tail stamps an event when it flushes it,
 * plugins/in_tail/tail_file.c ml_flush_callback). Test-only settings (never in the shipped configuration): flush 1 s,
 * tail refresh 2 s, s3 upload timeout 2 s, retries capped at 5 s and one retry, so that a document the domain rejects
 * is given up within seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fluentBitConfigDocument } from '../../lib/agent/fluent-bit-config';
import { AGENT_PARSE_DIFFERENCES } from '../../lib/agent/differences';
import { AgentConfigError } from '../../lib/agent/errors';
import { parseConfig } from '../../lib/config/load';
import { PipelineSchema, type Pipeline } from '../../lib/config/schema';
import { BulkBatcher, type BulkBatch } from '../../lambda/core/bulk/batcher';
import { sendBulk } from '../../lambda/core/bulk/sender';
import { unescapeLogValue } from '../../lambda/core/formats/nginx';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { waitUntil } from '../../lib/local/fluent-bit';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { corpusPath } from '../corpora';
import { combined as combinedLine, HADOOP, type CombinedPart } from '../fixtures/formats';
import { allDocuments, backupRecords, bootstrapIndex, createBuckets, nodeBulk, processorVerdicts, startTailingAgent, type Verdict } from './harness/agent-path';

jest.setTimeout(300_000);

const BACKUP = 'backup';
const APACHE = 'apache_combined_elastic_examples.log';

// ---------------------------------------------------------------------------------------------------------------
// The pairs: formats as the unit tests use them (test/unit/agent/parser-regex.test.ts, test/unit/core/formats/*.test.ts),
// their corpora, and lines with edge values.

const combined = (o: Partial<Record<CombinedPart, string>> = {}) => combinedLine({ agent: 'Mozilla/5.0', ...o });
const COMBINED_EDGES = [
  // a `-` or nothing in a number or ip field, nginx's unix:, addresses
  ...[{ status: '-' }, { bytes: '-' }, { bytes: '' }, { status: '' }, { ip: '-' }, { ip: 'unix:' }, { ip: '' }, { ip: '2001:db8::1' }, { ip: 'fe80::1%eth0' }, { ip: '256.1.1.1' }, { ip: '010.0.0.1' }],
  // empty quoted values, request lines that do not split
  ...[{ agent: '' }, { ref: '' }, { user: '' }, { req: '' }, { req: '-' }, { req: 'GET' }, { req: 'GET / ' }, { req: 'get / HTTP/1.1' }, { req: 'GET /a b c HTTP/1.0' }],
  // escapes, control and non-ASCII characters
  ...[{ agent: 'say \\"hi\\"' }, { req: 'GET /a\\"b HTTP/1.1' }, { agent: 'back\\\\slash' }, { req: 'GET /\\xE4\\xB8\\xAD HTTP/1.1' }, { req: '\\x16\\x03\\x01\\x00' }, { agent: 'tab\\tescaped' }],
  ...[{ agent: 'raw\ttab' }, { agent: 'unicode 中文 🙂' }],
  // integers out of range, signs, leading zeros
  ...[{ status: '2147483647' }, { status: '2147483648' }, { status: '+200' }, { status: '007' }, { status: '-5' }, { status: 'abc' }],
  // longs: exact as JSON numbers up to ±(2^53 - 1) on both sides, beyond it refused by both (fields.ts toLong)
  ...[{ bytes: '9007199254740991' }, { bytes: '9007199254740992' }, { bytes: '9223372036854775807' }, { bytes: '9223372036854775808' }, { bytes: '99999999999999999999' }, { bytes: '-9223372036854775808' }],
  // times: before 1970, after 2037, invalid dates, other offsets, out of range values
  ...['01/Jan/1969:23:59:59 +0000', '31/Dec/1970:12:00:00 +0000', '01/Jan/1971:00:00:00 +0000', '31/Dec/2037:23:59:59 +0000', '01/Jan/2038:00:00:00 +0000'].map((time) => ({ time })),
  ...['31/Feb/2015:10:05:03 +0000', '29/Feb/2015:10:05:03 +0000', '29/Feb/2016:10:05:03 +0000', '31/Apr/2015:10:05:03 +0000', '7/May/2015:10:05:03 +0000', '17/may/2015:10:05:03 +0000'].map((time) => ({ time })),
  ...['17/May/2015:10:05:03 +0200', '17/May/2015:10:05:03 -0930', '17/May/2015:10:05:03 Z', '17/May/2015:24:00:00 +0000', '17/May/2015:10:05:60 +0000', '17/May/2015:10:05:03 +2400', 'garbage'].map((time) => ({ time })),
].map(combined);

const ERRLOG_LINE = (time: string, rest = '[notice] x') => `[${time}] ${rest}`;
const ERRLOG_EDGES = [
  ERRLOG_LINE('Sun Dec 04 04:47:44 2005', '[notice] '),
  ...['Thu Feb 30 04:47:44 2005', 'Sun Feb 29 04:47:44 2004', 'Mon Feb 29 04:47:44 2005', 'Wed Dec 31 23:59:59 1969', 'Fri Jan 01 00:00:00 2038', 'Xyz Dec 04 04:47:44 2005', 'sun dec 04 04:47:44 2005'].map((t) => ERRLOG_LINE(t)),
  ...['Sun Dec  4 04:47:44 2005', 'Sun Dec 04 24:00:00 2005', 'yesterday'].map((t) => ERRLOG_LINE(t)),
  'no brackets here',
  '[x] [not a level!] m',
  ERRLOG_LINE('Sun Dec 04 04:47:44 2005', '[notice] raw\ttab, a \\"quoted\\" word, unicode 中文 🙂, a\rcarriage return'),
];
const SPARK_EDGES = [
  '17/06/09 20:10:40 INFO x.Y: ',
  ...['17/02/30 20:10:40', '69/06/09 20:10:40', '70/06/09 20:10:40', '71/01/01 00:00:00', '37/12/31 23:59:59', '38/01/01 00:00:00', '17/06/09 25:10:40'].map((t) => `${t} INFO x.Y: edge`),
  '17/06/09 INFO x: y',
];
const ZK_EDGES = [
  '2015-07-29 17:41:44,747 - INFO  [main:Foo@12x] - bad line number',
  '2015-07-29 17:41:44,747 - INFO  [main:Foo@?] - unknown line number',
  '2015-07-29 17:41:44,747 - INFO  [main:Foo@2147483648] - line number beyond 32 bits',
  '2015-07-29 17:41:44,747 - INFO  [main:Foo@12] - ',
  '2015-02-29 17:41:44,747 - INFO  [main:Foo@12] - invalid date',
  '1969-12-31 23:59:59,999 - INFO  [main:Foo@12] - before 1970',
  '2038-01-19 03:14:08,000 - INFO  [main:Foo@12] - after 2037',
  '2015-07-29 17:41:44,747 - ERROR [main:Foo@12] - boom',
  'java.lang.IllegalStateException: x',
  '\tat a.b.C.d(C.java:1)',
  'Caused by: y',
];
const HADOOP_EDGES = [
  '2015-10-18 18:01:47,978 INFO [main] x.Y: ',
  '2015-02-29 18:01:47,978 INFO [main] x.Y: invalid date',
  '2015-10-18 18:01:47,978 ERROR [main] x.Y: boom',
  'java.io.IOException: boom',
  '\tat a.b.C.d(C.java:1)',
  '2015-10-18 18:01:47,978 INFO [main] x.Y: after',
];
/** Lines before the first event: continuation lines without an event start. */
const ORPHANS = ['Caused by: orphan before any event', '\tat x.y(Z.java:1)'];

const JSON_EDGES = [
  '{"edge":"edge-j1","version":"7"}',
  '{"edge":"edge-j2","version":"x"}',
  '{"edge":"edge-j3","version":1.5}',
  '{"edge":"edge-j4","version":3000000000}',
  '{"edge":"edge-j5","version":null,"empty":""}',
  '{"edge":"edge-j6","nginx_version":1.2}',
  '{"edge":"edge-j7","nginx_version":true}',
  '{"edge":"edge-j8","nested":{"a":[1,{"b":null}],"c":"\\u00e9\\ud83d\\ude00\\t"}}',
  '{"edge":"edge-j9","big":12345678901234567890,"small":-0.000001}',
  '{"edge":"edge-j10","d":1,"d":2}',
  'not json',
  '[1,2]',
  '{"edge":"edge-j11"} trailing',
  '"a string"',
];

/** formats/regex.test.ts's typed groups and optional group, and its lines. */
const TYPED = {
  type: 'regex',
  regex: '^(?<ip>\\S+) (?<status>\\d+|-) (?<took>[\\d.]+) (?<ok>\\w+)(?: (?<extra>\\S+))?$',
  fields: { ip: 'ip', status: 'integer', took: 'float', ok: 'boolean' },
};
const TYPED_EDGES = [
  ...['10.0.0.1 200 0.25 true', '10.0.0.1 - 0.25 false x', 'nope', '10.0.0.1 99999999999 0.25 true', 'host 200 0.25 true', '10.0.0.1 200 1.2.3 yes'],
  ...['10.0.0.1 2147483647 0.25 TRUE', '10.0.0.1 2147483648 0.25 true', '10.0.0.1 007 .5 False', '- 200 0.25 true', 'unix: 200 0.25 true', '2001:db8::1 200 0.25 true'],
  ...['10.0.0.1 200 0.25 yes', '10.0.0.1 200 0.25 1', '10.0.0.1 200 0.25 maybe', '10.0.0.1 200 . true'],
];

interface Pair {
  id: string;
  format: Record<string, unknown>;
  corpus?: string;
  take?: number;
  before?: string[];
  edges: string[];
}

const ERRLOG = '^\\[(?<time>[^\\]]+)\\] \\[(?<level>\\w+)\\] (?<message>.*)$';
const SPARK = '^(?<time>\\d{2}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}) (?<level>[A-Z]+) (?<logger>\\S+): (?<message>.*)$';
const PAIRS: Pair[] = [
  { id: 'nginx', format: { type: 'nginx' }, corpus: APACHE, take: 3000, edges: COMBINED_EDGES },
  { id: 'apache', format: { type: 'apache' }, corpus: APACHE, edges: COMBINED_EDGES },
  { id: 'json', format: { type: 'json', fields: { version: 'integer', nginx_version: 'keyword' } }, corpus: 'nginxplus_status_json_elastic_examples.ndjson', edges: JSON_EDGES },
  { id: 'regex-apache', format: { type: 'regex', regex: ERRLOG, timeKey: 'time', timeFormat: '%a %b %d %H:%M:%S %Y' }, corpus: 'loghub_Apache_2k.log', edges: ERRLOG_EDGES },
  { id: 'regex-spark', format: { type: 'regex', regex: SPARK, timeKey: 'time', timeFormat: '%y/%m/%d %H:%M:%S' }, corpus: 'loghub_Spark_2k.log', edges: SPARK_EDGES },
  {
    id: 'text-apache',
    format: { type: 'single-line-text', regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>[a-z]+)\\] (?<message>.*)$', timeKey: 'time', timeFormat: '%a %b %d %H:%M:%S %Y' },
    corpus: 'loghub_Apache_2k.log',
    edges: ERRLOG_EDGES,
  },
  { id: 'text-spark', format: { type: 'single-line-text', regex: SPARK, timeKey: 'time', timeFormat: 'yy/MM/dd HH:mm:ss' }, corpus: 'loghub_Spark_2k.log', edges: SPARK_EDGES },
  { id: 'regex-typed', format: TYPED, edges: TYPED_EDGES },
  { id: 'multi-hadoop', format: { type: 'multi-line-text', format: HADOOP }, corpus: 'loghub_Hadoop_2k.log', before: ORPHANS, edges: HADOOP_EDGES },
  { id: 'multi-zookeeper', format: { type: 'multi-line-text', format: '%d{yyyy-MM-dd HH:mm:ss,SSS} - %-5p [%t:%C@%L] - %m%n' }, corpus: 'loghub_Zookeeper_2k.log', before: ORPHANS, edges: ZK_EDGES },
];

function pipelineOf(id: string, logFormat: Record<string, unknown>): Pipeline {
  return parseConfig({
    pipelines: [
      {
        name: `agree-${id}`,
        source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/app/app.log'] },
        logFormat,
        engine: { type: 'opensearch', buffer: 'none', indexPrefix: `agree-${id}`, domain: { type: 'self-managed', url: 'http://opensearch.internal:9200' }, index: { replicas: 0 } },
      },
    ],
  }).pipelines[0];
}

/** The file's bytes: the corpus as it is (CRLF line ends included), then the edge lines. */
function fileBytes(p: Pair): Buffer {
  let corpus = p.corpus ? fs.readFileSync(corpusPath(p.corpus)) : Buffer.alloc(0);
  if (p.take !== undefined) {
    let end = 0;
    for (let n = 0; n < p.take; n++) end = corpus.indexOf(10, end) + 1;
    corpus = corpus.subarray(0, end);
  }
  const before = p.before ? Buffer.from(`${p.before.join('\n')}\n`) : Buffer.alloc(0);
  const sep = corpus.length && corpus[corpus.length - 1] !== 10 ? '\n' : '';
  return Buffer.concat([before, corpus, Buffer.from(`${sep}${p.edges.join('\n')}\n`)]);
}

/** Byte offsets of each line (1-based numbers, as the processor counts them): start, and end after its line break. */
function lineTable(bytes: Buffer): Array<{ start: number; end: number; empty: boolean }> {
  const out = [{ start: 0, end: 0, empty: true }];
  for (let start = 0; start < bytes.length; ) {
    const nl = bytes.indexOf(10, start);
    const end = nl === -1 ? bytes.length : nl + 1;
    const body = bytes.subarray(start, nl === -1 ? end : nl);
    out.push({ start, end, empty: body.length === 0 || (body.length === 1 && body[0] === 13) });
    start = end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// One agent run per pair

/**
 * The processor's verdicts once its documents have met the domain: each is indexed into an index of the same layout
 * (alias `agree-proc-<pair>`) by the processor's bulk batcher and sender, and one the domain rejects is, as the
 * processor does (lambda/core/process-object.ts), a failed record with the sender's reason.
 */
async function indexedByProcessor(pair: Pair, verdicts: Verdict[]): Promise<Verdict[]> {
  const pipeline = pipelineOf(`proc-${pair.id}`, pair.format);
  if (pipeline.engine.type !== 'opensearch') throw new Error('unexpected pipeline');
  await bootstrapIndex(node.url, pipeline);
  const out = [...verdicts];
  const send = async (batch: BulkBatch<number> | undefined) => {
    if (!batch) return;
    for (const f of (await sendBulk(batch, nodeBulk(node.url))).failed) {
      const v = verdicts[f.ref] as Extract<Verdict, { ok: true }>;
      out[f.ref] = { ok: false, lineNo: v.lineNo, raw: v.text, reason: `indexing failed: ${f.reason}` };
    }
  };
  const batcher = new BulkBatcher<number>({ index: pipeline.engine.indexPrefix, maxBytes: pipeline.engine.bulkMaxBytes, maxDocs: pipeline.engine.bulkMaxDocs });
  for (const [i, v] of verdicts.entries()) if (v.ok) await send(batcher.add(String(i), v.doc, i));
  await send(batcher.flush());
  return out;
}

type Doc = Record<string, unknown>;
interface PairRun {
  pair: Pair;
  verdicts: Verdict[];
  /** A document's offset (as the agent stamps it) → index in verdicts. */
  byOffset: Map<number, number>;
  /** A backup record's index in verdicts: by its offset, and its text where two records meet there. */
  backupAt(offset: number, raw: string): number | undefined;
  docs: Array<{ offset: number; source: Doc }>;
  backups: Array<{ offset: number; raw: string; keys: string[] }>;
  rejected: Buffer[];
  startedAt: number;
  stoppedAt: number;
}

let node: OpenSearchNode;
let aws: AwsEmulator;
const runs = new Map<string, PairRun>();

async function runPair(pair: Pair): Promise<PairRun> {
  const pipeline = pipelineOf(pair.id, pair.format);
  const alias = `agree-${pair.id}`;
  await bootstrapIndex(node.url, pipeline);
  const bytes = fileBytes(pair);
  const verdicts = await indexedByProcessor(pair, await processorVerdicts(pipeline.logFormat, bytes));
  const lines = lineTable(bytes);
  const multi = pair.format.type === 'multi-line-text';
  const byStart = new Map<number, number>();
  const byEnd = new Map<number, number>();
  verdicts.forEach((v, i) => {
    byStart.set(lines[v.lineNo].start, i);
    // the end of the event's last non-empty line: the line before the next record's first line
    let last = i + 1 < verdicts.length ? verdicts[i + 1].lineNo - 1 : lines.length - 1;
    while (last > v.lineNo && lines[last].empty) last--;
    byEnd.set(lines[last].end, i);
  });
  // an event is stamped when the next one starts or its flush timeout passes; a line that starts none (an orphan
  // continuation line) is flushed at once, stamped with its start
  const byOffset = multi ? byEnd : byStart;
  const textOf = (i: number) => (verdicts[i].ok ? (verdicts[i] as { text: string }).text : (verdicts[i] as { raw: string }).raw);
  const backupAt = (offset: number, raw: string): number | undefined => {
    const found = (multi ? [byEnd.get(offset), byStart.get(offset)] : [byStart.get(offset)]).filter((i): i is number => i !== undefined);
    return found.find((i) => textOf(i) === raw) ?? found[0];
  };

  const startedAt = Date.now();
  // a document the domain refuses is given up after one retry (test-only), not fifteen
  const { fb, dir, file } = await startTailingAgent(`agree-${pair.id}`, pipeline, { region: 'us-east-1', backupBucketName: BACKUP }, { opensearchUrl: node.url, s3Endpoint: aws.endpoint }, { opensearch: { retry_limit: 1 } });
  fs.writeFileSync(file, bytes);
  const prefix = `agent-failed/${pipeline.name}/`;
  const count = async () => (await allDocuments(node.url, alias)).length + (await backupRecords(aws.s3, BACKUP, prefix)).length;
  const storage = path.join(dir, 'state', 'storage');
  // chunks an output still holds (delivered ones are deleted, given-up ones moved to rejected/)
  const pending = () => fs.existsSync(storage) && fs.readdirSync(storage, { recursive: true }).some((f) => String(f).endsWith('.flb') && !String(f).startsWith('rejected'));
  let last = -1;
  let since = Date.now();
  await waitUntil(
    async () => {
      const n = await count();
      if (n !== last) [last, since] = [n, Date.now()];
      // every record placed, or (documents the domain rejected are in neither place) nothing left to deliver
      return n >= verdicts.length || (Date.now() - since > 5_000 && !pending()) || Date.now() - since > 30_000;
    },
    180_000,
    () => `${pair.id}: ${last} of ${verdicts.length} records placed\n${fb.log().slice(-3000)}`,
    1_000,
  );
  await fb.stop();
  const stoppedAt = Date.now();
  const offsetOf = (r: Doc) => Number((r.logtong as Doc | undefined)?.offset);
  const docs = (await allDocuments(node.url, alias)).map((d) => ({ offset: offsetOf(d._source), source: d._source }));
  const backups = (await backupRecords(aws.s3, BACKUP, prefix)).map((r) => ({ offset: offsetOf(r), raw: String(r.raw), keys: Object.keys(r).sort() }));
  const rejectedDir = path.join(dir, 'state', 'storage', 'rejected');
  const rejected = fs.existsSync(rejectedDir)
    ? fs
        .readdirSync(rejectedDir, { recursive: true })
        .map((f) => path.join(rejectedDir, String(f)))
        .filter((f) => fs.statSync(f).isFile())
        .map((f) => fs.readFileSync(f))
    : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return { pair, verdicts, byOffset, backupAt, docs, backups, rejected, startedAt, stoppedAt };
}

// ---------------------------------------------------------------------------------------------------------------
// The comparison

const plain = (d: Doc): Doc => JSON.parse(JSON.stringify(d));
const ENTRY_IDS = new Set(AGENT_PARSE_DIFFERENCES.map((d) => d.id));

/** What one line became on each side. */
type Side = { kind: 'doc'; doc: Doc } | { kind: 'failed'; reason: string; raw?: string } | { kind: 'lost' };

interface LineCase {
  run: PairRun;
  line: string;
  processor: Side;
  agent: Side;
}

const isTemplate = (run: PairRun) => run.pair.format.type === 'nginx' || run.pair.format.type === 'apache';
const timeKeyOf = (run: PairRun) => String(run.pair.format.timeKey ?? (isTemplate(run) ? 'time_local' : 'time'));
const WEEKDAY = /^(?:sun|mon|tue|wed|thu|fri|sat)/i;

/**
 * The one place where a difference is tolerated: each rule is an entry of AGENT_PARSE_DIFFERENCES, tagged with its
 * id, and reconciles only what that entry says. Returns the ids whose rules made
 * the two sides agree, or undefined when they still differ.
 */
function reconcile(c: LineCase): string[] | undefined {
  const used = new Set<string>();
  const { processor: p, agent: a, run } = c;
  if (p.kind === 'doc' && a.kind === 'doc') {
    const want = plain(p.doc);
    const got = plain(a.doc);
    for (const k of new Set([...Object.keys(want), ...Object.keys(got)])) {
      const [w, g] = [want[k], got[k]];
      if (isDeepStrictEqual(w, g)) continue;
      if (w === null && !(k in got)) {
        delete want[k];
        used.add('null-absent');
      } else if (isTemplate(run) && typeof w === 'string' && typeof g === 'string' && unescapeLogValue(g) === w) {
        got[k] = w;
        used.add('unescape');
      } else if (k === '@timestamp' && w === undefined && typeof g === 'string' && Date.parse(g) >= run.startedAt - 1_000 && Date.parse(g) <= run.stoppedAt) {
        delete got[k];
        used.add('read-time');
      } else if (run.pair.format.type === 'json' && k in ((run.pair.format.fields as Doc | undefined) ?? {}) && g !== undefined && String(g) === String(w)) {
        got[k] = w;
        used.add('json-types');
      }
    }
    return isDeepStrictEqual(want, got) ? [...used] : undefined;
  }
  if (p.kind === 'failed' && a.kind === 'failed') return [];
  if (p.kind === 'failed' && a.kind === 'doc') {
    if (run.pair.format.type === 'json' && /^\S+ .* is not (?:an integer|a string)/.test(p.reason)) return ['json-types'];
    if (run.pair.format.type === 'json' && /^invalid JSON: Unexpected non-whitespace character after JSON/.test(p.reason)) return ['json-trailing'];
    return undefined;
  }
  if (p.kind === 'doc' && a.kind === 'failed') {
    const at = Date.parse(String(p.doc['@timestamp']));
    const year = new Date(at).getUTCFullYear();
    const time = String(p.doc[timeKeyOf(run)] ?? '');
    if (year < 1971 || year > 2037 || (/%a/i.test(String(run.pair.format.timeFormat)) && !WEEKDAY.test(time))) return ['time-unreadable'];
    const groups = run.pair.format.regex ? (new RegExp(String(run.pair.format.regex)).exec(c.line)?.groups ?? {}) : {};
    const booleans = Object.entries((run.pair.format.fields as Record<string, string> | undefined) ?? {}).filter(([, t]) => t === 'boolean');
    if (booleans.some(([k]) => typeof p.doc[k] === 'boolean' && !/^(?:true|false)$/i.test(String(groups[k])))) return ['boolean-words'];
    return undefined;
  }
  // in neither place: a document the domain refused, kept in the agent's rejected chunks (json edge lines are marked;
  // in a chunk the marker is a msgpack fixstr: its length byte, then its bytes)
  const marker = /"(edge-j\d+)"/.exec(c.line)?.[1];
  const packed = marker && Buffer.concat([Buffer.from([0xa0 | marker.length]), Buffer.from(marker)]);
  if (a.kind === 'lost' && packed && run.rejected.some((chunk) => chunk.includes(packed))) return ['rejected'];
  return undefined;
}

interface Comparison {
  records: number;
  /** Lines indexed on both sides, compared field by field. */
  documents: number;
  equal: number;
  backedUp: number;
  tolerated: Record<string, number>;
  differences: Array<{ line: string; processor: Side; agent: Side }>;
}

const tolerated = new Map<string, Array<{ pair: string; line: string }>>();

function compare(run: PairRun): Comparison {
  const out: Comparison = { records: run.verdicts.length, documents: 0, equal: 0, backedUp: 0, tolerated: {}, differences: [] };
  const agent = new Map<number, Side[]>();
  const place = (i: number | undefined, side: Side, offset: number) => {
    if (i === undefined) return void out.differences.push({ line: `(nothing starts or ends at offset ${offset})`, processor: { kind: 'lost' }, agent: side });
    agent.set(i, [...(agent.get(i) ?? []), side]);
  };
  for (const d of run.docs) {
    const { logtong: _, ...doc } = d.source;
    place(run.byOffset.get(d.offset), { kind: 'doc', doc }, d.offset);
  }
  for (const b of run.backups) place(run.backupAt(b.offset, b.raw), { kind: 'failed', reason: 'backed up by the agent', raw: b.raw }, b.offset);
  run.verdicts.forEach((v, i) => {
    const line = v.ok ? v.text : v.raw;
    const processor: Side = v.ok ? { kind: 'doc', doc: v.doc } : { kind: 'failed', reason: v.reason };
    const sides = agent.get(i) ?? [{ kind: 'lost' }];
    const a = sides[0];
    if (sides.length > 1) return void out.differences.push({ line, processor, agent: { kind: 'failed', reason: `${sides.length} records for one line` } });
    if (a.kind === 'failed' && a.raw !== line) return void out.differences.push({ line, processor, agent: a });
    const ids = reconcile({ run, line, processor, agent: a });
    if (ids === undefined) return void out.differences.push({ line, processor, agent: a });
    if (a.kind === 'doc' && processor.kind === 'doc') out.documents++;
    if (a.kind === 'failed' && processor.kind === 'failed') out.backedUp++;
    else if (ids.length === 0) out.equal++;
    for (const id of ids) {
      out.tolerated[id] = (out.tolerated[id] ?? 0) + 1;
      tolerated.set(id, [...(tolerated.get(id) ?? []), { pair: run.pair.id, line }]);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

const comparisons = new Map<string, Comparison>();

beforeAll(async () => {
  [node, aws] = await Promise.all([startOpenSearch(), startAwsEmulator()]);
  await createBuckets(aws.s3, BACKUP);
  for (const r of await Promise.all(PAIRS.map(runPair))) {
    runs.set(r.pair.id, r);
    comparisons.set(r.pair.id, compare(r));
  }
});

afterAll(async () => {
  // the counts per pair (what was compared, how), for the record of a run
  console.info(JSON.stringify(Object.fromEntries([...comparisons].map(([id, c]) => [id, { ...c, differences: c.differences.length }]))));
  await node?.dispose();
  await aws?.stop();
});

describe('the agent (buffer none, real Fluent Bit) and the processor agree, line by line', () => {
  it.each(PAIRS.map((p) => [p.id]))('%s: every document equal, every failed line backed up, but for the documented differences', (id) => {
    const c = comparisons.get(id)!;
    expect(c.differences.slice(0, 10)).toEqual([]);
    // the run compared the whole file, most of it document by document
    expect(c.equal + c.backedUp + Object.values(c.tolerated).reduce((n, k) => n + k, 0)).toBeGreaterThanOrEqual(c.records);
    expect(c.documents).toBeGreaterThan(PAIRS.find((p) => p.id === id)!.corpus ? c.records / 2 : 0);
  });

  it('the edge lines have failures on both sides; a backup record is the raw line, its reason and where it was read', () => {
    for (const c of comparisons.values()) expect(c.backedUp).toBeGreaterThan(0);
    // no value a check left behind (date: the s3 output's record time, json_date_key; _key: the harness's object key)
    const keys = new Set([...runs.values()].flatMap((r) => r.backups.map((b) => b.keys.join(','))));
    expect([...keys]).toEqual(['_key,date,logtong,raw,reason']);
  });
});

describe('each documented difference still holds on Fluent Bit', () => {
  it('the rules of the comparison are the entries, no more', () => {
    expect([...tolerated.keys()].filter((id) => !ENTRY_IDS.has(id))).toEqual([]);
    expect(new Set(AGENT_PARSE_DIFFERENCES.map((d) => d.id)).size).toBe(AGENT_PARSE_DIFFERENCES.length);
  });
  it.each(AGENT_PARSE_DIFFERENCES.map((d) => [d.id, d.text]))('%s: %s', (id) => {
    // an entry no line needed any more no longer holds: rewrite or remove it
    expect((tolerated.get(id) ?? []).length).toBeGreaterThan(0);
  });
});

describe('syslog', () => {
  it('is refused for buffer none (AgentConfigError): the processor parses it with hand-written code', () => {
    // the config is refused when it is loaded; the generator refuses it too, whatever reaches it
    expect(() => pipelineOf('syslog', { type: 'syslog' })).toThrow(/the agent cannot run it: buffer none: syslog lines/);
    const schemaOnly = PipelineSchema.parse({ name: 'agree-syslog', source: { type: 'fluent-bit', platform: 'ec2', logPaths: ['/var/log/app/app.log'] }, logFormat: { type: 'syslog' }, engine: { type: 'opensearch', buffer: 'none', indexPrefix: 'agree-syslog', domain: { type: 'self-managed', url: 'http://opensearch.internal:9200' } } });
    expect(() => fluentBitConfigDocument(schemaOnly, { region: 'us-east-1', backupBucketName: BACKUP })).toThrow(AgentConfigError);
    expect(() => fluentBitConfigDocument(schemaOnly, { region: 'us-east-1', backupBucketName: BACKUP })).toThrow(/syslog lines are parsed by hand-written code/);
  });
});
