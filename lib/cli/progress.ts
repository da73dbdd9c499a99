/**
 * A progress line on stderr while `parse` or `convert` runs, drawn only when stderr is a terminal (a pipe or a file
 * gets just the final summary): bytes read, lines and lines/s, and the percentage and ETA when the input's size is
 * known.
 */
import type { Writable } from 'node:stream';

export interface ProgressState {
  readonly bytes: number;
  /** Sum of the inputs' sizes, when every input is a regular file. */
  readonly totalBytes: number | undefined;
  readonly lines: number;
  readonly elapsedMs: number;
}

const MIB = 1024 * 1024;

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `41.2 MiB of 172.0 MiB (24%) · 238,412 lines · 812,345 lines/s · ETA 0:04`. */
export function progressLine(p: ProgressState): string {
  const seconds = p.elapsedMs / 1000;
  const parts = [p.totalBytes !== undefined ? `${(p.bytes / MIB).toFixed(1)} MiB of ${(p.totalBytes / MIB).toFixed(1)} MiB (${p.totalBytes > 0 ? Math.floor((100 * p.bytes) / p.totalBytes) : 100}%)` : `${(p.bytes / MIB).toFixed(1)} MiB`];
  parts.push(`${p.lines.toLocaleString('en-US')} lines`);
  if (seconds > 0) parts.push(`${Math.round(p.lines / seconds).toLocaleString('en-US')} lines/s`);
  if (p.totalBytes !== undefined && p.bytes > 0 && seconds > 0) parts.push(`ETA ${clock(((p.totalBytes - p.bytes) * seconds) / p.bytes)}`);
  return parts.join(' · ');
}

export interface Progress {
  /** Counts bytes as they are read. */
  count<T extends Uint8Array>(body: AsyncIterable<T>): AsyncIterable<T>;
  lines(n: number): void;
  /** Clears the line; the command prints its summary after. */
  stop(): void;
}

const NONE: Progress = { count: (body) => body, lines: () => undefined, stop: () => undefined };

/** A progress line redrawn every `intervalMs` on `stderr` when it is a terminal; otherwise does nothing. */
export function startProgress(stderr: Writable & { isTTY?: boolean; columns?: number }, totalBytes: number | undefined, intervalMs = 250, now = Date.now): Progress {
  if (!stderr.isTTY) return NONE;
  const started = now();
  let bytes = 0;
  let lines = 0;
  const draw = () => {
    const text = progressLine({ bytes, totalBytes, lines, elapsedMs: now() - started });
    stderr.write(`\r\x1b[K${text.slice(0, (stderr.columns ?? 120) - 1)}`);
  };
  const timer = setInterval(draw, intervalMs);
  timer.unref();
  return {
    async *count(body) {
      for await (const chunk of body) {
        bytes += chunk.length;
        yield chunk;
      }
    },
    lines(n) {
      lines += n;
    },
    stop() {
      clearInterval(timer);
      stderr.write('\r\x1b[K');
    },
  };
}
