/**
 * `npm run bench`: bench/run.ts bundled the way LogtongFunction bundles a handler (lambdaEsbuildOptions), then run
 * by node with the Lambda's NODE_OPTIONS, so the figures are those of the code as deployed. The same modules under
 * tsx (`npx tsx bench/run.ts`, same flags) ran 7 – 15% slower in the processor core and up to a third slower in the
 * Parquet writer (measured, not explained: tsx compiles each module on its own, with export getters between them).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { lambdaEsbuildOptions } from '../lib/build/lambda-esbuild';

const root = path.resolve(__dirname, '..');
// Beside run.ts, so the bundle's __dirname-relative paths (../test/fixtures/corpora) hold; git ignores *.js.
const outfile = path.join(__dirname, 'run.bundle.js');
buildSync(
  lambdaEsbuildOptions({
    entry: path.join(__dirname, 'run.ts'),
    outfile,
    projectRoot: root,
    // Light Engine candidates that are not deployed (parquet-wasm loads its .wasm from beside its own module).
    extraExternal: ['parquet-wasm', 'parquetjs-lite', 'apache-arrow'],
  }),
);
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, LOGTONG_BENCH_BUNDLE: `${path.relative(process.cwd(), outfile)}, built with the Lambda's esbuild options` },
});
process.exit(r.status ?? 1);
