/**
 * The EC2 agent with buffer none, on the real Fluent Bit 4.2.2: the configuration `logtong agent-config` prints for the
 * example pipeline `edge-direct` (nginx combined, `/healthz` excluded by a filter) tails a file and indexes into a real
 * OpenSearch node; lines it cannot parse go to the backup bucket on the S3 emulator. Each test ends with the zero-loss
 * count: every line written is indexed, filtered by the rule, or backed up with its raw text and reason, exactly once,
 * also across log rotation (rename and copytruncate), a restart, and the node stopped for 30 s; a restart while the agent
 * reads a backlog loses at most the line Fluent Bit 4.2.2 cuts (pinned below).
 *
 * Lines are corpus lines with a sequence number in the request URI (`?logtong-seq=N`), so that each document and each
 * backup record names the line it came from. Timing: QUICK_AGENT_TIMING (agent-path.ts); each test says when it
 * changes more.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pipeline } from '../../lib/config/schema';
import { compileFilters } from '../../lambda/core/filters';
import { compileParser } from '../../lambda/core/formats';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { waitUntil, type LocalTargets } from '../../lib/local/fluent-bit';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import { corpusLines } from '../corpora';
import {
  accountOnce,
  allDocuments,
  appendLines,
  backupRecords,
  bootstrapIndex,
  createBuckets,
  examplePipeline,
  seqOf,
  seqTag,
  startTailingAgent,
  tally,
  withSeqInRequest,
  type OnceAccount,
  type TailingAgent,
} from './harness/agent-path';

jest.setTimeout(300_000);

const PIPELINE = examplePipeline('edge-direct');
const ALIAS = 'edge-direct';
const BACKUP = 'backup';
const FAILED_PREFIX = `agent-failed/${PIPELINE.name}/`;

// Corpus lines without backslash escapes: the agent does not unescape them (AGENT_PARSE_DIFFERENCES), and this file
// checks where each line went, not value details (fluent-bit-agreement.test.ts does).
const CORPUS = corpusLines('apache_combined_elastic_examples.log').filter((l) => !l.includes('\\') && /"[A-Z]+ \S+ HTTP\/1\.[01]"/.test(l));

let node: OpenSearchNode;
let aws: AwsEmulator;
let seq = 0;

type Kind = 'indexed' | 'filtered' | 'failed';
interface Written {
  seq: number;
  kind: Kind;
  line: string;
  /** The file the agent read it from (as its path_key names it: a renamed file keeps its first name). */
  file?: string;
}

const processor = compileParser(PIPELINE.logFormat);
const keep = compileFilters(PIPELINE.logFormat.filters);

/**
 * `n` lines: every 25th a /healthz request (excluded by the pipeline's filter), every 97th not nginx at all. Where
 * each should end is what the processor says of it (its parser and filters), not what the test assumes.
 */
function makeLines(n: number, file: string): Written[] {
  const out: Written[] = [];
  for (let i = 0; i < n; i++) {
    const s = ++seq;
    const base = CORPUS[s % CORPUS.length];
    const line =
      s % 97 === 0
        ? `not an access log line ${seqTag(s)}`
        : s % 25 === 0
          ? base.replace(/"([A-Z]+) \S+ (HTTP\/1\.[01])"/, `"$1 /healthz?${seqTag(s)} $2"`)
          : withSeqInRequest(base, s);
    const parsed = processor.parse(line);
    out.push({ seq: s, line, file, kind: !parsed.ok ? 'failed' : keep(parsed.doc) ? 'indexed' : 'filtered' });
  }
  return out;
}

type Agent = TailingAgent;

const startAgent = (name: string, pipeline: Pipeline = PIPELINE, timing: LocalTargets['timing'] = {}): Promise<Agent> =>
  startTailingAgent(name, pipeline, { region: 'us-east-1', backupBucketName: BACKUP }, { opensearchUrl: node.url, s3Endpoint: aws.endpoint }, timing);

/** Where each written line ended: seq → occurrences in the index and in the backup bucket. */
async function destinations(written: Written[]): Promise<{ indexed: Map<number, number>; failed: Map<number, number>; failedRecords: Array<Record<string, any>> }> {
  const mine = new Set(written.map((w) => w.seq));
  const docs = (await allDocuments(node.url, ALIAS)).filter((d) => mine.has(seqOf(d._source.request_uri)));
  // The backup records of the files these lines were written to (a fragment of a line may have lost its number)
  const files = new Set(written.map((w) => w.file));
  const failedRecords = (await backupRecords(aws.s3, BACKUP, FAILED_PREFIX)).filter((r) => files.has(String(r.logtong?.file)));
  return { indexed: tally(docs.map((d) => seqOf(d._source.request_uri))), failed: tally(failedRecords.filter((r) => mine.has(seqOf(r.raw))).map((r) => seqOf(r.raw))), failedRecords };
}

interface Accounting extends OnceAccount<Written> {
  /** Backup records that are not a whole written line (a line cut by the agent). */
  fragments: Array<Record<string, any>>;
}

/** accountOnce (a /healthz line belongs in neither place: the filter drops it), and the fragments. */
async function account(written: Written[]): Promise<Accounting> {
  const d = await destinations(written);
  const place = (w: Written) => (w.kind === 'indexed' ? 'index' : w.kind === 'failed' ? 'backup' : 'neither');
  const lines = new Set(written.map((w) => w.line));
  return {
    ...accountOnce(written, place, (w) => ({ indexed: d.indexed.get(w.seq) ?? 0, backedUp: d.failed.get(w.seq) ?? 0 })),
    fragments: d.failedRecords.filter((r) => !lines.has(String(r.raw))),
  };
}

/**
 * Waits until every line has reached its destination (or, with `allowCut`, until the destinations stop changing),
 * stops the agent (it flushes what it holds on SIGTERM) and returns the accounting. The filter's own count is
 * checked when the agent ran once: its grep filter dropped exactly the /healthz lines.
 */
async function settle(agent: Agent, written: Written[], { timeoutMs = 120_000, oneRun = true, allowCut = false } = {}): Promise<Accounting> {
  const want = written.filter((w) => w.kind !== 'filtered').length;
  let last = -1;
  let stableSince = Date.now();
  let acc: Accounting | undefined;
  await waitUntil(
    async () => {
      acc = await account(written);
      const placed = want - acc.missing.length;
      if (placed !== last) {
        last = placed;
        stableSince = Date.now();
      }
      return placed >= want || (allowCut && Date.now() - stableSince > 15_000);
    },
    timeoutMs,
    () => `placed ${last} of ${want}: ${JSON.stringify({ ...acc, missing: acc?.missing.slice(0, 5) })}\n--- agent log (tail) ---\n${agent.fb.log().slice(-3000)}`,
  );
  const drops = Object.entries((await agent.fb.metrics()).filter)
    .filter(([k]) => k.startsWith('grep'))
    .reduce((n, [, v]) => n + (v.drop_records ?? 0), 0);
  if (oneRun) expect(drops).toBe(written.filter((w) => w.kind === 'filtered').length);
  await agent.fb.stop();
  const final = await account(written);
  const d = await destinations(written);
  for (const r of d.failedRecords) {
    expect(r.reason).toBe('does not match the log format at the agent');
    expect(r.logtong).toEqual({ host: expect.any(String), file: expect.stringContaining(agent.dir), offset: expect.any(Number) });
    expect(typeof r.raw).toBe('string');
  }
  return final;
}

/** Every line exactly once, in the place the processor's verdict says. */
async function expectZeroLoss(agent: Agent, written: Written[], opts: { timeoutMs?: number; oneRun?: boolean } = {}): Promise<void> {
  expect(written.some((w) => w.kind === 'filtered')).toBe(true);
  const acc = await settle(agent, written, opts);
  expect({ ...acc, missing: acc.missing.map((w) => w.seq) }).toEqual({ missing: [], twice: [], misplaced: [], fragments: [] });
}

beforeAll(async () => {
  [node, aws] = await Promise.all([startOpenSearch(), startAwsEmulator()]);
  await createBuckets(aws.s3, BACKUP);
  await bootstrapIndex(node.url, PIPELINE);
});

afterAll(async () => {
  await node?.dispose();
  await aws?.stop();
});

describe('EC2 agent, buffer none → OpenSearch (real Fluent Bit)', () => {
  it('indexes, filters and backs up every line of the file exactly once; documents carry where they were read', async () => {
    const agent = await startAgent('basic');
    const written = makeLines(3000, agent.file);
    appendLines(agent.file, written.map((w) => w.line));
    await expectZeroLoss(agent, written);

    const doc = (await allDocuments(node.url, ALIAS)).find((d) => seqOf(d._source.request_uri) === written.find((w) => w.kind === 'indexed')!.seq)!;
    expect(doc._source).toMatchObject({ '@timestamp': expect.stringMatching(/^2015-05-\d\dT\d\d:\d\d:\d\d\.000Z$/), status: expect.any(Number), logtong: { host: expect.any(String), file: agent.file, offset: expect.any(Number) } });
    // The id is derived from the record (generate_id), not random: a chunk sent twice cannot make a second document.
    expect(doc._id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  });

  it('log rotation by rename: lines written to the old file after the rename and to the new file, all exactly once', async () => {
    const agent = await startAgent('rename');
    const before = makeLines(1000, agent.file);
    appendLines(agent.file, before.map((w) => w.line));
    await waitUntil(async () => (await destinations(before)).indexed.size > 500, 60_000, () => agent.fb.log().slice(-3000));
    fs.renameSync(agent.file, `${agent.file}.1`);
    // The application still holds the old file until it reopens its log
    const late = makeLines(300, agent.file);
    appendLines(`${agent.file}.1`, late.map((w) => w.line));
    fs.writeFileSync(agent.file, '');
    const after = makeLines(1000, agent.file);
    appendLines(agent.file, after.map((w) => w.line));
    await expectZeroLoss(agent, [...before, ...late, ...after]);
  });

  it('log rotation by copytruncate: the lines after the truncation are read from the start, none twice', async () => {
    const agent = await startAgent('copytruncate');
    const before = makeLines(1000, agent.file);
    appendLines(agent.file, before.map((w) => w.line));
    const beforeIndexed = before.filter((w) => w.kind === 'indexed').length;
    await waitUntil(async () => (await destinations(before)).indexed.size === beforeIndexed, 60_000, () => agent.fb.log().slice(-3000));
    // logrotate's copytruncate: copy (not tailed: another name), then truncate in place; the application writes on.
    fs.copyFileSync(agent.file, `${agent.file}.1`);
    fs.truncateSync(agent.file, 0);
    await new Promise((r) => setTimeout(r, 1_500));
    const after = makeLines(500, agent.file);
    appendLines(agent.file, after.map((w) => w.line));
    // Fluent Bit notes the truncation at debug level only; the lines after it arriving is the proof.
    await expectZeroLoss(agent, [...before, ...after]);
  });

  it('an agent restarted after it caught up resumes from its offsets database: the lines written meanwhile, each once', async () => {
    const agent = await startAgent('restart');
    const before = makeLines(2000, agent.file);
    appendLines(agent.file, before.map((w) => w.line));
    await waitUntil(async () => (await account(before)).missing.length === 0, 60_000, () => agent.fb.log().slice(-3000));
    await agent.fb.stop();
    const meanwhile = makeLines(2000, agent.file);
    appendLines(agent.file, meanwhile.map((w) => w.line));
    await agent.fb.start();
    await expectZeroLoss(agent, [...before, ...meanwhile], { oneRun: false });
  });

  /**
   * Fluent Bit 4.2.2 (the version in the pinned aws-for-fluent-bit:3.2.1) saves in its offsets database the position
   * it has read to, not the end of the last whole line it has processed: a line its read buffer cut in two when it
   * stopped loses its beginning at the restart, and the rest arrives as a line of its own (fluent/fluent-bit#11265,
   * fixed upstream by #11691 after 4.2.2). Pinned here: at most one line per restart while the agent reads a backlog,
   * its rest in the backup bucket with a reason, nothing else lost, nothing twice. When this fails because nothing is
   * cut any more, the image has the fix: make this test strict (expectZeroLoss) and drop the README's note.
   */
  it.each([
    ['stopped (SIGTERM)', 'stop'],
    ['killed (SIGKILL)', 'kill'],
  ] as const)('an agent %s while it reads a backlog: at most the one line its read buffer cut (fluent/fluent-bit#11265), nothing twice', async (_, how) => {
    const agent = await startAgent(`backlog-${how}`);
    await agent.fb.stop();
    // Every line parses: the crash window of the failed-line emitter (README) is not what this test is about.
    const lines = makeLines(60_000, agent.file).filter((w) => w.kind === 'indexed');
    appendLines(agent.file, lines.map((w) => w.line));
    await agent.fb.start();
    await waitUntil(async () => ((await agent.fb.metrics()).input['tail.0']?.records ?? 0) > 0, 60_000, () => agent.fb.log().slice(-3000), 20);
    await agent.fb[how]();
    expect((await account(lines)).missing.length).toBeGreaterThan(0);
    await agent.fb.start();
    const acc = await settle(agent, lines, { oneRun: false, allowCut: true });
    expect(acc.twice).toEqual([]);
    // The cut line is missing, or backed up as its rest when that rest still holds its sequence number
    const cut = [...acc.missing, ...acc.misplaced];
    expect(cut.length).toBeLessThanOrEqual(1);
    expect(acc.fragments.length).toBe(cut.length);
    // Its rest is in the backup bucket: the loss is visible, with the reason
    for (const w of cut) expect(acc.fragments.some((f) => w.line.endsWith(String(f.raw)) && String(f.raw).length < w.line.length)).toBe(true);
  });

  it('the node stopped for 30 s while lines keep coming: retried from the filesystem buffer, each line once', async () => {
    const agent = await startAgent('outage');
    const first = makeLines(500, agent.file);
    appendLines(agent.file, first.map((w) => w.line));
    await waitUntil(async () => (await destinations(first)).indexed.size > 0, 60_000, () => agent.fb.log().slice(-3000));
    await node.stop();
    const during: Written[] = [];
    for (let i = 0; i < 6; i++) {
      const batch = makeLines(400, agent.file);
      appendLines(agent.file, batch.map((w) => w.line));
      during.push(...batch);
      await new Promise((r) => setTimeout(r, 5_000));
    }
    await node.start();
    await expectZeroLoss(agent, [...first, ...during], { timeoutMs: 180_000 });
    expect(agent.fb.log()).toMatch(/failed to flush chunk '[^']+', retry in \d+ seconds: .*output=opensearch\.0/);
  });
});

describe('a document the domain rejects (buffer none)', () => {
  const MARKER = 'Logtong-Secret-Agent/1.0';

  /** The same pipeline writing to an index where the user agent is a number: every document is refused. */
  function rejecting(name: string, traceErrors: boolean): Pipeline {
    const p = structuredClone(PIPELINE);
    if (p.engine.type !== 'opensearch' || p.source.type !== 'fluent-bit') throw new Error('unexpected example');
    p.engine.indexPrefix = name;
    p.source.traceErrors = traceErrors;
    return p;
  }

  async function refuse(name: string, traceErrors: boolean): Promise<Agent> {
    const p = rejecting(name, traceErrors);
    await fetch(`${node.url}/${name}-000001`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ aliases: { [name]: { is_write_index: true } }, settings: { number_of_replicas: 0 }, mappings: { properties: { http_user_agent: { type: 'integer' } } } }),
    });
    // Test-only: give up after one retry instead of fifteen
    const agent = await startAgent(name, p, { opensearch: { retry_limit: 1 } });
    appendLines(agent.file, [`10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 5 "-" "${MARKER}"`]);
    const rejectedDir = path.join(agent.dir, 'state', 'storage', 'rejected');
    await waitUntil(async () => fs.existsSync(rejectedDir) && fs.readdirSync(rejectedDir, { recursive: true }).some((f) => fs.statSync(path.join(rejectedDir, String(f))).isFile()), 90_000, () => agent.fb.log().slice(-3000));
    await agent.fb.stop();
    return agent;
  }

  it('is kept in the agent\'s rejected folder, and by default the agent log does not quote it', async () => {
    const agent = await refuse('edge-reject', false);
    const rejectedDir = path.join(agent.dir, 'state', 'storage', 'rejected');
    const chunks = fs.readdirSync(rejectedDir, { recursive: true }).map((f) => path.join(rejectedDir, String(f))).filter((f) => fs.statSync(f).isFile());
    expect(chunks.some((f) => fs.readFileSync(f).includes(MARKER))).toBe(true);
    expect(agent.fb.log()).not.toContain(MARKER);
  });

  it('with source.traceErrors the agent log shows OpenSearch\'s answer, which quotes the value', async () => {
    const agent = await refuse('edge-reject-traced', true);
    expect(agent.fb.log()).toContain(MARKER);
  });
});
