// ACME Renewal Information for the certificate in the Secret: polls the CA's renewalInfo when the
// certificate changes and again when the CA's Retry-After says, and records the window in
// status.acme.renewalInfo, which readiness turns into renewalTime. Owns only that field.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, RenewalInfoStatus } from '../../api/certificate.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import { renewalInfoRecheckTime } from '../../acme/ari.ts';
import { AcmeError } from '../../acme/errors.ts';
import { secretValue } from '../../kube/secrets.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import type { Logger } from '../../runtime/logger.ts';
import { issuerSecretNamespace, type AcmeClients } from './acme-clients.ts';
import { statusTime } from './issuance-status.ts';
import { readSecretLeaf } from './secret-facts.ts';

/** Field manager of status.acme.renewalInfo. */
export const ARI_FIELD_MANAGER = 'acme6-ari';
/** After a failure that may pass (no answer, a 5xx, rate limited). */
export const RETRY_ON_ERROR_MS = 60 * 60_000;
/**
 * After the CA refused the request for this certificate (a problem that asking again will not
 * change, e.g. `malformed` for a certificate it did not issue): the lifetime rule applies meanwhile.
 */
export const RETRY_WHEN_REFUSED_MS = 12 * 60 * 60_000;

/** Whether the CA answered with a refusal that the same request later would get again. */
function refusedByCa(err: unknown): boolean {
  return err instanceof AcmeError && err.kind === 'problem' && !err.transient;
}

/** What the ARI poller needs. */
export interface AriDeps {
  getCertificate(name: string, namespace: string): Certificate | undefined;
  getIssuer(kind: string, name: string, namespace: string): AnyIssuer | undefined;
  getSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  acmeClients: AcmeClients;
  writeRenewalInfo(certificate: Certificate, info: RenewalInfoStatus | undefined): Promise<void>;
  clock: Clock;
  logger: Logger;
  clusterResourceNamespace: string;
}

/**
 * A window is usable for a certificate only if it ends before the certificate does: pebble's
 * ±24 h window around the ideal time overruns short test certificates and would renew them again
 * right after every issuance. A CA signalling "renew now" (revocation) gives a past window, which passes.
 */
export function usableWindow(start: Date, end: Date, notAfter: Date): boolean {
  return start < end && end <= notAfter;
}

/** Reconciles status.acme.renewalInfo of one Certificate key. */
export class AriReconciler {
  private readonly deps: AriDeps;
  /**
   * When to ask the CA again, per Certificate key and for the certificate then in its Secret: after
   * an answer (its recheck time) or a failed request (its retry time). Kept here, not only in status:
   * every event of the Certificate (the Secret's, a status write by readiness, say) enqueues it
   * again, often before the cache shows a written renewalInfo, and each would ask the CA again.
   */
  private readonly nextAsk = new Map<string, { serial: string; at: Date }>();

  constructor(deps: AriDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<Result> {
    const { name, namespace } = parseKey(key);
    const certificate = this.deps.getCertificate(name, namespace ?? '');
    if (!certificate?.metadata.namespace) {
      this.nextAsk.delete(key);
      return {};
    }
    const stored = certificate.status?.acme?.renewalInfo;
    const now = this.deps.clock.now();
    const secret = await this.deps.getSecret(certificate.metadata.namespace, certificate.spec.secretName);
    const certPem = secretValue(secret, 'tls.crt');
    const leaf = certPem ? readSecretLeaf(secret) : undefined;
    if (!certPem || !leaf) {
      this.nextAsk.delete(key);
      if (stored) await this.deps.writeRenewalInfo(certificate, undefined);
      return {};
    }
    const next = this.nextAsk.get(key);
    if (next?.serial === leaf.serialNumber && next.at > now) {
      return { requeueAfter: next.at.getTime() - now.getTime() };
    }
    this.nextAsk.delete(key);
    // Fresh enough: checked since this certificate was issued, and the CA's Retry-After not reached.
    const checkedAt = stored?.checkedAt ? new Date(stored.checkedAt) : undefined;
    const recheckAt = stored?.retryAfter ? new Date(stored.retryAfter) : undefined;
    if (checkedAt && checkedAt >= leaf.notBefore && recheckAt && recheckAt > now) {
      return { requeueAfter: recheckAt.getTime() - now.getTime() };
    }
    const { kind, name: issuerName } = certificate.spec.issuerRef;
    const issuer = this.deps.getIssuer(kind, issuerName, certificate.metadata.namespace);
    if (!issuer?.status?.acme?.uri) return {}; // the issuer controller will enqueue us when it is ready
    const secretNamespace = issuerSecretNamespace(
      kind,
      certificate.metadata.namespace,
      this.deps.clusterResourceNamespace,
    );
    try {
      const acme = await this.deps.acmeClients.forIssuer(issuer, secretNamespace);
      const info = await acme.getRenewalInfo(certPem);
      if (!info) {
        if (stored) await this.deps.writeRenewalInfo(certificate, undefined);
        return {}; // the CA offers no ARI: the lifetime rule applies
      }
      const recheck = renewalInfoRecheckTime(info.retryAfter, now);
      const { start, end } = info.suggestedWindow;
      const status: RenewalInfoStatus = { checkedAt: statusTime(now), retryAfter: statusTime(recheck) };
      if (usableWindow(start, end, leaf.notAfter)) {
        Object.assign(status, {
          suggestedWindowStart: statusTime(start),
          suggestedWindowEnd: statusTime(end),
        });
        if (info.explanationURL) status.explanationURL = info.explanationURL;
      } else {
        this.deps.logger.info(
          { certificate: key, start, end, notAfter: leaf.notAfter },
          'ignoring an ARI window that ends after the certificate',
        );
      }
      await this.deps.writeRenewalInfo(certificate, status);
      this.nextAsk.set(key, { serial: leaf.serialNumber, at: recheck });
      return { requeueAfter: recheck.getTime() - now.getTime() };
    } catch (err) {
      // ARI is advice: on failure the lifetime rule keeps working; try again later.
      const retryInMs = refusedByCa(err) ? RETRY_WHEN_REFUSED_MS : RETRY_ON_ERROR_MS;
      this.nextAsk.set(key, { serial: leaf.serialNumber, at: new Date(now.getTime() + retryInMs) });
      this.deps.logger.warn(
        { certificate: key, error: (err as Error).message, retryInMs },
        'renewalInfo request failed',
      );
      return { requeueAfter: retryInMs };
    }
  }
}
