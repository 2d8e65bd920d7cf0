// The ingress-shim end to end: an annotated Ingress applied with kubectl becomes a Certificate and a
// valid TLS Secret from pebble over dns-01, follows the Ingress's changes, goes with it through real
// garbage collection (kube-controller-manager), and bad annotations give exactly one BadConfig Event.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../testbed/paths.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certStatus, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { adminKubeConfig, createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';

let ns: string;
let controller: ManagedProcess;
const CLUSTER_ISSUER = 'testbed-pebble';

/** deploy/examples/clusterissuer-testbed-pebble.yaml with the testbed's coordinates, as hack/demo.sh fills it. */
function exampleClusterIssuerFile(): string {
  const tb = testbed();
  const filled = readFileSync(join(repoRoot, 'deploy/examples/clusterissuer-testbed-pebble.yaml'), 'utf8')
    .replace('@PEBBLE_DIRECTORY_URL@', tb.pebble!.directoryUrl)
    .replace('@PEBBLE_CA_BUNDLE_BASE64@', readFileSync(tb.pebble!.listenerCaFile).toString('base64'))
    .replaceAll('@DNS_PRIMARY@', tb.dns!.primary)
    .replaceAll('@DNS_SECONDARY@', tb.dns!.secondary)
    .replace('@TSIG_KEY_NAME@', tb.dns!.tsig.keyName);
  const file = join(tb.dir, `ingress-clusterissuer-${Date.now()}.yaml`);
  writeFileSync(file, filled);
  return file;
}

/** An Ingress with one tls entry per `tls` item and a rule per host. */
function ingress(
  name: string,
  annotations: Record<string, string>,
  tls: { hosts?: string[]; secretName?: string }[],
): object {
  const hosts = tls.flatMap((t) => t.hosts ?? []);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: {
      tls,
      rules: hosts.map((host) => ({
        host,
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          ],
        },
      })),
    },
  };
}

/** Events recorded on one Ingress, optionally of one reason. */
function ingressEvents(name: string, reason?: string): Promise<k8s.CoreV1Event[]> {
  return eventsOf(ns, name, { kind: 'Ingress', ...(reason && { reason }) });
}

interface StoredCertificate {
  metadata: {
    resourceVersion: string;
    generation: number;
    labels?: Record<string, string>;
    ownerReferences?: k8s.V1OwnerReference[];
  };
  spec: { dnsNames: string[]; issuerRef: { name: string; kind: string } } & Record<string, unknown>;
}

/** The Certificate as stored, or undefined. */
async function getCertificate(name: string): Promise<StoredCertificate | undefined> {
  try {
    return JSON.parse(await kubectl('get', 'certificate', name, '-n', ns, '-o', 'json')) as StoredCertificate;
  } catch (err) {
    if (String(err).includes('NotFound')) return undefined;
    throw err;
  }
}

async function secretExists(name: string): Promise<boolean> {
  try {
    await adminKubeConfig().makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace: ns, name });
    return true;
  } catch {
    return false;
  }
}

const waitReady = async (name: string): Promise<void> => {
  await expect.poll(() => getCertificate(name), { timeout: 30_000 }).toBeDefined();
  await kubectl('wait', '--for=condition=Ready', `certificate/${name}`, '-n', ns, '--timeout=120s');
};

beforeAll(async () => {
  ns = await createTestNamespace('ingress');
  // ClusterIssuers read their Secrets in the controller's cluster-resource namespace: this test's.
  controller = await startController([
    '--cluster-resource-namespace',
    ns,
    '--default-issuer-name',
    CLUSTER_ISSUER,
    '--default-issuer-kind',
    'ClusterIssuer',
  ]);
  await kubectl(
    'create',
    'secret',
    'generic',
    'testbed-tsig',
    '-n',
    ns,
    `--from-literal=secret=${testbed().dns!.tsig.secret}`,
  );
  await kubectl('apply', '-f', exampleClusterIssuerFile());
  await kubectl('wait', '--for=condition=Ready', `clusterissuer/${CLUSTER_ISSUER}`, '--timeout=60s');
});
afterAll(async () => {
  await controller?.stop();
  await kubectl('delete', 'clusterissuer', CLUSTER_ISSUER, '--ignore-not-found', '--timeout=30s');
});

describe('ingress-shim against the testbed', () => {
  it('turns the sample Ingress (kubectl apply -f) into a Ready Certificate and a valid TLS Secret', async () => {
    await kubectl('apply', '-n', ns, '-f', join(repoRoot, 'deploy/examples/ingress-demo.yaml'));
    await waitReady('web-demo-tls');
    const cert = await getCertificate('web-demo-tls');
    const uid = await kubectl('get', 'ingress', 'web-demo', '-n', ns, '-o', 'jsonpath={.metadata.uid}');
    expect(cert!.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: 'web-demo',
        uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(cert!.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'web-demo' });
    expect(cert!.spec.issuerRef).toMatchObject({ name: CLUSTER_ISSUER, kind: 'ClusterIssuer' });
    expect(cert!.spec.privateKey).toMatchObject({ algorithm: 'ECDSA', size: 256 });
    const tls = await tlsSecret(ns, 'web-demo-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect(tls.keyMatches).toBe(true);
    expect([...tls.leaf.dnsNames].sort()).toEqual(['web.example.test', 'www.example.test']);
    const created = await ingressEvents('web-demo', 'CreateCertificate');
    expect(created.map((e) => e.message)).toEqual([
      'Created Certificate web-demo-tls for web.example.test, www.example.test',
    ]);
  });

  it('gets a deleted TLS Secret back, valid, within seconds', async () => {
    const before = (await tlsSecret(ns, 'web-demo-tls')).leaf.serialNumber;
    await adminKubeConfig()
      .makeApiClient(k8s.CoreV1Api)
      .deleteNamespacedSecret({ namespace: ns, name: 'web-demo-tls' });
    const started = performance.now();
    await expect
      .poll(async () => (await secretExists('web-demo-tls')) && (await tlsSecret(ns, 'web-demo-tls')), {
        timeout: 60_000,
        interval: 100,
      })
      .toMatchObject({ chainVerdict: { valid: true }, keyMatches: true });
    const elapsedMs = performance.now() - started;
    console.log(`ingress-made Certificate: deleted TLS Secret back, valid, after ${elapsedMs.toFixed(0)} ms`);
    expect((await tlsSecret(ns, 'web-demo-tls')).leaf.serialNumber).not.toBe(before);
    await waitReady('web-demo-tls');
  });

  it('issues a new certificate whose SANs include a host added to the Ingress', async () => {
    await kubectl(
      'patch',
      'ingress',
      'web-demo',
      '-n',
      ns,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/spec/tls/0/hosts/-', value: 'shop.example.test' }]),
    );
    await expect
      .poll(async () => [...(await tlsSecret(ns, 'web-demo-tls')).leaf.dnsNames].sort(), { timeout: 90_000 })
      .toEqual(['shop.example.test', 'web.example.test', 'www.example.test']);
    expect((await tlsSecret(ns, 'web-demo-tls')).chainVerdict).toEqual({ valid: true });
    expect((await ingressEvents('web-demo', 'UpdateCertificate')).map((e) => e.message)).toEqual([
      'Updated Certificate web-demo-tls for web.example.test, www.example.test, shop.example.test',
    ]);
  });

  it('lets garbage collection remove the Certificate with the Ingress, and keeps the Secret', async () => {
    await kubectl('delete', 'ingress', 'web-demo', '-n', ns);
    await expect.poll(() => getCertificate('web-demo-tls'), { timeout: 60_000 }).toBeUndefined();
    const tls = await tlsSecret(ns, 'web-demo-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect(tls.secret.metadata?.ownerReferences ?? []).toEqual([]);
  });

  it('deletes the Secret with the Certificate when the Ingress asks for secret-deletion-policy Delete', async () => {
    await apply(
      ns,
      ingress(
        'temp',
        { 'acme6.io/cluster-issuer': CLUSTER_ISSUER, 'acme6.io/secret-deletion-policy': 'Delete' },
        [{ hosts: ['temp.example.test'], secretName: 'temp-tls' }],
      ),
    );
    await waitReady('temp-tls');
    expect(await certStatus(ns, 'temp-tls', '{.spec.secretDeletionPolicy}')).toBe('Delete');
    await expect
      .poll(async () => (await tlsSecret(ns, 'temp-tls')).secret.metadata?.ownerReferences?.[0]?.kind, {
        timeout: 10_000,
      })
      .toBe('Certificate');
    await kubectl('delete', 'ingress', 'temp', '-n', ns);
    await expect.poll(() => getCertificate('temp-tls'), { timeout: 60_000 }).toBeUndefined();
    await expect.poll(() => secretExists('temp-tls'), { timeout: 60_000 }).toBe(false);
  });

  it('uses the controller\'s default issuer for kubernetes.io/tls-acme: "true"', async () => {
    await apply(
      ns,
      ingress('conventional', { 'kubernetes.io/tls-acme': 'true' }, [
        { hosts: ['acme.example.test'], secretName: 'conventional-tls' },
      ]),
    );
    await waitReady('conventional-tls');
    expect((await getCertificate('conventional-tls'))!.spec.issuerRef).toMatchObject({
      name: CLUSTER_ISSUER,
      kind: 'ClusterIssuer',
    });
    expect((await tlsSecret(ns, 'conventional-tls')).chainVerdict).toEqual({ valid: true });
  });

  // Each makes exactly one BadConfig Event naming the annotation (or field), and no Certificate.
  const invalid: [string, Record<string, string>, string][] = [
    [
      'both-issuers',
      { 'acme6.io/issuer': 'a', 'acme6.io/cluster-issuer': 'b' },
      'acme6.io/issuer and acme6.io/cluster-issuer',
    ],
    [
      'kind-unknown',
      { 'acme6.io/issuer': 'a', 'acme6.io/issuer-kind': 'VaultIssuer' },
      'acme6.io/issuer-kind',
    ],
    ['issuer-name', { 'acme6.io/cluster-issuer': 'Not_A_Name' }, 'acme6.io/cluster-issuer'],
    ['duration-days', { 'acme6.io/issuer': 'a', 'acme6.io/duration': '90d' }, 'acme6.io/duration'],
    ['duration-short', { 'acme6.io/issuer': 'a', 'acme6.io/duration': '30m' }, 'acme6.io/duration'],
    // The CA sets the lifetime, so a requested one is refused rather than silently ignored.
    ['duration-unsupported', { 'acme6.io/issuer': 'a', 'acme6.io/duration': '2160h' }, 'acme6.io/duration'],
    [
      'renew-pct',
      { 'acme6.io/issuer': 'a', 'acme6.io/renew-before-percentage': '100' },
      'acme6.io/renew-before-percentage',
    ],
    [
      'key-algorithm',
      { 'acme6.io/issuer': 'a', 'acme6.io/private-key-algorithm': 'DSA' },
      'acme6.io/private-key-algorithm',
    ],
    [
      'key-size',
      {
        'acme6.io/issuer': 'a',
        'acme6.io/private-key-algorithm': 'RSA',
        'acme6.io/private-key-size': '1024',
      },
      'acme6.io/private-key-size',
    ],
    [
      'key-size-text',
      { 'acme6.io/issuer': 'a', 'acme6.io/private-key-size': 'large' },
      'acme6.io/private-key-size',
    ],
    [
      'key-rotation',
      { 'acme6.io/issuer': 'a', 'acme6.io/private-key-rotation-policy': 'Sometimes' },
      'acme6.io/private-key-rotation-policy',
    ],
    [
      'challenge',
      { 'acme6.io/issuer': 'a', 'acme6.io/challenge-type': 'tls-alpn-01' },
      'acme6.io/challenge-type',
    ],
    [
      'ingress-class',
      { 'acme6.io/issuer': 'a', 'acme6.io/http01-ingress-class': 'Not A Class' },
      'acme6.io/http01-ingress-class',
    ],
    [
      'deletion',
      { 'acme6.io/issuer': 'a', 'acme6.io/secret-deletion-policy': 'Orphan' },
      'acme6.io/secret-deletion-policy',
    ],
  ];

  it(`reports each of ${invalid.length + 1} invalid Ingresses with exactly one BadConfig Event and makes no Certificate`, async () => {
    const objects = invalid.map(([name, annotations]) =>
      ingress(`bad-${name}`, annotations, [
        { hosts: [`${name}.example.test`], secretName: `bad-${name}-tls` },
      ]),
    );
    // A tls entry without secretName: named by its field.
    objects.push(
      ingress('bad-no-secret', { 'acme6.io/issuer': 'a' }, [{ hosts: ['nosecret.example.test'] }]),
    );
    await apply(ns, ...objects);
    const cases = [
      ...invalid.map(([name, , where]) => [name, where] as const),
      ['no-secret', 'spec.tls[0].secretName'] as const,
    ];
    for (const [name] of cases) {
      await expect.poll(() => ingressEvents(`bad-${name}`, 'BadConfig'), { timeout: 30_000 }).toHaveLength(1);
    }
    // A settled controller (one more round of every key) must not have added Events or Certificates.
    await kubectl('annotate', 'ingress', '--all', '-n', ns, 'touched=1', '--overwrite');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const [name, where] of cases) {
      const events = await ingressEvents(`bad-${name}`);
      expect(events, name).toHaveLength(1);
      expect(events[0]!.type, name).toBe('Warning');
      expect(events[0]!.message, name).toContain(`${where}:`);
      expect(events[0]!.message, name).toContain('no Certificate was changed');
      expect(await getCertificate(`bad-${name}-tls`), name).toBeUndefined();
    }
  });

  it('follows tls entries and the annotation: removed entry or annotation deletes the Certificate', async () => {
    // An issuer that does not exist: the Certificates are made but never issued, which is all this needs.
    const annotations = { 'acme6.io/issuer': 'absent' };
    await apply(
      ns,
      ingress('multi', annotations, [
        { hosts: ['one.example.test'], secretName: 'one-tls' },
        { hosts: ['two.example.test'], secretName: 'two-tls' },
      ]),
    );
    await expect.poll(() => getCertificate('one-tls'), { timeout: 30_000 }).toBeDefined();
    await expect.poll(() => getCertificate('two-tls'), { timeout: 30_000 }).toBeDefined();
    await kubectl(
      'patch',
      'ingress',
      'multi',
      '-n',
      ns,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'remove', path: '/spec/tls/1' }]),
    );
    await expect.poll(() => getCertificate('two-tls'), { timeout: 30_000 }).toBeUndefined();
    expect(await getCertificate('one-tls')).toBeDefined();
    await kubectl('annotate', 'ingress', 'multi', '-n', ns, 'acme6.io/issuer-');
    await expect.poll(() => getCertificate('one-tls'), { timeout: 30_000 }).toBeUndefined();
    const deleted = (await ingressEvents('multi', 'DeleteCertificate')).map((e) => e.message).sort();
    expect(deleted).toEqual([
      'Deleted Certificate one-tls: the Ingress no longer asks for certificates (no acme6 issuer annotation)',
      'Deleted Certificate two-tls: its tls entry is no longer in the Ingress',
    ]);
  });

  it('never modifies a Certificate it does not control', async () => {
    await apply(ns, {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Certificate',
      metadata: { name: 'hand-tls' },
      spec: { secretName: 'hand-tls', dnsNames: ['hand.example.test'], issuerRef: { name: 'absent' } },
    });
    const before = await getCertificate('hand-tls');
    await apply(
      ns,
      ingress('grabby', { 'acme6.io/issuer': 'absent' }, [
        { hosts: ['grab.example.test'], secretName: 'hand-tls' },
      ]),
    );
    await expect
      .poll(async () => (await ingressEvents('grabby', 'BadConfig')).map((e) => e.message), {
        timeout: 30_000,
      })
      .toEqual(['Certificate hand-tls exists and is not controlled by this Ingress: it was left unchanged']);
    const after = await getCertificate('hand-tls');
    expect(after!.spec.dnsNames).toEqual(['hand.example.test']);
    expect(after!.metadata.ownerReferences).toBeUndefined();
    // Status writes by the certificate controllers move resourceVersion; the spec and metadata are ours to check.
    expect(after!.metadata.generation).toBe(before!.metadata.generation);
    expect(after!.metadata.labels).toEqual(before!.metadata.labels);
    const managers = await kubectl(
      'get',
      'certificate',
      'hand-tls',
      '-n',
      ns,
      '--show-managed-fields',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
    );
    expect(managers.split(' ')).toContain('kubectl-client-side-apply');
    expect(managers.split(' ')).not.toContain('acme6-ingress-shim');
  });

  it("reports two Ingresses claiming one secretName on both, and neither takes the other's Certificate", async () => {
    const annotations = { 'acme6.io/issuer': 'absent' };
    await apply(
      ns,
      ingress('first', annotations, [{ hosts: ['first.example.test'], secretName: 'shared-tls' }]),
    );
    await expect.poll(() => getCertificate('shared-tls'), { timeout: 30_000 }).toBeDefined();
    await apply(
      ns,
      ingress('second', annotations, [{ hosts: ['second.example.test'], secretName: 'shared-tls' }]),
    );
    await expect
      .poll(async () => (await ingressEvents('first', 'BadConfig')).map((e) => e.message), {
        timeout: 30_000,
      })
      .toEqual([
        'Secret shared-tls is also claimed by Ingress second: one Certificate can have only one Ingress, so give each Ingress its own secretName',
      ]);
    await expect
      .poll(async () => (await ingressEvents('second', 'BadConfig')).map((e) => e.message).sort(), {
        timeout: 30_000,
      })
      .toEqual([
        'Certificate shared-tls exists and is not controlled by this Ingress (its controller is Ingress first): it was left unchanged',
        'Secret shared-tls is also claimed by Ingress first: one Certificate can have only one Ingress, so give each Ingress its own secretName',
      ]);
    const cert = await getCertificate('shared-tls');
    expect(cert!.spec.dnsNames).toEqual(['first.example.test']);
    expect(cert!.metadata.ownerReferences?.map((r) => r.name)).toEqual(['first']);
  });
});
