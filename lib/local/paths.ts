/**
 * Where the local components keep what outlives a run, and how they find the files of the packages they run.
 *
 * No path here is taken from the checkout: the same code runs from lib/ under jest or tsx (CommonJS) and bundled into
 * dist/cli (ES modules, no `__dirname`), from whatever directory the user is in.
 */
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The data/cache folder: `$LOGTONG_CACHE_DIR`, else `$XDG_CACHE_HOME/logtong`, else `~/.cache/logtong`. An empty
 * variable counts as unset, as `${VAR:-default}` reads it in .ci/setup-fluent-bit.sh, which builds Fluent Bit there.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOGTONG_CACHE_DIR) return path.resolve(env.LOGTONG_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'logtong');
  return path.join(os.homedir(), '.cache', 'logtong');
}

/**
 * The folder of an installed package, found the way Node looks for it (the node_modules folders from here up), even
 * when its `exports` hide package.json and deep paths (fauxqs exports only its entry, for `import`).
 */
export function packageDir(name: string): string {
  // Under CommonJS this module's own file; bundled as an ES module there is no __filename, and the script node was
  // started with (bin/logtong.js) sits inside the installed package, so its node_modules are ours.
  const from = typeof __filename === 'string' ? __filename : process.argv[1] ? realpathSync(process.argv[1]) : path.join(process.cwd(), 'index.js');
  const lookup = createRequire(from).resolve.paths(name) ?? [];
  for (const dir of lookup) {
    if (existsSync(path.join(dir, name, 'package.json'))) return path.join(dir, name);
  }
  throw new Error(`the package ${name} is not installed (looked in ${lookup[0] ?? path.dirname(from)} and above): run \`npm ci\``);
}
