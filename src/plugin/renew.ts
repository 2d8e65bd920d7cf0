// `kubectl acme6 renew`: asks the issuance for a new certificate now, whatever its policies and
// failure backoff say (like `cmctl renew`). The request is the issuance's own Issuing condition
// with reason ManuallyTriggered, applied under the issuance's field manager and on the version
// just read, so it can neither clobber an order placed meanwhile nor linger once acted on.
import type { Certificate } from '../api/certificate.ts';
import {
  ISSUANCE_FIELD_MANAGER,
  MANUAL_TRIGGER_REASON,
  ownedStatus,
  withManualTrigger,
  type IssuanceStatus,
} from '../controllers/certificate/issuance-status.ts';
import { isConflict } from '../kube/errors.ts';
import { certificateName } from './names.ts';

/** What to do for one Certificate. */
export type RenewalPlan = { action: 'request'; status: IssuanceStatus } | { action: 'skip'; why: string };

/** Decides from the Certificate as just read; pure. */
export function planRenewal(certificate: Certificate, now: Date): RenewalPlan {
  if (certificate.metadata.deletionTimestamp) return { action: 'skip', why: 'it is being deleted' };
  const owned = ownedStatus(certificate.status);
  const issuing = owned.conditions?.[0];
  if (owned.acme?.orderURL) {
    return { action: 'skip', why: `it is being issued already (order ${owned.acme.orderURL})` };
  }
  if (issuing?.status === 'True' && issuing.reason === MANUAL_TRIGGER_REASON) {
    return {
      action: 'skip',
      why: 'a renewal was requested already and the controller has not acted on it yet',
    };
  }
  return { action: 'request', status: withManualTrigger(owned, certificate, now) };
}

/** The writes renew needs; a 409 from applyStatus means the Certificate changed since `get`. */
export interface RenewalTarget {
  get(name: string, namespace: string): Promise<Certificate | undefined>;
  applyStatus(
    name: string,
    namespace: string,
    status: IssuanceStatus,
    fieldManager: string,
    resourceVersion: string,
  ): Promise<void>;
}

/** The outcome for one Certificate, as a line for the user. */
export interface RenewalOutcome {
  ok: boolean;
  line: string;
}

/** Requests a renewal of namespace/name, re-reading on a conflicting write (a few times). */
export async function requestRenewal(
  target: RenewalTarget,
  name: string,
  namespace: string,
  now: () => Date,
): Promise<RenewalOutcome> {
  const what = certificateName(namespace, name);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const certificate = await target.get(name, namespace);
    if (!certificate) return { ok: false, line: `${what}: not found` };
    const plan = planRenewal(certificate, now());
    if (plan.action === 'skip') return { ok: true, line: `${what}: skipped, ${plan.why}` };
    try {
      const version = certificate.metadata.resourceVersion ?? '';
      await target.applyStatus(name, namespace, plan.status, ISSUANCE_FIELD_MANAGER, version);
      return { ok: true, line: `${what}: renewal requested` };
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  return { ok: false, line: `${what}: it kept changing while renewal was requested; try again` };
}
