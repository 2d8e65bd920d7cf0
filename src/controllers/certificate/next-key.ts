// The private key of the issuance in flight lives in its own Secret from before finalization until
// the TLS Secret is written, so a controller restart in between can still use the certificate the
// CA issues for it. The Secret is owned by the Certificate (deleted with it) and removed afterwards.
import type { V1Secret } from '@kubernetes/client-node';
import { API_VERSION, LABEL_CERTIFICATE_NAME, LABEL_MANAGED, LABEL_MANAGED_VALUE } from '../../api/group.ts';
import { generatePrivateKey, keyMatchesSpec, type KeySpec } from '../../acme/keys.ts';
import { isConflict, isNotFound } from '../../kube/errors.ts';
import { secretValue } from '../../kube/secrets.ts';

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
  const stored = secretValue(await store.get(owner.namespace, name), 'tls.key');
  if (stored && keyMatchesSpec(stored, spec)) return stored;
  if (stored) await store.delete(owner.namespace, name); // the spec changed under it
  const keyPem = reuse && keyMatchesSpec(reuse, spec) ? reuse : await generatePrivateKey(spec);
  try {
    await store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
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

/** Removes the next-key Secret once the TLS Secret holds its key. */
export async function dropNextKey(store: NextKeyStore, owner: KeyOwner): Promise<void> {
  try {
    await store.delete(owner.namespace, nextKeySecretName(owner.name));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
