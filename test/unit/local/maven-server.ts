/**
 * A Maven repository stand-in on 127.0.0.1 for the download tests: serves the files it is given (path → body), 404
 * for anything else, and records every request path.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MavenServer {
  /** e.g. http://127.0.0.1:41234/maven2 */
  readonly url: string;
  /** The paths asked for, in order (below /maven2). */
  readonly requests: string[];
  /** Serves `body` at `file` (below /maven2), and beside it the given checksum files of the body unless a digest is given. */
  put(file: string, body: Buffer, checksums?: Partial<Record<'sha512' | 'sha256' | 'sha1', string | true>>): void;
  /** Forgets every file and request. */
  clear(): void;
  close(): Promise<void>;
}

export const digest = (algorithm: string, body: Buffer): string => createHash(algorithm).update(body).digest('hex');

export async function startMavenServer(): Promise<MavenServer> {
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '').replace(/^\/maven2\//, '');
    requests.push(p);
    const body = files.get(p);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    // In pieces, as a real download arrives, so progress is reported more than once
    for (let i = 0; i < body.length; i += 16 * 1024) res.write(body.subarray(i, i + 16 * 1024));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/maven2`,
    requests,
    put(file, body, checksums = { sha1: true }) {
      files.set(file, body);
      for (const [algorithm, given] of Object.entries(checksums)) {
        files.set(`${file}.${algorithm}`, Buffer.from(given === true ? digest(algorithm, body) : given));
      }
    },
    clear() {
      files.clear();
      requests.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
