// The slot tracker behind --max-concurrent-issuances: the limit, the renewals' share, who is woken
// when a slot frees, and the rebuild from the informer's initial list after a restart.
import { describe, expect, it } from 'vitest';
import { GRANT_TTL_MS, IssuanceSlots, observationOf, renewalCap } from './issuance-slots.ts';
import type { Certificate } from '../../api/certificate.ts';

function tracker(limit: number) {
  let now = 1000;
  const woken: string[] = [];
  const slots = new IssuanceSlots(
    limit,
    (key) => woken.push(key),
    () => now,
  );
  return { slots, woken, tick: (ms: number) => (now += ms) };
}

describe('issuance slots', () => {
  it('rejects a limit that is not a whole number of at least 1', () => {
    expect(() => new IssuanceSlots(0, () => {})).toThrow('limit must be an integer >= 1');
    expect(() => new IssuanceSlots(1.5, () => {})).toThrow('limit must be an integer >= 1');
  });

  it('lets renewals hold at most 1/4 of the slots, at least one', () => {
    expect([1, 2, 5, 8, 10, 100].map(renewalCap)).toEqual([1, 1, 1, 2, 2, 25]);
    const { slots } = tracker(3);
    expect(slots.tryAcquire('ns/a', true)).toBe(true);
    expect(slots.tryAcquire('ns/b', true)).toBe(false);
    // The other slots are kept for new work.
    expect(slots.tryAcquire('ns/new', false)).toBe(true);
    expect(slots.tryAcquire('ns/new2', false)).toBe(true);
    expect(slots.tryAcquire('ns/new3', false)).toBe(false);
    expect(slots.usage()).toEqual({ inFlight: 3, renewals: 1, waiting: 2 });
  });

  it('counts a Certificate that holds a slot once, however often it asks', () => {
    const { slots } = tracker(1);
    expect(slots.tryAcquire('ns/a', false)).toBe(true);
    expect(slots.tryAcquire('ns/a', false)).toBe(true);
    expect(slots.usage().inFlight).toBe(1);
  });

  it('wakes non-renewals first, then the longest waiting, one per freed slot', () => {
    const { slots, woken, tick } = tracker(2);
    slots.tryAcquire('ns/r1', true);
    slots.tryAcquire('ns/n1', false);
    tick(1);
    expect(slots.tryAcquire('ns/r2', true)).toBe(false);
    tick(1);
    expect(slots.tryAcquire('ns/r3', true)).toBe(false);
    tick(1);
    expect(slots.tryAcquire('ns/n2', false)).toBe(false);
    slots.release('ns/n1');
    expect(woken).toEqual(['ns/n2']); // the renewals came first but wait behind new work
    // The slot is set aside: a renewal asking now does not take it, the woken one does.
    expect(slots.tryAcquire('ns/r3', true)).toBe(false);
    expect(slots.tryAcquire('ns/n2', false)).toBe(true);
    slots.release('ns/r1');
    expect(woken).toEqual(['ns/n2', 'ns/r2']);
    expect(slots.tryAcquire('ns/r2', true)).toBe(true);
  });

  it('does not wake a renewal into a slot only new work may use', () => {
    const { slots, woken } = tracker(2);
    slots.tryAcquire('ns/r1', true);
    slots.tryAcquire('ns/n1', false);
    expect(slots.tryAcquire('ns/r2', true)).toBe(false);
    slots.release('ns/n1'); // frees the new-work slot; renewals still hold their share
    expect(woken).toEqual([]);
    expect(slots.tryAcquire('ns/r2', true)).toBe(false);
  });

  it('gives an unclaimed grant back after a while, to the next in line', () => {
    const { slots, woken, tick } = tracker(1);
    slots.tryAcquire('ns/a', false);
    slots.tryAcquire('ns/b', false);
    tick(1);
    slots.tryAcquire('ns/c', false);
    slots.release('ns/a');
    expect(woken).toEqual(['ns/b']);
    tick(GRANT_TTL_MS + 1);
    // b never came: the slot goes to c, and b, behind it now, waits for the next one.
    expect(slots.tryAcquire('ns/c', false)).toBe(true);
    expect(slots.tryAcquire('ns/b', false)).toBe(false);
  });

  it('frees a slot when the informer shows the order gone (finished or failed) or the Certificate deleted', () => {
    const { slots, woken } = tracker(1);
    slots.observe({ key: 'ns/a', orderInFlight: true, renewal: false });
    expect(slots.tryAcquire('ns/b', false)).toBe(false);
    slots.observe({ key: 'ns/a', orderInFlight: false, renewal: false });
    expect(woken).toEqual(['ns/b']);
    expect(slots.tryAcquire('ns/b', false)).toBe(true);
    slots.observe({ key: 'ns/b', orderInFlight: true, renewal: false });
    expect(slots.tryAcquire('ns/c', false)).toBe(false);
    slots.forget('ns/b');
    expect(woken).toEqual(['ns/b', 'ns/c']);
  });

  it('keeps a slot taken for an order the cache does not show yet', () => {
    const { slots } = tracker(1);
    expect(slots.tryAcquire('ns/a', false)).toBe(true);
    // An event from before the order was recorded (the finalizer write) must not free it.
    slots.observe({ key: 'ns/a', orderInFlight: false, renewal: false });
    expect(slots.tryAcquire('ns/b', false)).toBe(false);
    // The issuance frees it itself when it finds nothing in flight.
    slots.release('ns/a');
    expect(slots.tryAcquire('ns/b', false)).toBe(true);
  });

  it('rebuilds from the initial list after a restart: orders in flight hold their slots', () => {
    const { slots } = tracker(5);
    const cached = (name: string, orderURL: string | undefined, reason: string): Certificate =>
      ({
        metadata: { name, namespace: 'ns' },
        status: {
          conditions: [{ type: 'Issuing', status: 'True', reason, message: '' }],
          ...(orderURL ? { acme: { orderURL } } : {}),
        },
      }) as unknown as Certificate;
    const list = [
      cached('r1', 'https://ca/o/1', 'Renewing'),
      cached('r2', 'https://ca/o/2', 'Renewing'),
      cached('r3', 'https://ca/o/3', 'Renewing'),
      cached('r4', 'https://ca/o/4', 'Renewing'),
      cached('n1', 'https://ca/o/5', 'SecretMissing'),
      cached('q1', undefined, 'Queued'),
    ];
    for (const c of list) slots.observe(observationOf(`ns/${c.metadata.name}`, c));
    expect(slots.usage()).toEqual({ inFlight: 5, renewals: 4, waiting: 0 });
    expect(slots.tryAcquire('ns/q1', false)).toBe(false);
  });
});
