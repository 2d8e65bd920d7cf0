import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { Controller } from './controller.ts';
import type { Reconciler, Result } from './controller.ts';
import { TerminalError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { ReconcileOutcome } from './metrics.ts';
import { settle } from './testing.ts';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function recordingLogger(): Logger & { lines: { level: string; message: string | undefined }[] } {
  const lines: { level: string; message: string | undefined }[] = [];
  const at =
    (level: string) =>
    (_fields: object, message?: string): void => {
      lines.push({ level, message });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A controller on a fake clock whose reconciles are recorded with the fake time they started at. */
function harness(
  reconcile: (key: string, call: number, signal: AbortSignal) => Promise<Result>,
  workers = 1,
) {
  const clock = new FakeClock();
  const calls: { key: string; atMs: number }[] = [];
  const outcomes: ReconcileOutcome[] = [];
  const logger = recordingLogger();
  const reconciler: Reconciler = (key, signal) => {
    calls.push({ key, atMs: clock.now().getTime() });
    return reconcile(key, calls.length, signal);
  };
  const controller = new Controller({
    name: 'test',
    reconcile: reconciler,
    workers,
    clock,
    logger,
    metrics: { reconciled: (outcome) => outcomes.push(outcome) },
  });
  return { clock, calls, outcomes, logger, controller };
}

describe('Controller', () => {
  it('reconciles a queued key once and forgets it on success', async () => {
    const { clock, calls, outcomes, controller } = harness(() => Promise.resolve({}));
    controller.start();
    controller.queue.add('ns/a');
    await settle();
    clock.advance(60_000);
    await settle();
    expect(calls).toEqual([{ key: 'ns/a', atMs: 0 }]);
    expect(outcomes).toEqual(['success']);
    expect(clock.pendingTimers()).toBe(0);
    await controller.stop();
  });

  it('retries errors with per-key exponential backoff until success, then resets it', async () => {
    const { clock, calls, outcomes, controller } = harness((_key, call) =>
      call <= 3 ? Promise.reject(new Error('apiserver unavailable')) : Promise.resolve({}),
    );
    controller.start();
    controller.queue.add('a');
    await settle();
    for (let step = 0; step < 50; step++) {
      clock.advance(1);
      await settle(3);
    }
    // Failures at 0, 5 and 15 ms are retried after 5, 10 and 20 ms.
    expect(calls.map((call) => call.atMs)).toEqual([0, 5, 15, 35]);
    expect(outcomes).toEqual(['error', 'error', 'error', 'success']);
    expect(controller.queue.numRequeues('a')).toBe(0);
    await controller.stop();
  });

  it('does not retry a TerminalError, also when it is the cause of another error', async () => {
    const { clock, calls, outcomes, logger, controller } = harness((key) =>
      Promise.reject(
        key === 'direct'
          ? new TerminalError('spec.dnsNames is empty')
          : new Error('wrapped', { cause: new TerminalError('bad issuer reference') }),
      ),
    );
    controller.start();
    controller.queue.add('direct');
    controller.queue.add('wrapped');
    await settle();
    clock.advance(3_600_000);
    await settle();
    expect(calls.map((call) => call.key)).toEqual(['direct', 'wrapped']);
    expect(outcomes).toEqual(['terminal', 'terminal']);
    expect(clock.pendingTimers()).toBe(0);
    expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(2);
    await controller.stop();
  });

  it('runs the key again after requeueAfter and resets its error backoff', async () => {
    const { clock, calls, outcomes, controller } = harness((_key, call) =>
      call === 1 ? Promise.reject(new Error('conflict')) : Promise.resolve({ requeueAfter: 60_000 }),
    );
    controller.start();
    controller.queue.add('a');
    await settle();
    clock.advance(5);
    await settle();
    expect(controller.queue.numRequeues('a')).toBe(0);

    clock.advance(59_999);
    await settle();
    expect(calls).toHaveLength(2);
    clock.advance(1);
    await settle();
    expect(calls.map((call) => call.atMs)).toEqual([0, 5, 60_005]);
    expect(outcomes).toEqual(['error', 'requeue_after', 'requeue_after']);
    await controller.stop();
  });

  it('treats an invalid requeueAfter as an error to retry', async () => {
    const { outcomes, controller } = harness(() => Promise.resolve({ requeueAfter: Number.NaN }));
    controller.start();
    controller.queue.add('a');
    await settle();
    expect(outcomes).toEqual(['error']);
    expect(controller.queue.numRequeues('a')).toBe(1);
    await controller.stop();
  });

  it('never reconciles one key concurrently, even with many workers, and reruns it once if re-added', async () => {
    const running = new Map<string, number>();
    let maxParallelForA = 0;
    let maxParallelOverall = 0;
    const gates: Deferred<Result>[] = [];
    const { calls, controller } = harness(async (key) => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxParallelForA = Math.max(maxParallelForA, running.get('a') ?? 0);
      maxParallelOverall = Math.max(
        maxParallelOverall,
        [...running.values()].reduce((x, y) => x + y, 0),
      );
      const gate = deferred<Result>();
      gates.push(gate);
      try {
        return await gate.promise;
      } finally {
        running.set(key, (running.get(key) ?? 1) - 1);
      }
    }, 4);
    controller.start();
    controller.queue.add('a');
    controller.queue.add('b');
    await settle();
    controller.queue.add('a');
    controller.queue.add('a');
    await settle();
    expect(calls.map((call) => call.key)).toEqual(['a', 'b']);

    gates[0]?.resolve({});
    await settle();
    expect(calls.map((call) => call.key)).toEqual(['a', 'b', 'a']);
    gates[1]?.resolve({});
    gates[2]?.resolve({});
    await settle();
    expect(calls).toHaveLength(3);
    expect(maxParallelForA).toBe(1);
    expect(maxParallelOverall).toBe(2);
    await controller.stop();
  });

  it('on stop, aborts the signal, takes no new keys and waits for in-flight reconciles', async () => {
    const gate = deferred<Result>();
    let signal: AbortSignal | undefined;
    const { calls, controller } = harness((_key, _call, reconcileSignal) => {
      signal = reconcileSignal;
      return gate.promise;
    });
    controller.start();
    controller.queue.add('a');
    await settle();

    let stopped: boolean | undefined;
    void controller.stop().then((result) => (stopped = result));
    controller.queue.add('b');
    await settle();
    expect(signal?.aborted).toBe(true);
    expect(stopped).toBeUndefined();

    gate.resolve({});
    await settle();
    expect(stopped).toBe(true);
    expect(calls.map((call) => call.key)).toEqual(['a']);
  });

  it('gives up waiting for a stuck reconcile after the stop timeout', async () => {
    const clock = new FakeClock();
    const logger = recordingLogger();
    const controller = new Controller({
      name: 'stuck',
      reconcile: () => new Promise<Result>(() => {}),
      clock,
      logger,
      stopTimeoutMs: 10_000,
    });
    controller.start();
    controller.queue.add('a');
    await settle();

    let stopped: boolean | undefined;
    void controller.stop().then((result) => (stopped = result));
    clock.advance(9_999);
    await settle();
    expect(stopped).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(stopped).toBe(false);
    expect(logger.lines.some((line) => line.level === 'warn')).toBe(true);
  });

  it('does not retry a reconcile that failed because the controller stopped', async () => {
    const { clock, controller } = harness(
      (_key, _call, signal) =>
        new Promise<Result>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted', { cause: signal.reason }))),
        ),
    );
    controller.start();
    controller.queue.add('a');
    await settle();
    await expect(controller.stop()).resolves.toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('can start only once', async () => {
    const { controller } = harness(() => Promise.resolve({}));
    controller.start();
    expect(() => controller.start()).toThrow(/cannot start/);
    await controller.stop();
    expect(() => controller.start()).toThrow(/cannot start/);
  });

  it('keeps working when a reconciler throws synchronously', async () => {
    let call = 0;
    const clock = new FakeClock();
    const controller = new Controller({
      name: 'sync-throw',
      clock,
      reconcile: () => {
        call++;
        if (call === 1) throw new Error('boom');
        return Promise.resolve({});
      },
    });
    controller.start();
    controller.queue.add('a');
    await settle();
    clock.advance(5);
    await settle();
    expect(call).toBe(2);
    await controller.stop();
  });

  it('lets timers and I/O run while a long queue of CPU-only reconciles drains', async () => {
    // Reconciles answered from caches never wait on I/O; without yielding, the worker's loop would
    // run them all in one go and starve every timer (a Lease renewal, say) until the queue is empty.
    const busyMs = 5;
    const keys = 200;
    const { calls, controller } = harness(() => {
      const until = performance.now() + busyMs;
      while (performance.now() < until) {
        // CPU-bound work, as x509 parsing of a cached Secret is
      }
      return Promise.resolve({});
    });
    for (let i = 0; i < keys; i++) controller.queue.add(`ns/c-${i}`);
    let reconciledWhenTimerRan = -1;
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        reconciledWhenTimerRan = calls.length;
        resolve();
      }, 0),
    );
    controller.start();
    await timer;
    await controller.stop();
    // The timer ran within about one yield period (50 ms = 10 reconciles here), not after all 200.
    expect(reconciledWhenTimerRan).toBeGreaterThan(0);
    expect(reconciledWhenTimerRan).toBeLessThan(keys / 2);
  });
});
