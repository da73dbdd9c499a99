/**
 * A Lambda function run locally as Lambda runs it: the bundle `cdk synth` wrote (cdk.out/asset.<hash>/index.js), in
 * a Node.js process of its own with the function's environment, loaded once (a cold start) and invoked with events
 * one at a time. Each function has its own process because handlers read their configuration from the environment
 * when they are loaded, and two functions of a pipeline have different ones.
 *
 * The child program is passed with `node -e` (HOST_PROGRAM below), so it needs no file of its own: `logtong local` runs
 * from a bundle where no path to a sibling file is known.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface FunctionHostOptions {
  /** Names the function in errors and logs (its logical id). */
  readonly name: string;
  /** The bundled handler file (index.js of the asset). */
  readonly entry: string;
  /** The exported handler's name (`index.handler` → `handler`). @default handler */
  readonly handlerName?: string;
  /** The function's environment (resolved), on top of PATH, HOME and the AWS SDK's endpoint/credential variables. */
  readonly environment: Record<string, string>;
  /** What an invocation may take before it fails as Lambda's does (`Task timed out`). @default 300 s */
  readonly timeoutSeconds?: number;
  /**
   * Folders the bundle's external packages are found in (NODE_PATH): Lambda's Node.js runtime provides the AWS SDK,
   * which the bundles leave out. @default none
   */
  readonly modulePaths?: readonly string[];
  /** The function's log lines (stdout and stderr of its process, line by line). @default dropped */
  readonly onLog?: (line: string) => void;
}

/** An invocation that failed as a Lambda function error does: the error's name and message. */
export class FunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${functionName}: ${errorType}: ${message}`);
    this.name = 'FunctionError';
  }
}

export interface FunctionHost {
  readonly name: string;
  invoke(event: unknown): Promise<unknown>;
  /** Stops the process (its next invocation would start a new one: a new cold start). */
  stop(): Promise<void>;
}

const HOST_PROGRAM = `
const [entry, handlerName] = process.argv.slice(1);
let handler;
process.on('message', async ({ id, event, context }) => {
  try {
    handler ??= require(entry)[handlerName];
    if (typeof handler !== 'function') throw new Error(entry + ' exports no function ' + handlerName);
    const deadline = Date.now() + context.remainingMs;
    const ctx = { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()), done() {}, fail() {}, succeed() {} };
    const result = await handler(event, ctx);
    process.send({ id, ok: true, result: result === undefined ? null : result });
  } catch (e) {
    process.send({ id, ok: false, errorType: (e && e.name) || 'Error', message: (e && e.message) || String(e) });
  }
});
`;

/** Variables a local function gets from this process besides its own: where to find node, and the SDK's endpoints. */
const PASSED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];

/** Calls `fn` with each non-empty line a child process writes to `stream`. */
export function eachLine(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop()!;
    for (const l of parts) if (l) fn(l);
  });
}

interface Runtime {
  readonly proc: ChildProcess;
  readonly pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>;
}

export function startFunction(o: FunctionHostOptions): FunctionHost {
  const timeoutMs = (o.timeoutSeconds ?? 300) * 1000;
  let child: Runtime | undefined;
  let next = 0;

  const spawnChild = (): Runtime => {
    const base = Object.fromEntries(PASSED.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
    const c = spawn(process.execPath, ['--enable-source-maps', '-e', HOST_PROGRAM, o.entry, o.handlerName ?? 'handler'], {
      env: { ...base, ...(o.modulePaths?.length ? { NODE_PATH: o.modulePaths.join(path.delimiter) } : {}), ...o.environment },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const log = (l: string) => o.onLog?.(l);
    eachLine(c.stdout!, log);
    eachLine(c.stderr!, log);
    // Per process: when one exits, only its own invocations fail.
    const pending: Runtime['pending'] = new Map();
    c.on('message', (m: { id: number; ok: boolean; result?: unknown; errorType?: string; message?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      clearTimeout(p.timer);
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new FunctionError(o.name, m.errorType ?? 'Error', m.message ?? ''));
    });
    const runtime: Runtime = { proc: c, pending };
    c.on('exit', (code, signal) => {
      if (child === runtime) child = undefined;
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        pending.delete(id);
        p.reject(new FunctionError(o.name, 'Runtime.ExitError', `the function's process exited (${signal ?? code}) during the invocation`));
      }
    });
    return runtime;
  };

  return {
    name: o.name,
    invoke(event) {
      child ??= spawnChild();
      const runtime = child;
      const { proc: c, pending } = runtime;
      const id = next++;
      return new Promise((resolve, reject) => {
        // As Lambda: a timed-out invocation leaves a runtime that cannot be trusted; the next one starts afresh.
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new FunctionError(o.name, 'Sandbox.Timedout', `Task timed out after ${timeoutMs / 1000} seconds`));
          if (child === runtime) child = undefined;
          c.kill('SIGKILL');
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        c.send({ id, event, context: { functionName: o.name, functionVersion: '$LATEST', awsRequestId: `local-${o.name}-${id}`, invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${o.name}`, memoryLimitInMB: '1024', logGroupName: `/aws/lambda/${o.name}`, logStreamName: 'local', callbackWaitsForEmptyEventLoop: false, remainingMs: timeoutMs } });
      });
    },
    async stop() {
      const c = child?.proc;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
  };
}
