// The gate before an order is placed: take a slot under --max-concurrent-issuances, or say once that
// the Certificate waits for one (Issuing=True, Queued) and wait to be woken (issuance-slots.ts).
import { objectKey } from '../../runtime/keys.ts';
import type { Result } from '../../runtime/controller.ts';
import type { IssuanceDeps, StoredCertificate } from './issuance-context.ts';
import { withQueued, type IssuanceStatus } from './issuance-status.ts';
import { RENEWING_REASON, type Verdict } from './policies.ts';

/** A waiter is woken when a slot is set aside for it; this only covers a wake-up that got lost. */
export const QUEUED_FALLBACK_MS = 5 * 60_000;

/** What placing an order came to: the reconcile's result, and whether an order is now recorded. */
export interface Placement {
  result: Result;
  recorded: boolean;
}

/** A renewal of a certificate that is still valid: it yields slots to everything else. */
export const isRenewal = (verdict: Verdict): boolean => verdict.reason === RENEWING_REASON;

/** Places the order if a slot is free (freeing it again if no order came of it), else queues. */
export async function placeWithinSlots(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
  owned: IssuanceStatus,
  verdict: Verdict,
  place: () => Promise<Placement>,
): Promise<Result> {
  const { slots } = deps;
  if (!slots) return (await place()).result;
  const key = objectKey(certificate);
  if (!slots.tryAcquire(key, isRenewal(verdict))) {
    const queued = withQueued(owned, certificate, verdict, deps.clock.now());
    if (queued !== owned) await deps.writeStatus(certificate, queued);
    return { requeueAfter: QUEUED_FALLBACK_MS };
  }
  let recorded = false;
  try {
    const placement = await place();
    recorded = placement.recorded;
    return placement.result;
  } finally {
    if (!recorded) slots.release(key);
  }
}
