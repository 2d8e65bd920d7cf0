// Carrying out one shim Action (create, update or delete a Certificate) and telling the user through
// an Event on the object that asked for it: shared by the ingress-shim and the gateway-shim.
import { apiErrorMessage, isConflict } from '../../kube/errors.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { ObjectRef } from '../../kube/object-ref.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { CertificateWriter } from './certificate-writer.ts';
import type { Action } from './plan.ts';

/** Event reasons on the Ingress or Gateway. */
export const ShimEventReason = {
  CreateCertificate: 'CreateCertificate',
  UpdateCertificate: 'UpdateCertificate',
  DeleteCertificate: 'DeleteCertificate',
  BadConfig: 'BadConfig',
} as const;

/** What carrying out an action needs. */
export interface ShimWriteDeps {
  writer: CertificateWriter;
  recorder: EventRecorder;
  logger: Logger;
}

/**
 * Carries out `action` for the object `ref`. A 409 is rethrown (the retry decides again on fresh
 * state); a 400/422 becomes a BadConfig Event (configuration to fix, not worth a retry).
 */
export async function carryOutShimAction(deps: ShimWriteDeps, ref: ObjectRef, action: Action): Promise<void> {
  const { writer, recorder } = deps;
  const namespace = ref.namespace ?? '';
  try {
    switch (action.type) {
      case 'create': {
        await writer.create(action.certificate);
        recorder.normal(
          ref,
          ShimEventReason.CreateCertificate,
          `Created Certificate ${action.certificate.name} for ${action.certificate.spec.dnsNames.join(', ')}`,
        );
        return;
      }
      case 'update': {
        const changed = await writer.update(action.certificate, action.resourceVersion);
        if (changed) {
          recorder.normal(
            ref,
            ShimEventReason.UpdateCertificate,
            `Updated Certificate ${action.certificate.name} for ${action.certificate.spec.dnsNames.join(', ')}`,
          );
        }
        return;
      }
      case 'delete': {
        const deleted = await writer.delete(namespace, action.name, {
          uid: action.uid,
          resourceVersion: action.resourceVersion,
        });
        if (deleted) {
          recorder.normal(
            ref,
            ShimEventReason.DeleteCertificate,
            `Deleted Certificate ${action.name}: ${action.why}`,
          );
        }
        return;
      }
    }
  } catch (err) {
    if (isConflict(err)) throw err;
    const status = (err as { code?: number }).code;
    if (status === 422 || status === 400) {
      recorder.warning(
        ref,
        ShimEventReason.BadConfig,
        `Certificate ${action.type === 'delete' ? action.name : action.certificate.name} was refused by the apiserver: ${apiErrorMessage(err)}`,
      );
      return;
    }
    const kind = ref.kind.toLowerCase();
    deps.logger.warn(
      { [kind]: `${namespace}/${ref.name}`, error: apiErrorMessage(err) },
      `${kind}-shim write failed`,
    );
    throw err;
  }
}
