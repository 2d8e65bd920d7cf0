// The status fields the issuance owns (its field manager applies exactly these), and the helpers
// that derive them from a Certificate's current status.
import type { Certificate, CertificateStatus, ChallengeStatus } from '../../api/certificate.ts';
import { ConditionType, formatConditionTime, setCondition, type Condition } from '../../api/conditions.ts';
import type { Verdict } from './policies.ts';

/** Field manager of the issuance's status fields. */
export const ISSUANCE_FIELD_MANAGER = 'acme6-issuance';

/** status.acme without renewalInfo (which the ARI reconciler owns). */
export interface OrderStatus {
  orderURL?: string;
  orderCreatedTime?: string;
  orderState?: 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
  certificateRevision?: number;
  /** What the order was placed for (order-fingerprint.ts). */
  orderFingerprint?: string;
  retryAfter?: string;
  challenges?: ChallengeStatus[];
}

/** Everything the issuance writes. */
export interface IssuanceStatus {
  conditions?: Condition[];
  revision?: number;
  failedIssuanceAttempts?: number;
  lastFailureTime?: string;
  nextAttemptTime?: string;
  acme?: OrderStatus;
}

/** The issuance-owned part of a Certificate's status. */
export function ownedStatus(status: CertificateStatus | undefined): IssuanceStatus {
  const owned: IssuanceStatus = {};
  const issuing = status?.conditions?.find((c) => c.type === ConditionType.Issuing);
  if (issuing) owned.conditions = [issuing];
  if (status?.revision !== undefined) owned.revision = status.revision;
  if (status?.failedIssuanceAttempts !== undefined)
    owned.failedIssuanceAttempts = status.failedIssuanceAttempts;
  if (status?.lastFailureTime) owned.lastFailureTime = status.lastFailureTime;
  if (status?.nextAttemptTime) owned.nextAttemptTime = status.nextAttemptTime;
  const { renewalInfo: _ari, ...order } = status?.acme ?? {};
  if (Object.keys(order).length > 0) owned.acme = order;
  return owned;
}

/** Sets the Issuing condition on an owned status (a new object). */
export function withIssuing(
  owned: IssuanceStatus,
  certificate: Certificate,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: Date,
): IssuanceStatus {
  const update = {
    type: ConditionType.Issuing,
    status,
    reason,
    message,
    observedGeneration: certificate.metadata.generation ?? 0,
  };
  return { ...owned, conditions: setCondition(owned.conditions, update, now) };
}

/** Drops the Issuing condition: nothing is being issued. */
export function withoutIssuing(owned: IssuanceStatus): IssuanceStatus {
  const { conditions: _gone, ...rest } = owned;
  return rest;
}

/** Issuing reason of an attempt that ended in failure. */
export const FAILED_REASON = 'Failed';

/**
 * The status once nothing is to be issued. An Issuing condition goes, except the record of a
 * failed attempt (Issuing=False, Failed): like cert-manager, it stays until an issuance replaces
 * it, so a failed manual renewal of a still-valid certificate remains visible in its conditions.
 * Returns `owned` itself when nothing changes, so callers can skip the write.
 */
export function settledStatus(owned: IssuanceStatus): IssuanceStatus {
  const issuing = owned.conditions?.[0];
  if (!issuing || (issuing.status === 'False' && issuing.reason === FAILED_REASON)) return owned;
  return withoutIssuing(owned);
}

/** Issuing reason of a renewal a person asked for (`kubectl acme6 renew`, like cmctl's). */
export const MANUAL_TRIGGER_REASON = 'ManuallyTriggered';

/**
 * Asks for a new certificate now: Issuing=True with MANUAL_TRIGGER_REASON. Written under the
 * issuance's own field manager, so the issuance replaces it like any of its fields once it acts.
 */
export function withManualTrigger(
  owned: IssuanceStatus,
  certificate: Certificate,
  now: Date,
): IssuanceStatus {
  const message = 'renewal requested by a user (kubectl acme6 renew)';
  return withIssuing(owned, certificate, 'True', MANUAL_TRIGGER_REASON, message, now);
}

/** The pending manual request as a verdict to issue on, if there is one and no order is placed yet. */
export function manualTrigger(owned: IssuanceStatus): Verdict | undefined {
  const issuing = owned.conditions?.[0];
  if (owned.acme?.orderURL || issuing?.status !== 'True') return undefined;
  if (issuing.reason === MANUAL_TRIGGER_REASON)
    return { reason: MANUAL_TRIGGER_REASON, message: issuing.message };
  // A manual request waiting for a slot (withQueued) is still one.
  const queued = queuedVerdict(owned);
  return queued?.reason === MANUAL_TRIGGER_REASON ? queued : undefined;
}

/** RFC 3339 as status stores times. */
export const statusTime = formatConditionTime;

/** Issuing reason of a Certificate waiting for a free slot under --max-concurrent-issuances. */
export const QUEUED_REASON = 'Queued';
const QUEUED_PREFIX = 'waiting for a free issuance slot (--max-concurrent-issuances); then issuing for ';

/**
 * Says the Certificate waits for a slot, naming what it will issue for; `owned` itself when it says
 * so already (written once, not on every wake-up). The verdict stays readable in the message, so a
 * queued manual request is still one (manualTrigger).
 */
export function withQueued(
  owned: IssuanceStatus,
  certificate: Certificate,
  verdict: Verdict,
  now: Date,
): IssuanceStatus {
  const message = `${QUEUED_PREFIX}${verdict.reason}: ${verdict.message}`;
  const issuing = owned.conditions?.[0];
  if (
    issuing?.reason === QUEUED_REASON &&
    issuing.message === message &&
    issuing.observedGeneration === (certificate.metadata.generation ?? 0)
  )
    return owned;
  return withIssuing(owned, certificate, 'True', QUEUED_REASON, message, now);
}

/** The verdict a Queued condition waits to issue for (undefined for any other condition). */
export function queuedVerdict(owned: IssuanceStatus): Verdict | undefined {
  const issuing = owned.conditions?.[0];
  if (issuing?.reason !== QUEUED_REASON || !issuing.message.startsWith(QUEUED_PREFIX)) return undefined;
  const rest = issuing.message.slice(QUEUED_PREFIX.length);
  const colon = rest.indexOf(': ');
  return colon < 0 ? undefined : { reason: rest.slice(0, colon), message: rest.slice(colon + 2) };
}
