// --max-concurrent-issuances on the real testbed: a controller limited to 2 orders in flight gets
// renewals due at once and a new Certificate created while they wait. Watched from outside (its own
// pebble's log, the Certificates' statuses): never more than 2 orders open, one order each, all
// renewed or Ready, and the new Certificate served before the renewals that were waiting.
import { X509Certificate } from 'node:crypto';
import type { CertificateSpec } from '../../src/api/certificate.ts';
import { buildTlsSecret } from '../../src/controllers/certificate/tls-secret.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersSince } from '../../bench/controller/pebble-log.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import { createCertificateAuthority, issueCertificate } from '../testbed/pki.ts';
import { waitUntil } from '../testbed/process.ts';
import { apply, certificate, dns01Issuer } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, kubectl } from './kube.ts';
import { startOwnPebble, type OwnPebble } from './own-pebble.ts';

const LIMIT = 2;
const RENEWALS = 4;
const DAY_MS = 24 * 3600_000;
const OLD_CA = 'acme6 slots test CA';
let ns: string;
let controller: ManagedProcess | undefined;
let pebble: OwnPebble | undefined;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Listed {
  items: {
    metadata: { name: string; namespace: string };
    status?: { conditions?: Condition[]; acme?: { orderURL?: string } };
  }[];
}

const spec = (name: string): CertificateSpec =>
  ({
    secretName: `${name}-tls`,
    dnsNames: [`${name}.slots.example.test`],
    issuerRef: { name: 'slots', kind: 'Issuer' },
    privateKey: { algorithm: 'ECDSA', size: 256 },
  }) as CertificateSpec;

async function certificates(namespace?: string): Promise<Listed> {
  const scope = namespace ? ['-n', namespace] : ['-A'];
  return JSON.parse(await kubectl('get', 'certificates', ...scope, '-o', 'json')) as Listed;
}

const condition = (c: Listed['items'][number], type: string): Condition | undefined =>
  c.status?.conditions?.find((x) => x.type === type);

/** Whether the Secret holds a certificate from pebble (no longer the seeded one). */
async function renewed(name: string): Promise<boolean> {
  const pem = await kubectl('get', 'secret', `${name}-tls`, '-n', ns, '-o', 'jsonpath={.data.tls\\.crt}');
  return !new X509Certificate(Buffer.from(pem, 'base64')).issuer.includes(OLD_CA);
}

beforeAll(async () => {
  ns = await createTestNamespace('slots');
  pebble = await startOwnPebble({});
  const [secret, issuer] = dns01Issuer('slots') as [object, { spec: { acme: Record<string, unknown> } }];
  Object.assign(issuer.spec.acme, { server: pebble.directoryUrl, caBundle: pebble.caBundleBase64 });
  await apply(ns, secret, issuer);
  // The controller sees every namespace: an order an earlier file left in flight (the hostile-DNS
  // corpus leaves some, against servers that are gone) would hold one of this test's slots. Files run
  // one at a time, so those are done with: take their Certificates away, finalizer and all.
  const elsewhere = (await certificates()).items.filter((c) => c.status?.acme?.orderURL);
  for (const c of elsewhere) {
    const at = ['-n', c.metadata.namespace];
    await kubectl(
      'patch',
      'certificate',
      c.metadata.name,
      ...at,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    );
    await kubectl('delete', 'certificate', c.metadata.name, ...at, '--ignore-not-found', '--wait=false');
  }
  await waitUntil(
    'no order in flight outside this test',
    async () => !(await certificates()).items.some((c) => c.status?.acme?.orderURL),
    { timeoutMs: 60_000 },
  );
  controller = await startController(['--max-concurrent-issuances', String(LIMIT), '--workers', '4']);
  await kubectl('wait', '--for=condition=Ready', 'issuer/slots', '-n', ns, '--timeout=120s');
}, 240_000);
afterAll(async () => {
  await controller?.stop();
  await pebble?.stop();
});

describe('--max-concurrent-issuances', () => {
  it('holds at most the limit in flight, one order each, and serves new work before waiting renewals', async () => {
    // Ready Certificates whose renewal is due now: 90 days, the last third starting now.
    const ca = await createCertificateAuthority(OLD_CA);
    const period = {
      notBefore: new Date(Date.now() - 60 * DAY_MS),
      notAfter: new Date(Date.now() + 30 * DAY_MS),
    };
    const names = Array.from({ length: RENEWALS }, (_, i) => `renew-${i}`);
    const objects: object[] = [];
    for (const name of names) {
      const s = spec(name);
      const leaf = await issueCertificate(
        ca,
        { kind: 'server', commonName: s.dnsNames[0]!, dnsNames: s.dnsNames, ipAddresses: [] },
        period,
      );
      objects.push(
        buildTlsSecret(
          { name, namespace: ns, spec: s },
          {
            chainPem: leaf.certPem,
            keyPem: leaf.keyPem,
            dnsNames: s.dnsNames,
            notAfter: period.notAfter,
            revision: 1,
          },
        ),
        certificate(name, 'slots', s.dnsNames, { issuerRef: s.issuerRef, privateKey: s.privateKey }),
      );
    }
    await apply(ns, ...objects);

    // Renewals may hold LIMIT / 4 (at least 1) slots: with 2, one renews and the others wait.
    let queued: Listed['items'] = [];
    await waitUntil(
      'renewals queued',
      async () => {
        queued = (await certificates(ns)).items.filter((c) => condition(c, 'Issuing')?.reason === 'Queued');
        return queued.length >= 2;
      },
      { timeoutMs: 180_000 },
    );
    for (const c of queued) {
      expect(condition(c, 'Issuing')).toMatchObject({ status: 'True' });
      expect(condition(c, 'Issuing')?.message).toContain('--max-concurrent-issuances');
      expect(condition(c, 'Issuing')?.message).toContain('Renewing');
      // Waiting to renew does not make a valid certificate less Ready.
      expect(condition(c, 'Ready')).toMatchObject({ status: 'True' });
    }

    // A first issuance while renewals wait: it takes the slot kept for new work at once.
    const fresh = spec('fresh');
    await apply(ns, certificate('fresh', 'slots', fresh.dnsNames, { issuerRef: fresh.issuerRef }));
    let waitingWhenServed: string[] = [];
    await waitUntil(
      'the new Certificate gets an order',
      async () => {
        const items = (await certificates(ns)).items;
        const mine = items.find((c) => c.metadata.name === 'fresh');
        if (!mine?.status?.acme?.orderURL && condition(mine!, 'Ready')?.status !== 'True') return false;
        waitingWhenServed = items
          .filter((c) => condition(c, 'Issuing')?.reason === 'Queued')
          .map((c) => c.metadata.name);
        return true;
      },
      { timeoutMs: 180_000, intervalMs: 200 },
    );
    expect(waitingWhenServed.length).toBeGreaterThan(0);

    await kubectl('wait', '--for=condition=Ready', 'certificate/fresh', '-n', ns, '--timeout=300s');
    await waitUntil(
      'every renewal done',
      async () => (await Promise.all(names.map(renewed))).every(Boolean),
      { timeoutMs: 600_000 },
    );
    const all = (await certificates(ns)).items;
    for (const c of all) {
      expect(condition(c, 'Ready')).toMatchObject({ status: 'True' });
      expect(condition(c, 'Issuing')).toBeUndefined();
    }
    const orders = ordersSince(pebble!.process.logFile, 0);
    expect(orders.placed).toBe(RENEWALS + 1); // one each: every Secret renewed, the new one Ready
    expect(orders.peakOpen).toBeLessThanOrEqual(LIMIT);
  }, 900_000);
});
