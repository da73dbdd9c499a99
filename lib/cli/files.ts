/**
 * The files the commands read and write. Every file is opened before any work starts, so that a missing input or
 * an unwritable output is a usage error naming the flag, not a stack trace half-way through.
 */
import { accessSync, constants, createReadStream, createWriteStream, fstatSync, mkdirSync, openSync, rmSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { LineSink } from '../../lambda/core/lines';
import { fileError } from './errors';

/** An input opened now; `size` when it is a regular file (for progress), `reopen` to read it again (not stdin). */
export interface OpenedInput {
  /** The path, or undefined for stdin. */
  readonly file: string | undefined;
  readonly body: Readable;
  readonly size: number | undefined;
  /** Size and modification time of a file: what names its outputs in `convert`. */
  readonly stamp: string;
  readonly reopen?: () => Promise<Readable>;
}

/** `-` is stdin. */
export function openInput(flag: string, file: string, stdin: Readable): OpenedInput {
  if (file === '-') return { file: undefined, body: stdin, size: undefined, stamp: 'stdin' };
  let fd: number;
  let size: number | undefined;
  let stamp: string;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.isFile() ? st.size : undefined;
    stamp = `${st.size}-${st.mtimeMs}`;
  } catch (e) {
    throw fileError(flag, file, e);
  }
  // 1 MiB reads: a quarter of the default's syscalls and chunk promises on large files (measured in npm run bench).
  return { file, body: createReadStream(file, { fd, highWaterMark: 1 << 20 }), size, stamp, reopen: async () => createReadStream(file, { highWaterMark: 1 << 20 }) };
}

/** A file created (truncated) now; `mkdir` makes its folder first (one under an output folder). */
export function openOutput(flag: string, file: string, mkdir = false): WriteStream {
  let fd: number;
  try {
    if (mkdir) mkdirSync(path.dirname(file), { recursive: true });
    fd = openSync(file, 'w');
  } catch (e) {
    throw fileError(flag, file, e);
  }
  return createWriteStream(file, { fd });
}

/** A folder made now (with its parents) and checked writable. */
export function makeOutputDir(flag: string, dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw fileError(flag, dir, e);
  }
}

/** Writes, waiting for 'drain' when the stream asks (backpressure). */
export function write(stream: Writable, text: string | Buffer): Promise<void> | void {
  if (!stream.write(text)) return new Promise((resolve) => stream.once('drain', resolve));
}

/** Ends a stream and waits until its data is written (or it fails). */
export function finish(stream: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** An over-long line streamed to a local file (what the Lambda streams to an object of the backup bucket). */
export function fileLineSink(file: string): LineSink {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  finished.catch(() => undefined);
  return {
    location: file,
    write: (chunk) => write(out, chunk),
    async close() {
      out.end();
      await finished;
    },
    async abort() {
      out.destroy();
      rmSync(file, { force: true });
    },
  };
}

/** A failed record as the CLI writes it: where a spilled line's bytes are is a file. */
export function failedJson(file: string | undefined, r: { line: number; reason: string; raw: string; rawBase64?: string; rawObject?: string; rawBytes?: number }): string {
  const { line, reason, raw, rawBase64, rawObject, rawBytes } = r;
  return `${JSON.stringify({ ...(file !== undefined ? { file } : {}), line, reason, raw, rawBase64, ...(rawObject !== undefined ? { rawFile: rawObject, rawBytes } : {}) })}\n`;
}
