// Keeps each certificate Secret's ownerReference to its Certificate in line with the Certificate's
// secretDeletionPolicy (or the controller's default): Delete lets garbage collection remove the Secret
// with the Certificate, Retain keeps a valid certificate when its Certificate goes. Separate from
// issuance because the policy can change without a new certificate.
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import type { Certificate, SecretDeletionPolicy } from '../../api/certificate.ts';
import { LABEL_CERTIFICATE_NAME } from '../../api/group.ts';
import type { MutableSecretStore } from '../../kube/secrets.ts';
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import { effectiveSecretDeletionPolicy, secretOwnerReferences } from './tls-secret.ts';

/** What the reconciler reads and writes. */
export interface SecretOwnerDeps {
  getCertificate(name: string, namespace: string): Certificate | undefined;
  /** The managed Secret from the cache (full object, with resourceVersion). */
  getSecret(name: string, namespace: string): V1Secret | undefined;
  secrets: Pick<MutableSecretStore, 'replace'>;
  defaultPolicy: SecretDeletionPolicy;
}

const sameRefs = (a: readonly V1OwnerReference[], b: readonly V1OwnerReference[]): boolean =>
  JSON.stringify(a.map(normalise)) === JSON.stringify(b.map(normalise));

const normalise = (ref: V1OwnerReference): unknown => [
  ref.apiVersion,
  ref.kind,
  ref.name,
  ref.uid,
  ref.controller ?? false,
  ref.blockOwnerDeletion ?? false,
];

/** Reconciles the ownerReferences of one Certificate's Secret. */
export class SecretOwnerReconciler {
  private readonly deps: SecretOwnerDeps;

  constructor(deps: SecretOwnerDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<Result> {
    const { name, namespace = '' } = parseKey(key);
    const certificate = this.deps.getCertificate(name, namespace);
    const uid = certificate?.metadata.uid;
    if (!certificate || !uid || certificate.metadata.deletionTimestamp) return {};
    const secret = this.deps.getSecret(certificate.spec.secretName, namespace);
    // Only a Secret this Certificate wrote: never take ownership of someone else's Secret.
    if (!secret?.metadata?.name || secret.metadata.labels?.[LABEL_CERTIFICATE_NAME] !== name) return {};
    const existing = secret.metadata.ownerReferences ?? [];
    const policy = effectiveSecretDeletionPolicy(certificate.spec, this.deps.defaultPolicy);
    const wanted = secretOwnerReferences({ name, uid }, policy, existing);
    if (sameRefs(existing, wanted)) return {};
    // A replace with the cached resourceVersion: a concurrent write (a renewal) makes it 409 and retry.
    await this.deps.secrets.replace({
      ...secret,
      metadata: { ...secret.metadata, name: secret.metadata.name, namespace, ownerReferences: wanted },
    });
    return {};
  }
}
