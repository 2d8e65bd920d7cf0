// A Certificate being deleted: take its challenge records down, then release the finalizer.
import { refOf } from '../../kube/object-ref.ts';
import type { Result } from '../../runtime/controller.ts';
import { orderContext, type IssuanceDeps, type StoredCertificate } from './issuance-context.ts';
import type { IssuanceStatus } from './issuance-status.ts';
import { cleanUpChallenges } from './order-progress.ts';

/** Cleans up after a deleted Certificate if we hold its finalizer, then lets it go. */
export async function finalizeDeletion(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
  owned: IssuanceStatus,
  held: boolean,
): Promise<Result> {
  if (!held) return {};
  // Best effort, once: a deletion must not wait for ever on an issuer or DNS server that is gone.
  if (owned.acme?.orderURL) {
    let problems: string[];
    try {
      const ctx = await orderContext(deps, certificate, undefined, 0);
      problems = await cleanUpChallenges(ctx, owned.acme.orderURL);
    } catch (err) {
      problems = [(err as Error).message];
    }
    for (const problem of problems) deps.recorder.warning(refOf(certificate), 'CleanUpFailed', problem);
  }
  await deps.setFinalizer(certificate, false);
  return {};
}
