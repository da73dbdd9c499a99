import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * How the `logtong` CLI is built into dist/cli: ES modules with code splitting, so each command is a chunk of its
 * own that `import()` loads only when it runs (`logtong --help` loads a few kilobytes). Packages stay external:
 * they are the app's dependencies, installed beside it (a test checks none is a devDependency). Not minified, so
 * a stack trace of a bug reads like the source. The output is committed; test/unit/cli/build.test.ts rebuilds it
 * in memory and fails when it differs (`npm run build` rewrites it).
 */
export function cliEsbuildOptions(projectRoot: string): BuildOptions {
  return {
    entryPoints: { logtong: path.join(projectRoot, 'lib/cli/main.ts') },
    outdir: path.join(projectRoot, 'dist/cli'),
    outExtension: { '.js': '.mjs' },
    absWorkingDir: projectRoot,
    tsconfig: path.join(projectRoot, 'tsconfig.json'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    legalComments: 'none',
    metafile: true,
    logLevel: 'error',
  };
}
