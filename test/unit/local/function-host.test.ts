import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FunctionError, startFunction, type FunctionHost } from '../../../lib/local/function-host';

const dir = mkdtempSync(path.join(tmpdir(), 'logtong-fn-'));
const entry = path.join(dir, 'index.js');
// A handler that, like Logtong's, reads its configuration when loaded (a cold start).
writeFileSync(
  entry,
  `const loadedWith = process.env.GREETING;
const pid = process.pid;
let calls = 0;
exports.handler = async (event, context) => {
  calls++;
  console.log(JSON.stringify({ level: 'INFO', message: 'called', calls }));
  if (event.fail) { const e = new Error('bad input: ' + event.fail); e.name = 'ValidationError'; throw e; }
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  return { loadedWith, pid, calls, name: context.functionName, remaining: context.getRemainingTimeInMillis() > 0, echo: event };
};
exports.other = async () => 'other';
`,
);

const hosts: FunctionHost[] = [];
const host = (...args: Parameters<typeof startFunction>) => {
  const h = startFunction(...args);
  hosts.push(h);
  return h;
};
afterAll(() => Promise.all(hosts.map((h) => h.stop())));

describe('a function run locally as Lambda runs it', () => {
  it('each function in its own process with its own environment, loaded once', async () => {
    const logs: string[] = [];
    const a = host({ name: 'A', entry, environment: { GREETING: 'a' }, onLog: (l) => logs.push(l) });
    const b = host({ name: 'B', entry, environment: { GREETING: 'b' } });
    const a1 = (await a.invoke({ n: 1 })) as Record<string, unknown>;
    const a2 = (await a.invoke({ n: 2 })) as Record<string, unknown>;
    const b1 = (await b.invoke({ n: 3 })) as Record<string, unknown>;
    expect(a1).toMatchObject({ loadedWith: 'a', calls: 1, name: 'A', remaining: true, echo: { n: 1 } });
    expect(a2).toMatchObject({ loadedWith: 'a', calls: 2, pid: a1.pid });
    expect(b1).toMatchObject({ loadedWith: 'b', calls: 1 });
    expect(b1.pid).not.toBe(a1.pid);
    expect(a1.pid).not.toBe(process.pid);
    expect(logs.map((l) => JSON.parse(l).calls)).toEqual([1, 2]);
    expect(await host({ name: 'C', entry, handlerName: 'other', environment: {} }).invoke({})).toBe('other');
  });

  it('a thrown error is a function error with its type and message; the runtime stays warm', async () => {
    const f = host({ name: 'F', entry, environment: {} });
    await expect(f.invoke({ fail: 'x' })).rejects.toThrow(new FunctionError('F', 'ValidationError', 'bad input: x'));
    expect(await f.invoke({})).toMatchObject({ calls: 2 });
  });

  it('a timed-out invocation fails as Lambda says it, and the next one is a cold start', async () => {
    const f = host({ name: 'T', entry, environment: {}, timeoutSeconds: 0.3 });
    const first = (await f.invoke({})) as { pid: number };
    await expect(f.invoke({ sleepMs: 5000 })).rejects.toMatchObject({ errorType: 'Sandbox.Timedout', message: 'T: Sandbox.Timedout: Task timed out after 0.3 seconds' });
    const after = (await f.invoke({})) as { pid: number; calls: number };
    expect(after.pid).not.toBe(first.pid);
    expect(after.calls).toBe(1);
    expect(() => process.kill(first.pid, 0)).toThrow();
  });

  it('stop() ends the process', async () => {
    const f = host({ name: 'S', entry, environment: {} });
    const { pid } = (await f.invoke({})) as { pid: number };
    await f.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
