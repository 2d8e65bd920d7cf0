import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployedMemoryLimitBytes, quantityBytes } from '../../bench/controller/memory-cgroup.ts';

describe('the controller memory limit the benchmark runs under', () => {
  it('is the one the kustomize Deployment sets', () => {
    expect(deployedMemoryLimitBytes(resolve(import.meta.dirname, '../..'))).toBe(512 * 2 ** 20);
  });

  it('reads memory quantities', () => {
    expect(quantityBytes('512Mi')).toBe(536_870_912);
    expect(quantityBytes('1Gi')).toBe(2 ** 30);
    expect(quantityBytes('300M')).toBe(300_000_000);
    expect(quantityBytes('1048576')).toBe(1_048_576);
    expect(() => quantityBytes('0.5Gi')).toThrow(/not a memory quantity/);
  });
});
