// Two Certificates that name one Secret would overwrite each other's certificate for ever, and burn
// the CA's order and duplicate-certificate limits doing it. The oldest (creation time, then name)
// keeps the Secret; every other one stands aside (no order, Ready and Issuing False with
// DuplicateSecretName) until the conflict is gone.
import type { Certificate } from '../../api/certificate.ts';

/** Reason of the Ready and Issuing conditions of a Certificate that stands aside. */
export const DUPLICATE_SECRET_REASON = 'DuplicateSecretName';

interface Claimant {
  metadata: { name?: string; namespace?: string; creationTimestamp?: unknown; deletionTimestamp?: unknown };
  spec: { secretName: string };
}

const createdAt = (c: Claimant): number => {
  const t = c.metadata.creationTimestamp;
  const ms = t instanceof Date || typeof t === 'string' ? new Date(t).getTime() : Number.NaN;
  // Not yet stored (no timestamp): younger than anything stored.
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
};

/** True if a comes before b: created earlier, or at the same second with the smaller name. */
function isOlder(a: Claimant, b: Claimant): boolean {
  const [ta, tb] = [createdAt(a), createdAt(b)];
  if (ta !== tb) return ta < tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '');
}

/**
 * The Certificate that keeps `certificate`'s Secret instead of it, or undefined if it keeps it
 * itself. Certificates being deleted claim nothing: they will never write the Secret again.
 */
export function secretKeeper<T extends Claimant>(certificate: Claimant, all: readonly T[]): T | undefined {
  const rivals = all.filter(
    (other) =>
      other.metadata.namespace === certificate.metadata.namespace &&
      other.metadata.name !== certificate.metadata.name &&
      other.spec.secretName === certificate.spec.secretName &&
      !other.metadata.deletionTimestamp,
  );
  const oldest = rivals.reduce<T | undefined>((best, c) => (!best || isOlder(c, best) ? c : best), undefined);
  return oldest && isOlder(oldest, certificate) ? oldest : undefined;
}

/** The message both conditions and the Warning carry. */
export function duplicateSecretMessage(certificate: Claimant, keeper: Claimant): string {
  return (
    `Secret ${certificate.spec.secretName} is also the secretName of Certificate ${keeper.metadata.name ?? ''}, ` +
    'which is older and keeps it; no order is placed for this Certificate until one of them names another Secret ' +
    'or is deleted'
  );
}

/** Keys of the other Certificates naming the Secret of `certificate` (they look again when it changes). */
export function sameSecretKeys(certificate: Claimant, all: readonly Certificate[]): string[] {
  return all
    .filter(
      (other) =>
        other.metadata.namespace === certificate.metadata.namespace &&
        other.metadata.name !== certificate.metadata.name &&
        other.spec.secretName === certificate.spec.secretName,
    )
    .map((other) => `${other.metadata.namespace}/${other.metadata.name}`);
}
