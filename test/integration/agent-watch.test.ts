// Scale: the agent watches only the Services that ask to be published, and their EndpointSlices.
// With 2,000 unannotated Services (each with an EndpointSlice on this very node) and one annotated
// one, `acme6 agent` runs in a node network namespace against the testbed apiserver through a
// recording proxy (bench/agent-watch-proxy.ts) that tallies every full Service and EndpointSlice
// the apiserver sent it; the proxy acts as a user bound to the agent's shipped RBAC
// (deploy/kustomize/components/agent/rbac.yaml), so the watches also prove those permissions.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { proxyKubeconfig, RecordingProxy } from '../../bench/agent-watch-proxy.ts';
import { kubeconfigTls } from '../testbed/kubeconfig.ts';
import { binariesFor } from '../../src/agent/backend.ts';
import { LABEL_SERVICE_NAME } from '../../src/agent/model.ts';
import { ANNOTATION_EXPOSE_IPV6 } from '../../src/api/group.ts';
import { repoRoot } from '../testbed/paths.ts';
import { ManagedProcess, waitUntil } from '../testbed/process.ts';
import { adminKubeConfig, createTestNamespace, testbed } from './kube.ts';
import { bridgeLoopbackPort, exec, NetnsTracker } from './netns.ts';

const UNRELATED = 2000;
const NODE = '2001:db8:1::1';
const POD = 'fd00:10::2';
const MOVED_POD = 'fd00:10::3';
const bin = binariesFor('nft');

/** Pod address of unrelated Service i: every one of them has a ready endpoint on this node. */
const podOf = (i: number): string => `fd00:10::${(0x1000 + i).toString(16)}`;

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** The `watching` log lines of the agent (what it holds), last first. */
function watchingLines(logFile: string): Record<string, number>[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"msg":"watching"'))
    .map((l) => JSON.parse(l) as Record<string, number>)
    .reverse();
}

describe('acme6 agent watches only the Services that ask to be published', () => {
  const namespaces = new NetnsTracker();
  const suffix = randomBytes(3).toString('hex');
  const nodeName = `agent-watch-${suffix}`;
  const user = `acme6-agent-watch-${suffix}`;
  const clusterRole = `acme6-agent-watch-${suffix}`;
  let node = '';
  let namespace = '';
  let agent: ManagedProcess | undefined;
  let proxy: RecordingProxy | undefined;
  let bridge: { close(): Promise<void> } | undefined;
  const core = () => adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  const discovery = () => adminKubeConfig().makeApiClient(k8s.DiscoveryV1Api);
  const rules = () => exec(node, bin.save, ['-t', 'nat']);
  const dnat = (pod: string, port: number) => `--to-destination [${pod}]:${port}`;
  const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

  async function createService(name: string, port: number, pod: string, annotated: boolean): Promise<void> {
    await core().createNamespacedService({
      namespace,
      body: {
        metadata: { name, ...(annotated ? { annotations: { [ANNOTATION_EXPOSE_IPV6]: 'true' } } : {}) },
        // Headless: 2,000 Services must not exhaust the testbed's ClusterIP range.
        spec: { clusterIP: 'None', ports: [{ name: 'https', port, targetPort: 8443, protocol: 'TCP' }] },
      },
    });
    await discovery().createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: {
          name: `${name}-1`,
          labels: { [LABEL_SERVICE_NAME]: name, 'endpointslice.kubernetes.io/managed-by': 'acme6-test' },
        },
        addressType: 'IPv6',
        endpoints: [{ addresses: [pod], nodeName, conditions: { ready: true } }],
        ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
      },
    });
  }

  /** The agent's shipped ClusterRole and status Role, bound to `user` (the proxy impersonates it). */
  async function grantAgentRbac(): Promise<void> {
    const docs = parseAllDocuments(
      readFileSync(join(repoRoot, 'deploy/kustomize/components/agent/rbac.yaml'), 'utf8'),
    ).map((d) => d.toJS() as { kind: string; rules: k8s.V1PolicyRule[] });
    const rulesOf = (kind: string) => docs.find((d) => d.kind === kind)?.rules ?? [];
    const rbac = adminKubeConfig().makeApiClient(k8s.RbacAuthorizationV1Api);
    const subjects = [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }];
    await rbac.createClusterRole({
      body: { metadata: { name: clusterRole }, rules: rulesOf('ClusterRole') },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: clusterRole },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects,
      },
    });
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'agent-status' }, rules: rulesOf('Role') },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'agent-status' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent-status' },
        subjects,
      },
    });
  }

  beforeAll(async () => {
    const tb = testbed();
    node = await namespaces.create();
    await exec(node, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
    namespace = await createTestNamespace('agent-watch');
    await grantAgentRbac();
    await core().createNode({ body: { metadata: { name: nodeName }, spec: { podCIDRs: ['fd00:10::/64'] } } });
    await core().patchNodeStatus(
      { name: nodeName, body: { status: { addresses: [{ type: 'InternalIP', address: NODE }] } } },
      mergePatch,
    );
    const started = Date.now();
    await inParallel(
      Array.from({ length: UNRELATED }, (_, i) => i),
      16,
      (i) => createService(`svc-${i}`, 10_000 + i, podOf(i), false),
    );
    await createService('pub', 443, POD, true);
    console.log(`created ${UNRELATED + 1} Services and EndpointSlices in ${Date.now() - started} ms`);

    proxy = await RecordingProxy.start(tb.apiserverUrl, kubeconfigTls(tb.kubeconfigFile), user);
    bridge = await bridgeLoopbackPort(node, proxy.port, join(tb.dir, `proxy-${nodeName}.sock`));
    const kubeconfig = join(tb.dir, `agent-${nodeName}.kubeconfig`);
    writeFileSync(kubeconfig, proxyKubeconfig(proxy.port));
    const log = join(tb.dir, `agent-${nodeName}.log`);
    agent = new ManagedProcess(
      'acme6 agent',
      'ip',
      [
        ...['netns', 'exec', node, process.execPath, join(repoRoot, 'src/cmd/acme6.ts'), 'agent'],
        ...['--kubeconfig', kubeconfig, '--node-name', nodeName, '--backend', 'nft'],
        ...['--min-sync-interval', '100ms', '--status-namespace', namespace, '--log-level', 'debug'],
        '--health-probe-bind-address=0',
      ],
      log,
    );
    await waitUntil(
      'agent start',
      () => Promise.resolve(readFileSync(log, 'utf8').includes('"msg":"agent started"')),
      { timeoutMs: 60_000, process: agent },
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await bridge?.close();
    await proxy?.stop();
    await namespaces.cleanup();
    const rbac = adminKubeConfig().makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.deleteClusterRoleBinding({ name: clusterRole }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: clusterRole }).catch(() => undefined);
    await core()
      .deleteNode({ name: nodeName })
      .catch(() => undefined);
    if (namespace)
      await core()
        .deleteNamespace({ name: namespace })
        .catch(() => undefined);
  });

  it('publishes the annotated Service, sent and holding in full only it and its EndpointSlice', async () => {
    await waitUntil('pub published', async () => (await rules()).includes(dnat(POD, 8443)), {
      timeoutMs: 30_000,
      ...(agent ? { process: agent } : {}),
    });
    // Every Service the apiserver sent in full, and every EndpointSlice (list items and watch events).
    expect(proxy?.full('Service')).toEqual([`${namespace}/pub`]);
    expect(proxy?.full('EndpointSlice')).toEqual([`${namespace}/pub-1`]);
    // Every other Service was seen, as metadata only.
    expect(proxy?.objectsSent.get('PartialObjectMetadata') ?? 0).toBeGreaterThan(UNRELATED);
    expect((await rules()).includes(dnat(podOf(7), 8443))).toBe(false);
    const held = watchingLines(agent?.logFile ?? '')[0];
    expect(held).toMatchObject({ services: 1, endpointSlices: 1 });
    expect(held?.serviceMetadata).toBeGreaterThan(UNRELATED);
  });

  it('an EndpointSlice change of the annotated Service reaches the rules', async () => {
    await discovery().patchNamespacedEndpointSlice(
      {
        name: 'pub-1',
        namespace,
        body: [{ op: 'replace', path: '/endpoints/0/addresses/0', value: MOVED_POD }],
      },
      jsonPatch,
    );
    await waitUntil(
      'new endpoint in the rules',
      async () => (await rules()).includes(dnat(MOVED_POD, 8443)),
      {
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );
    expect(await rules()).not.toContain(dnat(POD, 8443));
  });

  it('annotating a Service later publishes it; removing the annotation unpublishes it', async () => {
    await core().patchNamespacedService(
      { name: 'svc-7', namespace, body: { metadata: { annotations: { [ANNOTATION_EXPOSE_IPV6]: 'true' } } } },
      mergePatch,
    );
    await waitUntil('svc-7 published', async () => (await rules()).includes(dnat(podOf(7), 8443)), {
      timeoutMs: 10_000,
    });
    expect(proxy?.full('Service')).toEqual([`${namespace}/pub`, `${namespace}/svc-7`]);
    expect(proxy?.full('EndpointSlice')).toEqual([`${namespace}/pub-1`, `${namespace}/svc-7-1`]);
    await waitUntil(
      'holding two',
      () => {
        const held = watchingLines(agent?.logFile ?? '')[0];
        return Promise.resolve(held?.services === 2 && held.endpointSlices === 2);
      },
      { timeoutMs: 10_000 },
    );

    await core().patchNamespacedService(
      { name: 'svc-7', namespace, body: { metadata: { annotations: { [ANNOTATION_EXPOSE_IPV6]: null } } } },
      mergePatch,
    );
    await waitUntil('svc-7 unpublished', async () => !(await rules()).includes(dnat(podOf(7), 8443)), {
      timeoutMs: 10_000,
    });
    expect(await rules()).toContain(dnat(MOVED_POD, 8443));
    await waitUntil(
      'holding one again',
      () => {
        const held = watchingLines(agent?.logFile ?? '')[0];
        return Promise.resolve(held?.services === 1 && held.endpointSlices === 1);
      },
      { timeoutMs: 10_000 },
    );
    // The requests behind it: metadata for all Services, selected watches for the published ones.
    const services = proxy?.requests.filter((r) => /\/services(\?|$)/.test(r.url)) ?? [];
    const slices = proxy?.requests.filter((r) => r.url.includes('/endpointslices')) ?? [];
    for (const r of services)
      expect(
        r.accept.includes('as=PartialObjectMetadata') ||
          (r.url.includes(`/namespaces/${namespace}/services?`) &&
            /fieldSelector=metadata\.name(%3D|=)(pub|svc-7)(&|$)/.test(r.url)),
        r.url,
      ).toBe(true);
    for (const r of slices)
      expect(r.url, r.url).toMatch(
        new RegExp(
          `/namespaces/${namespace}/endpointslices\\?.*labelSelector=kubernetes\\.io%2Fservice-name(%3D|=)(pub|svc-7)(&|$)`,
        ),
      );
  });
});
