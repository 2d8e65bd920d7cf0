// The heart of acme6, end to end: a Certificate becomes a TLS Secret issued by pebble over dns-01,
// through RFC 2136 updates to a real BIND primary, checked at both authoritative servers.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import {
  apply,
  certificate,
  certStatus,
  challengeRecords,
  dns01Issuer,
  tlsSecret,
} from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { adminKubeConfig, createTestNamespace, kubectl } from './kube.ts';

let ns: string;
let controller: ManagedProcess;

beforeAll(async () => {
  ns = await createTestNamespace('issue');
  controller = await startController(['--failure-backoff-initial', '2s', '--failure-backoff-max', '10s']);
  await apply(ns, ...dns01Issuer('pebble'));
  await kubectl('wait', '--for=condition=Ready', 'issuer/pebble', '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller.stop();
});

const waitReady = (name: string) =>
  kubectl('wait', '--for=condition=Ready', `certificate/${name}`, '-n', ns, '--timeout=120s');

describe('certificate issuance over dns-01 (RFC 2136)', () => {
  it('issues example.test + *.example.test and leaves no challenge record behind', async () => {
    await apply(ns, certificate('wild', 'pebble', ['example.test', '*.example.test']));
    await waitReady('wild');
    const tls = await tlsSecret(ns, 'wild-tls');
    expect(tls.secret.type).toBe('kubernetes.io/tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect([...tls.leaf.dnsNames].sort()).toEqual(['*.example.test', 'example.test']);
    expect(tls.keyMatches).toBe(true);
    expect(tls.secret.metadata?.annotations).toMatchObject({
      'acme6.io/issuer-name': 'pebble',
      'acme6.io/issuer-kind': 'Issuer',
      'acme6.io/revision': '1',
    });
    // Ready follows the Secret; the revision comes with the issuance's own write, just after it.
    await expect
      .poll(() => certStatus(ns, 'wild', '{.status.revision} {.status.notAfter}'), { timeout: 30_000 })
      .toBe(`1 ${tls.leaf.notAfter.toISOString().replace(/\.\d+Z$/, 'Z')}`);
    // The secondary follows the primary's deletion within a few hundred milliseconds.
    await expect.poll(() => challengeRecords('example.test'), { timeout: 10_000 }).toEqual([]);
    // The private key held for the order goes once status records the revision: only the TLS
    // Secret keeps a copy of it.
    const acme6Secrets = () =>
      kubectl('get', 'secrets', '-n', ns, '-l', 'acme6.io/certificate-name=wild', '-o', 'name');
    await expect.poll(acme6Secrets, { timeout: 10_000 }).toBe('secret/wild-tls\n');
    const events = await kubectl('describe', 'certificate', 'wild', '-n', ns);
    expect(events).toMatch(/Normal\s+OrderCreated/);
    expect(events).toMatch(/Normal\s+Issued/);
  });

  it('re-issues when the Secret is deleted or holds a foreign key, and when dnsNames change', async () => {
    await apply(ns, certificate('repair', 'pebble', ['repair.example.test']));
    await waitReady('repair');
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);

    // Ready follows the Secret; the issuance records the revision in a write of its own, after it.
    await expect.poll(() => certStatus(ns, 'repair', '{.status.revision}'), { timeout: 30_000 }).toBe('1');
    await core.deleteNamespacedSecret({ namespace: ns, name: 'repair-tls' });
    await expect.poll(() => certStatus(ns, 'repair', '{.status.revision}'), { timeout: 60_000 }).toBe('2');
    await waitReady('repair');
    expect((await tlsSecret(ns, 'repair-tls')).chainVerdict).toEqual({ valid: true });

    // Corrupt it: the key of another certificate.
    const other = (await tlsSecret(ns, 'wild-tls')).secret.data!['tls.key']!;
    await core.patchNamespacedSecret(
      { namespace: ns, name: 'repair-tls', body: { data: { 'tls.key': other } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect.poll(() => certStatus(ns, 'repair', '{.status.revision}'), { timeout: 60_000 }).toBe('3');
    await waitReady('repair');
    expect((await tlsSecret(ns, 'repair-tls')).keyMatches).toBe(true);

    // New names: the old Secret keeps serving until the new certificate replaces it in one write.
    const before = await tlsSecret(ns, 'repair-tls');
    await apply(ns, certificate('repair', 'pebble', ['repair.example.test', 'more.example.test']));
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const now = await tlsSecret(ns, 'repair-tls');
          expect(now.keyMatches).toBe(true);
          seen.add(now.leaf.serialNumber);
          return [...now.leaf.dnsNames].sort().join(',');
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBe('more.example.test,repair.example.test');
    expect(seen.has(before.leaf.serialNumber) || seen.size === 1).toBe(true);
    await waitReady('repair');
  });

  it('takes the challenge records down when a Certificate is deleted mid-order', async () => {
    // An issuer whose propagation check can never pass keeps the order pending with the record up.
    const [secret, issuer] = dns01Issuer('stuck') as [
      object,
      { spec: { acme: { solvers: { dns01: { propagation: { nameservers: string[] } } }[] } } },
    ];
    issuer.spec.acme.solvers[0]!.dns01.propagation.nameservers.push('127.0.0.1:9');
    await apply(ns, secret, issuer);
    await kubectl('wait', '--for=condition=Ready', 'issuer/stuck', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('doomed', 'stuck', ['doomed.example.test']));
    await expect.poll(() => challengeRecords('doomed.example.test'), { timeout: 30_000 }).toHaveLength(2);
    expect(
      await kubectl('get', 'certificate', 'doomed', '-n', ns, '-o', 'jsonpath={.metadata.finalizers}'),
    ).toContain('acme6.io/challenge-cleanup');
    await kubectl('delete', 'certificate', 'doomed', '-n', ns, '--timeout=30s');
    await expect.poll(() => challengeRecords('doomed.example.test'), { timeout: 10_000 }).toEqual([]);
  });

  it('reports a wrong TSIG secret in Ready, without a hot loop, and recovers when the Secret is fixed', async () => {
    await apply(ns, ...dns01Issuer('badtsig', Buffer.from('not the right key at all!!').toString('base64')));
    await kubectl('wait', '--for=condition=Ready', 'issuer/badtsig', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('tsig', 'badtsig', ['tsig.example.test']));
    await expect
      .poll(() => certStatus(ns, 'tsig', '{.status.conditions[?(@.type=="Ready")].message}'), {
        timeout: 60_000,
      })
      .toMatch(/BADSIG|NOTAUTH/);
    expect(await certStatus(ns, 'tsig', '{.status.conditions[?(@.type=="Issuing")].reason}')).toBe('Failed');
    const attempts = Number(await certStatus(ns, 'tsig', '{.status.failedIssuanceAttempts}'));
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(3); // backoff: 2 s, 4 s, ... not a hot loop

    // Fix the Secret only; the Certificate is not touched.
    await apply(ns, ...dns01Issuer('badtsig').slice(0, 1));
    await waitReady('tsig');
    await expect.poll(() => challengeRecords('tsig.example.test'), { timeout: 10_000 }).toEqual([]);
  });
});
