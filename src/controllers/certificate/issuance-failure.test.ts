// Errors of an issuance: a CA's Retry-After is recorded in status and waited for; a missing
// issuer is waited for without an order.
import { describe, expect, it } from 'vitest';
import { AcmeError } from '../../acme/errors.ts';
import { cert, now, setup } from './issuance-testing.ts';

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
