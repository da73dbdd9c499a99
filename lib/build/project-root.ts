import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The folder holding Logtong's package.json, lambda/ and lib/: where synth finds the handler sources and the scanner's
 * Dockerfile. From this file under CommonJS (cdk synth through tsx, jest); bundled as an ES module (the CLI's
 * `logtong local`, dist/cli) there is no __dirname, and the script node was started with, bin/logtong.js, is in it.
 */
export function projectRoot(): string {
  const root = typeof __dirname === 'string' ? path.resolve(__dirname, '..', '..') : path.resolve(path.dirname(realpathSync(process.argv[1] ?? '.')), '..');
  if (!existsSync(path.join(root, 'lambda', 'handlers'))) throw new Error(`Logtong's sources are not at ${root} (lambda/handlers is missing): synth needs a checkout of Logtong`);
  return root;
}
