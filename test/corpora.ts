/**
 * The real logs in `../shared/corpora/` (beside the checkout, also in CI). Missing corpora fail loudly: a test that
 * silently had no data would prove nothing.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const CORPORA = path.resolve(__dirname, '..', '..', 'shared', 'corpora');

export function corpusPath(name: string): string {
  const p = path.join(CORPORA, name);
  if (!existsSync(p)) throw new Error(`corpus ${p} is missing: the repository must be checked out beside shared/`);
  return p;
}
