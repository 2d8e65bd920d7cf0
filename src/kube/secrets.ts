// Secrets through the apiserver, read on demand: acme6 caches in full only the Secrets it manages
// (label-selected informer); a user's Secret named by an issuer is fetched when needed.
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { isNotFound } from './errors.ts';

/** Reads and creates Secrets. */
export interface SecretStore {
  get(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** Creates the Secret; rejects with a 409 ApiException if the name is taken. */
  create(secret: V1Secret & { metadata: { name: string; namespace: string } }): Promise<V1Secret>;
}

/** A SecretStore that also replaces and deletes (for the Secrets acme6 writes). */
export interface MutableSecretStore extends SecretStore {
  /** Replaces the Secret; a stale resourceVersion rejects with 409 (someone wrote in between). */
  replace(secret: V1Secret & { metadata: { name: string; namespace: string } }): Promise<V1Secret>;
  delete(namespace: string, name: string): Promise<void>;
}

/** A SecretStore over the real apiserver. */
export class KubeSecretStore implements MutableSecretStore {
  private readonly api: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  async get(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.api.readNamespacedSecret({ namespace, name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  create(secret: V1Secret & { metadata: { name: string; namespace: string } }): Promise<V1Secret> {
    return this.api.createNamespacedSecret({ namespace: secret.metadata.namespace, body: secret });
  }

  replace(secret: V1Secret & { metadata: { name: string; namespace: string } }): Promise<V1Secret> {
    const { name, namespace } = secret.metadata;
    return this.api.replaceNamespacedSecret({ name, namespace, body: secret });
  }

  async delete(namespace: string, name: string): Promise<void> {
    await this.api.deleteNamespacedSecret({ namespace, name });
  }
}

/** The decoded value of `key` in a Secret's data, or undefined. */
export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const encoded = secret?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}
