// The ingress-shim's I/O: reads an Ingress and its namespace from the caches, asks planIngress what
// to do, carries it out and tells the user through Events on the Ingress.
import type { V1Ingress } from '@kubernetes/client-node';
import type { Certificate } from '../../api/certificate.ts';
import { apiErrorMessage, isConflict } from '../../kube/errors.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { refOf, type ObjectRef } from '../../kube/object-ref.ts';
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { CertificateWriter } from './certificate-writer.ts';
import type { ShimDefaults } from './options.ts';
import { planIngress, type Action, type StoredIngress } from './plan.ts';

/** Event reasons on the Ingress. */
export const IngressEventReason = {
  CreateCertificate: 'CreateCertificate',
  UpdateCertificate: 'UpdateCertificate',
  DeleteCertificate: 'DeleteCertificate',
  BadConfig: 'BadConfig',
} as const;

/** What the ingress-shim reads and writes. */
export interface IngressShimDeps {
  getIngress(name: string, namespace: string): V1Ingress | undefined;
  listIngresses(namespace: string): V1Ingress[];
  listCertificates(namespace: string): Certificate[];
  writer: CertificateWriter;
  recorder: EventRecorder;
  defaults: ShimDefaults;
  logger: Logger;
}

/** Reconciles the Certificates of one Ingress key. */
export class IngressShimReconciler {
  private readonly deps: IngressShimDeps;

  constructor(deps: IngressShimDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<Result> {
    const { name, namespace = '' } = parseKey(key);
    const ingress = this.deps.getIngress(name, namespace);
    // Gone or going: garbage collection removes the Certificates it controls.
    if (!ingress?.metadata?.uid || ingress.metadata.deletionTimestamp) return {};
    const stored = ingress as StoredIngress;
    const ref = refOf({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: stored.metadata });
    const plan = planIngress({
      ingress: stored,
      certificates: this.deps.listCertificates(namespace),
      ingresses: this.deps.listIngresses(namespace),
      defaults: this.deps.defaults,
    });
    if (plan.badConfig.length > 0) {
      const problems = plan.badConfig.map((p) => `${p.where}: ${p.message}`).join('; ');
      // The same message again within the recorder's window counts on the one Event.
      this.deps.recorder.warning(
        ref,
        IngressEventReason.BadConfig,
        `${problems}; no Certificate was changed`,
      );
      return {};
    }
    for (const conflict of plan.conflicts) {
      this.deps.recorder.warning(ref, IngressEventReason.BadConfig, conflict);
    }
    for (const action of plan.actions) await this.carryOut(ref, action);
    return {};
  }

  private async carryOut(ref: ObjectRef, action: Action): Promise<void> {
    const { writer, recorder } = this.deps;
    const namespace = ref.namespace ?? '';
    try {
      switch (action.type) {
        case 'create': {
          await writer.create(action.certificate);
          recorder.normal(
            ref,
            IngressEventReason.CreateCertificate,
            `Created Certificate ${action.certificate.name} for ${action.certificate.spec.dnsNames.join(', ')}`,
          );
          return;
        }
        case 'update': {
          const changed = await writer.update(action.certificate, action.resourceVersion);
          if (changed) {
            recorder.normal(
              ref,
              IngressEventReason.UpdateCertificate,
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
              IngressEventReason.DeleteCertificate,
              `Deleted Certificate ${action.name}: ${action.why}`,
            );
          }
          return;
        }
      }
    } catch (err) {
      // 409: the cache was stale (a write raced ours); the retry decides again on fresh state.
      if (isConflict(err)) throw err;
      const status = (err as { code?: number }).code;
      if (status === 422 || status === 400) {
        // The apiserver refused what the shim built: configuration to fix, not worth a retry.
        recorder.warning(
          ref,
          IngressEventReason.BadConfig,
          `Certificate ${action.type === 'delete' ? action.name : action.certificate.name} was refused by the apiserver: ${apiErrorMessage(err)}`,
        );
        return;
      }
      this.deps.logger.warn(
        { ingress: `${namespace}/${ref.name}`, error: apiErrorMessage(err) },
        'ingress-shim write failed',
      );
      throw err;
    }
  }
}
