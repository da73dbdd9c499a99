import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { cliEsbuildOptions } from '../../../lib/build/cli-bundle';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DIST = path.join(ROOT, 'dist', 'cli');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The package an import names (`@scope/name/x` → `@scope/name`), or undefined for a Node built-in. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('node:') || builtinModules.includes(spec)) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

describe('the built CLI (dist/cli)', () => {
  let meta: Metafile;
  let built: Map<string, string>;

  beforeAll(async () => {
    const r = await build({ ...cliEsbuildOptions(ROOT), write: false });
    meta = r.metafile!;
    built = new Map(r.outputFiles!.map((f) => [path.relative(ROOT, f.path), f.text]));
  });

  it('is what the sources build to now (run `npm run build` after changing lib/ or lambda/core)', () => {
    const committed = new Map(walk(DIST).map((f) => [path.relative(ROOT, f), readFileSync(f, 'utf8')]));
    expect([...committed.keys()].sort()).toEqual([...built.keys()].sort());
    for (const [file, text] of built) expect({ file, same: committed.get(file) === text }).toEqual({ file, same: true });
  });

  it('imports only dependencies at run time, never a devDependency', () => {
    const imported = new Set(
      Object.values(meta.outputs)
        .flatMap((o) => o.imports)
        .filter((i) => i.external)
        .map((i) => packageOf(i.path))
        .filter((p): p is string => p !== undefined),
    );
    expect(imported.size).toBeGreaterThan(3);
    for (const p of imported) expect({ p, dependency: p in pkg.dependencies }).toEqual({ p, dependency: true });
  });

  it('loads a command’s modules only when that command runs: the entry’s static imports hold no command, schema or parser', () => {
    const entry = path.relative(ROOT, path.join(DIST, 'logtong.mjs'));
    const reached = new Set<string>();
    const visit = (out: string) => {
      if (reached.has(out)) return;
      reached.add(out);
      for (const i of meta.outputs[out].imports) if (!i.external && i.kind === 'import-statement') visit(i.path);
    };
    visit(entry);
    const inputs = [...reached].flatMap((o) => Object.keys(meta.outputs[o].inputs));
    expect(inputs).toContain('lib/cli/main.ts');
    expect(inputs.filter((i) => /-command\.ts$|^lambda\/|^lib\/config\//.test(i))).toEqual([]);
    const packages = [...reached].flatMap((o) => meta.outputs[o].imports.filter((i) => i.external && i.kind === 'import-statement').map((i) => packageOf(i.path)));
    expect(packages.filter(Boolean)).toEqual(['leven']);
    // and every command is a chunk of its own, loaded by import()
    const dynamic = meta.outputs[entry].imports.filter((i) => i.kind === 'dynamic-import').map((i) => path.basename(i.path));
    expect(dynamic.map((d) => d.replace(/-[A-Z0-9]+\.mjs$/, ''))).toEqual(['parse-command', 'convert-command', 'local-command', 'agent-config-command']);
  });

  it('bin/logtong.js runs it with plain node (no TypeScript loader): version, help, and a parse of real lines', () => {
    const env = { ...process.env, NODE_OPTIONS: '' };
    const v = spawnSync(process.execPath, ['bin/logtong.js', '--version'], { cwd: ROOT, encoding: 'utf8', env });
    expect(v).toMatchObject({ status: 0, stdout: `logtong ${pkg.version}\n` });
    const input = '{"level":"info","n":1}\n{"level":"warn","n":2}\nnot json\n';
    const p = spawnSync(process.execPath, ['bin/logtong.js', 'parse', '--type', 'json', '--input', '-'], { cwd: ROOT, encoding: 'utf8', env, input });
    expect(p.status).toBe(0);
    expect(p.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { level: 'info', n: 1 },
      { level: 'warn', n: 2 },
    ]);
    expect(p.stderr.trim().split('\n').at(-1)).toBe('parsed=2 failed=1');
  });
});
