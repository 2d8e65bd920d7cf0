// The ingress-shim's writes to Certificates: server-side apply under its own field manager, so a
// removed host, label or option disappears from the Certificate and other managers' fields (status,
// finalizers) are never touched. Every write carries a precondition, so a decision made on a stale
// cache fails with 409 instead of changing a Certificate this Ingress does not control.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, Kind, RESOURCES, VERSION } from '../../api/group.ts';
import { isNotFound } from '../../kube/errors.ts';
import type { DesiredCertificate } from './plan.ts';

/** Field manager of the ingress-shim's applies. */
export const INGRESS_SHIM_FIELD_MANAGER = 'acme6-ingress-shim';

/** The writes the ingress-shim makes. */
export interface CertificateWriter {
  /**
   * Creates the Certificate. Not forced: if someone created one of that name meanwhile with other
   * values, the apply conflicts (409) instead of taking it over.
   */
  create(certificate: DesiredCertificate): Promise<void>;
  /** Updates a Certificate last seen at `resourceVersion`; true if the stored object changed. */
  update(certificate: DesiredCertificate, resourceVersion: string): Promise<boolean>;
  /** Deletes the Certificate if it is still the object (uid) and version seen; false if already gone. */
  delete(
    namespace: string,
    name: string,
    preconditions: { uid: string; resourceVersion: string },
  ): Promise<boolean>;
}

const common = { group: GROUP, version: VERSION, plural: RESOURCES.Certificate.plural };

/** The body of an apply: exactly the fields the shim owns. */
function applyBody(certificate: DesiredCertificate, resourceVersion?: string): object {
  return {
    apiVersion: API_VERSION,
    kind: Kind.Certificate,
    metadata: {
      name: certificate.name,
      namespace: certificate.namespace,
      ...(resourceVersion ? { resourceVersion } : {}),
      labels: certificate.labels,
      annotations: certificate.annotations,
      ownerReferences: [certificate.owner],
    },
    spec: certificate.spec,
  };
}

/** A CertificateWriter over the apiserver. */
export class KubeCertificateWriter implements CertificateWriter {
  private readonly api: CustomObjectsApi;
  private readonly fieldManager: string;

  /** `fieldManager`: the shim's own (the gateway-shim passes its name). */
  constructor(kubeConfig: KubeConfig, fieldManager = INGRESS_SHIM_FIELD_MANAGER) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.fieldManager = fieldManager;
  }

  async create(certificate: DesiredCertificate): Promise<void> {
    await this.apply(certificate, false);
  }

  async update(certificate: DesiredCertificate, resourceVersion: string): Promise<boolean> {
    const stored = await this.apply(certificate, true, resourceVersion);
    return stored.metadata?.resourceVersion !== resourceVersion;
  }

  async delete(
    namespace: string,
    name: string,
    preconditions: { uid: string; resourceVersion: string },
  ): Promise<boolean> {
    try {
      await this.api.deleteNamespacedCustomObject({
        ...common,
        namespace,
        name,
        body: { preconditions },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async apply(
    certificate: DesiredCertificate,
    force: boolean,
    resourceVersion?: string,
  ): Promise<{ metadata?: { resourceVersion?: string } }> {
    return (await this.api.patchNamespacedCustomObject(
      {
        ...common,
        namespace: certificate.namespace,
        name: certificate.name,
        body: applyBody(certificate, resourceVersion),
        fieldManager: this.fieldManager,
        force,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    )) as { metadata?: { resourceVersion?: string } };
  }
}
