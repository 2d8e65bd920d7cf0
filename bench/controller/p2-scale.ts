// P2 memory at scale: the objects a big cluster holds, written straight to the apiserver (no CA work).
//   - `certificates` Certificates in namespace p2, each with its TLS Secret already written, signed by
//     a local test CA and labelled and annotated as acme6 writes it (buildTlsSecret, the controller's
//     own builder), so the controller only has to evaluate them (Ready condition written);
//   - `secrets` unrelated Opaque Secrets of `secretKb` KB and `ingresses` Ingresses without acme6's
//     annotations, spread over other namespaces.
// Everything is created with bounded concurrency; the Certificates' status is left to the controller.
import { randomBytes } from 'node:crypto';
import { buildTlsSecret } from '../../src/controllers/certificate/tls-secret.ts';
import type { CertificateSpec } from '../../src/api/certificate.ts';
import type { KubeRest } from '../../test/testbed/kube-rest.ts';
import { createCertificateAuthority, issueCertificate } from '../../test/testbed/pki.ts';

export interface P2Size {
  certificates: number;
  secrets: number;
  secretKb: number;
  ingresses: number;
}

export const P2_NAMESPACE = 'p2';
const OTHER_NAMESPACES = 20;
const CONCURRENCY = 32;

/** Runs `task(0..count-1)` with at most `concurrency` in flight; rejects on the first failure. */
export async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

const otherNamespace = (i: number): string => `p2-other-${i % OTHER_NAMESPACES}`;

/** Creates every object of P2; resolves with the seconds it took. */
export async function seedP2(admin: KubeRest, size: P2Size, zone: string): Promise<number> {
  const t0 = performance.now();
  for (const name of [
    P2_NAMESPACE,
    ...Array.from({ length: OTHER_NAMESPACES }, (_, i) => otherNamespace(i)),
  ]) {
    await admin.send('POST', '/api/v1/namespaces', { metadata: { name } });
  }
  const ca = await createCertificateAuthority('acme6 bench test CA');
  await pool(size.certificates, CONCURRENCY, async (i) => {
    const name = `p2-${i}`;
    const dnsNames = [`${name}.${zone}`];
    const spec: CertificateSpec = {
      secretName: `${name}-tls`,
      dnsNames,
      issuerRef: { kind: 'ClusterIssuer', name: 'testbed-pebble' },
      privateKey: { algorithm: 'ECDSA', size: 256 },
    } as CertificateSpec;
    const leaf = await issueCertificate(ca, {
      kind: 'server',
      commonName: dnsNames[0]!,
      dnsNames,
      ipAddresses: [],
    });
    const notAfter = new Date(Date.now() + 30 * 24 * 3600_000 - 3600_000);
    const secret = buildTlsSecret(
      { name, namespace: P2_NAMESPACE, spec },
      { chainPem: leaf.certPem, keyPem: leaf.keyPem, dnsNames, notAfter, revision: 1 },
    );
    await admin.send('POST', `/api/v1/namespaces/${P2_NAMESPACE}/secrets`, secret);
    await admin.send('POST', `/apis/acme6.io/v1alpha1/namespaces/${P2_NAMESPACE}/certificates`, {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Certificate',
      metadata: { name, namespace: P2_NAMESPACE },
      spec,
    });
  });
  // One random blob for all: its size is what the apiserver and any Secret cache would carry.
  const blob = randomBytes(Math.floor((size.secretKb * 1024 * 3) / 4)).toString('base64');
  await pool(size.secrets, CONCURRENCY, async (i) => {
    await admin.send('POST', `/api/v1/namespaces/${otherNamespace(i)}/secrets`, {
      metadata: { name: `unrelated-${i}`, labels: { app: `app-${i % 50}` } },
      type: 'Opaque',
      data: { blob },
    });
  });
  await pool(size.ingresses, CONCURRENCY, async (i) => {
    const host = `app-${i}.other.${zone}`;
    await admin.send('POST', `/apis/networking.k8s.io/v1/namespaces/${otherNamespace(i)}/ingresses`, {
      metadata: { name: `app-${i}`, annotations: { 'example.test/owner': `team-${i % 10}` } },
      spec: {
        tls: [{ hosts: [host], secretName: `app-${i}-tls` }],
        rules: [
          {
            host,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: `app-${i}`, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
  });
  return (performance.now() - t0) / 1000;
}

/**
 * Takes every P2 Certificate's status away (what the previous build's controller wrote), so that the
 * next build evaluates all of them again and its time to evaluate can be compared. Resolves with the
 * seconds it took.
 */
export async function clearP2Status(admin: KubeRest, certificates: number): Promise<number> {
  const t0 = performance.now();
  await pool(certificates, CONCURRENCY, async (i) => {
    await admin.send(
      'PATCH',
      `/apis/acme6.io/v1alpha1/namespaces/${P2_NAMESPACE}/certificates/p2-${i}/status`,
      { status: null },
      'merge',
    );
  });
  return (performance.now() - t0) / 1000;
}
