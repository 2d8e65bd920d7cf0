// Pure rules: a pod's container as an OCI runtime spec (config.json for runc), the way a kubelet and
// containerd would build it from the image config and the pod and container securityContext.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { UnrunnablePodError, expandVars } from './pod-spec.ts';

/** The parts of an OCI image config (`config` of the config blob) a container starts from. */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
}

/** Where the container runs: its root filesystem and the pod sandbox's network namespace. */
export interface ContainerPlacement {
  rootfs: string;
  /**
   * /run/netns/NAME of the pod sandbox; without it the container shares the caller's network
   * namespace (as a hostNetwork pod shares the node's), e.g. to reach servers on the host's loopback.
   */
  netnsPath?: string;
  /** Host files or directories bound read-only into the container, as a Secret volume would be. */
  readOnlyBinds?: { source: string; destination: string }[];
}

// containerd's default capability set (what a container gets before `drop` and `add`).
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const capName = (c: string): string => (c.toUpperCase().startsWith('CAP_') ? c : `CAP_${c}`).toUpperCase();

/** The bounding set after the container's `capabilities.drop` (ALL allowed) and `add`. */
export function capabilitySet(caps: { add?: string[]; drop?: string[] } | undefined): string[] {
  const drop = (caps?.drop ?? []).map(capName);
  const kept = drop.includes('CAP_ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  return [...new Set([...kept, ...(caps?.add ?? []).map(capName)])].sort();
}

/** The image's `User` as numbers; names cannot be resolved without the image's /etc/passwd. */
function imageUser(user: string | undefined): { uid: number; gid: number } {
  if (!user) return { uid: 0, gid: 0 };
  const [u, g] = user.split(':');
  if (!/^\d+$/.test(u ?? '') || (g !== undefined && !/^\d+$/.test(g))) {
    throw new UnrunnablePodError('CreateContainerConfigError', `image user ${user} is not numeric`);
  }
  return { uid: Number(u), gid: g === undefined ? 0 : Number(g) };
}

/** config.json for `runc run`: process, user, capabilities, read-only root, namespaces. */
export function ociSpec(
  image: ImageConfig,
  pod: V1Pod,
  container: V1Container,
  env: ReadonlyMap<string, string>,
  placement: ContainerPlacement,
): Record<string, unknown> {
  const podSecurity = pod.spec?.securityContext ?? {};
  const security = container.securityContext ?? {};
  const fromImage = imageUser(image.User);
  const uid = security.runAsUser ?? podSecurity.runAsUser ?? fromImage.uid;
  const gid = security.runAsGroup ?? podSecurity.runAsGroup ?? fromImage.gid;
  if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) && uid === 0) {
    throw new UnrunnablePodError(
      'CreateContainerConfigError',
      `container ${container.name} has runAsNonRoot and would run as root`,
    );
  }
  if (security.privileged) {
    throw new UnrunnablePodError('CreateContainerConfigError', 'the testbed runs no privileged containers');
  }
  if (container.command?.length) {
    throw new UnrunnablePodError(
      'UnsupportedCommand',
      `container ${container.name}: command is not supported for image ${container.image}; the entrypoint is fixed`,
    );
  }
  const args = container.args ? container.args.map((a) => expandVars(a, env)) : (image.Cmd ?? []);
  const caps = capabilitySet(security.capabilities);
  // As containerd does: a non-root process keeps only the bounding set; root gets the set effective.
  const granted = uid === 0 ? caps : [];
  const supplemental = podSecurity.supplementalGroups ?? [];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid, gid, ...(supplemental.length && { additionalGids: supplemental }) },
      args: [...(image.Entrypoint ?? []), ...args],
      env: [
        ...(image.Env ?? []),
        `HOSTNAME=${pod.metadata?.name ?? ''}`,
        ...[...env].map(([k, v]) => `${k}=${v}`),
      ],
      cwd: image.WorkingDir || '/',
      capabilities: { bounding: caps, effective: granted, permitted: granted, inheritable: [], ambient: [] },
      noNewPrivileges: security.allowPrivilegeEscalation === false,
    },
    root: { path: placement.rootfs, readonly: security.readOnlyRootFilesystem === true },
    hostname: pod.metadata?.name ?? 'pod',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...(placement.readOnlyBinds ?? []).map(({ source, destination }) => ({
        destination,
        type: 'bind',
        source,
        options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'],
      })),
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        ...(placement.netnsPath ? [{ type: 'network', path: placement.netnsPath }] : []),
      ],
      maskedPaths: [
        '/proc/kcore',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: [
        '/proc/asound',
        '/proc/bus',
        '/proc/fs',
        '/proc/irq',
        '/proc/sys',
        '/proc/sysrq-trigger',
      ],
    },
  };
}
