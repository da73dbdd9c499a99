import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadVerified } from '../../../lib/local/download';
import { digest, startMavenServer, type MavenServer } from './maven-server';

const FILE = 'org/example/thing/1.0/thing-1.0.zip';
let server: MavenServer;
let dir: string;

beforeAll(async () => {
  server = await startMavenServer();
});
afterAll(() => server.close());
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'logtong-download-'));
  server.clear();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('downloadVerified', () => {
  it('writes the file when its sha1 matches, reporting progress up to the announced size', async () => {
    const body = randomBytes(200 * 1024);
    server.put(FILE, body, { sha1: true });
    const dest = path.join(dir, 'sub', 'thing.zip');
    const progress: Array<[number, number | undefined]> = [];
    await downloadVerified(`${server.url}/${FILE}`, dest, { onProgress: (bytes, total) => progress.push([bytes, total]) });
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every(([, total]) => total === body.length)).toBe(true);
    expect(progress.map(([bytes]) => bytes)).toEqual([...progress.map(([bytes]) => bytes)].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual([body.length, body.length]);
    expect(readdirSync(path.dirname(dest))).toEqual(['thing.zip']);
  });

  it('checks the .sha512 when the repository publishes one, before the .sha1', async () => {
    const body = randomBytes(1000);
    // a wrong sha1 that must not be consulted
    server.put(FILE, body, { sha512: true, sha1: '0'.repeat(40) });
    await downloadVerified(`${server.url}/${FILE}`, path.join(dir, 'thing.zip'));
    expect(server.requests).toEqual([`${FILE}.sha512`, FILE]);
  });

  it('reads a checksum file that names the file after the digest (sha512sum output)', async () => {
    const body = randomBytes(1000);
    server.put(FILE, body, { sha512: `${digest('sha512', body)}  thing-1.0.zip\n` });
    await downloadVerified(`${server.url}/${FILE}`, path.join(dir, 'thing.zip'));
    expect(existsSync(path.join(dir, 'thing.zip'))).toBe(true);
  });

  it('keeps nothing when the digest differs from the published one, and says both', async () => {
    const body = randomBytes(50 * 1024);
    const published = digest('sha1', Buffer.from('another file'));
    server.put(FILE, body, { sha1: published });
    const dest = path.join(dir, 'thing.zip');
    await expect(downloadVerified(`${server.url}/${FILE}`, dest)).rejects.toThrow(
      `${server.url}/${FILE}: the ${body.length} bytes received have sha1 ${digest('sha1', body)}, not the published ${published}; nothing was kept, try again`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a file without any published checksum, before downloading it', async () => {
    server.put(FILE, randomBytes(10), {});
    await expect(downloadVerified(`${server.url}/${FILE}`, path.join(dir, 'thing.zip'))).rejects.toThrow('has no published checksum (.sha512, .sha256 or .sha1): refusing to use it unverified');
    expect(server.requests).not.toContain(FILE);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names the URL and the HTTP status of a file that is not there', async () => {
    // the checksum is there, the file is not
    server.put(`${FILE}.sha1`, Buffer.from(digest('sha1', Buffer.from('x'))), {});
    await expect(downloadVerified(`${server.url}/${FILE}`, path.join(dir, 'thing.zip'))).rejects.toThrow(`cannot download ${server.url}/${FILE}: HTTP 404`);
  });

  it('names the URL and the network error when the server cannot be reached', async () => {
    const closed = await startMavenServer();
    await closed.close();
    await expect(downloadVerified(`${closed.url}/${FILE}`, path.join(dir, 'thing.zip'))).rejects.toThrow(new RegExp(`^cannot download ${closed.url}/${FILE}\\.sha512: ECONNREFUSED$`));
  });
});
