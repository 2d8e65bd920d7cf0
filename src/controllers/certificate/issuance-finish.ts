// Finishing an issuance: the TLS Secret holds the new certificate, so take the challenges down,
// record the revision (dropping the order and the failure record), then let the next key and the
// finalizer go.
import { refOf } from '../../kube/object-ref.ts';
import type { Result } from '../../runtime/controller.ts';
import { writeStatusOnLatest, type IssuanceDeps, type StoredCertificate } from './issuance-context.ts';
import { ownedStatus, withoutIssuing, type IssuanceStatus } from './issuance-status.ts';
import { dropNextKey } from './next-key.ts';
import { cleanUpChallenges, type OrderContext, type StepOutcome } from './order-progress.ts';

/** Records an issued certificate. */
export async function finishIssuance(
  deps: IssuanceDeps,
  ctx: OrderContext,
  owned: IssuanceStatus,
  orderURL: string,
  outcome: Extract<StepOutcome, { kind: 'issued' }>,
): Promise<Result> {
  const { certificate } = ctx;
  const leftovers = await cleanUpChallenges(ctx, orderURL);
  for (const problem of leftovers) deps.recorder.warning(refOf(certificate), 'CleanUpFailed', problem);
  const finished = (current: StoredCertificate): IssuanceStatus => {
    const {
      failedIssuanceAttempts: _f,
      lastFailureTime: _l,
      nextAttemptTime: _n,
      acme: _a,
      ...rest
    } = withoutIssuing(current === certificate ? owned : ownedStatus(current.status));
    return { ...rest, revision: outcome.revision };
  };
  // The Secret holds the certificate: record it even if another controller wrote in between, as
  // long as the apiserver still shows this order in flight.
  const wrote = await writeStatusOnLatest(
    deps,
    certificate,
    finished,
    (latest) => latest.status?.acme?.orderURL === orderURL,
  );
  if (!wrote) return { requeueAfter: 1000 };
  // Only now that status records the revision may the key's other copy go.
  await dropNextKey(deps.secrets, certificate.metadata);
  await deps.setFinalizer(certificate, false);
  deps.recorder.normal(
    refOf(certificate),
    'Issued',
    `certificate revision ${outcome.revision} written to Secret ${certificate.spec.secretName}, valid until ${outcome.notAfter.toISOString()}`,
  );
  return {};
}
