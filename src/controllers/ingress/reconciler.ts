// The ingress-shim's I/O: reads an Ingress and its namespace from the caches, asks planIngress what
// to do, carries it out and tells the user through Events on the Ingress.
import type { V1Ingress } from '@kubernetes/client-node';
import type { Certificate } from '../../api/certificate.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { refOf, type ObjectRef } from '../../kube/object-ref.ts';
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { CertificateWriter } from './certificate-writer.ts';
import type { ShimDefaults } from './options.ts';
import { planIngress, type Action, type StoredIngress } from './plan.ts';
import { carryOutShimAction, ShimEventReason } from './shim-writes.ts';

/** Event reasons on the Ingress. */
export const IngressEventReason = ShimEventReason;

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

  private carryOut(ref: ObjectRef, action: Action): Promise<void> {
    return carryOutShimAction(this.deps, ref, action);
  }
}
