import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import type { WorkQueueMetrics } from './metrics.ts';
import { defaultControllerRateLimiter } from './rate-limiter.ts';
import { settle } from './testing.ts';
import { WorkQueue } from './workqueue.ts';

function newQueue(clock = new FakeClock()): { clock: FakeClock; queue: WorkQueue } {
  return { clock, queue: new WorkQueue({ clock }) };
}

/** Starts a get() and exposes whether it resolved, and to what. */
function pendingGet(queue: WorkQueue): { resolved: boolean; value: string | undefined } {
  const box: { resolved: boolean; value: string | undefined } = { resolved: false, value: undefined };
  void queue.get().then((key) => {
    box.resolved = true;
    box.value = key;
  });
  return box;
}

/** Takes every key that is ready now, marking none done. */
async function takeReady(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('collapses duplicate adds while queued and hands keys out in arrival order', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(queue.len()).toBe(2);
    expect(await takeReady(queue)).toEqual(['ns/a', 'ns/b']);
  });

  it('hands urgent keys out before the others, each lane in arrival order', async () => {
    const urgentKeys = new Set(['new-1', 'new-2']);
    const queue = new WorkQueue({ clock: new FakeClock(), isUrgent: (k) => urgentKeys.has(k) });
    for (const key of ['renew-1', 'renew-2', 'new-1', 'renew-3', 'new-2']) queue.add(key);
    expect(queue.len()).toBe(5);
    expect(await takeReady(queue)).toEqual(['new-1', 'new-2', 'renew-1', 'renew-2', 'renew-3']);
  });

  it('asks whether a key is urgent when it is queued again after processing', async () => {
    const urgentKeys = new Set<string>();
    const queue = new WorkQueue({ clock: new FakeClock(), isUrgent: (k) => urgentKeys.has(k) });
    queue.add('a');
    queue.add('b');
    expect(await queue.get()).toBe('a');
    queue.add('a'); // while processing: dirty
    urgentKeys.add('a');
    queue.done('a');
    expect(await takeReady(queue)).toEqual(['a', 'b']);
  });

  it('never hands a key being processed to a second worker', async () => {
    const { queue } = newQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    const secondWorker = pendingGet(queue);
    await settle();
    expect(secondWorker.resolved).toBe(false);
    expect(queue.len()).toBe(0);

    queue.done('a');
    await settle();
    expect(secondWorker.value).toBe('a');
  });

  it('re-queues a key added while it was processed exactly once, on done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    await queue.get();
    queue.add('a');
    queue.add('a');
    queue.done('a');
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('a');
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('does not re-queue a key that was not added while processed', async () => {
    const { queue } = newQueue();
    queue.add('a');
    await queue.get();
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const { queue } = newQueue();
    const worker = pendingGet(queue);
    await settle();
    expect(worker.resolved).toBe(false);
    queue.add('a');
    await settle();
    expect(worker.value).toBe('a');
  });

  it('hands different keys to different workers at the same time', async () => {
    const { queue } = newQueue();
    const first = pendingGet(queue);
    const second = pendingGet(queue);
    queue.add('a');
    queue.add('b');
    await settle();
    expect([first.value, second.value]).toEqual(['a', 'b']);
  });

  describe('addAfter', () => {
    it('adds the key once the delay has passed on the clock', async () => {
      const { clock, queue } = newQueue();
      queue.addAfter('a', 1000);
      clock.advance(999);
      expect(queue.len()).toBe(0);
      clock.advance(1);
      expect(await takeReady(queue)).toEqual(['a']);
    });

    it('keeps the earlier time when the same key is delayed twice', () => {
      const { clock, queue } = newQueue();
      queue.addAfter('a', 5000);
      queue.addAfter('a', 1000);
      queue.addAfter('a', 3000);
      clock.advance(1000);
      expect(queue.len()).toBe(1);
    });

    it('fires the earlier add only once even after a later one was refused', async () => {
      const { clock, queue } = newQueue();
      queue.addAfter('a', 1000);
      queue.addAfter('a', 2000);
      clock.advance(1000);
      expect(await takeReady(queue)).toEqual(['a']);
      queue.done('a');
      clock.advance(10_000);
      expect(queue.len()).toBe(0);
    });

    it('fires delayed keys in due-time order', async () => {
      const { clock, queue } = newQueue();
      queue.addAfter('late', 300);
      queue.addAfter('early', 100);
      queue.addAfter('middle', 200);
      clock.advance(300);
      expect(await takeReady(queue)).toEqual(['early', 'middle', 'late']);
    });

    it('adds at once for a zero, negative or NaN delay', () => {
      const { queue } = newQueue();
      queue.addAfter('a', 0);
      queue.addAfter('b', -5);
      queue.addAfter('c', Number.NaN);
      expect(queue.len()).toBe(3);
    });

    it('collapses a delayed add into a key already queued', async () => {
      const { clock, queue } = newQueue();
      queue.add('a');
      queue.addAfter('a', 100);
      clock.advance(100);
      expect(await takeReady(queue)).toEqual(['a']);
    });

    it('marks a key dirty when its delay fires while it is being processed', async () => {
      const { clock, queue } = newQueue();
      queue.add('a');
      await queue.get();
      queue.addAfter('a', 100);
      clock.advance(100);
      expect(queue.len()).toBe(0);
      queue.done('a');
      expect(await takeReady(queue)).toEqual(['a']);
    });
  });

  describe('addRateLimited', () => {
    it('backs off per key from 5 ms, doubling, and forget resets it', () => {
      const { clock, queue } = newQueue();
      const delays: number[] = [];
      for (let retry = 0; retry < 4; retry++) {
        queue.addRateLimited('a');
        delays.push(clock.nextTimerIn() ?? -1);
        clock.advance(delays[retry] ?? 0);
      }
      expect(delays).toEqual([5, 10, 20, 40]);
      expect(queue.numRequeues('a')).toBe(4);

      queue.forget('a');
      expect(queue.numRequeues('a')).toBe(0);
      queue.addRateLimited('a');
      expect(clock.nextTimerIn()).toBe(5);
    });

    it('caps the per-key backoff at the configured maximum', () => {
      const clock = new FakeClock();
      const rateLimiter = defaultControllerRateLimiter(clock, { baseDelayMs: 100, maxDelayMs: 1000 });
      const queue = new WorkQueue({ clock, rateLimiter });
      const delays: number[] = [];
      for (let retry = 0; retry < 6; retry++) {
        queue.addRateLimited('a');
        delays.push(clock.nextTimerIn() ?? -1);
        clock.advance(1000);
      }
      expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    });

    it('keeps each key backoff separate', () => {
      const { clock, queue } = newQueue();
      queue.addRateLimited('a');
      queue.addRateLimited('a');
      queue.addRateLimited('a');
      clock.advance(1000);
      queue.addRateLimited('b');
      expect(clock.nextTimerIn()).toBe(5);
    });

    it('limits retries across all keys with the token bucket once the burst is spent', () => {
      const clock = new FakeClock();
      const rateLimiter = defaultControllerRateLimiter(clock, { qps: 10, burst: 3 });
      const queue = new WorkQueue({ clock, rateLimiter });
      for (const key of ['a', 'b', 'c', 'd', 'e']) queue.addRateLimited(key);

      clock.advance(5);
      expect(queue.len()).toBe(3);
      clock.advance(94);
      expect(queue.len()).toBe(3);
      clock.advance(1);
      expect(queue.len()).toBe(4);
      clock.advance(100);
      expect(queue.len()).toBe(5);
    });

    it('counts each retry in the metrics', () => {
      let retries = 0;
      const queue = new WorkQueue({ clock: new FakeClock(), metrics: { retried: () => retries++ } });
      queue.addRateLimited('a');
      queue.addRateLimited('a');
      expect(retries).toBe(2);
    });
  });

  describe('shutdown', () => {
    it('resolves waiting and later gets with undefined and ignores further adds', async () => {
      const { clock, queue } = newQueue();
      const waiting = pendingGet(queue);
      queue.addAfter('delayed', 100);
      queue.shutDown();
      await settle();
      expect(waiting.value).toBeUndefined();

      queue.add('a');
      queue.addAfter('b', 10);
      queue.addRateLimited('c');
      clock.advance(1000);
      expect(queue.len()).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
      expect(await queue.get()).toBeUndefined();
    });

    it('drops queued keys that no worker took yet', async () => {
      const { queue } = newQueue();
      queue.add('a');
      queue.add('b');
      queue.shutDown();
      expect(queue.len()).toBe(0);
      expect(await queue.get()).toBeUndefined();
    });

    it('with drain, waits until every key handed out is done, without re-queueing dirty keys', async () => {
      const { queue } = newQueue();
      queue.add('a');
      queue.add('b');
      const a = await queue.get();
      const b = await queue.get();
      queue.add('a');

      let drained = false;
      void queue.shutDownWithDrain().then(() => (drained = true));
      queue.done(a ?? '');
      await settle();
      expect(drained).toBe(false);
      expect(queue.len()).toBe(0);

      queue.done(b ?? '');
      await settle();
      expect(drained).toBe(true);
      expect(await queue.get()).toBeUndefined();
    });

    it('with drain, resolves at once when nothing is being processed', async () => {
      const { queue } = newQueue();
      queue.add('a');
      await expect(queue.shutDownWithDrain()).resolves.toBeUndefined();
    });
  });

  it('reports depth, adds, queue latency and work duration to the metrics hooks', async () => {
    const clock = new FakeClock();
    const seen = { depth: [] as number[], added: 0, latency: [] as number[], work: [] as number[] };
    const metrics: WorkQueueMetrics = {
      depth: (keys) => seen.depth.push(keys),
      added: () => seen.added++,
      queueLatency: (seconds) => seen.latency.push(seconds),
      workDuration: (seconds) => seen.work.push(seconds),
    };
    const queue = new WorkQueue({ clock, metrics });
    queue.add('a');
    queue.add('a');
    queue.add('b');
    clock.advance(2000);
    const key = await queue.get();
    clock.advance(500);
    queue.done(key ?? '');

    expect(seen.added).toBe(2);
    expect(seen.depth).toEqual([1, 2, 1]);
    expect(seen.latency).toEqual([2]);
    expect(seen.work).toEqual([0.5]);
  });

  it('ignores done for a key that was never handed out', () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.done('a');
    expect(queue.len()).toBe(1);
  });
});
