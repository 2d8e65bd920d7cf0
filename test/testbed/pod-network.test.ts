import { describe, expect, it } from 'vitest';
import { nextHostNumber } from './pod-network.ts';

describe('nextHostNumber', () => {
  it('starts at 2: .1 is the node side of every veth', () => {
    expect(nextHostNumber(new Set(), new Set())).toBe(2);
  });

  it('skips numbers in use here and numbers other testbeds hold', () => {
    expect(nextHostNumber(new Set([2, 3]), new Set([4]))).toBe(5);
  });

  it('reuses a freed number', () => {
    expect(nextHostNumber(new Set([3, 4]), new Set())).toBe(2);
  });

  it('reports exhaustion of 2..254', () => {
    const all = new Set(Array.from({ length: 253 }, (_, i) => i + 2));
    expect(nextHostNumber(all, new Set())).toBeUndefined();
    expect(nextHostNumber(new Set([...all].filter((n) => n !== 254)), new Set())).toBe(254);
  });
});
