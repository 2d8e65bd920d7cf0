import { describe, expect, it } from 'vitest';
import { FakeClock } from '../runtime/clock.ts';
import { SyncLoop, type SyncReason } from './sync-loop.ts';

/** A loop over a FakeClock whose syncs finish when the test says so. */
function harness(canary: () => boolean = () => true) {
  const clock = new FakeClock(0);
  const syncs: { reason: SyncReason; atMs: number }[] = [];
  let fail = false;
  const loop = new SyncLoop({
    clock,
    sync: (reason) => {
      syncs.push({ reason, atMs: clock.now().getTime() });
      return fail ? Promise.reject(new Error('restore failed')) : Promise.resolve();
    },
    canary: () => Promise.resolve(canary()),
    minIntervalMs: 1000,
    resyncPeriodMs: 30_000,
    canaryPeriodMs: 5000,
  });
  // Lets the promise callbacks of a finished sync run.
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  const advance = async (ms: number) => {
    for (let done = 0; done < ms; done += 100) {
      clock.advance(100);
      await settle();
    }
  };
  return { clock, loop, syncs, advance, settle, failNext: (v: boolean) => (fail = v) };
}

describe('SyncLoop', () => {
  it('syncs at once on start, then collapses a burst into one sync after the minimum interval', async () => {
    const h = harness();
    h.loop.start();
    await h.settle();
    expect(h.syncs).toEqual([{ reason: 'resync', atMs: 0 }]);
    for (let i = 0; i < 50; i++) h.loop.request('change');
    await h.advance(900);
    expect(h.syncs).toHaveLength(1);
    await h.advance(200);
    expect(h.syncs).toEqual([
      { reason: 'resync', atMs: 0 },
      { reason: 'change', atMs: 1000 },
    ]);
    await h.loop.stop();
  });

  it('runs a full resync a period after the last full one, even with no changes', async () => {
    const h = harness();
    h.loop.start();
    await h.settle();
    await h.advance(61_000);
    expect(h.syncs.map((s) => [s.reason, s.atMs])).toEqual([
      ['resync', 0],
      ['resync', 30_000],
      ['resync', 60_000],
    ]);
    await h.loop.stop();
  });

  it('resyncs as soon as the canary reports our rules gone', async () => {
    let present = true;
    const h = harness(() => present);
    h.loop.start();
    await h.advance(5100);
    expect(h.syncs).toHaveLength(1);
    present = false;
    await h.advance(5000);
    expect(h.syncs.map((s) => [s.reason, s.atMs])).toEqual([
      ['resync', 0],
      ['canary', 10_000],
    ]);
    await h.loop.stop();
  });

  it('retries a failed sync after the minimum interval', async () => {
    const h = harness();
    h.failNext(true);
    h.loop.start();
    await h.settle();
    h.failNext(false);
    await h.advance(1100);
    expect(h.syncs.map((s) => [s.reason, s.atMs])).toEqual([
      ['resync', 0],
      ['resync', 1000],
    ]);
    await h.loop.stop();
  });

  it('runs nothing after stop', async () => {
    const h = harness();
    h.loop.start();
    await h.settle();
    await h.loop.stop();
    h.loop.request('change');
    await h.advance(70_000);
    expect(h.syncs).toHaveLength(1);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('backs off exponentially while syncs keep failing, and resets after a success', async () => {
    const h = harness();
    h.failNext(true);
    h.loop.start();
    await h.settle();
    await h.advance(20_000);
    // 1 s, 2 s, 4 s, 8 s after each failure: not one retry per minimum interval.
    expect(h.syncs.map((s) => s.atMs)).toEqual([0, 1000, 3000, 7000, 15_000]);
    h.failNext(false);
    await h.advance(16_000);
    expect(h.syncs.map((s) => s.atMs)).toEqual([0, 1000, 3000, 7000, 15_000, 31_000]);
    h.failNext(true);
    h.loop.request('change');
    await h.settle();
    await h.advance(3500);
    // After the success, the backoff starts again at one second.
    expect(h.syncs.map((s) => s.atMs).slice(5)).toEqual([31_000, 36_000, 37_000, 39_000]);
    await h.loop.stop();
  });
});
