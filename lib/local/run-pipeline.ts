/**
 * `logtong local`: one pipeline of a config run on this machine, through its real path. The pipeline is synthesized
 * as `cdk synth` would (with cdk.json's context), pointed at the local components (localize.ts), deployed on them
 * (local-stack.ts), fed the input files the way its source is fed when deployed, and then accounted for: every record
 * the input files hold (read with the processor's own splitter and parser) is indexed, filtered or backed up.
 *
 * Runs today: sources of type s3 (each file uploaded to the emulated source bucket under the pipeline's prefix, so
 * the bucket notification — or, in mode one-time, the scanner task — then copy, staging, processor and backup run as
 * deployed), and fluent-bit sources with an S3 buffer (the generated agent configuration on the real Fluent Bit,
 * tailing the input files: agent-source.ts), into either engine (the Light Engine's batch state machine run as
 * synthesized after the copy). What it cannot run yet is refused with a message saying so.
 */
import { CreateBucketCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import { App, AssetStaging } from 'aws-cdk-lib';
import { stop as stopEsbuild } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
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
import { startLocalAgent } from './agent-source';
import { FLUENT_BIT_VERSION } from './fluent-bit';
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
   * More lines of an input file (`--follow`): uploaded as a new object under the prefix, then the pipeline runs until
   * its queues are empty (and the Light Engine batch after it). Complete lines only.
   */
  append(file: string, bytes: Buffer): Promise<void>;
  /** Running totals from the functions' own metrics (cheap, for a progress line): records read so far and where they went. */
  live(): { records: number; written: number; duplicates: number; filtered: number; backedUp: number };
  /** The summary again, after appends (backup copied out again, counts taken again). */
  summarize(): Promise<LocalSummary>;
  /** Stops the functions, the node and the emulator. */
  stop(): Promise<void>;
}

function supported(p: Pipeline): void {
  const refuse = (what: string) => {
    throw new LocalUnsupportedError(`pipeline ${p.name}: logtong local does not run ${what} yet`);
  };
  if (p.source.type === 'syslog') refuse('syslog sources');
  if ('account' in p.source && p.source.account) refuse('a source in another account');
  if (p.source.type === 'fluent-bit') {
    if (p.source.platform !== 'ec2') refuse(`agents on ${p.source.platform} (ec2 agents it does)`);
    if (p.engine.type === 'opensearch' && p.engine.buffer !== 's3') refuse(`agents with buffer ${p.engine.buffer} (buffer s3 it does)`);
  }
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

/** Copies the objects under `prefix` into `folder` (same relative keys); returns how many. */
async function copyPrefix(aws: AwsEmulator, bucket: string, prefix: string, folder: string, each?: (key: string, bytes: Buffer) => void): Promise<number> {
  rmSync(folder, { recursive: true, force: true });
  let n = 0;
  for await (const page of paginateListObjectsV2({ client: aws.s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const obj of page.Contents ?? []) {
      const bytes = Buffer.from(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: obj.Key! }))).Body!.transformToByteArray());
      const file = path.join(folder, obj.Key!);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, bytes);
      each?.(obj.Key!, bytes);
      n++;
    }
  }
  return n;
}

/**
 * The backup bucket lives in the emulator's memory: its objects are copied out so they outlive the run, and the
 * records in them counted.
 */
async function copyBackup(aws: AwsEmulator, bucket: string, pipeline: string, folder: string): Promise<{ backedUp: number; deadLetters: number; backupFolder: string }> {
  let backedUp = 0;
  let deadLetters = 0;
  await copyPrefix(aws, bucket, `${pipeline}/`, folder, (key, bytes) => {
    if (key.includes('/failed-records/')) backedUp += gunzipSync(bytes).toString('utf8').split('\n').filter(Boolean).length;
    else if (/\/dead-letters\/[^/]+\/[^/]+\.json$/.test(key)) deadLetters++;
  });
  return { backedUp, deadLetters, backupFolder: folder };
}

export async function runLocalPipeline(o: LocalRunOptions): Promise<LocalRun> {
  const configured = o.config.pipelines.find((p) => p.name === o.pipeline);
  if (!configured) throw new LocalUnsupportedError(`the config has no pipeline named ${o.pipeline} (it has ${o.config.pipelines.map((p) => p.name).join(', ')})`);
  supported(configured);
  const source = configured.source;
  const status = o.onStatus ?? (() => undefined);

  const light = configured.engine.type === 'light';
  status(light ? 'starting the S3/SQS emulator' : 'starting the OpenSearch node and the S3/SQS emulator');
  let node: OpenSearchNode | undefined;
  let aws: AwsEmulator | undefined;
  let stack: LocalStack | undefined;
  const stop = async () => {
    await stack?.stop();
    await Promise.all([node?.dispose(), aws?.stop()]);
  };
  try {
    const nodeDir = path.join(o.workDir, 'opensearch');
    if (o.fresh) {
      removeNodeDir(nodeDir);
      rmSync(o.workDir, { recursive: true, force: true });
    }
    const nodeOptions = { dir: nodeDir, ...(o.onDownloadProgress ? { onDownloadProgress: o.onDownloadProgress } : {}) };
    [node, aws] = await Promise.all([light ? undefined : startOpenSearch(nodeOptions), startAwsEmulator()]);
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
    let records = 0;
    let files = 0;
    if (source.type === 's3') {
      // Ongoing: the stack's notification is on the source bucket (made with it); one-time: the logs are there first.
      if (source.mode === 'one-time') await aws.s3.send(new CreateBucketCommand({ Bucket: source.bucketName }));
      for (const file of o.inputs) {
        records += await countRecords(createReadStream(file), pipeline);
        files++;
        const { key, body } = uploadOf(file, readFileSync(file), source);
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
      for (const file of o.inputs) {
        records += await countRecords(createReadStream(file), pipeline);
        files++;
      }
      status(`running the agent (Fluent Bit ${FLUENT_BIT_VERSION}, its generated configuration) on the inputs`);
      const agentDir = path.join(o.workDir, 'agent');
      rmSync(agentDir, { recursive: true, force: true });
      const agent = await startLocalAgent({ pipeline, stack, aws, inputs: o.inputs, dir: agentDir, ...(node ? { opensearchUrl: node.url } : {}) });
      // Until its tail has read every line (its count stops growing), then SIGTERM: it flushes the buffer to S3.
      let read = -1;
      for (let stable = 0, i = 0; stable < 3 && i < 300; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = await agent.readRecords();
        stable = now === read && now > 0 ? stable + 1 : 0;
        read = now;
      }
      await agent.stop();
    }
    const settle = async () => {
      await stack!.drain();
      if (!light) return;
      // What the schedule starts every few minutes when deployed: one batch over what is staged.
      const run = await stack!.runStateMachine('LightEngineStateMachine', { trigger: 'schedule' });
      if (run.published.length > 0) throw new Error(`the Light Engine batch failed: ${run.published.map((p) => p.Message).join('; ')}`);
      await stack!.drain();
    };
    status(light ? 'running the pipeline, then the Light Engine batch (its state machine as synthesized)' : 'running the pipeline');
    await settle();

    const summarize = async (): Promise<LocalSummary> => {
      const { backedUp, deadLetters, backupFolder } = await copyBackup(aws!, stack!.bucketName('BackupBucket'), pipeline.name, path.join(o.workDir, 'backup'));
      const common = { pipeline: pipeline.name, files, records, filtered: tally.get('Filtered') ?? 0, duplicates: tally.get('Duplicates') ?? 0, backedUp, deadLetters, backupFolder };
      if (light) {
        const table = stack!.resources.tables[0];
        const names = stack!.names;
        const tableInput = resolve(table.tableInput, names, table.id) as GlueTableInput;
        const folder = path.join(o.workDir, 'parquet');
        const parquetFiles = await copyPrefix(aws!, stack!.bucketName('CentralBucket'), `${tableInput.Name}/`, folder);
        return { ...common, engine: 'light', written: tally.get('Written') ?? 0, light: { folder, table: tableInput.Name, parquetFiles, ddl: athenaDdl(String(resolve(table.databaseName, names, table.id)), tableInput) } };
      }
      const written = (await countNow()) - before;
      const plugins = (await (await fetch(`${node!.url}/_cat/plugins?format=json`)).json()) as Array<{ component: string }>;
      return { ...common, engine: 'opensearch', written, opensearch: { url: node!.url, alias, ism: plugins.some((p) => p.component === 'opensearch-index-management') } };
    };
    let seq = 0;
    return {
      summary: await summarize(),
      async append(file, bytes) {
        if (source.type !== 's3') throw new LocalUnsupportedError(`--follow: pipeline ${pipeline.name}'s agent follows its files itself; logtong local does not run it that way yet`);
        records += await countRecords(Readable.from([bytes]), pipeline);
        // A new object per appended chunk, as an agent or a log shipper would write it.
        const { key, body } = uploadOf(`${path.basename(file)}.${Date.now()}-${++seq}`, bytes, source);
        await aws!.s3.send(new PutObjectCommand({ Bucket: source.bucketName, Key: key, Body: body }));
        await settle();
      },
      live: () => ({ records, filtered: tally.get('Filtered') ?? 0, backedUp: tally.get('BackedUp') ?? 0, written: tally.get(light ? 'Written' : 'Indexed') ?? 0, duplicates: tally.get('Duplicates') ?? 0 }),
      summarize,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
