// Moving over from cert-manager without a certificate gap (docs/migrating.md), with the real
// controller: a Secret holding a valid certificate (as cert-manager left it) is adopted by the acme6
// Certificate `kubectl acme6 convert` made, with no new order; a renewal replaces it in place, the
// Secret never missing; and with --honor-cert-manager-annotations an Ingress annotated for
// cert-manager gets its Certificate from acme6's ingress-shim, again adopting the Secret.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../testbed/paths.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { uniqueLabel } from './dns01-testbed.ts';
import { adminKubeConfig, createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';

const run = promisify(execFile);
let ns: string;
let controller: ManagedProcess;
let names: string[];
let core: k8s.CoreV1Api;

beforeAll(async () => {
  ns = await createTestNamespace('migrate');
  controller = await startController(['--honor-cert-manager-annotations']);
  await apply(ns, ...dns01Issuer('pebble'));
  await kubectl('wait', '--for=condition=Ready', 'issuers.acme6.io/pebble', '-n', ns, '--timeout=60s');
  // A certificate to stand for the one cert-manager issued: same CA, names the tests use.
  const base = `${uniqueLabel('mig')}.example.test`;
  names = [base, `www.${base}`];
  await apply(ns, certificate('source', 'pebble', names));
  await waitReady('source');
  core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
});
afterAll(async () => {
  await controller?.stop();
});

function waitReady(name: string): Promise<string> {
  return kubectl(
    'wait',
    '--for=condition=Ready',
    `certificates.acme6.io/${name}`,
    '-n',
    ns,
    '--timeout=120s',
  );
}

/** A copy of the source certificate in Secret `name`, annotated as cert-manager leaves its Secrets. */
async function legacySecret(name: string, certificateName: string): Promise<string> {
  const source = await tlsSecret(ns, 'source-tls');
  await core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: {
        name,
        annotations: {
          'cert-manager.io/certificate-name': certificateName,
          'cert-manager.io/issuer-name': 'pebble',
          'cert-manager.io/issuer-kind': 'Issuer',
          'cert-manager.io/issuer-group': 'cert-manager.io',
        },
      },
      type: 'kubernetes.io/tls',
      data: source.secret.data ?? {},
    },
  });
  return source.leaf.serialNumber;
}

/** The serial in Secret `name`, or what is wrong with it. */
async function servedSerial(name: string): Promise<string> {
  try {
    const tls = await tlsSecret(ns, name);
    return tls.keyMatches ? tls.leaf.serialNumber : 'key does not match';
  } catch (err) {
    return `unreadable: ${(err as Error).message}`;
  }
}

describe('moving over from cert-manager', () => {
  it("adopts cert-manager's Secret without an order, then renews it in place with no gap", async () => {
    const serial = await legacySecret('legacy-tls', 'legacy');
    const cmCertificate = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'legacy', namespace: ns },
      spec: {
        secretName: 'legacy-tls',
        dnsNames: names,
        issuerRef: { name: 'pebble', kind: 'Issuer', group: 'cert-manager.io' },
        privateKey: { algorithm: 'ECDSA', size: 256 },
      },
    };
    const input = join(testbed().dir, `cm-legacy-${ns}.yaml`);
    writeFileSync(input, stringify(cmCertificate));
    const converted = await run(process.execPath, [
      join(repoRoot, 'src/cmd/kubectl-acme6.ts'),
      'convert',
      '-f',
      input,
    ]);
    expect(converted.stderr).toContain('converted 1 of 1 objects');
    const output = join(testbed().dir, `acme6-legacy-${ns}.yaml`);
    writeFileSync(output, converted.stdout);
    await kubectl('apply', '-f', output);
    await waitReady('legacy');
    expect(await servedSerial('legacy-tls')).toBe(serial);
    expect(await eventsOf(ns, 'legacy', { reason: 'OrderCreated', kind: 'Certificate' })).toEqual([]);

    // Watch the Secret while acme6 renews: it must hold a matching certificate and key at every read.
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.add(await servedSerial('legacy-tls'));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await run(process.execPath, [join(repoRoot, 'src/cmd/kubectl-acme6.ts'), 'renew', 'legacy', '-n', ns], {
      env: { ...process.env, KUBECONFIG: testbed().kubeconfigFile },
    });
    await expect.poll(() => servedSerial('legacy-tls'), { timeout: 120_000, interval: 500 }).not.toBe(serial);
    watching = false;
    await watcher;
    // One more read after the loop: it may have stopped between its last read and the renewal.
    const renewed = await servedSerial('legacy-tls');
    seen.add(renewed);
    expect([...seen].sort()).toEqual([serial, renewed].sort());
    const tls = await tlsSecret(ns, 'legacy-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect([...tls.leaf.dnsNames].sort()).toEqual([...names].sort());
  });

  it('with --honor-cert-manager-annotations, an Ingress annotated for cert-manager gets an acme6 Certificate that adopts its Secret', async () => {
    const serial = await legacySecret('shop-tls', 'shop-tls');
    await apply(ns, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', annotations: { 'cert-manager.io/issuer': 'pebble' } },
      spec: {
        tls: [{ hosts: names, secretName: 'shop-tls' }],
        rules: names.map((host) => ({
          host,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        })),
      },
    });
    await expect
      .poll(() => kubectl('get', 'certificates.acme6.io', '-n', ns, '-o', 'name'), { timeout: 60_000 })
      .toContain('certificate.acme6.io/shop-tls');
    await waitReady('shop-tls');
    expect(
      JSON.parse(
        await kubectl('get', 'certificates.acme6.io/shop-tls', '-n', ns, '-o', 'jsonpath={.spec.issuerRef}'),
      ),
    ).toMatchObject({ name: 'pebble', kind: 'Issuer' });
    expect(await servedSerial('shop-tls')).toBe(serial);
    expect(await eventsOf(ns, 'shop-tls', { reason: 'OrderCreated', kind: 'Certificate' })).toEqual([]);
  });
});
