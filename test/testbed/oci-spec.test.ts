import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { capabilitySet, DEFAULT_CAPABILITIES, ociSpec, type ImageConfig } from './oci-spec.ts';

const image: ImageConfig = {
  User: '65532:65532',
  Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production'],
  Entrypoint: ['acme6'],
  WorkingDir: '/app',
};
const placement = { rootfs: '/r', netnsPath: '/run/netns/acme6-pod-1-ab' };
const pod = (container: V1Container, spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: { ...spec, containers: [container] },
});
type Spec = {
  process: {
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<string, string[]>;
    noNewPrivileges: boolean;
  };
  root: { readonly: boolean };
  linux: { namespaces: { type: string; path?: string }[] };
};
const build = (p: V1Pod, env = new Map<string, string>()): Spec =>
  ociSpec(image, p, p.spec?.containers[0] as V1Container, env, placement) as unknown as Spec;

describe('a container as an OCI runtime spec', () => {
  it("runs the image's entrypoint as the image user, with the pod's env, in the sandbox netns", () => {
    const spec = build(
      pod({ name: 'c', args: ['solver', '--listen-host=$(POD_IP)'] }),
      new Map([['POD_IP', '203.0.113.9']]),
    );
    expect(spec.process.args).toEqual(['acme6', 'solver', '--listen-host=203.0.113.9']);
    expect(spec.process.user).toEqual({ uid: 65532, gid: 65532 });
    expect(spec.process.cwd).toBe('/app');
    expect(spec.process.env).toEqual(
      expect.arrayContaining(['NODE_ENV=production', 'HOSTNAME=p', 'POD_IP=203.0.113.9']),
    );
    expect(spec.linux.namespaces).toContainEqual({ type: 'network', path: placement.netnsPath });
    expect(spec.root.readonly).toBe(false);
    expect(spec.process.noNewPrivileges).toBe(false);
  });

  it('applies runAsUser/runAsGroup, read-only root and allowPrivilegeEscalation: false', () => {
    const spec = build(
      pod(
        {
          name: 'c',
          securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
        },
        { securityContext: { runAsUser: 5, runAsGroup: 2000 } },
      ),
    );
    expect(spec.process.user).toEqual({ uid: 1000, gid: 2000 });
    expect(spec.root.readonly).toBe(true);
    expect(spec.process.noNewPrivileges).toBe(true);
  });

  it('gives root the capability set effective, a non-root user only the bounding set', () => {
    const agent = build(
      pod({
        name: 'a',
        securityContext: { runAsUser: 0, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } },
      }),
    );
    expect(agent.process.capabilities).toEqual({
      bounding: ['CAP_NET_ADMIN'],
      effective: ['CAP_NET_ADMIN'],
      permitted: ['CAP_NET_ADMIN'],
      inheritable: [],
      ambient: [],
    });
    const solver = build(pod({ name: 's', securityContext: { capabilities: { drop: ['ALL'] } } }));
    expect(solver.process.capabilities.bounding).toEqual([]);
    const plain = build(pod({ name: 's' }));
    expect(plain.process.capabilities.bounding).toEqual([...DEFAULT_CAPABILITIES].sort());
    expect(plain.process.capabilities.effective).toEqual([]);
  });

  it('drops named capabilities and accepts CAP_-prefixed names', () => {
    expect(capabilitySet({ drop: ['NET_RAW', 'CAP_KILL'] })).not.toContain('CAP_NET_RAW');
    expect(capabilitySet({ drop: ['NET_RAW', 'CAP_KILL'] })).not.toContain('CAP_KILL');
    expect(capabilitySet({ drop: ['all'], add: ['cap_net_admin'] })).toEqual(['CAP_NET_ADMIN']);
  });

  it('refuses root under runAsNonRoot, privileged containers and a command', () => {
    expect(() => build(pod({ name: 'c', securityContext: { runAsUser: 0, runAsNonRoot: true } }))).toThrow(
      /runAsNonRoot/,
    );
    expect(() => build(pod({ name: 'c', securityContext: { privileged: true } }))).toThrow(/privileged/);
    expect(() => build(pod({ name: 'c', command: ['sh'] }))).toThrow(/command is not supported/);
  });

  it('shares the caller network namespace without a sandbox, and binds files read-only', () => {
    const container = { name: 'c' };
    const spec = ociSpec(image, pod(container), container, new Map(), {
      rootfs: '/r',
      readOnlyBinds: [{ source: '/tmp/t/kubeconfig', destination: '/var/run/acme6/kubeconfig' }],
    }) as unknown as Spec & { mounts: { destination: string; type: string; options?: string[] }[] };
    expect(spec.linux.namespaces.map((n) => n.type)).not.toContain('network');
    const bind = spec.mounts.find((m) => m.destination === '/var/run/acme6/kubeconfig');
    expect(bind).toMatchObject({ type: 'bind', source: '/tmp/t/kubeconfig' });
    expect(bind?.options).toContain('ro');
  });
});
