// Which Certificates go to the front of the issuance and readiness queues: those someone is waiting
// for (new, broken, expired: not Ready). A renewal of a certificate that is still valid has weeks
// left and waits its turn, so a wave of renewals that fall due at once never delays a new one.
import type { Certificate } from '../../api/certificate.ts';
import { ConditionType } from '../../api/conditions.ts';

/** Whether the Certificate is not Ready, so its work goes ahead of renewals. */
export function isAwaited(certificate: Pick<Certificate, 'status'> | undefined): boolean {
  if (!certificate) return false;
  const ready = certificate.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  return ready?.status !== 'True';
}
