/** `npm run build`: writes the CLI to dist/cli (lib/build/cli-bundle.ts), replacing what was there. */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { cliEsbuildOptions } from '../lib/build/cli-bundle';

const root = path.resolve(__dirname, '..');
rmSync(path.join(root, 'dist/cli'), { recursive: true, force: true });
const r = buildSync({ ...cliEsbuildOptions(root), metafile: false });
if (r.errors.length > 0) process.exit(1);
