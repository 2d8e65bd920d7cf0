// An order the CA keeps in `processing`: waited for until its expiry, then the attempt fails (the
// CA considers the order invalid after it), instead of being polled for ever.
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import type { AcmeOrder, AcmePort } from '../../acme/port.ts';
import { cert, now, setup } from './issuance-testing.ts';

const orderURL = 'https://ca.example.test/order/1';
const inFlight: Certificate['status'] = {
  conditions: [
    {
      type: 'Issuing',
      status: 'True',
      reason: 'SecretMissing',
      message: 'Secret web-tls does not exist',
      lastTransitionTime: '2026-11-25T11:59:00Z',
      observedGeneration: 1,
    },
  ],
  acme: { orderURL, orderState: 'processing', certificateRevision: 1, challenges: [] },
};

const processingUntil = (expires: Date): Partial<AcmePort> => ({
  getOrder: (url): Promise<AcmeOrder> =>
    Promise.resolve({
      url,
      status: 'processing',
      identifiers: [],
      authorizations: [],
      finalize: '',
      expires,
    }),
  getAuthorizations: () => Promise.resolve([]),
});

describe('an order stuck in processing', () => {
  it('is polled again while it has not expired, soon at first, then less often', async () => {
    const t = setup(cert(1, inFlight), processingUntil(new Date(now.getTime() + 60_000)));
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 250 });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 500 });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 1000 });
    expect(t.events.filter((e) => e.type === 'Warning')).toEqual([]);
  });

  it('fails the attempt, saying why, once the CA kept it processing past its expiry', async () => {
    const t = setup(cert(1, inFlight), processingUntil(new Date(now.getTime() - 1000)));
    await t.reconciler.reconcile('team/web');
    expect(t.writes.at(-1)?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(t.writes.at(-1)?.conditions?.[0]?.message).toContain('kept the order processing past its expiry');
    expect(t.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning Failed']);
  });
});
