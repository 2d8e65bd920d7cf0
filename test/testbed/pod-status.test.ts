import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { buildPodStatus, restartBackoffMs, shouldRestart, type PodRuntime } from './pod-status.ts';

const pod = {
  metadata: { name: 'p', namespace: 'n' },
  spec: { containers: [{ name: 'site', image: 'acme6-testbed/http-echo' }] },
} as V1Pod;
const base: PodRuntime = {
  podIP: '203.0.113.9',
  hostIP: '203.0.113.1',
  state: { kind: 'running', startedAt: '2026-01-01T00:00:00.000Z', ready: true },
  restartCount: 0,
  final: false,
  now: '2026-01-01T00:00:05.000Z',
};
const conditions = (s: ReturnType<typeof buildPodStatus>): Record<string, string> =>
  Object.fromEntries(s.conditions.map((c) => [c.type, c.status]));

describe('buildPodStatus', () => {
  it('reports a ready running container with its pod IP, as the EndpointSlice controller needs', () => {
    const status = buildPodStatus(pod, base);
    expect(status.phase).toBe('Running');
    expect(status.podIP).toBe('203.0.113.9');
    expect(status.podIPs).toEqual([{ ip: '203.0.113.9' }]);
    expect(status.hostIPs).toEqual([{ ip: '203.0.113.1' }]);
    expect(conditions(status)).toEqual({
      PodScheduled: 'True',
      Initialized: 'True',
      ContainersReady: 'True',
      Ready: 'True',
    });
    expect(status.containerStatuses[0]).toMatchObject({
      name: 'site',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: '2026-01-01T00:00:00.000Z' } },
    });
  });

  it('is Running but not Ready until the probe passes', () => {
    const status = buildPodStatus(pod, {
      ...base,
      state: { ...base.state, ready: false } as PodRuntime['state'],
    });
    expect(status.phase).toBe('Running');
    expect(conditions(status).Ready).toBe('False');
    expect(status.conditions.find((c) => c.type === 'Ready')?.reason).toBe('ContainersNotReady');
  });

  it('is Pending without a pod IP while the container cannot be created', () => {
    const { podIP: _unused, ...rest } = base;
    const status = buildPodStatus(pod, {
      ...rest,
      state: { kind: 'waiting', reason: 'CreateContainerConfigError', message: 'm' },
    });
    expect(status.phase).toBe('Pending');
    expect(status.podIP).toBeUndefined();
    expect(status.containerStatuses[0]?.state).toEqual({
      waiting: { reason: 'CreateContainerConfigError', message: 'm' },
    });
  });

  it('ends Succeeded or Failed by exit code once final, Running while it will restart', () => {
    const terminated = (exitCode: number): PodRuntime['state'] => ({
      kind: 'terminated',
      exitCode,
      startedAt: base.now,
      finishedAt: base.now,
    });
    expect(buildPodStatus(pod, { ...base, state: terminated(0), final: true }).phase).toBe('Succeeded');
    expect(buildPodStatus(pod, { ...base, state: terminated(3), final: true }).phase).toBe('Failed');
    expect(buildPodStatus(pod, { ...base, state: terminated(3), final: false }).phase).toBe('Running');
    expect(
      buildPodStatus(pod, { ...base, state: terminated(3), final: true }).containerStatuses[0]?.state,
    ).toEqual({
      terminated: { exitCode: 3, reason: 'Error', startedAt: base.now, finishedAt: base.now },
    });
  });

  it('keeps a condition transition time while its status holds, and moves it on a change', () => {
    const earlier = '2025-12-31T23:00:00.000Z';
    const withHistory = {
      ...pod,
      status: {
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: new Date(earlier) },
          { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date(earlier) },
        ],
      },
    } as V1Pod;
    const ready = buildPodStatus(withHistory, base).conditions;
    expect(ready.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe(earlier);
    const notReady = buildPodStatus(withHistory, {
      ...base,
      state: { ...base.state, ready: false } as PodRuntime['state'],
    });
    expect(notReady.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe(base.now);
    expect(notReady.conditions.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe(earlier);
  });
});

describe('restarts', () => {
  it('follows restartPolicy like the kubelet', () => {
    expect(shouldRestart(undefined, 0)).toBe(true);
    expect(shouldRestart('Always', 0)).toBe(true);
    expect(shouldRestart('OnFailure', 0)).toBe(false);
    expect(shouldRestart('OnFailure', 1)).toBe(true);
    expect(shouldRestart('Never', 1)).toBe(false);
  });

  it('backs off doubling from 1 s up to 10 s', () => {
    expect([0, 1, 2, 3, 4, 10].map(restartBackoffMs)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});
