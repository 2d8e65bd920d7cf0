// The slot gate before an order: a Certificate that finds no slot under --max-concurrent-issuances
// says once that it waits and places nothing; a slot taken for an order that never came is freed; a
// renewal counts against the renewals' share; a queued manual request stays one.
import { describe, expect, it } from 'vitest';
import { QUEUED_FALLBACK_MS } from './issuance-slot-gate.ts';
import { IssuanceSlots } from './issuance-slots.ts';
import { manualTrigger, ownedStatus, withManualTrigger, type IssuanceStatus } from './issuance-status.ts';
import type { AcmePort } from '../../acme/port.ts';
import { cert, countingCa, directory, now, setup, validSecret } from './issuance-testing.ts';

const busy = (limit: number): IssuanceSlots => {
  const slots = new IssuanceSlots(limit, () => {});
  for (let i = 0; i < limit; i++) slots.observe({ key: `other/c${i}`, orderInFlight: true, renewal: false });
  return slots;
};

describe('the slot gate', () => {
  it('queues a Certificate when every slot is taken: says so once, places no order', async () => {
    const { acme, orders } = countingCa();
    const slots = busy(2);
    const t = setup(cert(1), acme, undefined, { slots });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: QUEUED_FALLBACK_MS });
    expect(orders).toEqual([]);
    expect(t.writes).toHaveLength(1);
    const queued = t.writes[0]!.conditions?.[0];
    expect(queued).toMatchObject({ type: 'Issuing', status: 'True', reason: 'Queued' });
    expect(queued?.message).toBe(
      'waiting for a free issuance slot (--max-concurrent-issuances); then issuing for SecretMissing: Secret web-tls does not exist',
    );
    // Woken again while still waiting (the cache shows the Queued condition): no second write.
    const again = setup(cert(1, t.writes[0]), acme, undefined, { slots });
    expect(await again.reconciler.reconcile('team/web')).toEqual({ requeueAfter: QUEUED_FALLBACK_MS });
    expect(again.writes).toEqual([]);
    expect(slots.usage()).toEqual({ inFlight: 2, renewals: 0, waiting: 1 });
  });

  it('places the order once a slot is free, and keeps the slot for it', async () => {
    const { acme, orders } = countingCa();
    const slots = new IssuanceSlots(2, () => {});
    const t = setup(cert(1), acme, undefined, { slots });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(orders).toHaveLength(1);
    expect(t.writes.at(-1)?.conditions?.[0]).toMatchObject({ reason: 'SecretMissing' });
    expect(slots.usage()).toEqual({ inFlight: 1, renewals: 0, waiting: 0 });
  });

  it('frees the slot when no order came of it (the CA refused)', async () => {
    const slots = new IssuanceSlots(1, () => {});
    const acme: Partial<AcmePort> = {
      getDirectory: directory,
      createOrder: () => Promise.reject(new Error('connection refused')),
    };
    const t = setup(cert(1), acme, undefined, { slots });
    await t.reconciler.reconcile('team/web').catch(() => undefined);
    expect(slots.usage().inFlight).toBe(0);
  });

  it('frees the slot once the Certificate has nothing left to issue', async () => {
    const slots = new IssuanceSlots(1, () => {});
    expect(slots.tryAcquire('team/web', false)).toBe(true);
    const secret = await validSecret();
    const t = setup(cert(1), {}, undefined, { slots, secrets: { 'web-tls': secret } });
    await t.reconciler.reconcile('team/web');
    expect(slots.usage().inFlight).toBe(0);
  });

  it('counts a renewal against the renewals share, so it waits while new work would not', async () => {
    const secret = await validSecret();
    const due = { renewalTime: '2026-11-25T11:00:00Z' };
    const slots = new IssuanceSlots(2, () => {});
    slots.observe({ key: 'other/r', orderInFlight: true, renewal: true });
    const { acme, orders } = countingCa();
    const renewing = setup(cert(1, due), acme, undefined, { slots, secrets: { 'web-tls': secret } });
    expect(await renewing.reconciler.reconcile('team/web')).toEqual({ requeueAfter: QUEUED_FALLBACK_MS });
    expect(renewing.writes[0]?.conditions?.[0]?.message).toContain('then issuing for Renewing:');
    expect(orders).toEqual([]);
    // The same slot is there for a first issuance.
    const first = setup(cert(1), acme, undefined, { slots });
    expect(await first.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(orders).toHaveLength(1);
  });

  it('keeps a queued manual renewal a manual one', async () => {
    const { acme } = countingCa();
    const requested = withManualTrigger({}, cert(1), now);
    const t = setup(cert(1, requested), acme, undefined, { slots: busy(1) });
    await t.reconciler.reconcile('team/web');
    const queued: IssuanceStatus = ownedStatus(t.writes[0]);
    expect(queued.conditions?.[0]?.reason).toBe('Queued');
    expect(manualTrigger(queued)).toEqual({
      reason: 'ManuallyTriggered',
      message: 'renewal requested by a user (kubectl acme6 renew)',
    });
  });
});
