import {
  fileError
} from "./chunk-GE7FCKWW.mjs";

// lib/cli/files.ts
import { accessSync, constants, createReadStream, createWriteStream, fstatSync, mkdirSync, openSync, rmSync } from "node:fs";
import * as path from "node:path";
function openInput(flag, file, stdin) {
  if (file === "-") return { file: void 0, body: stdin, size: void 0, stamp: "stdin" };
  let fd;
  let size;
  let stamp;
  try {
    fd = openSync(file, "r");
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    size = st.isFile() ? st.size : void 0;
    stamp = `${st.size}-${st.mtimeMs}`;
  } catch (e) {
    throw fileError(flag, file, e);
  }
  return { file, body: createReadStream(file, { fd, highWaterMark: 1 << 20 }), size, stamp, reopen: async () => createReadStream(file, { highWaterMark: 1 << 20 }) };
}
function openOutput(flag, file, mkdir = false) {
  let fd;
  try {
    if (mkdir) mkdirSync(path.dirname(file), { recursive: true });
    fd = openSync(file, "w");
  } catch (e) {
    throw fileError(flag, file, e);
  }
  return createWriteStream(file, { fd });
}
function makeOutputDir(flag, dir) {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw fileError(flag, dir, e);
  }
}
function write(stream, text) {
  if (!stream.write(text)) return new Promise((resolve) => stream.once("drain", resolve));
}
function finish(stream) {
  return new Promise((resolve, reject) => stream.end((e) => e ? reject(e) : resolve()));
}
function fileLineSink(file) {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const finished = new Promise((resolve, reject) => {
    out.once("finish", resolve);
    out.once("error", reject);
  });
  finished.catch(() => void 0);
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
    }
  };
}
function failedJson(file, r) {
  const { line, reason, raw, rawBase64, rawObject, rawBytes } = r;
  return `${JSON.stringify({ ...file !== void 0 ? { file } : {}, line, reason, raw, rawBase64, ...rawObject !== void 0 ? { rawFile: rawObject, rawBytes } : {} })}
`;
}

export {
  openInput,
  openOutput,
  makeOutputDir,
  write,
  finish,
  fileLineSink,
  failedJson
};
