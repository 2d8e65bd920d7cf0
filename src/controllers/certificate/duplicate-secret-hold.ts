// The issuance's side of DuplicateSecretName: a Certificate whose Secret an older one keeps says so
// once (Issuing=False and a Warning naming the keeper) and places no order. An order already in
// flight stays recorded, untouched, so its challenges can still be cleaned up.
import type { Certificate } from '../../api/certificate.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { refOf } from '../../kube/object-ref.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Result } from '../../runtime/controller.ts';
import { DUPLICATE_SECRET_REASON, duplicateSecretMessage } from './duplicate-secret.ts';
import { withIssuing, type IssuanceStatus } from './issuance-status.ts';

interface HoldDeps {
  writeStatus(certificate: Certificate, status: IssuanceStatus): Promise<void>;
  recorder: EventRecorder;
  clock: Clock;
}

/** Records that `certificate` stands aside for `keeper`; writes and warns only when that is news. */
export async function standAsideForKeeper(
  deps: HoldDeps,
  certificate: Certificate,
  owned: IssuanceStatus,
  keeper: Certificate,
): Promise<Result> {
  const message = duplicateSecretMessage(certificate, keeper);
  const issuing = owned.conditions?.[0];
  const said =
    issuing?.status === 'False' &&
    issuing.reason === DUPLICATE_SECRET_REASON &&
    issuing.message === message &&
    issuing.observedGeneration === (certificate.metadata.generation ?? 0);
  if (said) return {};
  const now = deps.clock.now();
  await deps.writeStatus(
    certificate,
    withIssuing(owned, certificate, 'False', DUPLICATE_SECRET_REASON, message, now),
  );
  deps.recorder.warning(refOf(certificate), DUPLICATE_SECRET_REASON, message);
  return {};
}
