// The issuance reads the managed-Secret cache to decide that nothing is due, and the apiserver only
// before it places an order (the cache may lag the Secret its own last issuance wrote).
import { describe, expect, it } from 'vitest';
import type { AcmePort } from '../../acme/port.ts';
import { mintCertificate } from '../../acme/testing.ts';
import { cert, setup } from './issuance-testing.ts';

const directory = () => Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } });

function countingCa() {
  const orders: string[] = [];
  const acme: Partial<AcmePort> = {
    getDirectory: directory,
    createOrder: () => {
      const url = `https://ca.example.test/order/${orders.length + 1}`;
      orders.push(url);
      return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
    },
  };
  return { acme, orders };
}

async function validSecret() {
  const leaf = await mintCertificate({
    commonName: 'web.example.test',
    dnsNames: ['web.example.test'],
    notBefore: new Date('2026-10-01T00:00:00Z'),
    notAfter: new Date('2026-12-30T00:00:00Z'),
  });
  return {
    metadata: { name: 'web-tls', namespace: 'team' },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(leaf.pem).toString('base64'),
      'tls.key': Buffer.from(leaf.keyPem).toString('base64'),
    },
  };
}

const notDue = { renewalTime: '2026-12-10T00:00:00Z' };

describe('the issuance and the managed-Secret cache', () => {
  it('decides that nothing is due from the cache, without asking the apiserver', async () => {
    const secret = await validSecret();
    const { acme, orders } = countingCa();
    const t = setup(cert(1, notDue), acme, undefined, {
      secrets: { 'web-tls': secret },
      cachedSecrets: { 'web-tls': secret },
    });
    await t.reconciler.reconcile('team/web');
    expect(t.secretReads).toEqual([]);
    expect(orders).toEqual([]);
  });

  it('places no order when the cache lags a Secret the apiserver already holds', async () => {
    const secret = await validSecret();
    const { acme, orders } = countingCa();
    const stale = { ...secret, data: {} };
    const t = setup(cert(1, notDue), acme, undefined, {
      secrets: { 'web-tls': secret },
      cachedSecrets: { 'web-tls': stale },
    });
    await t.reconciler.reconcile('team/web');
    expect(t.secretReads).toEqual(['web-tls']);
    expect(orders).toEqual([]);
  });

  it('orders once the apiserver confirms what the cache says is due', async () => {
    const secret = await validSecret();
    const { acme, orders } = countingCa();
    const broken = { ...secret, data: {} };
    const t = setup(cert(1, notDue), acme, undefined, {
      secrets: { 'web-tls': broken },
      cachedSecrets: { 'web-tls': broken },
    });
    await t.reconciler.reconcile('team/web');
    expect(t.secretReads[0]).toBe('web-tls');
    expect(orders).toHaveLength(1);
  });
});
