/**
 * The real logs in `test/fixtures/corpora/` (in the repository, with their provenance and licences in its README).
 * Missing corpora fail loudly: a test that silently had no data would prove nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const CORPORA = path.resolve(__dirname, 'fixtures', 'corpora');

export function corpusPath(name: string): string {
  const p = path.join(CORPORA, name);
  if (!existsSync(p)) throw new Error(`corpus ${p} is missing from the checkout (see test/fixtures/corpora/README.md)`);
  return p;
}

const read = new Map<string, string[]>();

/**
 * The first `n` lines of a corpus (all of them by default) as text: split at LF or CRLF, empty lines left out. A test
 * that needs the bytes as written (CRLF, the file's last line break) reads corpusPath itself.
 */
export function corpusLines(name: string, n = Infinity): string[] {
  if (!read.has(name)) read.set(name, readFileSync(corpusPath(name), 'utf8').split(/\r?\n/).filter((l) => l.length > 0));
  return read.get(name)!.slice(0, n);
}
