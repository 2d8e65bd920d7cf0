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

/**
 * The share of the slots renewals may hold (at least one slot). Small: a renewal is not urgent (the
 * certificate has a third of its life left), and every order in flight costs the others time. On
 * the 2-core bench machine, 300 renewals at once with 8 in flight renewed faster (180 s) than with 80
 * (312 s) or unlimited (256 s), and a new Certificate took 10 s to Ready beside them instead of 70 s.
 */
export const RENEWAL_SHARE = 1 / 4;

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
}

interface Grant extends Waiter {
  /** When the freed slot was set aside for it. */
  at: number;
}

/** The most renewals in flight at once for a limit. */
export function renewalCap(limit: number): number {
  return Math.max(1, Math.floor(limit * RENEWAL_SHARE));
}

export class IssuanceSlots {
  readonly limit: number;
  private readonly holders = new Map<string, Holder>();
  /** Waiting for a slot; a woken one moves to `grants` until it takes the slot set aside for it. */
  private readonly waiters = new Map<string, Waiter>();
  private readonly grants = new Map<string, Grant>();
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
      this.grants.delete(key);
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
    if (this.grants.delete(key) || this.fits(renewal)) {
      this.waiters.delete(key);
      this.holders.set(key, { renewal, seen: false });
      return true;
    }
    // Keeps its place in line; a renewal that became urgent (expired) moves up.
    this.waiters.set(key, { renewal, since: this.waiters.get(key)?.since ?? now });
    return false;
  }

  /** `key` has no order in flight and is not waiting (settled, failed, placed none): its slot frees. */
  release(key: string): void {
    const held = this.holders.delete(key);
    const granted = this.grants.delete(key);
    this.waiters.delete(key);
    if (held || granted) this.grantFreed();
  }

  /** Orders in flight, and of them renewals, and Certificates waiting (woken or not). */
  usage(): { inFlight: number; renewals: number; waiting: number } {
    return {
      inFlight: this.holders.size,
      renewals: countRenewals(this.holders),
      waiting: this.waiters.size + this.grants.size,
    };
  }

  /** Whether a new order fits beside the holders and the slots set aside for woken waiters. */
  private fits(renewal: boolean): boolean {
    if (this.holders.size + this.grants.size >= this.limit) return false;
    return !renewal || countRenewals(this.holders) + countRenewals(this.grants) < renewalCap(this.limit);
  }

  private expireGrants(now: number): void {
    let expired = false;
    for (const [key, grant] of this.grants) {
      if (now - grant.at <= GRANT_TTL_MS) continue;
      this.grants.delete(key);
      this.waiters.set(key, { renewal: grant.renewal, since: now }); // to the back: it did not come
      expired = true;
    }
    if (expired) this.grantFreed();
  }

  /** Sets free slots aside for the best waiters that fit, and wakes them. */
  private grantFreed(): void {
    while (this.waiters.size > 0 && this.fits(false)) {
      const next = this.bestWaiter();
      if (!next) return;
      const [key, waiter] = next;
      this.waiters.delete(key);
      this.grants.set(key, { ...waiter, at: this.now() });
      this.wake(key);
    }
  }

  /** Non-renewals first, then the longest waiting; a renewal only within the renewals' share. */
  private bestWaiter(): [string, Waiter] | undefined {
    let best: [string, Waiter] | undefined;
    const renewalFits = this.fits(true);
    for (const entry of this.waiters) {
      const [, w] = entry;
      if (w.renewal && !renewalFits) continue;
      if (!best || Number(w.renewal) - Number(best[1].renewal) < 0) best = entry;
      else if (w.renewal === best[1].renewal && w.since < best[1].since) best = entry;
    }
    return best;
  }
}

function countRenewals(entries: Map<string, { renewal: boolean }>): number {
  let n = 0;
  for (const e of entries.values()) if (e.renewal) n++;
  return n;
}
