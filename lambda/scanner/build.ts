/**
 * Builds the scanner bundle exactly as lambda/scanner/Dockerfile does, for the tests (there is no Docker here): the
 * esbuild arguments are read from the Dockerfile's RUN line, so the tested bundle cannot drift from the image's.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DOCKERFILE = path.join(__dirname, 'Dockerfile');

/** The arguments after `npx esbuild` in the Dockerfile, with the output file as given there. */
export function dockerfileEsbuildArgs(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string[] {
  const lines = dockerfile.split('\n').filter((l) => /^RUN\s+npx\s+esbuild\s/.test(l));
  if (lines.length !== 1) throw new Error(`expected one "RUN npx esbuild" line in the Dockerfile, found ${lines.length}`);
  if (/["'\\$]/.test(lines[0])) throw new Error('the esbuild line must not use quotes, escapes or variables: it is split on spaces');
  return lines[0].trim().split(/\s+/).slice(3);
}

/** Runs the Dockerfile's esbuild command from the repository root, writing to `outfile`; returns its size in bytes. */
export function buildScanner(outfile: string): number {
  const args = dockerfileEsbuildArgs().map((a) => (a.startsWith('--outfile=') ? `--outfile=${outfile}` : a));
  if (!args.some((a) => a.startsWith('--outfile='))) throw new Error('the Dockerfile esbuild command has no --outfile=');
  const esbuild = path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');
  execFileSync(esbuild, [...args, '--log-level=warning'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return statSync(outfile).size;
}
