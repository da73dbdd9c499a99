/**
 * Where the OpenSearch distribution comes from, on a stand-in Maven repository and a stand-in distribution:
 * test/fixtures/local/opensearch-0.0.0-test.zip holds opensearch-0.0.0-test/bin/opensearch (a script) and lib/, the
 * parts the extraction checks, made with `zip -X -r opensearch-0.0.0-test.zip opensearch-0.0.0-test`.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as distribution from '../../../lib/local/opensearch-distribution';
import { startMavenServer, type MavenServer } from './maven-server';

const VERSION = '0.0.0-test';
const ZIP = readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'local', `opensearch-${VERSION}.zip`));
const ARTIFACT = distribution.integTestZipPath(VERSION);

let server: MavenServer;
let dir: string;
let cache: string;
let m2: string;
const saved = { MAVEN_REPO_LOCAL: process.env.MAVEN_REPO_LOCAL, LOGTONG_OPENSEARCH_ZIP: process.env.LOGTONG_OPENSEARCH_ZIP };

beforeAll(async () => {
  server = await startMavenServer();
});
afterAll(async () => {
  await server.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
beforeEach(() => {
  server.clear();
  dir = mkdtempSync(path.join(os.tmpdir(), 'logtong-dist-'));
  // as root, the node's user must be able to get into the cache (else the distribution goes to the temp dir)
  chmodSync(dir, 0o755);
  cache = path.join(dir, 'cache');
  m2 = path.join(dir, 'm2');
  mkdirSync(m2);
  process.env.MAVEN_REPO_LOCAL = m2;
  delete process.env.LOGTONG_OPENSEARCH_ZIP;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The module as a new process loads it (it remembers the homes it resolved). */
function freshModule(): typeof distribution {
  let m: typeof distribution | undefined;
  jest.isolateModules(() => {
    m = require('../../../lib/local/opensearch-distribution');
  });
  return m!;
}

const expectExtracted = (home: string) => {
  expect(home).toBe(path.join(cache, `opensearch-${VERSION}`));
  accessSync(path.join(home, 'bin', 'opensearch'), constants.X_OK);
  expect(readdirSync(path.join(home, 'lib'))).toEqual(['README']);
};

describe('the OpenSearch distribution', () => {
  it('is the artifact Maven Central publishes at the integ-test-zip coordinates', () => {
    expect(distribution.MAVEN_CENTRAL).toBe('https://repo1.maven.org/maven2');
    expect(`${distribution.MAVEN_CENTRAL}/${distribution.integTestZipPath('2.19.6')}`).toBe(
      'https://repo1.maven.org/maven2/org/opensearch/distribution/integ-test-zip/opensearch/2.19.6/opensearch-2.19.6.zip',
    );
  });

  it('is downloaded into the cache folder the first time, verified, with progress, and extracted there', async () => {
    server.put(ARTIFACT, ZIP, { sha512: true, sha1: true });
    const progress: Array<[number, number | undefined]> = [];
    const home = await freshModule().opensearchHome({ cacheDir: cache, mavenRepository: server.url, version: VERSION, onDownloadProgress: (b, t) => progress.push([b, t]) });
    expectExtracted(home);
    expect(server.requests).toEqual([`${ARTIFACT}.sha512`, ARTIFACT]);
    expect(readFileSync(path.join(cache, `opensearch-${VERSION}.zip`)).equals(ZIP)).toBe(true);
    expect(progress.at(-1)).toEqual([ZIP.length, ZIP.length]);
  });

  it('is not downloaded again: the next run finds it extracted, even without the zip', async () => {
    server.put(ARTIFACT, ZIP, { sha1: true });
    await freshModule().opensearchHome({ cacheDir: cache, mavenRepository: server.url, version: VERSION });
    rmSync(path.join(cache, `opensearch-${VERSION}.zip`));
    server.clear();
    expectExtracted(await freshModule().opensearchHome({ cacheDir: cache, mavenRepository: server.url, version: VERSION }));
    expect(server.requests).toEqual([]);
  });

  it('comes from the local Maven repository when the zip is there (where .ci/setup-opensearch.sh puts it): no request', async () => {
    mkdirSync(path.dirname(path.join(m2, ARTIFACT)), { recursive: true });
    writeFileSync(path.join(m2, ARTIFACT), ZIP);
    expectExtracted(await freshModule().opensearchHome({ cacheDir: cache, mavenRepository: server.url, version: VERSION }));
    expect(server.requests).toEqual([]);
    expect(existsSync(path.join(cache, `opensearch-${VERSION}.zip`))).toBe(false);
  });

  it('is neither kept nor extracted when its checksum differs, and the next call tries again', async () => {
    server.put(ARTIFACT, ZIP, { sha1: '0123456789abcdef0123456789abcdef01234567' });
    const m = freshModule();
    const opts = { cacheDir: cache, mavenRepository: server.url, version: VERSION };
    await expect(m.opensearchHome(opts)).rejects.toThrow(/: the \d+ bytes received have sha1 [0-9a-f]{40}, not the published 0123456789abcdef0123456789abcdef01234567; nothing was kept/);
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
    server.put(ARTIFACT, ZIP, { sha1: true });
    expectExtracted(await m.opensearchHome(opts));
  });

  it('shares one download between concurrent calls', async () => {
    server.put(ARTIFACT, ZIP, { sha1: true });
    const m = freshModule();
    const opts = { cacheDir: cache, mavenRepository: server.url, version: VERSION };
    const [a, b] = await Promise.all([m.opensearchHome(opts), m.opensearchHome(opts)]);
    expect(a).toBe(b);
    expect(server.requests.filter((r) => r === ARTIFACT)).toHaveLength(1);
  });

  it('is not fetched when Java is missing: startOpenSearch first says what to install', async () => {
    const env = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME, OPENSEARCH_JAVA_HOME: process.env.OPENSEARCH_JAVA_HOME };
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    let opensearch: typeof import('../../../lib/local/opensearch') | undefined;
    jest.isolateModules(() => {
      opensearch = require('../../../lib/local/opensearch');
    });
    process.env.PATH = empty;
    delete process.env.JAVA_HOME;
    delete process.env.OPENSEARCH_JAVA_HOME;
    try {
      const started = opensearch!.startOpenSearch({ cacheDir: cache, mavenRepository: server.url });
      await expect(started).rejects.toBeInstanceOf(opensearch!.MissingPrerequisiteError);
      await expect(started).rejects.toThrow('Java 17 or later is needed to run the OpenSearch node: install openjdk-17-jre-headless (apt) or set JAVA_HOME');
    } finally {
      for (const [k, v] of Object.entries(env)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(server.requests).toEqual([]);
    expect(existsSync(cache)).toBe(false);
  });
});
