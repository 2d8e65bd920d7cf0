// The gateway-shim's I/O: reads a Gateway and its namespace from the caches, asks planGateway what
// to do, carries it out and tells the user through Events on the Gateway.
import type { Certificate } from '../../api/certificate.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { refOf } from '../../kube/object-ref.ts';
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { CertificateWriter } from '../ingress/certificate-writer.ts';
import type { ShimDefaults } from '../ingress/options.ts';
import { carryOutShimAction, ShimEventReason } from '../ingress/shim-writes.ts';
import { planGateway, type StoredGateway } from './plan.ts';
import { GATEWAY_API_VERSION, type Gateway } from './types.ts';

/** Field manager of the gateway-shim's applies. */
export const GATEWAY_SHIM_FIELD_MANAGER = 'acme6-gateway-shim';

/** Event reasons on the Gateway (the Ingress shim's). */
export const GatewayEventReason = ShimEventReason;

/** What the gateway-shim reads and writes. */
export interface GatewayShimDeps {
  getGateway(name: string, namespace: string): Gateway | undefined;
  listGateways(namespace: string): Gateway[];
  listCertificates(namespace: string): Certificate[];
  writer: CertificateWriter;
  recorder: EventRecorder;
  defaults: ShimDefaults;
  logger: Logger;
}

/** Reconciles the Certificates of one Gateway key. */
export class GatewayShimReconciler {
  private readonly deps: GatewayShimDeps;

  constructor(deps: GatewayShimDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<Result> {
    const { name, namespace = '' } = parseKey(key);
    const gateway = this.deps.getGateway(name, namespace);
    // Gone or going: garbage collection removes the Certificates it controls.
    if (!gateway?.metadata?.uid || gateway.metadata.deletionTimestamp) return {};
    const stored = gateway as StoredGateway;
    const ref = refOf({ apiVersion: GATEWAY_API_VERSION, kind: 'Gateway', metadata: stored.metadata });
    const plan = planGateway({
      gateway: stored,
      certificates: this.deps.listCertificates(namespace),
      gateways: this.deps.listGateways(namespace),
      defaults: this.deps.defaults,
    });
    if (plan.badConfig.length > 0) {
      const problems = plan.badConfig.map((p) => `${p.where}: ${p.message}`).join('; ');
      this.deps.recorder.warning(
        ref,
        GatewayEventReason.BadConfig,
        `${problems}; no Certificate was changed`,
      );
      return {};
    }
    for (const warning of plan.warnings)
      this.deps.recorder.warning(ref, GatewayEventReason.BadConfig, warning);
    for (const action of plan.actions) await carryOutShimAction(this.deps, ref, action);
    return {};
  }
}
