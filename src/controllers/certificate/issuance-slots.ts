// How many Certificates may have an ACME order in flight at once (--max-concurrent-issuances), and
// who gets a slot that frees up. Pure bookkeeping, fed by the Certificate informer's events (so a
// restart rebuilds it from the initial list) and by the issuance's own decisions; no I/O.
//
// Renewals (the current certificate is still valid) may hold at most RENEWAL_SHARE of the slots, so
// the rest always serves first issuances, expired certificates, spec changes and manual requests.
// A Certificate that finds no slot waits; when one frees it goes to the best waiter (non-renewals
// first, then the longest waiting), which is granted it and woken, instead of everyone polling.
import type { Certificate } from '../../api/certificate.ts';
import { ConditionType } from '../../api/conditions.ts';
import { RENEWING_REASON } from './policies.ts';

/** The share of the slots renewals may hold (at least one slot). */
export const RENEWAL_SHARE = 4 / 5;

/** A grant that is not taken up within this time goes back (its Certificate did not come). */
export const GRANT_TTL_MS = 30_000;

/** What the informer shows of a Certificate: whether an order is in flight, and what for. */
export interface SlotObservation {
  key: string;
  orderInFlight: boolean;
  renewal: boolean;
}

/** What a cached Certificate says about its order: the Issuing reason names what it is for. */
export function observationOf(key: string, certificate: Certificate): SlotObservation {
  const issuing = certificate.status?.conditions?.find((c) => c.type === ConditionType.Issuing);
  return {
    key,
    orderInFlight: Boolean(certificate.status?.acme?.orderURL),
    renewal: issuing?.reason === RENEWING_REASON,
  };
}

interface Holder {
  renewal: boolean;
  /** The informer has shown this order; until then it is ours alone (being placed or just recorded). */
  seen: boolean;
}

interface Waiter {
  renewal: boolean;
  since: number;
  /** When a freed slot was set aside for it. */
  grantedAt?: number;
}

/** The most renewals in flight at once for a limit. */
export function renewalCap(limit: number): number {
  return Math.max(1, Math.floor(limit * RENEWAL_SHARE));
}

export class IssuanceSlots {
  readonly limit: number;
  private readonly holders = new Map<string, Holder>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly wake: (key: string) => void;
  private readonly now: () => number;

  constructor(limit: number, wake: (key: string) => void, now: () => number = Date.now) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be an integer >= 1, not ${limit}`);
    this.limit = limit;
    this.wake = wake;
    this.now = now;
  }

  /** An informer add or update: an order shown in flight holds a slot; one shown gone frees it. */
  observe({ key, orderInFlight, renewal }: SlotObservation): void {
    if (orderInFlight) {
      this.holders.set(key, { renewal, seen: true });
      this.waiters.delete(key);
      return;
    }
    // Not seen yet: the cache lags our own write of the order; the issuance releases it itself.
    if (this.holders.get(key)?.seen) this.release(key);
  }

  /** An informer delete. */
  forget(key: string): void {
    this.release(key);
  }

  /**
   * Takes a slot to place an order (true), or waits for one (false): then `key` is woken when a
   * slot is set aside for it. Holding one already counts as taking it.
   */
  tryAcquire(key: string, renewal: boolean): boolean {
    if (this.holders.has(key)) return true;
    const now = this.now();
    this.expireGrants(now);
    const waiter = this.waiters.get(key);
    if (waiter?.grantedAt !== undefined || this.fits(renewal, key)) {
      this.waiters.delete(key);
      this.holders.set(key, { renewal, seen: false });
      return true;
    }
    // Keeps its place in line; a renewal that became urgent (expired) moves up.
    this.waiters.set(key, { renewal, since: waiter?.since ?? now });
    return false;
  }

  /** `key` has no order in flight and is not waiting (settled, failed, placed none): its slot frees. */
  release(key: string): void {
    const held = this.holders.delete(key);
    const waited = this.waiters.delete(key);
    if (held || waited) this.grantFreed();
  }

  /** Orders in flight, and of them renewals (with slots set aside for woken waiters). */
  usage(): { inFlight: number; renewals: number; waiting: number } {
    let renewals = 0;
    for (const h of this.holders.values()) if (h.renewal) renewals++;
    return { inFlight: this.holders.size, renewals, waiting: this.waiters.size };
  }

  /** Whether a new order fits beside the holders and the slots set aside (other than `key`'s). */
  private fits(renewal: boolean, key?: string): boolean {
    let taken = this.holders.size;
    let renewals = 0;
    for (const h of this.holders.values()) if (h.renewal) renewals++;
    for (const [k, w] of this.waiters) {
      if (w.grantedAt === undefined || k === key) continue;
      taken++;
      if (w.renewal) renewals++;
    }
    if (taken >= this.limit) return false;
    return !renewal || renewals < renewalCap(this.limit);
  }

  private expireGrants(now: number): void {
    let expired = false;
    for (const w of this.waiters.values()) {
      if (w.grantedAt !== undefined && now - w.grantedAt > GRANT_TTL_MS) {
        delete w.grantedAt;
        w.since = now; // to the back of the line: it did not come when called
        expired = true;
      }
    }
    if (expired) this.grantFreed();
  }

  /** Sets free slots aside for the best waiters that fit, and wakes them. */
  private grantFreed(): void {
    const line = [...this.waiters]
      .filter(([, w]) => w.grantedAt === undefined)
      .sort(([, a], [, b]) => Number(a.renewal) - Number(b.renewal) || a.since - b.since);
    for (const [key, waiter] of line) {
      if (!this.fits(waiter.renewal)) {
        if (!waiter.renewal) return; // no slot at all: nobody behind it fits either
        continue;
      }
      waiter.grantedAt = this.now();
      this.wake(key);
    }
  }
}
