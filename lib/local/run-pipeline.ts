/**
 * `logtong local`: one pipeline of a config run on this machine, through its real path. The pipeline is synthesized
 * as `cdk synth` would (with cdk.json's context), pointed at the local components (localize.ts), deployed on them
 * (local-stack.ts), fed the input files the way its source is fed when deployed, and then accounted for: every record
 * the input files hold (read with the processor's own splitter and parser) is indexed, filtered or backed up.
 *
 * Runs today: sources of type s3 (each file uploaded to the emulated source bucket under the pipeline's prefix, so
 * the bucket notification, copy, staging, processor and backup run as deployed) into the OpenSearch engine. The other
 * sources and the Light Engine are refused with a message saying so (issue 17 brings them next).
 */
import { GetObjectCommand, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { stop as stopEsbuild } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compileParser, recordBatches } from '../../lambda/core/formats';
import { decodeBody, splitLines } from '../../lambda/core/lines';
import { buildApp } from '../app';
import { projectRoot } from '../build/project-root';
import type { Config, Pipeline } from '../config/schema';
import { startAwsEmulator, type AwsEmulator } from './aws-emulator';
import { deployLocalStack, type LocalStack } from './local-stack';
import { localPipeline } from './localize';
import { startOpenSearch, type OpenSearchNode } from './opensearch';
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
  /** This pipeline's folder: the synthesized stack (cdk.out/) and the backed-up records (backup/). */
  readonly workDir: string;
  /** What it is doing, one line at a time (starting the node, synthesizing, …). @default silent */
  readonly onStatus?: (line: string) => void;
  /** The node's first-run download of its distribution. */
  readonly onDownloadProgress?: (bytes: number, total: number | undefined) => void;
}

export interface LocalSummary {
  readonly pipeline: string;
  readonly files: number;
  /** Records in the input files, as the processor splits and assembles them. */
  readonly records: number;
  readonly indexed: number;
  readonly filtered: number;
  readonly backedUp: number;
  /** Messages that kept failing (each names objects copied whole into the backup): their records are in no count above. */
  readonly deadLetters: number;
  /** Where the backed-up records were written on this machine (a copy of the backup bucket's objects). */
  readonly backupFolder: string;
  /** The write alias, on `opensearchUrl`. */
  readonly alias: string;
  readonly opensearchUrl: string;
  /** Whether the local node has the ISM plugin (the integ-test distribution has none). */
  readonly ism: boolean;
}

export interface LocalRun {
  readonly summary: LocalSummary;
  /** Stops the functions, the node and the emulator. */
  stop(): Promise<void>;
}

function supported(p: Pipeline): void {
  if (p.source.type !== 's3') throw new LocalUnsupportedError(`pipeline ${p.name}: logtong local runs pipelines with a source of type s3 for now, not ${p.source.type}`);
  if (p.source.mode !== 'ongoing') throw new LocalUnsupportedError(`pipeline ${p.name}: logtong local runs s3 sources in mode ongoing for now, not ${p.source.mode}`);
  if (p.source.account) throw new LocalUnsupportedError(`pipeline ${p.name}: a source in another account cannot run locally`);
  if (p.engine.type !== 'opensearch') throw new LocalUnsupportedError(`pipeline ${p.name}: logtong local runs the OpenSearch engine for now, not the Light Engine`);
}

/** The records of a file as the processor reads them: gzip or not, its lines split and multi-line events assembled. */
async function countRecords(file: string, p: Pipeline): Promise<number> {
  const parser = compileParser(p.logFormat);
  let n = 0;
  for await (const batch of recordBatches(parser, splitLines(decodeBody(createReadStream(file)), { maxLineBytes: p.logFormat.maxLineBytes }))) n += batch.length;
  return n;
}

/** The synthesized stack of the local pipeline alone, with the app's context (feature flags) from cdk.json. */
function synthesize(config: Config, pipeline: Pipeline, outdir: string): { template: StackTemplate; directory: string } {
  const root = projectRoot();
  const context = (JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  buildApp(app, { ...config, pipelines: [pipeline] });
  const assembly = app.synth();
  return { template: assembly.getStackByName(`Logtong-${pipeline.name}`).template as StackTemplate, directory: assembly.directory };
}

/** The key a file is uploaded under: in the pipeline's prefix, ending in its suffix (gzipped when that is `.gz`). */
function uploadOf(file: string, p: Extract<Pipeline['source'], { type: 's3' }>): { key: string; body: Buffer } {
  let body = readFileSync(file);
  let name = path.basename(file);
  if (!name.endsWith(p.suffix)) {
    const gzipped = body[0] === 0x1f && body[1] === 0x8b;
    if (p.suffix.endsWith('.gz') && !gzipped) body = gzipSync(body);
    name += p.suffix;
  }
  return { key: `${p.prefix}${name}`, body };
}

export async function runLocalPipeline(o: LocalRunOptions): Promise<LocalRun> {
  const configured = o.config.pipelines.find((p) => p.name === o.pipeline);
  if (!configured) throw new LocalUnsupportedError(`the config has no pipeline named ${o.pipeline} (it has ${o.config.pipelines.map((p) => p.name).join(', ')})`);
  supported(configured);
  const source = configured.source as Extract<Pipeline['source'], { type: 's3' }>;
  const status = o.onStatus ?? (() => undefined);

  status('starting the OpenSearch node and the S3/SQS emulator');
  let node: OpenSearchNode | undefined;
  let aws: AwsEmulator | undefined;
  let stack: LocalStack | undefined;
  const stop = async () => {
    await stack?.stop();
    await Promise.all([node?.dispose(), aws?.stop()]);
  };
  try {
    [node, aws] = await Promise.all([startOpenSearch(o.onDownloadProgress ? { onDownloadProgress: o.onDownloadProgress } : {}), startAwsEmulator()]);
    const pipeline = localPipeline(configured, { opensearchUrl: node.url });
    status(`synthesizing Logtong-${pipeline.name} into ${path.join(o.workDir, 'cdk.out')}`);
    const synthesized = synthesize(o.config, pipeline, path.join(o.workDir, 'cdk.out'));
    // Bundling started esbuild's service process (buildSync runs through it): nothing of a local run outlives it.
    await stopEsbuild();
    status('creating its buckets, queues and functions on the emulator');
    const filtered: number[] = [];
    stack = await deployLocalStack({
      template: synthesized.template,
      assembly: synthesized.directory,
      prefix: pipeline.name,
      aws,
      // The processors' own count of what their filters dropped (Powertools EMF on stdout).
      onLog: (_fn, line) => {
        if (!line.includes('"Filtered"')) return;
        const v = (JSON.parse(line) as { Filtered?: unknown }).Filtered;
        if (typeof v === 'number') filtered.push(v);
      },
      extraEnvironment: { POWERTOOLS_LOG_LEVEL: 'WARN' },
    });

    let records = 0;
    for (const file of o.inputs) {
      records += await countRecords(file, pipeline);
      const { key, body } = uploadOf(file, source);
      status(`uploading ${file} to s3://${source.bucketName}/${key}`);
      await aws.s3.send(new PutObjectCommand({ Bucket: source.bucketName, Key: key, Body: body }));
    }
    status('running the pipeline');
    await stack.drain();

    const alias = pipeline.engine.type === 'opensearch' ? pipeline.engine.indexPrefix : '';
    await fetch(`${node.url}/${alias}/_refresh`, { method: 'POST' });
    const count = (await (await fetch(`${node.url}/${alias}/_count`)).json()) as { count?: number };
    const plugins = (await (await fetch(`${node.url}/_cat/plugins?format=json`)).json()) as Array<{ component: string }>;

    // The backup bucket lives in the emulator's memory: its objects are copied out so they outlive the run.
    const backupBucket = stack.bucketName('BackupBucket');
    const backupFolder = path.join(o.workDir, 'backup');
    rmSync(backupFolder, { recursive: true, force: true });
    let backedUp = 0;
    let deadLetters = 0;
    for await (const page of paginateListObjectsV2({ client: aws.s3 }, { Bucket: backupBucket, Prefix: `${pipeline.name}/` })) {
      for (const obj of page.Contents ?? []) {
        const bytes = Buffer.from(await (await aws.s3.send(new GetObjectCommand({ Bucket: backupBucket, Key: obj.Key! }))).Body!.transformToByteArray());
        const file = path.join(backupFolder, obj.Key!);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, bytes);
        if (obj.Key!.includes('/failed-records/')) backedUp += gunzipSync(bytes).toString('utf8').split('\n').filter(Boolean).length;
        else if (/\/dead-letters\/[^/]+\/[^/]+\.json$/.test(obj.Key!)) deadLetters++;
      }
    }
    return {
      summary: {
        pipeline: pipeline.name,
        files: o.inputs.length,
        records,
        indexed: count.count ?? 0,
        filtered: filtered.reduce((a, b) => a + b, 0),
        backedUp,
        deadLetters,
        backupFolder,
        alias,
        opensearchUrl: node.url,
        ism: plugins.some((p) => p.component === 'opensearch-index-management'),
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
