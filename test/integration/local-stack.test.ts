/**
 * A pipeline stack deployed on the local components (lib/local/local-stack.ts), as `logtong local` will run it: the
 * example `web-access` pipeline synthesized with its domain pointed at a real node, its buckets, queues and
 * notifications made on the S3/SQS emulator from the template, its functions run from the bundles synth wrote, each
 * in its own process with its synthesized environment. A gzipped log uploaded to the source bucket ends indexed or
 * backed up, line for line.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { templateName } from '../../lambda/core/opensearch/index-layout';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { deployLocalStack, type LocalStack } from '../../lib/local/local-stack';
import { localPipeline } from '../../lib/local/localize';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';
import type { StackTemplate } from '../../lib/local/template';
import { corpusPath } from '../corpora';
import { build, exampleConfig } from '../infra/synth';

jest.setTimeout(300_000);

const corpus = readFileSync(corpusPath('apache_combined_elastic_examples.log'));
const lines = corpus.toString('utf8').split('\n').filter(Boolean);

let node: OpenSearchNode;
let aws: AwsEmulator;
let stack: LocalStack;
const logs: string[] = [];

beforeAll(async () => {
  [node, aws] = await Promise.all([startOpenSearch(), startAwsEmulator()]);
  const config = exampleConfig();
  const pipeline = localPipeline(config.pipelines.find((p) => p.name === 'web-access')!, { opensearchUrl: node.url });
  const { app } = build({ ...config, pipelines: [pipeline] });
  const assembly = app.synth();
  stack = await deployLocalStack({
    template: assembly.getStackByName('Logtong-web-access').template as StackTemplate,
    assembly: assembly.directory,
    prefix: 'web-access',
    aws,
    onLog: (fn, l) => logs.push(`${fn} ${l}`),
  });
});

afterAll(async () => {
  await stack?.stop();
  await node?.dispose();
  await aws?.stop();
});

async function keys(bucket: string, prefix = ''): Promise<string[]> {
  const out = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

describe('a pipeline stack deployed on the local components', () => {
  it('created the index template and write alias through its custom resource', async () => {
    const alias = await (await fetch(`${node.url}/_alias/web-access`)).json();
    expect(Object.values(alias as Record<string, { aliases: Record<string, { is_write_index: boolean }> }>)[0].aliases['web-access'].is_write_index).toBe(true);
    expect((await fetch(`${node.url}/_index_template/${templateName('web-access')}`)).status).toBe(200);
  });

  it('indexes an object uploaded under the source prefix, backs up the line that does not parse, and every line is accounted for', async () => {
    await aws.s3.send(new PutObjectCommand({ Bucket: 'example-storefront-logs', Key: 'nginx/access/2015/05/17/access.log.gz', Body: gzipSync(corpus) }));
    // not under the prefix, or without the suffix: not the pipeline's
    await aws.s3.send(new PutObjectCommand({ Bucket: 'example-storefront-logs', Key: 'other/access.log.gz', Body: gzipSync(corpus) }));
    await aws.s3.send(new PutObjectCommand({ Bucket: 'example-storefront-logs', Key: 'nginx/access/notes.txt', Body: 'x' }));
    const handled = await stack.drain();
    expect(Object.values(handled).reduce((n, h) => n + h.failed, 0)).toBe(0);

    await fetch(`${node.url}/web-access/_refresh`, { method: 'POST' });
    const indexed = ((await (await fetch(`${node.url}/web-access/_count`)).json()) as { count: number }).count;
    const backup = stack.bucketName('BackupBucket');
    const failed = [];
    for (const key of await keys(backup, 'web-access/failed-records/')) {
      const body = await aws.s3.send(new GetObjectCommand({ Bucket: backup, Key: key }));
      failed.push(...gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    }
    expect(failed).toEqual([expect.objectContaining({ line: 8899, raw: lines[8898], reason: expect.stringMatching(/does not match the nginx format/) })]);
    expect(indexed).toBe(lines.length - 1);
    // the staged copy is where the deployed stack puts it
    expect(await keys(stack.bucketName('StagingBucket'), 'web-access/')).toEqual([expect.stringMatching(/nginx\/access\/2015\/05\/17\/access\.log\.gz$/)]);
    // the functions logged as Powertools does, one JSON object a line
    expect(logs.some((l) => /^ProcessorFunction\w* \{/.test(l))).toBe(true);
  });
});
