// Issuance through a cert-manager DNS01 webhook by the real controller: a ClusterIssuer whose dns01
// solver is `webhook`, a wildcard + apex Certificate, the webhook reached through the apiserver's
// aggregation layer as acme6's ServiceAccount (with the grant a webhook chart ships), and a failing
// webhook's message in the Certificate's status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, challengeRecords, testbedAcme, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { uniqueLabel } from './dns01-testbed.ts';
import { startRegisteredWebhook, type RegisteredWebhook } from './dns01-webhook-setup.ts';
import { createTestNamespace, kubectl, testbed } from './kube.ts';

let hook: RegisteredWebhook;
let ns: string;
let controller: ManagedProcess;
const issuers: string[] = [];

beforeAll(async () => {
  hook = await startRegisteredWebhook();
  ns = await createTestNamespace('cert-webhook');
  // ClusterIssuers read their Secrets in the controller's cluster-resource namespace: this test's.
  controller = await startController(['--cluster-resource-namespace', ns, '--failure-backoff-initial', '2s']);
  await apply(ns, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bind-tsig' },
    stringData: { secret: testbed().dns!.tsig.secret },
  });
});
afterAll(async () => {
  await controller?.stop();
  for (const name of issuers) await kubectl('delete', 'clusterissuer', name, '--ignore-not-found');
  await hook?.stop();
});

/** A ClusterIssuer for pebble whose only solver is the test webhook, with `config`. */
function webhookClusterIssuer(name: string, config: object): object {
  const dns = testbed().dns!;
  issuers.push(name);
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'ClusterIssuer',
    metadata: { name },
    spec: {
      acme: {
        ...testbedAcme(name),
        solvers: [
          {
            dns01: {
              webhook: { groupName: hook.groupName, solverName: hook.solverName, config },
              propagation: { nameservers: [dns.primary, dns.secondary], interval: '1s', timeout: '2m' },
            },
          },
        ],
      },
    },
  };
}

function bindConfig(): object {
  const dns = testbed().dns!;
  return {
    nameserver: dns.primary,
    tsigKeyName: dns.tsig.keyName,
    tsigAlgorithm: dns.tsig.algorithm,
    tsigSecretSecretRef: { name: 'bind-tsig', key: 'secret' },
  };
}

/** A Certificate from the ClusterIssuer `issuer`. */
function clusterCertificate(name: string, issuer: string, dnsNames: string[]): object {
  const cert = certificate(name, issuer, dnsNames) as { spec: object };
  return { ...cert, spec: { ...cert.spec, issuerRef: { name: issuer, kind: 'ClusterIssuer' } } };
}

const conditionMessages = (name: string): Promise<string> =>
  kubectl('get', 'certificate', name, '-n', ns, '-o', 'jsonpath={.status.conditions[*].message}');

describe('certificate over dns-01 through a cert-manager DNS01 webhook', () => {
  it('issues a wildcard + apex certificate through the webhook, and cleans up after', async () => {
    const issuer = uniqueLabel('webhook-ci');
    await apply(ns, webhookClusterIssuer(issuer, bindConfig()));
    await kubectl('wait', '--for=condition=Ready', `clusterissuer/${issuer}`, '--timeout=60s');
    const base = `${uniqueLabel('wh')}.example.test`;
    await apply(ns, clusterCertificate('wildcard', issuer, [base, `*.${base}`]));
    await kubectl('wait', '--for=condition=Ready', 'certificate/wildcard', '-n', ns, '--timeout=180s');
    const tls = await tlsSecret(ns, 'wildcard-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect(tls.keyMatches).toBe(true);
    expect([...tls.leaf.dnsNames].sort()).toEqual([`*.${base}`, base]);
    // Both authorizations went through the webhook, as acme6's ServiceAccount, at one TXT name.
    const presents = hook.server.payloads.filter(
      (p) => p.request.action === 'Present' && p.request.resolvedFQDN === `_acme-challenge.${base}.`,
    );
    expect(new Set(presents.map((p) => p.request.key)).size).toBe(2);
    for (const p of presents) {
      expect(p.user).toBe('system:serviceaccount:acme6:acme6-controller');
      expect(p.request).toMatchObject({
        dnsName: base,
        resourceNamespace: ns,
        resolvedZone: 'example.test.',
      });
    }
    await expect.poll(() => challengeRecords(base), { timeout: 30_000 }).toEqual([]);
    expect(
      hook.server.payloads.filter(
        (p) => p.request.action === 'CleanUp' && p.request.resolvedFQDN === `_acme-challenge.${base}.`,
      ).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it("shows a failing webhook's message in the Certificate's status, and recovers when fixed", async () => {
    const issuer = uniqueLabel('webhook-bad');
    await apply(ns, webhookClusterIssuer(issuer, { failWith: 'provider API said: token expired' }));
    await kubectl('wait', '--for=condition=Ready', `clusterissuer/${issuer}`, '--timeout=60s');
    const name = uniqueLabel('wh-bad');
    await apply(ns, clusterCertificate(name, issuer, [`${name}.example.test`]));
    await expect
      .poll(() => conditionMessages(name), { timeout: 90_000, interval: 1000 })
      .toContain(
        `DNS01 webhook ${hook.solverName}.${hook.groupName}: Present of _acme-challenge.${name}.example.test. failed: provider API said: token expired`,
      );
    await apply(ns, webhookClusterIssuer(issuer, bindConfig()));
    await kubectl('wait', '--for=condition=Ready', `certificate/${name}`, '-n', ns, '--timeout=180s');
  });
});
