// The testbed is the real thing: kube-apiserver on etcd, kube-controller-manager doing garbage
// collection, pebble answering ACME. Every later integration test stands on these facts.
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { httpsGet } from '../testbed/https.ts';
import { adminKubeConfig, createTestNamespace, kubectl, testbed } from './kube.ts';

describe('testbed', () => {
  it('serves a real kube-apiserver of the pinned version', async () => {
    const version = JSON.parse(await kubectl('version', '-o', 'json')) as {
      serverVersion: { gitVersion: string };
    };
    const pinned = /K8S_VERSION=(\S+)/.exec(readFileSync('hack/testbed/versions.env', 'utf8'))?.[1];
    expect(version.serverVersion.gitVersion).toBe(pinned);
  });

  it('stores objects in etcd and garbage-collects dependents (kube-controller-manager)', async () => {
    const ns = await createTestNamespace('gc');
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    const owner = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! },
          ],
        },
      },
    });
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'dependent' })).metadata?.name).toBe(
      'dependent',
    );
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'owner' });
    await expect
      .poll(
        async () =>
          core.readNamespacedConfigMap({ namespace: ns, name: 'dependent' }).then(
            () => 'present',
            (e: { code?: number }) => (e.code === 404 ? 'gone' : 'error'),
          ),
        { timeout: 30_000, interval: 250 },
      )
      .toBe('gone');
  });

  it('has acme6 CRDs established', async () => {
    const out = await kubectl('get', 'crd', '-o', 'name');
    for (const plural of ['certificates', 'issuers', 'clusterissuers']) {
      expect(out).toContain(`customresourcedefinition.apiextensions.k8s.io/${plural}.acme6.io`);
    }
  });

  it('runs pebble with ARI and profiles, and saved its issuing root', async () => {
    const pebble = testbed().pebble!;
    const dir = await httpsGet(pebble.directoryUrl, { ca: readFileSync(pebble.listenerCaFile, 'utf8') });
    expect(dir.status).toBe(200);
    const directory = JSON.parse(dir.body) as Record<string, unknown> & { meta: { profiles: object } };
    expect(directory).toHaveProperty('newOrder');
    expect(directory).toHaveProperty('renewalInfo');
    expect(Object.keys(directory.meta.profiles)).toEqual(['default']);
    const root = new X509Certificate(readFileSync(pebble.issuerRootFile));
    expect(root.ca).toBe(true);
    expect(root.subject).toContain('Pebble Root CA');
  });
});
