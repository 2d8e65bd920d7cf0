// The issuance of a Certificate: decides whether to issue (the policies), places one ACME order per
// revision and records its URL in status before anything else happens, drives it step by step,
// and on failure cleans up and backs off. It owns the Issuing condition, status.acme's order
// fields, revision and the failure counters. Each stage lives in its own file: issuance-start,
// issuance-progress, issuance-finish, issuance-failure and issuance-deletion.
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import type { IssuanceDeps, StoredCertificate } from './issuance-context.ts';
import { finalizeDeletion } from './issuance-deletion.ts';
import { handleIssuanceError } from './issuance-failure.ts';
import { progressOrder } from './issuance-progress.ts';
import { maybeStartOrder } from './issuance-start.ts';
import { ownedStatus } from './issuance-status.ts';
import { secretKeeper } from './duplicate-secret.ts';
import { standAsideForKeeper } from './duplicate-secret-hold.ts';

export type { IssuanceDeps } from './issuance-context.ts';

/** Held while an order is in flight, so a deleted Certificate still gets its challenge records removed. */
export const CHALLENGE_FINALIZER = 'acme6.io/challenge-cleanup';

/** Reconciles the issuance of one Certificate key. */
export class IssuanceReconciler {
  private readonly deps: IssuanceDeps;

  constructor(deps: IssuanceDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<Result> {
    const { name, namespace } = parseKey(key);
    const cached = this.deps.getCertificate(name, namespace ?? '');
    if (!cached?.metadata.uid) return {};
    // A copy: this pass may move its resourceVersion after a write of its own (recordPresented).
    const certificate = { ...cached, metadata: { ...cached.metadata } } as StoredCertificate;
    const owned = ownedStatus(certificate.status);
    const secretRef = [certificate.metadata.namespace, certificate.spec.secretName] as const;
    // An order in flight ends by replacing the Secret, so it reads the apiserver; otherwise the
    // cache tells whether anything is due (maybeStartOrder asks the apiserver before ordering).
    const cachedSecret = owned.acme?.orderURL ? undefined : this.deps.cachedSecret?.(...secretRef);
    const secret = cachedSecret ?? (await this.deps.secrets.get(...secretRef));
    const held = certificate.metadata.finalizers?.includes(CHALLENGE_FINALIZER) ?? false;
    try {
      if (certificate.metadata.deletionTimestamp)
        return await finalizeDeletion(this.deps, certificate, owned, held);
      // DuplicateSecretName: an older Certificate keeps this Secret, so this one places no order.
      const keeper = secretKeeper(
        certificate,
        this.deps.listCertificates?.(certificate.metadata.namespace, certificate.spec.secretName) ?? [],
      );
      if (keeper) return await standAsideForKeeper(this.deps, certificate, owned, keeper);
      if (owned.acme?.orderURL) return await progressOrder(this.deps, certificate, owned, secret);
      return await maybeStartOrder(this.deps, certificate, owned, secret, cachedSecret !== undefined);
    } catch (err) {
      return handleIssuanceError(this.deps, certificate, owned, err);
    }
  }
}
