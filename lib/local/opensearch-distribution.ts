/**
 * The OpenSearch distribution the local node runs: the integ-test-zip of Maven Central (plain HTTP, no security
 * plugin, no bundled JDK), extracted once into the cache folder and shared read-only by every node.
 *
 * The zip is taken from, in order: $LOGTONG_OPENSEARCH_ZIP; the local Maven repository ($MAVEN_REPO_LOCAL, else
 * ~/.m2/repository), where .ci/setup-opensearch.sh puts it; the cache folder, where an earlier run downloaded it;
 * else it is downloaded there from Maven Central and verified against the published checksum.
 *
 * The integ-test-zip ships only the transport-netty4 module and no plugins: plain HTTP without security, but also no
 * painless, ingest-common, reindex, mapper-extras, analysis-common or ISM.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadVerified, type DownloadProgress } from './download';
import { cacheDir } from './paths';
import { isRoot, requireUnzip, runUser, runUserPasses } from './prerequisites';

export const OPENSEARCH_VERSION = '2.19.6';
export const MAVEN_CENTRAL = 'https://repo1.maven.org/maven2';

/** The artifact's path in a Maven repository (local or remote). */
export const integTestZipPath = (version: string): string => `org/opensearch/distribution/integ-test-zip/opensearch/${version}/opensearch-${version}.zip`;

export interface DistributionOptions {
  /** Default: cacheDir() ($LOGTONG_CACHE_DIR, $XDG_CACHE_HOME/logtong or ~/.cache/logtong). */
  cacheDir?: string;
  /** Where to download from when no zip is on this machine. Default: Maven Central. */
  mavenRepository?: string;
  /** Called while the zip downloads (only then). */
  onDownloadProgress?: DownloadProgress;
  /** Default OPENSEARCH_VERSION, the one the node's settings and the tests are written for. */
  version?: string;
}

const isExtracted = (dir: string): boolean => fs.existsSync(path.join(dir, 'bin', 'opensearch'));

/** The zip on this machine, downloading it into the cache folder when there is none. */
export async function opensearchZip(opts: DistributionOptions = {}): Promise<string> {
  const version = opts.version ?? OPENSEARCH_VERSION;
  const given = process.env.LOGTONG_OPENSEARCH_ZIP;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`LOGTONG_OPENSEARCH_ZIP=${given}: no such file`);
    return given;
  }
  const m2 = process.env.MAVEN_REPO_LOCAL || path.join(os.homedir(), '.m2', 'repository');
  const local = path.join(m2, integTestZipPath(version));
  if (fs.existsSync(local)) return local;
  const cached = path.join(opts.cacheDir ?? cacheDir(), `opensearch-${version}.zip`);
  if (fs.existsSync(cached)) return cached;
  const url = `${(opts.mavenRepository ?? MAVEN_CENTRAL).replace(/\/+$/, '')}/${integTestZipPath(version)}`;
  await downloadVerified(url, cached, { onProgress: opts.onDownloadProgress });
  return cached;
}

/** Extracts the zip into `<parent>/opensearch-<version>` atomically (temp dir + rename). Returns that dir. */
function extractInto(parent: string, zip: string, version: string): string {
  const target = path.join(parent, `opensearch-${version}`);
  if (isExtracted(target)) return target;
  requireUnzip();
  fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
  const tmp = fs.mkdtempSync(path.join(parent, `.opensearch-${version}.tmp-`));
  try {
    const unzip = spawnSync('unzip', ['-q', '-o', zip, '-d', tmp], { encoding: 'utf8' });
    if (unzip.error || unzip.status !== 0) throw new Error(`extracting ${zip} failed: ${unzip.error?.message ?? unzip.stderr.trim()}`);
    // World-readable so the unprivileged run user can use it; mkdtemp made tmp 0700.
    spawnSync('chmod', ['-R', 'a+rX', tmp]);
    try {
      fs.renameSync(path.join(tmp, `opensearch-${version}`), target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another process won the race: its copy is complete (rename is atomic).
      if (!(code === 'ENOTEMPTY' || code === 'EEXIST') || !isExtracted(target)) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

/**
 * Where the distribution must be extracted: the cache folder, unless we are root and the run user cannot get in
 * there (a cache under /root): then a world-readable folder in the temp dir.
 */
function extractionParent(cache: string): string {
  if (!isRoot()) return cache;
  fs.mkdirSync(cache, { recursive: true });
  return runUserPasses('-r', cache, '-a', '-x', cache) ? cache : path.join(os.tmpdir(), 'logtong-cache');
}

async function resolveHome(opts: DistributionOptions): Promise<string> {
  const version = opts.version ?? OPENSEARCH_VERSION;
  const parent = extractionParent(opts.cacheDir ?? cacheDir());
  const ready = path.join(parent, `opensearch-${version}`);
  if (isExtracted(ready)) return ready;
  const home = extractInto(parent, await opensearchZip(opts), version);
  if (isRoot() && !runUserPasses('-r', path.join(home, 'lib'), '-a', '-x', path.join(home, 'bin', 'opensearch'))) {
    throw new Error(`user '${runUser()}' cannot read ${home}`);
  }
  return home;
}

const homes = new Map<string, Promise<string>>();

/**
 * The extracted distribution (OPENSEARCH_HOME), downloading and extracting it on first use. Concurrent calls share
 * one download; a failed one is tried again by the next call.
 */
export function opensearchHome(opts: DistributionOptions = {}): Promise<string> {
  const key = JSON.stringify([opts.cacheDir ?? cacheDir(), opts.version ?? OPENSEARCH_VERSION]);
  let home = homes.get(key);
  if (!home) {
    home = resolveHome(opts);
    homes.set(key, home);
    home.catch(() => homes.delete(key));
  }
  return home;
}
