// Starting an issuance: the failure backoff holds until a spec change or a manual renewal.
import { describe, expect, it } from 'vitest';
import type { AcmePort } from '../../acme/port.ts';
import { MANUAL_TRIGGER_REASON, withManualTrigger } from './issuance-status.ts';
import { cert, failedAt, now, setup } from './issuance-testing.ts';

describe('starting an issuance', () => {
  it('waits out the failure backoff while the spec is unchanged', async () => {
    const t = setup(cert(3, failedAt(3)), {
      createOrder: () => Promise.reject(new Error('must not order during backoff')),
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 3_600_000 });
    expect(t.writes).toEqual([]);
  });

  it('tries again at once after a spec change, which may be the fix', async () => {
    let ordered = 0;
    const t = setup(cert(4, failedAt(3)), {
      getDirectory: () =>
        Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } }),
      createOrder: () => {
        ordered += 1;
        return Promise.resolve({
          url: 'https://ca.example.test/order/1',
          status: 'pending',
          identifiers: [],
          authorizations: [],
          finalize: '',
        });
      },
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(ordered).toBe(1);
    expect(t.writes[0]?.acme).toMatchObject({
      orderURL: 'https://ca.example.test/order/1',
      certificateRevision: 1,
    });
    expect(t.writes[0]?.conditions?.[0]).toMatchObject({
      type: 'Issuing',
      status: 'True',
      reason: 'SecretMissing',
    });
  });

  it('places an order at once for a manual renewal, even during the failure backoff', async () => {
    const failed = failedAt(3);
    const requested = withManualTrigger(failed, cert(3, failed), now);
    const orders: string[] = [];
    const acme: Partial<AcmePort> = {
      getDirectory: () => Promise.reject(new Error('a manual renewal names no replaced certificate')),
      createOrder: (request) => {
        orders.push(request.identifiers.map((i) => i.value).join(','));
        const url = 'https://ca.example.test/order/2';
        return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
      },
    };
    const t = setup(cert(3, { ...failed, ...requested }), acme);
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(orders).toEqual(['web.example.test']);
    expect(t.writes[0]?.conditions?.[0]).toMatchObject({
      type: 'Issuing',
      status: 'True',
      reason: MANUAL_TRIGGER_REASON,
    });
    expect(t.writes[0]?.acme?.orderURL).toBe('https://ca.example.test/order/2');
  });
});
