import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import {
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.ts';

describe('ItemExponentialRateLimiter', () => {
  it('doubles per key up to the cap and starts over after forget', () => {
    const limiter = new ItemExponentialRateLimiter(5, 1_000_000);
    const delays = Array.from({ length: 20 }, () => limiter.when('a'));
    expect(delays.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(delays.at(-1)).toBe(1_000_000);
    expect(Math.max(...delays)).toBe(1_000_000);
    expect(limiter.when('b')).toBe(5);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });

  it('stays at the cap after very many failures', () => {
    const limiter = new ItemExponentialRateLimiter(5, 1000);
    for (let i = 0; i < 2000; i++) limiter.when('a');
    expect(limiter.when('a')).toBe(1000);
  });
});

describe('TokenBucketRateLimiter', () => {
  it('lets the burst through, then spaces calls at 1/qps, refilling as time passes', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketRateLimiter(10, 100, clock);
    const delays = Array.from({ length: 102 }, (_, i) => bucket.when(`key-${i}`));
    expect(delays.slice(0, 100).every((delay) => delay === 0)).toBe(true);
    expect(delays.slice(100)).toEqual([100, 200]);

    // 1 s later 10 tokens came back, 2 of which repay the overdraft.
    clock.advance(1000);
    const afterRefill = Array.from({ length: 9 }, () => bucket.when('x'));
    expect(afterRefill.slice(0, 8).every((delay) => delay === 0)).toBe(true);
    expect(afterRefill[8]).toBe(100);
  });

  it('never holds more than the burst', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketRateLimiter(10, 2, clock);
    clock.advance(3_600_000);
    expect([bucket.when('a'), bucket.when('b'), bucket.when('c')]).toEqual([0, 0, 100]);
  });
});

describe('MaxOfRateLimiter and defaultControllerRateLimiter', () => {
  it('waits for the longest limiter and records the retry in all of them', () => {
    const clock = new FakeClock();
    const perItem = new ItemExponentialRateLimiter(5, 1000);
    const limiter = new MaxOfRateLimiter(new TokenBucketRateLimiter(1, 1, clock), perItem);
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('b')).toBe(1000);
    expect(perItem.numRequeues('b')).toBe(1);
    expect(limiter.numRequeues('a')).toBe(1);
  });

  it('uses client-go defaults: 5 ms per-key base and a 100-token burst at 10 qps', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock());
    expect(limiter.when('a')).toBe(5);
    for (let i = 0; i < 99; i++) limiter.when(`other-${i}`);
    expect(limiter.when('b')).toBe(100);
  });
});
