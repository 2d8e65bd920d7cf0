// Readiness: Ready=True only while the Secret holds a certificate that matches the spec, with its
// key, and has not expired. Owns the Ready condition, notBefore, notAfter and renewalTime. When not
// ready it repeats the issuance's latest word, so one `kubectl get` line says what is going on.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/certificate.ts';
import { ConditionType, setCondition, type Condition } from '../../api/conditions.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import { DUPLICATE_SECRET_REASON, duplicateSecretMessage, secretKeeper } from './duplicate-secret.ts';
import { statusTime } from './issuance-status.ts';
import { evaluate, readinessPolicies } from './policies.ts';
import { renewalTime } from './renewal-time.ts';
import { readSecretFacts, readSecretLeaf } from './secret-facts.ts';

/** Field manager of the readiness's status fields. */
export const READINESS_FIELD_MANAGER = 'acme6-readiness';

/** The status fields readiness owns. */
export interface ReadinessStatus {
  conditions: Condition[];
  notBefore?: string;
  notAfter?: string;
  renewalTime?: string;
}

/** What readiness needs. */
export interface ReadinessDeps {
  getCertificate(name: string, namespace: string): Certificate | undefined;
  /** The cached Certificates of a namespace naming this Secret (others are ignored). */
  listCertificates?(namespace: string, secretName: string): Certificate[];
  getSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  writeStatus(certificate: Certificate, status: ReadinessStatus): Promise<void>;
  clock: Clock;
}

/** Reconciles the Ready condition of one Certificate key. */
export class ReadinessReconciler {
  private readonly deps: ReadinessDeps;

  constructor(deps: ReadinessDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<Result> {
    const { name, namespace } = parseKey(key);
    const certificate = this.deps.getCertificate(name, namespace ?? '');
    if (!certificate) return {};
    const now = this.deps.clock.now();
    const secret = await this.deps.getSecret(
      certificate.metadata.namespace ?? '',
      certificate.spec.secretName,
    );
    const facts = readSecretFacts(secret);
    const verdict = evaluate(readinessPolicies, { spec: certificate.spec, secret: facts, now });
    const status: ReadinessStatus = { conditions: [] };
    let wakeAt: Date | undefined;
    // DuplicateSecretName: the Secret holds an older Certificate's certificate, never this one's.
    const keeper = secretKeeper(
      certificate,
      this.deps.listCertificates?.(certificate.metadata.namespace ?? '', certificate.spec.secretName) ?? [],
    );
    const leaf = keeper ? undefined : readSecretLeaf(secret);
    if (facts.certificate && !('error' in facts.certificate) && leaf) {
      const { notBefore, notAfter } = facts.certificate;
      const ari = certificate.status?.acme?.renewalInfo;
      const window =
        ari?.suggestedWindowStart && ari.suggestedWindowEnd
          ? { start: new Date(ari.suggestedWindowStart), end: new Date(ari.suggestedWindowEnd) }
          : undefined;
      const renewal = renewalTime(
        certificate.spec,
        { notBefore, notAfter, serial: leaf.serialNumber },
        now,
        window,
      ).time;
      Object.assign(status, {
        notBefore: statusTime(notBefore),
        notAfter: statusTime(notAfter),
        renewalTime: statusTime(renewal),
      });
      // Wake up when Ready must flip (expiry) and when renewal is due (the issuance wakes too).
      wakeAt = [renewal, notAfter].filter((t) => t > now).sort((a, b) => a.getTime() - b.getTime())[0];
    }
    const issuing = certificate.status?.conditions?.find((c) => c.type === ConditionType.Issuing);
    const ready = keeper
      ? {
          status: 'False' as const,
          reason: DUPLICATE_SECRET_REASON,
          message: duplicateSecretMessage(certificate, keeper),
        }
      : verdict
        ? {
            status: 'False' as const,
            reason: verdict.reason,
            message: issuing ? `${verdict.message}; issuance: ${issuing.message}` : verdict.message,
          }
        : {
            status: 'True' as const,
            reason: 'Ready',
            message: 'certificate is up to date and has not expired',
          };
    status.conditions = setCondition(
      certificate.status?.conditions?.filter((c) => c.type === ConditionType.Ready),
      { type: ConditionType.Ready, ...ready, observedGeneration: certificate.metadata.generation ?? 0 },
      now,
    );
    const before = certificate.status;
    const unchanged =
      JSON.stringify(before?.conditions?.find((c) => c.type === ConditionType.Ready)) ===
        JSON.stringify(status.conditions[0]) &&
      before?.notBefore === status.notBefore &&
      before?.notAfter === status.notAfter &&
      before?.renewalTime === status.renewalTime;
    if (!unchanged) await this.deps.writeStatus(certificate, status);
    return wakeAt ? { requeueAfter: wakeAt.getTime() - now.getTime() } : {};
  }
}
