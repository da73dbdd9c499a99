/**
 * A file from a Maven repository (Maven Central for the OpenSearch distribution), fetched with Node's fetch and
 * verified against the checksum file the repository publishes beside it, before it takes its place.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';

/** Bytes received so far and the size the server announced (undefined when it sent no Content-Length). */
export type DownloadProgress = (bytes: number, total: number | undefined) => void;

export interface DownloadOptions {
  onProgress?: DownloadProgress;
  signal?: AbortSignal;
}

/**
 * The checksum files a Maven repository may keep beside an artifact, strongest first. Maven Central has .sha1 for
 * every file, .sha512 (and .sha256) for those published since it began taking them.
 */
const CHECKSUMS = [
  { algorithm: 'sha512', hexLength: 128 },
  { algorithm: 'sha256', hexLength: 64 },
  { algorithm: 'sha1', hexLength: 40 },
] as const;

async function get(url: string, signal: AbortSignal | undefined): Promise<Response> {
  try {
    return await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    // fetch says only "fetch failed"; the reason (ENOTFOUND, ECONNREFUSED, a certificate) is in the cause
    const cause = (err as Error).cause as (Error & { code?: string }) | undefined;
    throw new Error(`cannot download ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
}

/** The strongest checksum published for `url`: its algorithm and hex digest. */
export async function publishedChecksum(url: string, signal?: AbortSignal): Promise<{ algorithm: string; digest: string }> {
  for (const { algorithm, hexLength } of CHECKSUMS) {
    const res = await get(`${url}.${algorithm}`, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      continue;
    }
    if (!res.ok) throw new Error(`cannot download ${url}.${algorithm}: HTTP ${res.status}`);
    // The file holds the digest, sometimes followed by the file's name
    const digest = (await res.text()).trim().split(/\s+/)[0].toLowerCase();
    if (!new RegExp(`^[0-9a-f]{${hexLength}}$`).test(digest)) throw new Error(`${url}.${algorithm} holds no ${algorithm} digest`);
    return { algorithm, digest };
  }
  throw new Error(`${url} has no published checksum (.sha512, .sha256 or .sha1): refusing to use it unverified`);
}

/**
 * Downloads `url` to `dest`, hashing while it streams; `dest` appears only once the digest matches the published
 * one (a temporary file beside it is renamed), so a broken or tampered download leaves nothing behind, and processes
 * downloading the same file at once each end with a complete one.
 */
export async function downloadVerified(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  const expected = await publishedChecksum(url, opts.signal);
  const res = await get(url, opts.signal);
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`cannot download ${url}: HTTP ${res.status}`);
  }
  const length = Number(res.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  const hash = createHash(expected.algorithm);
  let bytes = 0;
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
  try {
    await pipeline(
      Readable.fromWeb(res.body as ReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          opts.onProgress?.(bytes, total);
          yield chunk;
        }
      },
      createWriteStream(tmp),
    );
    const actual = hash.digest('hex');
    if (actual !== expected.digest) {
      throw new Error(`${url}: the ${bytes} bytes received have ${expected.algorithm} ${actual}, not the published ${expected.digest}; nothing was kept, try again`);
    }
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}
