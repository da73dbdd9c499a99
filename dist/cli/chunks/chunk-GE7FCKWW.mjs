// lib/cli/errors.ts
var EXIT_OK = 0;
var EXIT_FAILED = 1;
var EXIT_USAGE = 2;
var UsageError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "UsageError";
  }
};
function fileError(flag, file, e) {
  const err = e;
  const why = err.code === "ENOENT" ? "no such file or directory" : err.code === "EACCES" ? "permission denied" : err.code === "EISDIR" ? "is a directory" : err.code === "ENOTDIR" ? "a parent is not a directory" : err.message;
  return new UsageError(`${flag} ${file}: ${why}`);
}

export {
  EXIT_OK,
  EXIT_FAILED,
  EXIT_USAGE,
  UsageError,
  fileError
};
