// A ClusterIssuer for the testbed's pebble becomes Ready through the real controller process; its
// account key is generated once and survives restarts, and pebble keeps the same account for it.
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { startController } from './controller-process.ts';
import { adminKubeConfig, createTestNamespace, kubectl, testbed } from './kube.ts';

let resourceNs: string;
let controller: ManagedProcess;
const issuerName = `pebble-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  resourceNs = await createTestNamespace('acme6');
  controller = await startController(['--cluster-resource-namespace', resourceNs]);
});
afterAll(async () => {
  await controller.stop();
  await kubectl('delete', 'clusterissuer', issuerName, '--ignore-not-found');
});

function clusterIssuer(email: string): string {
  const pebble = testbed().pebble!;
  return JSON.stringify({
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'ClusterIssuer',
    metadata: { name: issuerName },
    spec: {
      acme: {
        server: pebble.directoryUrl,
        email,
        caBundle: Buffer.from(readFileSync(pebble.listenerCaFile)).toString('base64'),
        privateKeySecretRef: { name: `${issuerName}-account` },
        solvers: [{ http01: { ingress: {} } }],
      },
    },
  });
}

async function applyIssuer(email: string): Promise<void> {
  const file = `${testbed().dir}/${issuerName}.json`;
  (await import('node:fs')).writeFileSync(file, clusterIssuer(email));
  await kubectl('apply', '-f', file);
}

async function accountState(): Promise<{ uri: string; key: string; ready: string; generation: number }> {
  const issuer = JSON.parse(await kubectl('get', 'clusterissuer', issuerName, '-o', 'json')) as {
    metadata: { generation: number };
    status: {
      acme: { uri: string };
      conditions: { type: string; status: string; observedGeneration: number }[];
    };
  };
  const secret = await adminKubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .readNamespacedSecret({ namespace: resourceNs, name: `${issuerName}-account` });
  const ready = issuer.status.conditions.find((c) => c.type === 'Ready')!;
  return {
    uri: issuer.status.acme.uri,
    key: secret.data!['tls.key']!,
    ready: `${ready.status}@${ready.observedGeneration}`,
    generation: issuer.metadata.generation,
  };
}

describe('issuer controller', () => {
  it('registers a ClusterIssuer at pebble and keeps its account across restarts', async () => {
    await applyIssuer('first@example.test');
    await kubectl('wait', '--for=condition=Ready', `clusterissuer/${issuerName}`, '--timeout=60s');
    const first = await accountState();
    expect(first.uri).toMatch(new RegExp(`^${new URL(testbed().pebble!.directoryUrl).origin}/my-account/`));
    expect(first.ready).toBe('True@1');
    // Events are recorded after the status write, and may trail it by a moment.
    const described = () => kubectl('describe', 'clusterissuer', issuerName);
    await expect.poll(described, { timeout: 10_000 }).toMatch(/Normal\s+AccountKeyGenerated/);
    expect(await described()).toMatch(/Normal\s+AccountRegistered/);

    // A restarted controller finds everything up to date: same key, same account.
    await controller.stop();
    controller = await startController(['--cluster-resource-namespace', resourceNs]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await accountState()).toEqual(first);

    // A new email re-registers with the same key: pebble answers with the same account.
    await applyIssuer('second@example.test');
    await expect.poll(async () => (await accountState()).ready, { timeout: 30_000 }).toBe('True@2');
    const second = await accountState();
    expect(second.uri).toBe(first.uri);
    expect(second.key).toBe(first.key);
  });

  it('reports an unreachable ACME server in Ready and recovers when it is fixed', async () => {
    const name = `${issuerName}-down`;
    const body = (server: string) => ({
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'ClusterIssuer',
      metadata: { name },
      spec: {
        acme: {
          server,
          caBundle: Buffer.from(readFileSync(testbed().pebble!.listenerCaFile)).toString('base64'),
          privateKeySecretRef: { name: `${name}-account` },
          solvers: [{ http01: { ingress: {} } }],
        },
      },
    });
    const file = `${testbed().dir}/${name}.json`;
    const { writeFileSync } = await import('node:fs');
    // Port 9 on loopback: nothing listens there.
    writeFileSync(file, JSON.stringify(body('https://127.0.0.1:9/dir')));
    await kubectl('apply', '-f', file);
    await expect
      .poll(
        async () =>
          kubectl(
            'get',
            'clusterissuer',
            name,
            '-o',
            'jsonpath={.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}',
          ),
        { timeout: 30_000 },
      )
      .toMatch(/^RegistrationFailed: .*127\.0\.0\.1:9/);
    writeFileSync(file, JSON.stringify(body(testbed().pebble!.directoryUrl)));
    await kubectl('apply', '-f', file);
    await kubectl('wait', '--for=condition=Ready', `clusterissuer/${name}`, '--timeout=60s');
    await kubectl('delete', 'clusterissuer', name);
  });
});
