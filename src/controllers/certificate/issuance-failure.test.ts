// Errors of an issuance: a CA's Retry-After is recorded in status and waited for; a missing
// issuer is waited for without an order; a failure is decided on the apiserver's state, so a
// cache that lags our own writes cannot fail an issuance that has finished.
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import { AcmeError } from '../../acme/errors.ts';
import type { AcmeOrder, AcmePort } from '../../acme/port.ts';
import { decidedOnStaleState } from './issuance-failure.ts';
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
const issued: Certificate['status'] = { revision: 1 };

/** A CA whose order is valid; the held key is gone, as it is once the issuance finished. */
const finishedOrder: Partial<AcmePort> = {
  getOrder: (url): Promise<AcmeOrder> =>
    Promise.resolve({ url, status: 'valid', identifiers: [], authorizations: [], finalize: '' }),
  getAuthorizations: () => Promise.resolve([]),
  downloadCertificate: () => Promise.resolve('(chain)'),
};

describe('a failure decided on a lagging cache', () => {
  it('is not written when the apiserver shows the issuance finished', async () => {
    const t = setup(cert(1, inFlight), finishedOrder, undefined, { fresh: cert(1, issued) });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 1000 });
    expect(t.writes).toEqual([]);
    expect(t.events.filter((e) => e.type === 'Warning')).toEqual([]);
  });

  it('is not written when the spec changed since the cache saw it', async () => {
    const t = setup(cert(1, inFlight), finishedOrder, undefined, { fresh: cert(2, inFlight) });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 1000 });
    expect(t.writes).toEqual([]);
  });

  it('is written when the apiserver agrees the order is still in flight', async () => {
    const t = setup(cert(1, inFlight), finishedOrder);
    await t.reconciler.reconcile('team/web');
    expect(t.writes.at(-1)?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(t.writes.at(-1)?.failedIssuanceAttempts).toBe(1);
    expect(t.events.map((e) => e.reason)).toEqual(['Failed']);
  });

  it('compares the order and the revision', () => {
    const order = { acme: { orderURL } };
    expect(decidedOnStaleState(order, order)).toBe(false);
    expect(decidedOnStaleState(order, { revision: 1 })).toBe(true);
    expect(decidedOnStaleState({ ...order, revision: 1 }, { ...order, revision: 2 })).toBe(true);
    expect(decidedOnStaleState({}, {})).toBe(false);
  });
});

describe('issuance errors', () => {
  it("records a rate limit's Retry-After in status and waits for it", async () => {
    const retryAfter = new Date(now.getTime() + 3 * 3_600_000);
    const limited = new AcmeError(
      'ACME server https://ca.example.test/dir rejected the order: rateLimited: too many',
      {
        kind: 'problem',
        classification: 'transient',
        server: 'https://ca.example.test/dir',
        operation: 'the order',
        retryAfter,
      },
    );
    const t = setup(cert(1), {
      getDirectory: () =>
        Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } }),
      createOrder: () => Promise.reject(limited),
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 3 * 3_600_000 });
    const written = t.writes.at(-1)!;
    expect(written.acme?.retryAfter).toBe('2026-11-25T15:00:00Z');
    expect(written.conditions?.[0]).toMatchObject({
      status: 'True',
      message: `retrying: ${limited.message}`,
    });
  });

  it('waits for a missing issuer without placing an order', async () => {
    const t = setup(cert(1), { createOrder: () => Promise.reject(new Error('no')) }, null);
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 300_000 });
    expect(t.writes[0]?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'IssuerNotReady',
      message: 'Issuer le does not exist',
    });
  });
});
