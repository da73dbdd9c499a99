import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * How every Logtong Lambda handler is bundled: minified CommonJS for Node.js 24 with source maps, the runtime's AWS
 * SDK external. Shared by LogtongFunction (what is deployed) and `npm run bench` (so the benchmark measures the code
 * as the Lambda runs it: a bundle runs ~10% faster than the same modules under tsx).
 */
export function lambdaEsbuildOptions(opts: {
  readonly entry: string;
  readonly outfile: string;
  /** Directory that the entry, tsconfig and node_modules are resolved from. */
  readonly projectRoot: string;
  /** Packages left to require() at run time besides the runtime's SDK. @default - none */
  readonly extraExternal?: string[];
}): BuildOptions {
  return {
    entryPoints: [opts.entry],
    outfile: opts.outfile,
    absWorkingDir: opts.projectRoot,
    tsconfig: path.join(opts.projectRoot, 'tsconfig.json'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // Both ship with the Node.js runtime; bundling @smithy/* next to an external @aws-sdk/* mixes versions.
    external: ['@aws-sdk/*', '@smithy/*', ...(opts.extraExternal ?? [])],
    logLevel: 'error',
  };
}
