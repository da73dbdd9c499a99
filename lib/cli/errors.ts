/**
 * What a command can get wrong that the user fixes, and the exit status each gets. Kept apart from the commands so
 * that `logtong --help` and a usage error load nothing else.
 *
 * Exit statuses: 0 it ran; 1 the data or the config is wrong (a config error, as `cdk synth` exits on the same file,
 * or a failed record under --strict); 2 the command line is wrong (an unknown option, a file that cannot be read or
 * written).
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--flag FILE: <why>` for a file the command could not open: the user's to fix, so no stack trace. */
export function fileError(flag: string, file: string, e: unknown): UsageError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'ENOTDIR' ? 'a parent is not a directory' : err.message;
  return new UsageError(`${flag} ${file}: ${why}`);
}
