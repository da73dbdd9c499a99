import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDir, packageDir } from '../../../lib/local/paths';

describe('cacheDir: the data/cache folder of the local components', () => {
  const home = path.join(os.homedir(), '.cache', 'logtong');

  it('is $LOGTONG_CACHE_DIR when set, whatever XDG_CACHE_HOME says', () => {
    expect(cacheDir({ LOGTONG_CACHE_DIR: '/srv/logtong-cache', XDG_CACHE_HOME: '/xdg' })).toBe('/srv/logtong-cache');
  });

  it('is made absolute from the working directory when given relative', () => {
    expect(cacheDir({ LOGTONG_CACHE_DIR: 'cache' })).toBe(path.resolve('cache'));
  });

  it('is $XDG_CACHE_HOME/logtong without LOGTONG_CACHE_DIR', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/logtong');
  });

  it('is ~/.cache/logtong without either', () => {
    expect(cacheDir({})).toBe(home);
  });

  it('takes an empty variable for unset, as ${VAR:-default} does in .ci/setup-fluent-bit.sh', () => {
    expect(cacheDir({ LOGTONG_CACHE_DIR: '', XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/logtong');
    expect(cacheDir({ LOGTONG_CACHE_DIR: '', XDG_CACHE_HOME: '' })).toBe(home);
  });
});

describe('packageDir', () => {
  it('finds a package whose exports hide package.json (fauxqs exports only its entry, for import)', () => {
    const dir = packageDir('fauxqs');
    expect(existsSync(path.join(dir, 'dist', 'app.js'))).toBe(true);
    expect(() => require.resolve('fauxqs/package.json')).toThrow();
  });

  it('says to run npm ci for a package that is not installed', () => {
    expect(() => packageDir('logtong-no-such-package')).toThrow(/the package logtong-no-such-package is not installed .*: run `npm ci`/);
  });
});
