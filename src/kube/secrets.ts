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

/** A SecretStore over the real apiserver. */
export class KubeSecretStore implements SecretStore {
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
}

/** The decoded value of `key` in a Secret's data, or undefined. */
export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const encoded = secret?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}
