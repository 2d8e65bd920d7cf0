// The Kubernetes port against the real apiserver: status written by several field managers, and
// Events aggregated the way `kubectl describe` should show them.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, Kind } from '../../src/api/group.ts';
import { CustomResourceClient } from '../../src/kube/custom-resources.ts';
import { KubeEventRecorder } from '../../src/kube/events.ts';
import { refOf } from '../../src/kube/object-ref.ts';
import { adminKubeConfig, createTestNamespace, kubectl } from './kube.ts';

interface Cert {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string };
  status?: { conditions?: { type: string; status: string; reason: string }[]; revision?: number };
}

let ns: string;
let certs: CustomResourceClient<Cert>;

beforeAll(async () => {
  ns = await createTestNamespace('kube');
  certs = new CustomResourceClient<Cert>(adminKubeConfig(), Kind.Certificate);
  await adminKubeConfig()
    .makeApiClient(k8s.CustomObjectsApi)
    .createNamespacedCustomObject({
      group: 'acme6.io',
      version: 'v1alpha1',
      plural: 'certificates',
      namespace: ns,
      body: {
        apiVersion: API_VERSION,
        kind: 'Certificate',
        metadata: { name: 'port' },
        spec: { secretName: 'port-tls', dnsNames: ['port.example.test'], issuerRef: { name: 'x' } },
      },
    });
});

const condition = (type: string, status: string, reason: string) => ({
  type,
  status,
  reason,
  message: reason,
  lastTransitionTime: '2026-01-01T00:00:00Z',
  observedGeneration: 1,
});

describe('kube port', () => {
  it('lets each field manager own its own status fields', async () => {
    await certs.applyStatus(
      'port',
      ns,
      { conditions: [condition('Ready', 'False', 'DoesNotExist')] },
      'acme6-readiness',
    );
    await certs.applyStatus(
      'port',
      ns,
      { conditions: [condition('Issuing', 'True', 'Missing')], revision: 1 },
      'acme6-issuing',
    );
    let stored = await certs.get('port', ns);
    expect(stored?.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort()).toEqual([
      'Issuing=True',
      'Ready=False',
    ]);

    // The issuing manager drops its condition; readiness's condition and status stay untouched.
    await certs.applyStatus('port', ns, { revision: 1 }, 'acme6-issuing');
    stored = await certs.get('port', ns);
    expect(stored?.status?.conditions?.map((c) => c.type)).toEqual(['Ready']);
    expect(stored?.status?.revision).toBe(1);
    expect(await certs.get('missing', ns)).toBeUndefined();
  });

  it('aggregates repeated events into one with a count', async () => {
    const cert = (await certs.get('port', ns))!;
    const recorder = new KubeEventRecorder(adminKubeConfig(), { component: 'acme6-test' });
    for (let i = 0; i < 3; i++) recorder.warning(refOf(cert), 'Failed', 'the CA is down');
    recorder.normal(refOf(cert), 'Issued', 'certificate issued');
    await recorder.flush();
    const events = await adminKubeConfig()
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedEvent({ namespace: ns });
    const summary = events.items
      .map((e) => `${e.type}/${e.reason}/${e.count}/${e.involvedObject.uid}`)
      .sort();
    expect(summary).toEqual([
      `Normal/Issued/1/${cert.metadata.uid}`,
      `Warning/Failed/3/${cert.metadata.uid}`,
    ]);
    expect(await kubectl('describe', 'certificate', 'port', '-n', ns)).toMatch(
      /Warning\s+Failed\s+.*\(x3 over .*\)\s+acme6-test\s+the CA is down/,
    );
  });
});
