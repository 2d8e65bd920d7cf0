// What this controller last learnt of each order in flight, in memory, so a step asks the CA only
// what may have changed since: an authorization whose challenge nobody answered cannot move by
// itself, so neither can its pending order; once challenges are answered, the order alone says
// whether they all passed (RFC 8555 §7.1.6: it turns ready, or invalid if one failed). A new process
// knows nothing and asks for everything, as before.
import type { AcmeAuthorization, AcmeOrder } from '../../acme/port.ts';

/** One order as last seen, with its authorizations (their challenges as last seen or answered). */
export interface KnownOrder {
  order: AcmeOrder;
  authorizations: Map<string, AcmeAuthorization>;
  /** Polls since the order last changed state: the next poll waits longer (pollDelayMs). */
  polls: number;
}

// Orders in flight are few (one per Certificate issuing); a bound keeps abandoned ones from piling up.
const MAX_KNOWN = 10_000;

/** The orders this process has seen, by URL. */
export class KnownOrders {
  private readonly orders = new Map<string, KnownOrder>();

  /** The order as last seen, unless the CA has let it expire since. */
  get(url: string, now: Date): KnownOrder | undefined {
    const known = this.orders.get(url);
    if (known?.order.expires && now > known.order.expires) {
      this.orders.delete(url);
      return undefined;
    }
    return known;
  }

  /** Records the order as the CA just answered it; a change of state restarts the poll backoff. */
  rememberOrder(order: AcmeOrder): KnownOrder {
    const known = this.orders.get(order.url);
    if (known) {
      known.polls = known.order.status === order.status ? known.polls + 1 : 0;
      known.order = order;
      return known;
    }
    if (this.orders.size >= MAX_KNOWN) this.orders.delete(this.orders.keys().next().value!);
    const fresh: KnownOrder = { order, authorizations: new Map(), polls: 0 };
    this.orders.set(order.url, fresh);
    return fresh;
  }

  forget(url: string): void {
    this.orders.delete(url);
  }

  get size(): number {
    return this.orders.size;
  }
}

/**
 * Whether an order as last seen may have changed at the CA without us: not if it is pending and
 * no challenge of it was answered (only our answer moves it on).
 */
export function mayHaveMoved(known: KnownOrder): boolean {
  if (known.order.status !== 'pending') return true;
  return [...known.authorizations.values()].some(
    (authz) => authz.status !== 'pending' || authz.challenges.some((c) => c.status !== 'pending'),
  );
}

const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 4000;

/** How long to wait before asking about an order again: short at first, doubling while nothing changes. */
export function pollDelayMs(polls: number): number {
  return Math.min(MAX_POLL_MS, FIRST_POLL_MS * 2 ** Math.min(polls, 8));
}
