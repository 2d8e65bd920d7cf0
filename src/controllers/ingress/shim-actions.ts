// The part both shims (Ingress and Gateway) decide alike: given the Certificates one object wants,
// which to create, update or delete, and what to warn about. A Secret claimed by two objects gets a
// Certificate from the older one only; a Certificate controlled by something else is left alone.
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { Certificate } from '../../api/certificate.ts';
import { deletion, isOlder, needsUpdate, type Action, type DesiredCertificate } from './plan.ts';

type Claimant = { metadata?: { uid?: string; name?: string; creationTimestamp?: Date | string } };

/** What the shared decision needs to know about the owner and its siblings. */
export interface ShimActionsInput<O extends Claimant> {
  owner: O & { metadata: { uid: string } };
  /** The owner's kind, in messages (`Ingress`, `Gateway`). */
  kind: string;
  /** How to fix two owners claiming one Secret, in the warning. */
  secretAdvice: string;
  desired: readonly DesiredCertificate[];
  certificates: readonly Certificate[];
  /** The other objects of the namespace that ask for certificates (the owner may be among them). */
  siblings: readonly O[];
  claimedSecretNames(other: O): string[];
  /** The Certificate's controller if it is an object of the owner's kind. */
  controllerOf(certificate: Certificate): V1OwnerReference | undefined;
  /** Why an owned Certificate no longer wanted is deleted. */
  prunedBecause: string;
}

/** Create, update and delete actions for the owner's Certificates, and warnings for the rest. */
export function certificateActions<O extends Claimant>(
  input: ShimActionsInput<O>,
): { actions: Action[]; warnings: string[] } {
  const { owner, kind } = input;
  const actions: Action[] = [];
  const warnings: string[] = [];
  const byName = new Map(input.certificates.map((c) => [c.metadata.name, c]));
  for (const want of input.desired) {
    const rivals = input.siblings.filter(
      (other) =>
        other.metadata?.uid !== owner.metadata.uid && input.claimedSecretNames(other).includes(want.name),
    );
    if (rivals.length > 0) {
      const names = rivals.map((r) => r.metadata?.name ?? '').sort();
      warnings.push(
        `Secret ${want.name} is also claimed by ${kind} ${names.join(', ')}: one Certificate can have only ` +
          `one ${kind}, so ${input.secretAdvice}`,
      );
    }
    const existing = byName.get(want.name);
    if (!existing) {
      // Of several claimants only the first-created makes the Certificate; none takes it from another.
      if (rivals.every((r) => isOlder(owner, r))) actions.push({ type: 'create', certificate: want });
      continue;
    }
    if (input.controllerOf(existing)?.uid !== owner.metadata.uid) {
      const controller = (
        existing.metadata as { ownerReferences?: V1OwnerReference[] }
      ).ownerReferences?.find((r) => r.controller);
      warnings.push(
        `Certificate ${want.name} exists and is not controlled by this ${kind}` +
          `${controller ? ` (its controller is ${controller.kind} ${controller.name})` : ''}: it was left unchanged`,
      );
      continue;
    }
    if (needsUpdate(existing, want)) {
      actions.push({
        type: 'update',
        certificate: want,
        resourceVersion: existing.metadata.resourceVersion ?? '',
      });
    }
  }
  const wanted = new Set(input.desired.map((d) => d.name));
  for (const certificate of input.certificates) {
    const ours = input.controllerOf(certificate)?.uid === owner.metadata.uid;
    if (ours && !wanted.has(certificate.metadata.name ?? ''))
      actions.push(deletion(certificate, input.prunedBecause));
  }
  return { actions, warnings };
}
