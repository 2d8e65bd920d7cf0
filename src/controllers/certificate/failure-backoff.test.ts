import { describe, expect, it } from 'vitest';
import { failureDelayMs } from './failure-backoff.ts';

const hours = (h: number) => h * 3_600_000;

describe('failure backoff', () => {
  it('doubles from 1 h and stops at 32 h by default', () => {
    expect([0, 1, 2, 3, 6, 7, 50].map((n) => failureDelayMs(n))).toEqual([
      0,
      hours(1),
      hours(2),
      hours(4),
      hours(32),
      hours(32),
      hours(32),
    ]);
  });
  it('follows a configured schedule', () => {
    expect([1, 2, 3].map((n) => failureDelayMs(n, { initialMs: 1000, maxMs: 3000 }))).toEqual([
      1000, 2000, 3000,
    ]);
  });
});
