/**
 * lib/local as `logtong local` will run it: bundled to an ES module with the CLI's esbuild options (no __dirname, no
 * require, packages external) and run by plain node from another directory, beside a node_modules of its own. The
 * S3/SQS emulator loads fauxqs natively there (jest compiles it to CommonJS instead) and must still take bodies over
 * fauxqs's 11 MiB and list in byte order; the Kinesis emulator and the state machine interpreter find their packages.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { cliEsbuildOptions } from '../../lib/build/cli-bundle';

const ROOT = path.resolve(__dirname, '..', '..');

const ENTRY = `
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startAwsEmulator } from './lib/local/aws-emulator';
import { startKinesis } from './lib/local/kinesis';
import { runStateMachine } from './lib/local/local-sfn';
import { cacheDir } from './lib/local/paths';

const out: Record<string, unknown> = { cacheDir: cacheDir() };
const aws = await startAwsEmulator();
try {
  await aws.s3.send(new CreateBucketCommand({ Bucket: 'b' }));
  await aws.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'big', Body: Buffer.alloc(12 * 1024 * 1024) }));
  for (const Key of ['a', 'B', '_']) await aws.s3.send(new PutObjectCommand({ Bucket: 'b', Key, Body: 'x' }));
  out.keys = (await aws.s3.send(new ListObjectsV2Command({ Bucket: 'b' }))).Contents!.map((o) => o.Key);
} finally {
  await aws.stop();
}
const kinesis = await startKinesis();
try {
  out.stream = await kinesis.createStream('s', 1);
} finally {
  await kinesis.stop();
}
const definition = { StartAt: 'Double', States: { Double: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Fn', End: true } } };
out.output = (await runStateMachine(definition, { n: 21 }, { Fn: async (e: { n: number }) => ({ n: e.n * 2 }) })).output;
console.log(JSON.stringify(out));
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'logtong-local-esm-'));
  mkdirSync(path.join(dir, 'app'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'app', 'node_modules'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs bundled to an ES module, from another directory', () => {
  const outfile = path.join(dir, 'app', 'local.mjs');
  const cli = cliEsbuildOptions(ROOT);
  buildSync({
    ...cli,
    entryPoints: undefined,
    outdir: undefined,
    outExtension: undefined,
    splitting: false,
    metafile: false,
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'local-entry.ts' },
    outfile,
  });
  const bundle = readFileSync(outfile, 'utf8');
  expect(bundle).not.toMatch(/\b__dirname\b/);
  expect(bundle).not.toMatch(/\brequire\(/);

  const cache = path.join(dir, 'cache');
  const r = spawnSync(process.execPath, [outfile], { cwd: os.tmpdir(), encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOGTONG_CACHE_DIR: cache, NODE_OPTIONS: '' } });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({
    cacheDir: cache,
    keys: ['B', '_', 'a', 'big'],
    stream: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
    output: { n: 42 },
  });
});
