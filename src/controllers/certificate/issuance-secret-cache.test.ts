// The issuance reads the managed-Secret cache to decide that nothing is due, and the apiserver only
// before it places an order (the cache may lag the Secret its own last issuance wrote).
import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cert, countingCa, setup, validSecret } from './issuance-testing.ts';

const notDue = { renewalTime: '2026-12-10T00:00:00Z' };

/** One pass over a Certificate that is not due, with the Secret as the apiserver and the cache hold it. */
async function reconcileWith(apiserver: V1Secret, cache: V1Secret) {
  const { acme, orders } = countingCa();
  const t = setup(cert(1, notDue), acme, undefined, {
    secrets: { 'web-tls': apiserver },
    cachedSecrets: { 'web-tls': cache },
  });
  await t.reconciler.reconcile('team/web');
  return { orders, secretReads: t.secretReads };
}

describe('the issuance and the managed-Secret cache', () => {
  it('decides that nothing is due from the cache, without asking the apiserver', async () => {
    const secret = await validSecret();
    expect(await reconcileWith(secret, secret)).toEqual({ orders: [], secretReads: [] });
  });

  it('places no order when the cache lags a Secret the apiserver already holds', async () => {
    const secret = await validSecret();
    const stale = { ...secret, data: {} };
    expect(await reconcileWith(secret, stale)).toEqual({ orders: [], secretReads: ['web-tls'] });
  });

  it('orders once the apiserver confirms what the cache says is due', async () => {
    const broken = { ...(await validSecret()), data: {} };
    const { orders, secretReads } = await reconcileWith(broken, broken);
    expect(secretReads[0]).toBe('web-tls');
    expect(orders).toHaveLength(1);
  });
});
