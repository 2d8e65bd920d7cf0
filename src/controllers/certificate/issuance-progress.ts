// Progressing an issuance: an order is in flight, so take one step of it. An order for something
// no longer wanted is abandoned; a waiting order records its state and failing self-checks; an
// issued one is finished.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/certificate.ts';
import { refOf } from '../../kube/object-ref.ts';
import type { Result } from '../../runtime/controller.ts';
import { orderContext, solversFor, type IssuanceDeps, type StoredCertificate } from './issuance-context.ts';
import { finishIssuance } from './issuance-finish.ts';
import { withIssuing, type IssuanceStatus } from './issuance-status.ts';
import { orderFingerprint, orderOutdated } from './order-fingerprint.ts';
import { cleanUpChallenges, stepOrder } from './order-progress.ts';

const SELF_CHECK_MARK = '; not asking the CA yet: ';

/**
 * The Issuing message names failing self-checks (and so does Ready, which repeats it) while they
 * fail, appended to the reason for issuing, and drops them once they pass.
 */
export function withSelfCheckProblems(
  owned: IssuanceStatus,
  certificate: Certificate,
  problems: string[] | undefined,
  now: Date,
): IssuanceStatus {
  const issuing = owned.conditions?.[0];
  if (!issuing) return owned;
  const base = issuing.message.split(SELF_CHECK_MARK)[0]!;
  // Bounded: conditions carry at most 32768 characters.
  const message = problems ? `${base}${SELF_CHECK_MARK}${problems.join('; ')}`.slice(0, 30_000) : base;
  if (message === issuing.message) return owned;
  const status = issuing.status === 'False' ? 'False' : 'True';
  return withIssuing(owned, certificate, status, issuing.reason, message, now);
}

/** An order is in flight: take one step. */
export async function progressOrder(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
  owned: IssuanceStatus,
  secret?: V1Secret,
): Promise<Result> {
  const orderURL = owned.acme!.orderURL!;
  const revision = (certificate.status?.revision ?? 0) + 1;
  const ctx = await orderContext(deps, certificate, secret, revision);
  const fingerprint = orderFingerprint(certificate, ctx.issuer, ctx.choices);
  const outdated = orderOutdated(owned.acme!, fingerprint, certificate.spec.dnsNames);
  if (owned.acme?.certificateRevision !== revision || outdated) {
    // The spec moved on (or the revision did): this order is for something no longer wanted.
    // Its challenges may be for names the Certificate no longer has: clean up those too.
    const ordered = (owned.acme?.challenges ?? []).map((c) => c.dnsName);
    const names = [...new Set([...certificate.spec.dnsNames, ...ordered])];
    const everyName = { ...certificate, spec: { ...certificate.spec, dnsNames: names } };
    const { choices } = solversFor(ctx.issuer, everyName);
    for (const problem of await cleanUpChallenges({ ...ctx, choices }, orderURL))
      deps.recorder.warning(refOf(certificate), 'CleanUpFailed', problem);
    const { acme: _dropped, ...rest } = owned;
    await deps.writeStatus(certificate, rest);
    return { requeueAfter: 0 };
  }
  const outcome = await stepOrder(ctx, orderURL);
  if (outcome.kind === 'wait') {
    const acme = {
      ...owned.acme,
      orderState: outcome.order.status,
      ...(outcome.challenges ? { challenges: outcome.challenges } : {}),
    };
    const next = withSelfCheckProblems({ ...owned, acme }, certificate, outcome.failingChecks, ctx.now);
    if (JSON.stringify(next) !== JSON.stringify(owned)) await deps.writeStatus(certificate, next);
    for (const problem of outcome.failingChecks ?? [])
      deps.recorder.warning(refOf(certificate), 'SelfCheckFailed', problem);
    return { requeueAfter: outcome.afterMs };
  }
  return finishIssuance(deps, ctx, owned, orderURL, outcome);
}
