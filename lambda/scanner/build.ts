/**
 * Builds the scanner bundle exactly as lambda/scanner/Dockerfile does, for the tests and `logtong local` (there is no
 * Docker here): the esbuild arguments are read from the Dockerfile's RUN line, so the bundle run cannot drift from
 * the image's. `root` is the checkout: bundled as an ES module (the CLI) this file has no __dirname, and its caller
 * passes it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const defaultRoot = () => path.resolve(__dirname, '..', '..');
export const dockerfileOf = (root = defaultRoot()) => path.join(root, 'lambda', 'scanner', 'Dockerfile');

/** The arguments after `npx esbuild` in the Dockerfile, with the output file as given there. */
export function dockerfileEsbuildArgs(dockerfile = readFileSync(dockerfileOf(), 'utf8')): string[] {
  const lines = dockerfile.split('\n').filter((l) => /^RUN\s+npx\s+esbuild\s/.test(l));
  if (lines.length !== 1) throw new Error(`expected one "RUN npx esbuild" line in the Dockerfile, found ${lines.length}`);
  if (/["'\\$]/.test(lines[0])) throw new Error('the esbuild line must not use quotes, escapes or variables: it is split on spaces');
  return lines[0].trim().split(/\s+/).slice(3);
}

/** Runs the Dockerfile's esbuild command from the repository root, writing to `outfile`; returns its size in bytes. */
export function buildScanner(outfile: string, root = defaultRoot()): number {
  const args = dockerfileEsbuildArgs(readFileSync(dockerfileOf(root), 'utf8')).map((a) => (a.startsWith('--outfile=') ? `--outfile=${outfile}` : a));
  if (!args.some((a) => a.startsWith('--outfile='))) throw new Error('the Dockerfile esbuild command has no --outfile=');
  const esbuild = path.join(root, 'node_modules', '.bin', 'esbuild');
  execFileSync(esbuild, [...args, '--log-level=warning'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return statSync(outfile).size;
}
