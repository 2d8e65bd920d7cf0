import { describe, expect, it } from 'vitest';
import { choosePodRuntime, type PodRuntimeFacts } from './pod-runtime.ts';

const ready: PodRuntimeFacts = {
  imageBuilt: true,
  runcFound: true,
  imageBuiltAtMs: Date.parse('2026-12-05T18:00:00Z'),
  sourcesChangedAtMs: Date.parse('2026-12-05T17:00:00Z'),
};

describe('choosePodRuntime', () => {
  it('runs acme6 pods from the image by default, and when asked for', () => {
    expect(choosePodRuntime({}, ready)).toBe('image');
    expect(choosePodRuntime({ ACME6_TESTBED_POD_RUNTIME: '' }, ready)).toBe('image');
    expect(choosePodRuntime({ ACME6_TESTBED_POD_RUNTIME: 'image' }, ready)).toBe('image');
  });

  it('runs local processes only when asked for, whatever the machine has', () => {
    const bare: PodRuntimeFacts = { imageBuilt: false, runcFound: false };
    expect(choosePodRuntime({ ACME6_TESTBED_POD_RUNTIME: 'process' }, bare)).toBe('process');
  });

  it('fails naming make image (and the opt-out) when no image was built, instead of falling back', () => {
    const facts = { ...ready, imageBuilt: false };
    expect(() => choosePodRuntime({}, facts)).toThrow(/dist\/image\/oci has none: run make image/);
    expect(() => choosePodRuntime({}, facts)).toThrow(/ACME6_TESTBED_POD_RUNTIME=process/);
  });

  it('fails naming runc when it is missing', () => {
    expect(() => choosePodRuntime({}, { ...ready, runcFound: false })).toThrow(
      /runc is not installed: run make testbed/,
    );
  });

  it('fails when the sources changed after the image was built (the pods would run old code)', () => {
    const stale = { ...ready, sourcesChangedAtMs: Date.parse('2026-12-05T18:30:00Z') };
    expect(() => choosePodRuntime({}, stale)).toThrow(
      'dist/image/oci (built 2026-12-05T18:00:00.000Z) is older than the sources (changed 2026-12-05T18:30:00.000Z)',
    );
    expect(choosePodRuntime({ ACME6_TESTBED_POD_RUNTIME: 'process' }, stale)).toBe('process');
  });

  it('refuses an unknown value', () => {
    expect(() => choosePodRuntime({ ACME6_TESTBED_POD_RUNTIME: 'docker' }, ready)).toThrow(
      'ACME6_TESTBED_POD_RUNTIME must be image or process, not docker',
    );
  });
});
