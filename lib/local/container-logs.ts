/**
 * Container log files as the kubelet and containerd lay them out on a node (CRI format), for `logtong local` on an
 * EKS agent and for the EKS agent tests: the DaemonSet's generated configuration tails such files, so an
 * application's lines are written the way containerd would write them before the agent reads them.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** containerd's default max_container_log_line_size: longer lines are written as `P` parts, then an `F` part. */
export const CRI_MAX_LINE_BYTES = 16 * 1024;

/**
 * One line an application wrote to stdout or stderr, as containerd appends it to the container's log file:
 * `<RFC 3339 time, ns> <stream> F <content>\n`, or cut by bytes (a UTF-8 character may be split) into `P` parts.
 */
export function criLine(time: string, stream: 'stdout' | 'stderr', line: string | Buffer, max = CRI_MAX_LINE_BYTES): Buffer {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
  const parts: Buffer[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += max) {
    const last = i + max >= bytes.length;
    parts.push(Buffer.from(`${time} ${stream} ${last ? 'F' : 'P'} `), bytes.subarray(i, i + max), Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/**
 * A container's log file under `root` (standing for /var/log) as the kubelet lays it out: the file in
 * pods/<namespace>_<pod>_<uid>/<container>/0.log, and the link containers/<pod>_<namespace>_<container>-<id>.log that
 * DaemonSets tail. Returns the file's path.
 */
export function containerLogFile(root: string, namespace: string, pod: string, container: string): string {
  const uid = createHash('sha1').update(pod).digest('hex');
  const dir = path.join(root, 'pods', `${namespace}_${pod}_${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`, container);
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(root, 'containers'), { recursive: true });
  const file = path.join(dir, '0.log');
  fs.writeFileSync(file, '');
  fs.symlinkSync(file, path.join(root, 'containers', `${pod}_${namespace}_${container}-${createHash('sha256').update(file).digest('hex')}.log`));
  return file;
}

