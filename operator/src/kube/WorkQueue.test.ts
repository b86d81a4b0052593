import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkQueue } from './WorkQueue.ts';

let queue: WorkQueue | undefined;
afterEach(() => queue?.stop());

describe('WorkQueue', () => {
  it('never runs one key on two workers at once, and reruns a key added while in flight', async () => {
    queue = new WorkQueue();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    queue.start(4, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      await sleep(30);
      running--;
    });
    queue.add('a');
    await sleep(5);
    for (let i = 0; i < 10; i++) queue.add('a');
    await sleep(120);
    expect(maxRunning).toBe(1);
    // One run in flight when the ten adds came, which fold into exactly one more.
    expect(runs).toBe(2);
  });

  it('runs different keys in parallel', async () => {
    queue = new WorkQueue();
    let running = 0;
    let maxRunning = 0;
    queue.start(3, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(30);
      running--;
    });
    for (const k of ['a', 'b', 'c']) queue.add(k);
    await sleep(60);
    expect(maxRunning).toBe(3);
  });

  it('retries a failing key with growing delays and forgets them after a success', async () => {
    queue = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 1000 });
    const times: number[] = [];
    const done: (number | undefined)[] = [];
    queue.on('done', (e) => done.push(e.retryInMs));
    queue.start(1, async () => {
      times.push(Date.now());
      if (times.length < 4) throw new Error('not yet');
    });
    queue.add('k');
    await sleep(400);
    expect(times).toHaveLength(4);
    expect(done).toEqual([20, 40, 80, undefined]);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[2]).toBeGreaterThanOrEqual(75);
    expect(queue.failures('k')).toBe(0);
  });

  it('caps the backoff', () => {
    queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 500 });
    expect([1, 2, 3, 4, 5].map(() => queue!.retryDelay('x'))).toEqual([100, 200, 400, 500, 500]);
  });

  it('requeues after the delay a handler asks for, keeping the earliest of two delays', async () => {
    queue = new WorkQueue();
    const seen: number[] = [];
    const t0 = Date.now();
    queue.start(1, async () => {
      seen.push(Date.now() - t0);
      return seen.length === 1 ? { requeueAfterMs: 60 } : undefined;
    });
    queue.addAfter('k', 500);
    queue.addAfter('k', 10);
    await sleep(150);
    expect(seen).toHaveLength(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(55);
  });

  it('stops taking work and waits for keys in flight', async () => {
    queue = new WorkQueue();
    let finished = 0;
    queue.start(2, async () => {
      await sleep(40);
      finished++;
    });
    queue.add('a');
    queue.add('b');
    queue.add('c');
    await sleep(5);
    await queue.stop();
    expect(finished).toBe(2);
    queue.add('d');
    await sleep(60);
    expect(finished).toBe(2);
  });
});
