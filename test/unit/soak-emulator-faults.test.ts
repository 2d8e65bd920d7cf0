// The emulators' opt-in failure rate (for the soak): off by default, all or nothing at the ends,
// 500 and 503 alternately, and armed failures still come first.
import { describe, expect, it } from 'vitest';
import { Faults as DoFaults } from '../emulators/iij-do/faults.ts';
import { Faults as DpfFaults } from '../emulators/iij-dpf/faults.ts';

describe('IIJ DPF emulator failure rate', () => {
  it('fails nothing by default and everything at 100 %, alternating 500 and 503', () => {
    const faults = new DpfFaults();
    expect(faults.takeRequestFailure('GET')).toBeUndefined();
    faults.failPercent(100);
    expect([1, 2, 3].map(() => faults.takeRequestFailure('GET')?.status)).toEqual([500, 503, 500]);
    faults.failPercent(0);
    expect(faults.takeRequestFailure('POST')).toBeUndefined();
  });

  it('fails about the share asked for, and reset switches it off', () => {
    const faults = new DpfFaults();
    faults.failPercent(20);
    const failed = Array.from({ length: 5000 }, () => faults.takeRequestFailure('GET')).filter(
      Boolean,
    ).length;
    expect(failed).toBeGreaterThan(800);
    expect(failed).toBeLessThan(1200);
    faults.reset();
    expect(faults.takeRequestFailure('GET')).toBeUndefined();
  });
});

describe('IIJ DO-API emulator failure rate', () => {
  it('fails nothing by default and everything at 100 %, alternating 500 and 503', () => {
    const faults = new DoFaults();
    expect(faults.take('GET')).toBeUndefined();
    faults.failPercent(100);
    const statuses = [1, 2].map(() => {
      const f = faults.take('PUT');
      return f && 'status' in f ? f.status : undefined;
    });
    expect(statuses).toEqual([500, 503]);
    faults.reset();
    expect(faults.take('GET')).toBeUndefined();
  });

  it('serves an armed failure before the random ones', () => {
    const faults = new DoFaults();
    faults.failPercent(100);
    faults.failRequests(1, 429);
    const first = faults.take('GET');
    expect(first && 'status' in first ? first.status : undefined).toBe(429);
  });
});
