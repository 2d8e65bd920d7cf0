import { describe, expect, it } from 'vitest';
import { serialise } from './zone-queue.ts';

describe('per-zone queue', () => {
  it('runs work for one key one at a time, in order, even after a failure', async () => {
    const log: string[] = [];
    const step =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    const runs = [serialise('z', step('a')), serialise('z', step('b', true)), serialise('z', step('c'))];
    const results = await Promise.allSettled(runs);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('lets different keys run side by side', async () => {
    const log: string[] = [];
    const slow = serialise('x', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      log.push('x');
    });
    await serialise('y', () => Promise.resolve(log.push('y')));
    await slow;
    expect(log).toEqual(['y', 'x']);
  });
});
