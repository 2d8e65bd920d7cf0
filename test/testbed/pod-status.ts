// Pure: the pod status the runner reports, shaped as a kubelet's, so kube-controller-manager's
// EndpointSlice controller and clients see what they would see in a real cluster.
import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';

/** The single container's state as the runner knows it. */
export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: string; ready: boolean }
  | { kind: 'terminated'; exitCode: number; signal?: string; startedAt: string; finishedAt: string };

/** Everything a status is built from. */
export interface PodRuntime {
  podIP?: string;
  hostIP: string;
  state: ContainerState;
  restartCount: number;
  /** Set when the pod will not run again (restartPolicy says so). */
  final: boolean;
  now: string;
}

/** The JSON status written through pods/status (a strategic merge patch body's `status`). */
export interface PodStatusJson {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  hostIP: string;
  hostIPs: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime: string;
  conditions: { type: string; status: 'True' | 'False'; lastTransitionTime: string; reason?: string }[];
  containerStatuses: Record<string, unknown>[];
}

function phaseOf(runtime: PodRuntime): PodStatusJson['phase'] {
  const { state } = runtime;
  if (state.kind === 'terminated' && runtime.final) return state.exitCode === 0 ? 'Succeeded' : 'Failed';
  if (state.kind === 'waiting' && runtime.restartCount === 0) return 'Pending';
  return 'Running';
}

function containerStateJson(state: ContainerState): Record<string, unknown> {
  switch (state.kind) {
    case 'waiting':
      return { waiting: { reason: state.reason, ...(state.message && { message: state.message }) } };
    case 'running':
      return { running: { startedAt: state.startedAt } };
    case 'terminated':
      return {
        terminated: {
          exitCode: state.exitCode,
          reason: state.exitCode === 0 ? 'Completed' : 'Error',
          ...(state.signal && { signal: signalNumber(state.signal) }),
          startedAt: state.startedAt,
          finishedAt: state.finishedAt,
        },
      };
  }
}

function signalNumber(signal: string): number {
  return ({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[signal] ?? 0;
}

/** Builds the status; a condition keeps its lastTransitionTime while its status does not change. */
export function buildPodStatus(pod: V1Pod, runtime: PodRuntime): PodStatusJson {
  const container = pod.spec?.containers[0];
  const ready = runtime.state.kind === 'running' && runtime.state.ready;
  const previous = new Map<string, V1PodCondition>(
    (pod.status?.conditions ?? []).map((c: V1PodCondition) => [c.type, c]),
  );
  const condition = (type: string, status: boolean): PodStatusJson['conditions'][number] => {
    const value = status ? 'True' : 'False';
    const before = previous.get(type);
    const since =
      before?.status === value && before.lastTransitionTime
        ? new Date(before.lastTransitionTime).toISOString()
        : runtime.now;
    const notReady = !status && (type === 'Ready' || type === 'ContainersReady');
    return {
      type,
      status: value,
      lastTransitionTime: since,
      ...(notReady && { reason: 'ContainersNotReady' }),
    };
  };
  const startTime = pod.status?.startTime ? new Date(pod.status.startTime).toISOString() : runtime.now;
  return {
    phase: phaseOf(runtime),
    hostIP: runtime.hostIP,
    hostIPs: [{ ip: runtime.hostIP }],
    ...(runtime.podIP && { podIP: runtime.podIP, podIPs: [{ ip: runtime.podIP }] }),
    startTime,
    conditions: [
      condition('PodScheduled', true),
      condition('Initialized', true),
      condition('ContainersReady', ready),
      condition('Ready', ready),
    ],
    containerStatuses: [
      {
        name: container?.name ?? '',
        image: container?.image ?? '',
        imageID: '',
        ready,
        started: runtime.state.kind === 'running',
        restartCount: runtime.restartCount,
        state: containerStateJson(runtime.state),
      },
    ],
  };
}

/** Delay before restart number `restarts` + 1: doubling from 1 s, at most 10 s (the kubelet caps at 5 min). */
export function restartBackoffMs(restarts: number): number {
  return Math.min(1000 * 2 ** restarts, 10_000);
}

/** Whether a container that exited with `exitCode` is started again under `restartPolicy`. */
export function shouldRestart(restartPolicy: string | undefined, exitCode: number): boolean {
  if (restartPolicy === 'Never') return false;
  if (restartPolicy === 'OnFailure') return exitCode !== 0;
  return true;
}
