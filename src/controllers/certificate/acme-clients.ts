// One ACME client per registered issuer account, reused across reconciles (it caches the directory
// and keeps connections). A new generation or account URL of the issuer gets a new client.
import { AcmeClientAdapter } from '../../acme/acme-client-adapter.ts';
import type { AcmePort } from '../../acme/port.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import { secretValue, type SecretStore } from '../../kube/secrets.ts';

/** Where an issuer's Secrets live: an Issuer's in its namespace, a ClusterIssuer's in acme6's own. */
export function issuerSecretNamespace(
  kind: string,
  certificateNamespace: string,
  clusterResourceNamespace: string,
): string {
  return kind === 'ClusterIssuer' ? clusterResourceNamespace : certificateNamespace;
}

/** Why an issuer cannot be used yet; the Certificate waits for it. */
export class IssuerNotReadyError extends Error {}

/** Gives the ACME client for an issuer's registered account. */
export interface AcmeClients {
  forIssuer(issuer: AnyIssuer, secretNamespace: string): Promise<AcmePort>;
}

/** AcmeClients over AcmeClientAdapter, cached by issuer identity, generation and account. */
export class CachedAcmeClients implements AcmeClients {
  private readonly secrets: SecretStore;
  private readonly clients = new Map<string, AcmePort>();

  constructor(secrets: SecretStore) {
    this.secrets = secrets;
  }

  async forIssuer(issuer: AnyIssuer, secretNamespace: string): Promise<AcmePort> {
    const accountUrl = issuer.status?.acme?.uri;
    const name = `${issuer.kind} ${issuer.metadata.name ?? ''}`;
    if (!accountUrl) throw new IssuerNotReadyError(`${name} has no registered ACME account yet`);
    const cacheKey = `${issuer.metadata.uid ?? name}/${issuer.metadata.generation ?? 0}/${accountUrl}`;
    const cached = this.clients.get(cacheKey);
    if (cached) return cached;
    const { privateKeySecretRef, server, caBundle } = issuer.spec.acme;
    const keyName = privateKeySecretRef.name;
    const accountKeyPem = secretValue(
      await this.secrets.get(secretNamespace, keyName),
      privateKeySecretRef.key ?? 'tls.key',
    );
    if (!accountKeyPem)
      throw new IssuerNotReadyError(`${name}: account key Secret ${secretNamespace}/${keyName} is missing`);
    const client = new AcmeClientAdapter({
      directoryUrl: server,
      accountKeyPem,
      accountUrl,
      ...(caBundle ? { caBundlePem: Buffer.from(caBundle, 'base64').toString('utf8') } : {}),
    });
    for (const [key, old] of this.clients) {
      if (key.startsWith(`${issuer.metadata.uid ?? name}/`)) {
        old.close();
        this.clients.delete(key);
      }
    }
    this.clients.set(cacheKey, client);
    return client;
  }
}
