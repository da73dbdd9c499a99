import { readFileSync } from 'node:fs';

/**
 * Peak resident set of this process in MiB. On Linux from VmHWM (/proc/self/status), the high-water mark of this
 * process's own address space: getrusage's ru_maxrss (process.resourceUsage().maxRSS) survives fork + exec, so a
 * child spawned by a parent holding 300 MB would report at least that much whatever it used itself.
 */
export function peakRssMiB(pid: number | 'self' = 'self'): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall back below
  }
  return pid === 'self' ? process.resourceUsage().maxRSS / 1024 : NaN;
}
