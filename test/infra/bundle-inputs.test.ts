/**
 * Dependencies point one way, lib → lambda/core: every handler is bundled as LogtongFunction bundles it, and the
 * scanner's entry (which its Dockerfile bundles with other output options, the same module graph), with esbuild's
 * metafile listing the inputs; none may come from lib/, aws-cdk-lib, constructs, yaml or cdk-nag (the CDK side and
 * the config loader), whatever an import chain drags along.
 */
import { buildSync } from 'esbuild';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { lambdaEsbuildOptions } from '../../lib/build/lambda-esbuild';
import { dockerfileEsbuildArgs } from '../../lambda/scanner/build';

const ROOT = path.resolve(__dirname, '..', '..');
const HANDLERS = path.join(ROOT, 'lambda', 'handlers');
const FORBIDDEN = [/^lib\//, /node_modules\/aws-cdk-lib\//, /node_modules\/constructs\//, /node_modules\/yaml\//, /node_modules\/cdk-nag\//];

function inputsOf(entry: string): string[] {
  const r = buildSync({ ...lambdaEsbuildOptions({ entry, outfile: path.join(ROOT, 'cdk.out', 'bundle-inputs.js'), projectRoot: ROOT }), write: false, metafile: true });
  return Object.keys(r.metafile!.inputs);
}

const handlers = readdirSync(HANDLERS).filter((f) => f.endsWith('.ts'));

describe('what the deployed code is built from', () => {
  it('finds the handlers and the scanner', () => {
    expect(handlers.length).toBeGreaterThanOrEqual(10);
    // The scanner image runs the same esbuild on this entry (lambda/scanner/Dockerfile).
    expect(dockerfileEsbuildArgs()[0]).toBe('lambda/scanner/main.ts');
  });

  it.each([...handlers.map((f) => path.join('lambda', 'handlers', f)), 'lambda/scanner/main.ts'])('%s takes nothing from lib/ or the CDK', (entry) => {
    const inputs = inputsOf(path.join(ROOT, entry));
    expect(inputs.length).toBeGreaterThan(1);
    expect(inputs.filter((i) => FORBIDDEN.some((f) => f.test(i)))).toEqual([]);
    // and it is built from the core, not from a copy elsewhere
    expect(inputs.some((i) => i.startsWith('lambda/core/') || i.startsWith('lambda/adapters/'))).toBe(true);
  });
});
