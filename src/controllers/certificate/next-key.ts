// The private key of the issuance in flight lives in its own Secret from before finalization until
// the TLS Secret is written, so a controller restart in between can still use the certificate the
// CA issues for it. The Secret is owned by the Certificate (deleted with it) and removed afterwards.
// A Secret of that name is used, replaced or deleted only if its labels and owner say it is this
// Certificate's next key: the TLS Secret of a Certificate named `foo-next-key` is not `foo`'s key.
import type { V1Secret } from '@kubernetes/client-node';
import { API_VERSION, LABEL_CERTIFICATE_NAME, LABEL_MANAGED, LABEL_MANAGED_VALUE } from '../../api/group.ts';
import { generatePrivateKey, keyMatchesSpec, type KeySpec } from '../../acme/keys.ts';
import { isConflict, isNotFound } from '../../kube/errors.ts';
import { secretValue } from '../../kube/secrets.ts';
import { TerminalError } from '../../runtime/errors.ts';

/** Reads, creates and deletes Secrets (the slice of the API the next key needs). */
export interface NextKeyStore {
  get(namespace: string, name: string): Promise<V1Secret | undefined>;
  create(secret: V1Secret & { metadata: { name: string; namespace: string } }): Promise<V1Secret>;
  delete(namespace: string, name: string): Promise<void>;
}

/** Name of a Certificate's next-key Secret. */
export const nextKeySecretName = (certificateName: string): string => `${certificateName}-next-key`;

/** The Certificate a next key belongs to. */
export interface KeyOwner {
  name: string;
  namespace: string;
  uid: string;
}

const NEXT_KEY_TYPE = 'Opaque';

/** Whether `secret` is a next-key Secret of the Certificate its label names (of any Certificate). */
export function isNextKeySecret(secret: V1Secret | undefined): boolean {
  const labels = secret?.metadata?.labels ?? {};
  const certificate = labels[LABEL_CERTIFICATE_NAME];
  return (
    secret?.type === NEXT_KEY_TYPE &&
    labels[LABEL_MANAGED] === LABEL_MANAGED_VALUE &&
    certificate !== undefined &&
    secret.metadata?.name === nextKeySecretName(certificate)
  );
}

/** Whether `secret` is `owner`'s next key: labelled for its name and owned by it (its uid). */
export function isNextKeyOf(secret: V1Secret | undefined, owner: KeyOwner): boolean {
  return (
    isNextKeySecret(secret) &&
    secret?.metadata?.labels?.[LABEL_CERTIFICATE_NAME] === owner.name &&
    (secret.metadata.ownerReferences ?? []).some((r) => r.kind === 'Certificate' && r.uid === owner.uid)
  );
}

/** The next key's PEM, if the Secret of that name is `owner`'s. */
export async function readNextKey(store: NextKeyStore, owner: KeyOwner): Promise<string | undefined> {
  const secret = await store.get(owner.namespace, nextKeySecretName(owner.name));
  return isNextKeyOf(secret, owner) ? secretValue(secret, 'tls.key') : undefined;
}

/**
 * Throws if a Secret holds the next key's name without being a next key for this Certificate's
 * name (a next key of an earlier Certificate of the same name is fine: it is replaced).
 */
function refuseForeignNextKey(existing: V1Secret | undefined, owner: KeyOwner): void {
  if (!existing || isNextKeyOf(existing, owner)) return;
  if (isNextKeySecret(existing) && existing.metadata?.labels?.[LABEL_CERTIFICATE_NAME] === owner.name) return;
  throw new TerminalError(
    `Secret ${owner.namespace}/${nextKeySecretName(owner.name)} exists and is not the next key of Certificate ${owner.name} (its labels and owner say otherwise); acme6 neither uses nor deletes it: rename that Secret or this Certificate`,
  );
}

/** Before an order is placed: throws if the next key's name is taken by a Secret that is not ours. */
export async function checkNextKeyName(store: NextKeyStore, owner: KeyOwner): Promise<void> {
  refuseForeignNextKey(await store.get(owner.namespace, nextKeySecretName(owner.name)), owner);
}

/**
 * The key for the issuance in flight: the stored next key if it fits the spec, else `reuse` (the
 * current key, for rotationPolicy Never) if it fits, else a new one; stored before it is returned.
 */
export async function ensureNextKey(
  store: NextKeyStore,
  owner: KeyOwner,
  spec: KeySpec,
  reuse?: string,
): Promise<string> {
  const name = nextKeySecretName(owner.name);
  const existing = await store.get(owner.namespace, name);
  refuseForeignNextKey(existing, owner);
  if (existing && !isNextKeyOf(existing, owner)) {
    // Left by an earlier Certificate of the same name (another uid), which is gone: not ours to use.
    await store.delete(owner.namespace, name);
  }
  const stored = isNextKeyOf(existing, owner) ? secretValue(existing, 'tls.key') : undefined;
  if (stored && keyMatchesSpec(stored, spec)) return stored;
  if (stored) await store.delete(owner.namespace, name); // the spec changed under it
  const keyPem = reuse && keyMatchesSpec(reuse, spec) ? reuse : await generatePrivateKey(spec);
  try {
    await store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: NEXT_KEY_TYPE,
      metadata: {
        name,
        namespace: owner.namespace,
        labels: { [LABEL_MANAGED]: LABEL_MANAGED_VALUE, [LABEL_CERTIFICATE_NAME]: owner.name },
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'Certificate',
            name: owner.name,
            uid: owner.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      data: { 'tls.key': Buffer.from(keyPem).toString('base64') },
    });
  } catch (err) {
    if (isConflict(err))
      throw new Error(`next-key Secret ${owner.namespace}/${name} appeared meanwhile; retrying`, {
        cause: err,
      });
    throw err;
  }
  return keyPem;
}

/** Removes the next-key Secret once the TLS Secret holds its key (only if it is `owner`'s). */
export async function dropNextKey(store: NextKeyStore, owner: KeyOwner): Promise<void> {
  if (!isNextKeyOf(await store.get(owner.namespace, nextKeySecretName(owner.name)), owner)) return;
  try {
    await store.delete(owner.namespace, nextKeySecretName(owner.name));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
