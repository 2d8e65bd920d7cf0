// The testbed's http-01 data plane is real: Traefik routes Ingress objects to pods the pod runner
// runs, through EndpointSlices kube-controller-manager fills, and pods live and die as in a cluster.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { setHostAddresses } from '../testbed/dns-update.ts';
import { tcpConnects } from '../testbed/tcp.ts';
import { createBasicAuth, createSite, SITE_AUTH } from './echo-site.ts';
import { viaIngress } from './ingress-http.ts';
import { adminKubeConfig, createTestNamespace, testbed } from './kube.ts';

const run = promisify(execFile);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const clients = () => {
  const kc = adminKubeConfig();
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    networking: kc.makeApiClient(k8s.NetworkingV1Api),
    discovery: kc.makeApiClient(k8s.DiscoveryV1Api),
  };
};

async function readyPod(namespace: string, name: string): Promise<k8s.V1Pod> {
  const { core } = clients();
  return waitFor(`pod ${namespace}/${name} Ready`, async () => {
    const pod = await core.readNamespacedPod({ namespace, name });
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready ? pod : undefined;
  });
}

describe('testbed data plane', () => {
  it('routes an Ingress through Traefik to an echo pod whose EndpointSlice KCM filled', async () => {
    const tb = testbed();
    expect(tb.ingress?.address).toBe('127.0.0.1');
    const ns = await createTestNamespace('dataplane');
    const host = `${ns}.example.test`;
    await createSite(ns, 'site', { host, path: '/', pathType: 'Prefix' });
    const pod = await readyPod(ns, 'site');
    expect(pod.spec?.nodeName).toBe(tb.podRunner?.nodeName);
    expect(pod.status?.phase).toBe('Running');
    const podIP = pod.status?.podIP ?? '';
    expect(podIP).toMatch(/^203\.0\.113\.\d+$/);
    expect(pod.status?.podIPs).toEqual([{ ip: podIP }]);

    const slice = await waitFor('an EndpointSlice with the pod', async () => {
      const slices = await clients().discovery.listNamespacedEndpointSlice({
        namespace: ns,
        labelSelector: 'kubernetes.io/service-name=site',
      });
      return slices.items.find((s) => s.endpoints?.some((e) => e.addresses.includes(podIP)));
    });
    expect(slice.metadata?.labels?.['endpointslice.kubernetes.io/managed-by']).toBe(
      'endpointslice-controller.k8s.io',
    );
    expect(slice.endpoints?.find((e) => e.addresses.includes(podIP))?.conditions?.ready).toBe(true);
    expect(slice.ports?.[0]?.port).toBe(8080);

    const served = await waitFor('the site through Traefik', async () => {
      const res = await viaIngress(host, '/any/path');
      return res.status === 200 ? res : undefined;
    });
    expect(served.body).toBe(`site ${ns}/site`);
    expect((await viaIngress(`other-${ns}.example.test`, '/')).status).toBe(404);
  });

  it('serves only Ingresses of class traefik', async () => {
    const ns = await createTestNamespace('dataplane-class');
    await createSite(ns, 'classless', {
      host: `classless.${ns}.example.test`,
      path: '/',
      pathType: 'Prefix',
      className: null,
    });
    await createSite(ns, 'nginx', {
      host: `nginx.${ns}.example.test`,
      path: '/',
      pathType: 'Prefix',
      className: 'nginx',
    });
    await createSite(ns, 'served', { host: `served.${ns}.example.test`, path: '/', pathType: 'Prefix' });
    await waitFor('the class traefik site', async () =>
      (await viaIngress(`served.${ns}.example.test`, '/')).status === 200 ? true : undefined,
    );
    await readyPod(ns, 'classless');
    await readyPod(ns, 'nginx');
    expect((await viaIngress(`classless.${ns}.example.test`, '/')).status).toBe(404);
    expect((await viaIngress(`nginx.${ns}.example.test`, '/')).status).toBe(404);
  });

  it('lets an Exact challenge path win over a site behind basic auth on the same host', async () => {
    const ns = await createTestNamespace('dataplane-auth');
    const host = `app-${ns}.example.test`;
    const token = 'tok-AbC_123';
    await createSite(ns, 'site', {
      host,
      path: '/',
      pathType: 'Prefix',
      annotations: await createBasicAuth(ns, 'site'),
    });
    await readyPod(ns, 'site');
    const locked = await waitFor('the site behind basic auth', async () => {
      const res = await viaIngress(host, '/');
      return res.status === 401 ? res : undefined;
    });
    expect(locked.status).toBe(401);
    expect(await viaIngress(host, '/', { Authorization: SITE_AUTH })).toEqual({
      status: 200,
      body: `site ${ns}/site`,
    });

    await createSite(ns, 'challenge', {
      host,
      path: `/.well-known/acme-challenge/${token}`,
      pathType: 'Exact',
    });
    const answered = await waitFor('the challenge path', async () => {
      const res = await viaIngress(host, `/.well-known/acme-challenge/${token}`);
      return res.status === 200 ? res : undefined;
    });
    expect(answered.body).toBe(`site ${ns}/challenge`);
    // Exact means exact: anything else on the host still needs the password.
    expect((await viaIngress(host, `/.well-known/acme-challenge/${token}/more`)).status).toBe(401);
    expect((await viaIngress(host, '/')).status).toBe(401);
  });

  it('stops the process when a pod is deleted, removes its network namespace and the pod', async () => {
    const ns = await createTestNamespace('dataplane-delete');
    await createSite(ns, 'doomed');
    const pod = await readyPod(ns, 'doomed');
    const podIP = pod.status!.podIP!;
    expect(await tcpConnects(podIP, 8080)).toBe(true);
    // The host routes the pod IP into the pod's veth a6p<id>; its namespace is acme6-pod-<pid>-<id>.
    const link = /dev a6p([0-9a-f]+)/.exec((await run('ip', ['route', 'show', `${podIP}/32`])).stdout)?.[1];
    expect(link).toBeDefined();
    const netns = (await run('ip', ['netns', 'list'])).stdout
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .find((name) => name.endsWith(`-${link}`));
    expect(netns).toMatch(/^acme6-pod-\d+-[0-9a-f]+$/);
    const pids = (await run('ip', ['netns', 'pids', netns!])).stdout.trim().split('\n').filter(Boolean);
    expect(pids.length).toBeGreaterThan(0);

    const { core } = clients();
    await core.deleteNamespacedPod({ namespace: ns, name: 'doomed' });
    await waitFor('the pod object to be gone', async () => {
      try {
        await core.readNamespacedPod({ namespace: ns, name: 'doomed' });
        return undefined;
      } catch (err) {
        return (err as { code?: number }).code === 404 ? true : undefined;
      }
    });
    // The runner stops the process and removes the sandbox before it deletes the pod for good.
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(netns!);
    expect((await run('ip', ['route', 'show', `${podIP}/32`])).stdout).not.toContain(`a6p${link}`);
    const log = readFileSync(join(testbed().podRunner!.logDir, `${ns}_doomed.log`), 'utf8');
    expect(log).toContain('SIGTERM');
  });

  it('runs an acme6 image as src/cmd/acme6.ts with the pod env and expanded args', async () => {
    const ns = await createTestNamespace('dataplane-acme6');
    const { core } = clients();
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'acme6-version' },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'acme6',
              image: 'ghcr.io/acme6/acme6:0.1.0',
              args: ['$(SUBCOMMAND)'],
              env: [
                { name: 'SUBCOMMAND', value: 'version' },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
            },
          ],
        },
      },
    });
    const done = await waitFor('the acme6 pod to finish', async () => {
      const pod = await core.readNamespacedPod({ namespace: ns, name: 'acme6-version' });
      return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' ? pod : undefined;
    });
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    const log = readFileSync(join(testbed().podRunner!.logDir, `${ns}_acme6-version.log`), 'utf8');
    expect(log).toMatch(/^acme6 \d+\.\d+\.\d+/m);
    // ACME6_TESTBED_POD_RUNTIME=image: the container came from the built image, under runc.
    const runnerLog = readFileSync(join(testbed().podRunner!.logDir, '../pod-runner.log'), 'utf8');
    const started = runnerLog.split('\n').find((l) => l.includes(`${ns}/acme6-version started`));
    expect(started).toContain(
      testbed().podRunner!.runtime === 'image' ? 'runc container' : 'src/cmd/acme6.ts',
    );
  });

  it('leaves a pod of an unknown image Pending and unbound, with a Warning Event', async () => {
    const ns = await createTestNamespace('dataplane-unknown');
    const { core } = clients();
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'nginx' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    });
    const event = await waitFor('an UnknownImage event', async () => {
      const events = await core.listNamespacedEvent({ namespace: ns });
      return events.items.find((e) => e.reason === 'UnknownImage' && e.involvedObject.name === 'nginx');
    });
    expect(event.type).toBe('Warning');
    expect(event.message).toContain('nginx:1.27');
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'nginx' });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.nodeName).toBeUndefined();
  });

  it('sets and removes the A and AAAA records of a test host on the DNS pebble resolves with', async () => {
    const dns = testbed().dns!;
    const host = `app-${Date.now().toString(36)}.example.test`;
    const resolver = new Resolver();
    resolver.setServers([dns.primary]);
    await setHostAddresses(dns, host, { a: ['127.0.0.1'], aaaa: ['::1'] });
    expect(await resolver.resolve4(host)).toEqual(['127.0.0.1']);
    expect(await resolver.resolve6(host)).toEqual(['::1']);
    await setHostAddresses(dns, host, { aaaa: [] });
    expect(await resolver.resolve4(host)).toEqual(['127.0.0.1']);
    await expect(resolver.resolve6(host)).rejects.toMatchObject({ code: 'ENODATA' });
  });
});
