/**
 * `logtong local`: one pipeline of a config run on this machine, through its real path. The pipeline is synthesized
 * as `cdk synth` would (with cdk.json's context), pointed at the local components (localize.ts), deployed on them
 * (local-stack.ts), fed the input files the way its source is fed when deployed, and then accounted for: every record
 * the input files hold (read with the processor's own splitter and parser) is indexed, filtered or backed up.
 *
 * Sources of type s3 have each file uploaded to the emulated source bucket under the pipeline's prefix, so the bucket
 * notification (or, in mode one-time, the scanner task), copy, staging, processor and backup run as deployed.
 * fluent-bit and syslog sources run the generated agent or receiver configuration on the real Fluent Bit, fed the
 * input files as the source is fed when deployed (agent-source.ts), with any buffer: S3 (then the path of an S3
 * source), Kinesis (the stream on the Kinesis emulator, its event source mapping driven as Lambda drives it), or none
 * (the agent indexes into the node and keeps what it cannot parse in the backup bucket). Either engine: the Light
 * Engine's batch state machine runs as synthesized after the copy. Sources in another account are refused: their
 * role chain is AWS's to run.
 */
import { CreateBucketCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import { App, AssetStaging } from 'aws-cdk-lib';
import { stop as stopEsbuild } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compileParser, recordBatches } from '../../lambda/core/formats';
import { Readable } from 'node:stream';
import { decodeBody, splitLines } from '../../lambda/core/lines';
import { buildScanner } from '../../lambda/scanner/build';
import { buildApp } from '../app';
import { projectRoot } from '../build/project-root';
import type { Config, Pipeline } from '../config/schema';
import { startAwsEmulator, type AwsEmulator } from './aws-emulator';
import { deployLocalStack, type LocalStack } from './local-stack';
import { athenaDdl, type GlueTableInput } from './athena-ddl';
import { startLocalAgent, type LocalAgent } from './agent-source';
import { FLUENT_BIT_VERSION } from './fluent-bit';
import { startKinesis, type KinesisEmulator } from './kinesis';
import { localPipeline } from './localize';
import { resolve } from './stack-resources';
import { removeNodeDir, startOpenSearch, type OpenSearchNode } from './opensearch';
import type { StackTemplate } from './template';

/** A pipeline `logtong local` cannot run yet: the user's to know, not a crash. */
export class LocalUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalUnsupportedError';
  }
}

export interface LocalRunOptions {
  readonly config: Config;
  readonly pipeline: string;
  readonly inputs: readonly string[];
  /**
   * This pipeline's folder: the synthesized stack (cdk.out/), the node's data (opensearch/: its indices outlive the
   * run), the backed-up records (backup/) and the Parquet (parquet/).
   */
  readonly workDir: string;
  /** Empty the folder first (the node's indices included). @default false */
  readonly fresh?: boolean;
  /** What it is doing, one line at a time (starting the node, synthesizing, …). @default silent */
  readonly onStatus?: (line: string) => void;
  /** The node's first-run download of its distribution. */
  readonly onDownloadProgress?: (bytes: number, total: number | undefined) => void;
  /**
   * Keep a fluent-bit or syslog source's agent running after the inputs are read (`--follow`): it goes on reading
   * what is appended to them (and, for syslog, what clients send). @default false: the agent is stopped (flushing
   * what it holds) once it has read the inputs
   */
  readonly follow?: boolean;
  /** syslog: the port of 127.0.0.1 the receiver listens on for clients (`--listen`). @default a free port */
  readonly listenPort?: number;
}

export interface LocalSummary {
  readonly pipeline: string;
  readonly engine: 'opensearch' | 'light';
  readonly files: number;
  /** Records in the input files, as the processor splits and assembles them. */
  readonly records: number;
  /** Documents indexed by this run (OpenSearch) or rows written to Parquet (Light Engine). */
  readonly written: number;
  /** Records whose document an earlier run already indexed (the same object and line: the same document id). */
  readonly duplicates: number;
  readonly filtered: number;
  readonly backedUp: number;
  /** Messages that kept failing (each names objects copied whole into the backup): their records are in no count above. */
  readonly deadLetters: number;
  /** Where the backed-up records were written on this machine (a copy of the backup bucket's objects). */
  readonly backupFolder: string;
  /** syslog: where the receiver listens for clients, on 127.0.0.1. */
  readonly listening?: LocalAgent['listening'];
  readonly opensearch?: {
    readonly url: string;
    /** The write alias. */
    readonly alias: string;
    /** Whether the local node has the ISM plugin (the integ-test distribution has none). */
    readonly ism: boolean;
  };
  readonly light?: {
    /** The table's Parquet files, in its Hive layout (`<table>/event_hour=…/region=…/`), copied out of the bucket. */
    readonly folder: string;
    readonly table: string;
    readonly parquetFiles: number;
    /** The Glue table as Athena DDL. */
    readonly ddl: string;
  };
}

export interface LocalRun {
  /** Where the input files' records went. */
  readonly summary: LocalSummary;
  /**
   * How far each input was read (its complete lines, with `follow`; else all of it): `--follow` goes on from there,
   * so that a line is counted and sent once.
   */
  readonly offsets: ReadonlyMap<string, number>;
  /**
   * More lines of an input file (`--follow`), complete lines only: an S3 source gets them as a new object under the
   * prefix; an agent or receiver as its source gives them (agent-source.ts). Then `settle`.
   */
  append(file: string, bytes: Buffer): Promise<void>;
  /** Runs the pipeline on what has arrived until its queues are empty (and the Light Engine batch after it). */
  settle(): Promise<void>;
  /** Running totals (cheap, for a progress line): records read so far and where they went. */
  live(): Promise<{ records: number; written: number; duplicates: number; filtered: number; backedUp: number }>;
  /**
   * The summary again, after appends (backup copied out again, counts taken again). An agent still running is
   * stopped first, so that what it holds is flushed and counted.
   */
  summarize(): Promise<LocalSummary>;
  /** Stops the functions, the node and the emulator. */
  stop(): Promise<void>;
}

function supported(p: Pipeline): void {
  const refuse = (what: string) => {
    throw new LocalUnsupportedError(`pipeline ${p.name}: logtong local does not run ${what} yet`);
  };
  if ('account' in p.source && p.source.account) refuse('a source in another account (it reaches the pipeline through a role assumed with AWS STS)');
}

/** The records of a file as the processor reads them: gzip or not, its lines split and multi-line events assembled. */
async function countRecords(body: AsyncIterable<Uint8Array>, p: Pipeline): Promise<number> {
  const parser = compileParser(p.logFormat);
  let n = 0;
  for await (const batch of recordBatches(parser, splitLines(decodeBody(body), { maxLineBytes: p.logFormat.maxLineBytes }))) n += batch.length;
  return n;
}

/** The synthesized stack of the local pipeline alone, with the app's context (feature flags) from cdk.json. */
function synthesize(config: Config, pipeline: Pipeline, outdir: string): { template: StackTemplate; directory: string } {
  const root = projectRoot();
  const context = (JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  rmSync(outdir, { recursive: true, force: true });
  // CDK remembers staged assets per process by hash; the folder they were staged in was just removed.
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  buildApp(app, { ...config, pipelines: [pipeline] });
  const assembly = app.synth();
  return { template: assembly.getStackByName(`Logtong-${pipeline.name}`).template as StackTemplate, directory: assembly.directory };
}

/** The key a file is uploaded under: in the pipeline's prefix, ending in its suffix (gzipped when that is `.gz`). */
function uploadOf(file: string, content: Buffer, p: { readonly prefix: string; readonly suffix: string }): { key: string; body: Buffer } {
  let body = content;
  let name = path.basename(file);
  if (!name.endsWith(p.suffix)) {
    const gzipped = body[0] === 0x1f && body[1] === 0x8b;
    if (p.suffix.endsWith('.gz') && !gzipped) body = gzipSync(body);
    name += p.suffix;
  }
  return { key: `${p.prefix}${name}`, body };
}

/** Copies the objects under `prefix` into `folder` (same relative keys; no folder: only reads them); returns how many. */
async function copyPrefix(aws: AwsEmulator, bucket: string, prefix: string, folder: string | undefined, each?: (key: string, bytes: Buffer) => void): Promise<number> {
  let n = 0;
  for await (const page of paginateListObjectsV2({ client: aws.s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const obj of page.Contents ?? []) {
      const bytes = Buffer.from(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: obj.Key! }))).Body!.transformToByteArray());
      if (folder) {
        const file = path.join(folder, obj.Key!);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, bytes);
      }
      each?.(obj.Key!, bytes);
      n++;
    }
  }
  return n;
}

const jsonLines = (gzipped: Buffer) => gunzipSync(gzipped).toString('utf8').split('\n').filter(Boolean).length;

/**
 * The backup bucket lives in the emulator's memory: its objects are copied out so they outlive the run, and the
 * records in them counted: the processor's (`<pipeline>/failed-records/`) and, with buffer none, the agent's
 * (`agent-failed/<pipeline>/`).
 */
async function copyBackup(aws: AwsEmulator, bucket: string, pipeline: string, folder: string | undefined): Promise<{ backedUp: number; deadLetters: number }> {
  let backedUp = 0;
  let deadLetters = 0;
  if (folder) rmSync(folder, { recursive: true, force: true });
  await copyPrefix(aws, bucket, `${pipeline}/`, folder, (key, bytes) => {
    if (key.includes('/failed-records/')) backedUp += jsonLines(bytes);
    else if (/\/dead-letters\/[^/]+\/[^/]+\.json$/.test(key)) deadLetters++;
  });
  await copyPrefix(aws, bucket, `agent-failed/${pipeline}/`, folder, (_key, bytes) => (backedUp += jsonLines(bytes)));
  return { backedUp, deadLetters };
}

/** The agent's read count, once it has stopped growing for `quietSeconds` (it has read every line given to it). */
async function untilReadSettles(agent: LocalAgent, quietSeconds = 3): Promise<number> {
  let read = -1;
  for (let stable = 0, i = 0; stable < quietSeconds && i < 300; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await agent.readRecords();
    stable = now === read && now > 0 ? stable + 1 : 0;
    read = now;
  }
  return read;
}

export async function runLocalPipeline(o: LocalRunOptions): Promise<LocalRun> {
  const configured = o.config.pipelines.find((p) => p.name === o.pipeline);
  if (!configured) throw new LocalUnsupportedError(`the config has no pipeline named ${o.pipeline} (it has ${o.config.pipelines.map((p) => p.name).join(', ')})`);
  supported(configured);
  const source = configured.source;
  const status = o.onStatus ?? (() => undefined);

  const light = configured.engine.type === 'light';
  status(light ? 'starting the S3/SQS emulator' : 'starting the OpenSearch node and the S3/SQS emulator');
  const buffer = configured.engine.type === 'light' ? 's3' : configured.engine.buffer;
  let node: OpenSearchNode | undefined;
  let aws: AwsEmulator | undefined;
  let kinesis: KinesisEmulator | undefined;
  let stack: LocalStack | undefined;
  let agent: LocalAgent | undefined;
  let agentRunning = false;
  /** buffer none: the agent's filters' drops, kept from its last metrics before it stopped. */
  let agentFiltered: number | undefined;
  const stopAgent = async () => {
    if (!agentRunning) return;
    agentRunning = false;
    try {
      if (buffer === 'none') agentFiltered = await agent!.filtered();
    } finally {
      await agent!.stop();
    }
  };
  const stop = async () => {
    await stopAgent().catch(() => agent?.stop());
    await stack?.stop();
    await Promise.all([node?.dispose(), aws?.stop(), kinesis?.stop()]);
  };
  try {
    const nodeDir = path.join(o.workDir, 'opensearch');
    if (o.fresh) {
      removeNodeDir(nodeDir);
      rmSync(o.workDir, { recursive: true, force: true });
    }
    const nodeOptions = { dir: nodeDir, ...(o.onDownloadProgress ? { onDownloadProgress: o.onDownloadProgress } : {}) };
    // Each started one is kept (and stopped below) even when another fails to start.
    const started = await Promise.allSettled([light ? undefined : startOpenSearch(nodeOptions), startAwsEmulator(), buffer === 'kinesis' && source.type !== 's3' ? startKinesis() : undefined]);
    const value = <T>(r: PromiseSettledResult<T>) => (r.status === 'fulfilled' ? r.value : undefined);
    [node, aws, kinesis] = [value(started[0]), value(started[1])!, value(started[2])];
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const pipeline = localPipeline(configured, node ? { opensearchUrl: node.url } : {});
    status(`synthesizing Logtong-${pipeline.name} into ${path.join(o.workDir, 'cdk.out')}`);
    const synthesized = synthesize(o.config, pipeline, path.join(o.workDir, 'cdk.out'));
    // Bundling started esbuild's service process (buildSync runs through it): nothing of a local run outlives it.
    await stopEsbuild();
    status('creating its buckets, queues and functions on the emulator');
    // The functions' own counts (Powertools EMF on stdout): what filters dropped, the rows convert wrote.
    const tally = new Map<string, number>();
    stack = await deployLocalStack({
      template: synthesized.template,
      assembly: synthesized.directory,
      prefix: pipeline.name,
      aws,
      ...(kinesis ? { kinesis } : {}),
      onLog: (_fn, line) => {
        if (!line.includes('"_aws"')) return;
        const doc = JSON.parse(line) as Record<string, unknown>;
        for (const name of ['Filtered', 'Written', 'Duplicates', 'Indexed', 'BackedUp']) if (typeof doc[name] === 'number') tally.set(name, (tally.get(name) ?? 0) + (doc[name] as number));
      },
      // Node 20 is what Logtong supports; the SDK's notice about its own future support is not the user's business here.
      extraEnvironment: { POWERTOOLS_LOG_LEVEL: 'WARN', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });

    // The node keeps its indices between runs: this run's documents are the count's growth.
    const alias = pipeline.engine.type === 'opensearch' ? pipeline.engine.indexPrefix : '';
    const countNow = async () => {
      await fetch(`${node!.url}/${alias}/_refresh`, { method: 'POST' });
      return ((await (await fetch(`${node!.url}/${alias}/_count`)).json()) as { count?: number }).count ?? 0;
    };
    const before = light ? 0 : await countNow();
    // Each input is read once: what is counted is what is uploaded or fed, and --follow goes on from there. Following,
    // a last line without its line break waits for it.
    const contents = new Map<string, Buffer>();
    for (const file of o.inputs) {
      const bytes = readFileSync(file);
      contents.set(file, o.follow ? bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1) : bytes);
    }
    const offsets = new Map([...contents].map(([f, b]) => [f, b.length]));
    let records = 0;
    const files = o.inputs.length;
    for (const bytes of contents.values()) records += await countRecords(Readable.from([bytes]), pipeline);
    if (source.type === 's3') {
      // Ongoing: the stack's notification is on the source bucket (made with it); one-time: the logs are there first.
      if (source.mode === 'one-time') await aws.s3.send(new CreateBucketCommand({ Bucket: source.bucketName }));
      for (const [file, content] of contents) {
        const { key, body } = uploadOf(file, content, source);
        status(`uploading ${file} to s3://${source.bucketName}/${key}`);
        await aws.s3.send(new PutObjectCommand({ Bucket: source.bucketName, Key: key, Body: body }));
      }
      if (source.mode === 'one-time') {
        // What the stack starts once when deployed: the scanner task, from the bundle its image holds.
        status('running the one-time scanner (the bundle of its image, with its task definition\'s environment)');
        const bundle = path.join(o.workDir, 'scanner', 'main.js');
        mkdirSync(path.dirname(bundle), { recursive: true });
        buildScanner(bundle, projectRoot());
        await stack.runTask('ScannerTask', bundle);
      }
    } else {
      const what = source.type === 'syslog' ? 'receiver' : 'agent';
      status(`running the ${what} (Fluent Bit ${FLUENT_BIT_VERSION}, its generated configuration) on the inputs`);
      const agentDir = path.join(o.workDir, what);
      rmSync(agentDir, { recursive: true, force: true });
      agentRunning = true;
      agent = await startLocalAgent({ pipeline, stack, aws, inputs: o.inputs, dir: agentDir, ...(node ? { opensearchUrl: node.url } : {}), ...(kinesis ? { kinesis } : {}), ...(o.listenPort ? { listenPort: o.listenPort } : {}) });
      if (agent.listening) status(`the receiver listens on 127.0.0.1:${agent.listening.port} (${agent.listening.protocols}, ${agent.listening.framing})`);
      for (const [file, content] of contents) await agent.feed(file, content);
      // Until it has read every line (its count stops growing); without --follow, SIGTERM then: it flushes what it holds.
      if (records > 0) await untilReadSettles(agent);
      if (!o.follow) await stopAgent();
    }
    const settle = async () => {
      const handled = await stack!.drain();
      if (!light || Object.values(handled).every((h) => h.received === 0)) return;
      // What the schedule starts every few minutes when deployed: one batch over what is staged.
      const run = await stack!.runStateMachine('LightEngineStateMachine', { trigger: 'schedule' });
      if (run.published.length > 0) throw new Error(`the Light Engine batch failed: ${run.published.map((p) => p.Message).join('; ')}`);
      await stack!.drain();
    };

    // Buffer none: the agent indexes; its filters drop; a rerun's lines come with the ids of their first run (the
    // id is made of the record and its file and offset), which OpenSearch refuses as existing.
    const direct = !light && source.type !== 's3' && buffer === 'none';
    const documentsOfInputs = async () => {
      const query = { query: { terms: { 'logtong.file': [...agent!.tailed] } } };
      const res = await fetch(`${node!.url}/${alias}/_count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(query) });
      return ((await res.json()) as { count?: number }).count ?? 0;
    };
    // syslog: what clients sent to the listener counts as records too (the receiver's own count of frames).
    const allRecords = async () => (agentRunning && agent?.listening ? Math.max(records, await agent.readRecords()) : records);
    const counts = async () => {
      if (light) return { written: tally.get('Written') ?? 0, duplicates: 0, filtered: tally.get('Filtered') ?? 0 };
      const written = (await countNow()) - before;
      if (direct) return { written, duplicates: Math.max(0, (await documentsOfInputs()) - written), filtered: agentFiltered ?? (await agent!.filtered()) };
      return { written, duplicates: tally.get('Duplicates') ?? 0, filtered: tally.get('Filtered') ?? 0 };
    };

    status(light ? 'running the pipeline, then the Light Engine batch (its state machine as synthesized)' : 'running the pipeline');
    await settle();
    if (agentRunning) {
      // The agent goes on: wait until what it has read has arrived (its buffer uploads on a timer), or stops coming.
      let last = '';
      for (let quiet = 0; quiet < 10; ) {
        const l = await live();
        if (l.records === l.written + l.duplicates + l.filtered + l.backedUp) break;
        const now = JSON.stringify(l);
        quiet = now === last ? quiet + 1 : 0;
        last = now;
        await new Promise((r) => setTimeout(r, 1000));
        await settle();
      }
    }

    async function live() {
      if (direct) {
        // The node's count and the agent's: what it indexed, and what it could not parse (counted, not copied).
        const backedUp = (await copyBackup(aws!, stack!.bucketName('BackupBucket'), pipeline.name, undefined)).backedUp;
        return { records: await allRecords(), backedUp, ...(await counts()) };
      }
      return { records: await allRecords(), filtered: tally.get('Filtered') ?? 0, backedUp: tally.get('BackedUp') ?? 0, written: tally.get(light ? 'Written' : 'Indexed') ?? 0, duplicates: tally.get('Duplicates') ?? 0 };
    }

    // `finish`: an agent still running is stopped first (it flushes what it holds), then what it sent is run through.
    const summarize = async (finish: boolean): Promise<LocalSummary> => {
      const listened = agentRunning && agent?.listening !== undefined;
      if (finish && agentRunning) {
        records = await allRecords();
        await stopAgent();
        await settle();
      }
      const backupFolder = path.join(o.workDir, 'backup');
      const { backedUp, deadLetters } = await copyBackup(aws!, stack!.bucketName('BackupBucket'), pipeline.name, backupFolder);
      const found = await counts();
      // A receiver's frames are counted by the receiver; frames a client sent between that count and its stop are in
      // the destinations but not in it. More found than counted can only be those (a loss shows as less).
      const arrived = found.written + found.duplicates + found.filtered + backedUp;
      if (finish && listened && arrived > records) records = arrived;
      const common = { pipeline: pipeline.name, files, records: finish ? records : await allRecords(), backedUp, deadLetters, backupFolder, ...(listening ? { listening } : {}), ...found };
      if (light) {
        const table = stack!.resources.tables[0];
        const names = stack!.names;
        const tableInput = resolve(table.tableInput, names, table.id) as GlueTableInput;
        const folder = path.join(o.workDir, 'parquet');
        rmSync(folder, { recursive: true, force: true });
        const parquetFiles = await copyPrefix(aws!, stack!.bucketName('CentralBucket'), `${tableInput.Name}/`, folder);
        return { ...common, engine: 'light', light: { folder, table: tableInput.Name, parquetFiles, ddl: athenaDdl(String(resolve(table.databaseName, names, table.id)), tableInput) } };
      }
      const plugins = (await (await fetch(`${node!.url}/_cat/plugins?format=json`)).json()) as Array<{ component: string }>;
      return { ...common, engine: 'opensearch', opensearch: { url: node!.url, alias, ism: plugins.some((p) => p.component === 'opensearch-index-management') } };
    };
    const listening = agent?.listening;
    let seq = 0;
    return {
      summary: await summarize(false),
      offsets,
      async append(file, bytes) {
        records += await countRecords(Readable.from([bytes]), pipeline);
        if (source.type === 's3') {
          // A new object per appended chunk, as an agent or a log shipper would write it.
          const { key, body } = uploadOf(`${path.basename(file)}.${Date.now()}-${++seq}`, bytes, source);
          await aws!.s3.send(new PutObjectCommand({ Bucket: source.bucketName, Key: key, Body: body }));
        } else await agent!.feed(file, bytes);
        await settle();
      },
      settle,
      live,
      summarize: () => summarize(true),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
