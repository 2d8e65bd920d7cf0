// When a step of the issuance throws: wait for the issuer, retry a transient error keeping the
// order, or end the attempt (clean up, count it, back off).
import { AcmeError } from '../../acme/errors.ts';
import { isConflict } from '../../kube/errors.ts';
import { refOf } from '../../kube/object-ref.ts';
import type { Result } from '../../runtime/controller.ts';
import { isTerminalError } from '../../runtime/errors.ts';
import { IssuerNotReadyError } from './acme-clients.ts';
import { failureDelayMs } from './failure-backoff.ts';
import { orderContext, type IssuanceDeps, type StoredCertificate } from './issuance-context.ts';
import {
  FAILED_REASON,
  ownedStatus,
  statusTime,
  withIssuing,
  type IssuanceStatus,
} from './issuance-status.ts';
import { cleanUpChallenges, IssuanceFailure } from './order-progress.ts';

const WAIT_FOR_ISSUER_MS = 5 * 60_000;
/** A decision on a lagging cache is taken again once the cache has caught up (its event requeues sooner). */
const STALE_RETRY_MS = 1000;

/** Sorts an error into wait, retry with backoff, or a failed attempt. */
export async function handleIssuanceError(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
  owned: IssuanceStatus,
  err: unknown,
): Promise<Result> {
  const now = deps.clock.now();
  const message = err instanceof Error ? err.message : String(err);
  if (isConflict(err)) throw err; // decided on a stale cache: the newer object comes with its event
  if (err instanceof IssuerNotReadyError) {
    await deps.writeStatus(
      certificate,
      withIssuing(owned, certificate, 'False', 'IssuerNotReady', message, now),
    );
    return { requeueAfter: WAIT_FOR_ISSUER_MS };
  }
  const failed =
    err instanceof IssuanceFailure || isTerminalError(err) || (err instanceof AcmeError && !err.transient);
  if (!failed) {
    // Transient (network, rate limit, DNS timeout): keep the order, show why we wait, retry.
    const reason = owned.conditions?.[0]?.reason ?? 'Issuing';
    const retryAfter = err instanceof AcmeError && err.retryAfter ? statusTime(err.retryAfter) : undefined;
    const acme = retryAfter ? { ...owned.acme, retryAfter } : owned.acme;
    const next = withIssuing(
      { ...owned, ...(acme ? { acme } : {}) },
      certificate,
      'True',
      reason,
      `retrying: ${message}`,
      now,
    );
    await deps.writeStatus(certificate, next);
    // Repeats aggregate into one Event with a count, so a retry loop shows as "(xN over ...)".
    deps.recorder.warning(refOf(certificate), 'Retrying', message);
    if (err instanceof AcmeError && err.retryAfter)
      return { requeueAfter: Math.max(1000, err.retryAfter.getTime() - now.getTime()) };
    throw err;
  }
  return failIssuance(deps, certificate, owned, message);
}

/**
 * Whether a failure decided on `cached` concerns an attempt the apiserver (`fresh`) no longer
 * shows: its order finished or was replaced, or the revision moved on. A cache that lags our own
 * writes sees a finished order as in flight; failing it would undo the issuance.
 */
export function decidedOnStaleState(cached: IssuanceStatus, fresh: IssuanceStatus): boolean {
  return cached.acme?.orderURL !== fresh.acme?.orderURL || cached.revision !== fresh.revision;
}

/** Ends this attempt: clean up, count it, and schedule the next one after the backoff. */
async function failIssuance(
  deps: IssuanceDeps,
  cached: StoredCertificate,
  cachedOwned: IssuanceStatus,
  message: string,
): Promise<Result> {
  const now = deps.clock.now();
  // A failure is final for this attempt, so it is decided on the apiserver's state, not the cache's.
  const current = (await deps.readCertificate(cached.metadata.name, cached.metadata.namespace)) as
    StoredCertificate | undefined;
  if (!current) return {};
  const owned = ownedStatus(current.status);
  const sameSpec = current.metadata.generation === cached.metadata.generation;
  if (!sameSpec || decidedOnStaleState(cachedOwned, owned)) return { requeueAfter: STALE_RETRY_MS };
  if (owned.acme?.orderURL) {
    try {
      const ctx = await orderContext(deps, current, undefined, (current.status?.revision ?? 0) + 1);
      for (const problem of await cleanUpChallenges(ctx, owned.acme.orderURL)) {
        deps.recorder.warning(refOf(current), 'CleanUpFailed', problem);
      }
    } catch (err) {
      deps.recorder.warning(refOf(current), 'CleanUpFailed', (err as Error).message);
    }
  }
  const failures = (owned.failedIssuanceAttempts ?? 0) + 1;
  const nextAttempt = new Date(now.getTime() + failureDelayMs(failures, deps.backoff));
  const text = `${message}; next attempt at ${nextAttempt.toISOString()} (failure ${failures})`;
  const { challenges } = owned.acme ?? {};
  const next: IssuanceStatus = {
    ...withIssuing(owned, current, 'False', FAILED_REASON, text, now),
    failedIssuanceAttempts: failures,
    lastFailureTime: statusTime(now),
    nextAttemptTime: statusTime(nextAttempt),
    ...(challenges ? { acme: { challenges } } : {}),
  };
  await deps.writeStatus(current, next);
  await deps.setFinalizer(current, false);
  deps.recorder.warning(refOf(current), 'Failed', text);
  return { requeueAfter: nextAttempt.getTime() - now.getTime() };
}
