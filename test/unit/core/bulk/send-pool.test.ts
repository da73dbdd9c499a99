import { SendPool } from '../../../../lambda/core/bulk/send-pool';

const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

describe('SendPool', () => {
  it('starts the next task as soon as any running one settles, not the oldest', async () => {
    const pool = new SendPool(2);
    const slow = deferred();
    const fast = deferred();
    const started: string[] = [];
    await pool.submit(() => (started.push('slow'), slow.promise));
    await pool.submit(() => (started.push('fast'), fast.promise));
    const third = pool.submit(async () => void started.push('third'));
    await Promise.resolve();
    expect(started).toEqual(['slow', 'fast']);
    fast.resolve();
    await third;
    expect(started).toEqual(['slow', 'fast', 'third']);
    slow.resolve();
    await pool.drain();
  });

  it('a failed task is thrown by drain (or the next submit), never swallowed', async () => {
    const pool = new SendPool(2);
    const a = deferred();
    await pool.submit(() => a.promise);
    a.reject(new Error('boom'));
    await expect(pool.drain()).rejects.toThrow('boom');
  });
});
