// acme6's own resources through the apiserver: reads and server-side-applied status.
// Each reconciler applies status under its own field manager, so it owns exactly the fields it
// writes (principle 2): SSA merges the conditions list by type, and a manager's apply never
// removes another manager's fields.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, RESOURCES, VERSION, type Kind } from '../api/group.ts';
import { isNotFound } from './errors.ts';

/** The metadata every acme6 object has once stored. */
export interface StoredMeta {
  name: string;
  namespace?: string;
  uid: string;
  generation: number;
  resourceVersion: string;
}

/** Reads and status writes for one acme6 kind. */
export class CustomResourceClient<T> {
  private readonly api: CustomObjectsApi;
  private readonly kind: Kind;
  private readonly plural: string;
  private readonly namespaced: boolean;

  constructor(kubeConfig: KubeConfig, kind: Kind) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.kind = kind;
    this.plural = RESOURCES[kind].plural;
    this.namespaced = RESOURCES[kind].namespaced;
  }

  /** The API path an informer watches, across all namespaces. */
  get path(): string {
    return `/apis/${GROUP}/${VERSION}/${this.plural}`;
  }

  /** Lists every object of the kind (for informers). */
  async list(
    selectors: { labelSelector?: string; fieldSelector?: string; limit?: number; _continue?: string } = {},
  ): Promise<{
    apiVersion?: string;
    kind?: string;
    metadata?: { resourceVersion?: string; _continue?: string };
    items: T[];
  }> {
    return (await this.api.listClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: this.plural,
      ...selectors,
    })) as { items: T[] };
  }

  /** Reads one object straight from the apiserver; undefined if it does not exist. */
  async get(name: string, namespace?: string): Promise<T | undefined> {
    const common = { group: GROUP, version: VERSION, plural: this.plural, name };
    try {
      return (await (this.namespaced
        ? this.api.getNamespacedCustomObject({ ...common, namespace: namespace ?? '' })
        : this.api.getClusterCustomObject(common))) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Server-side applies this manager's finalizers on the object: the list it sends is exactly the
   * set it owns, so an empty list releases ours and leaves other controllers' finalizers alone.
   */
  async applyFinalizers(
    name: string,
    namespace: string | undefined,
    finalizers: string[],
    fieldManager: string,
  ): Promise<void> {
    await this.apply('object', name, namespace, { finalizers }, {}, fieldManager);
  }

  /**
   * Server-side applies `status` (only the fields this manager owns) to the status subresource.
   * With `resourceVersion`, the write fails with 409 if the object changed since that version, so
   * a decision made on a stale cache cannot overwrite newer state.
   */
  async applyStatus(
    name: string,
    namespace: string | undefined,
    status: object,
    fieldManager: string,
    resourceVersion?: string,
  ): Promise<void> {
    await this.applyStatusVersioned(name, namespace, status, fieldManager, resourceVersion);
  }

  /** applyStatus that returns the object's new resourceVersion, for a caller writing again. */
  applyStatusVersioned(
    name: string,
    namespace: string | undefined,
    status: object,
    fieldManager: string,
    resourceVersion?: string,
  ): Promise<string | undefined> {
    const metadata = resourceVersion ? { resourceVersion } : {};
    return this.apply('status', name, namespace, metadata, { status }, fieldManager);
  }

  private async apply(
    target: 'object' | 'status',
    name: string,
    namespace: string | undefined,
    metadata: object,
    fields: object,
    fieldManager: string,
  ): Promise<string | undefined> {
    const ns = namespace && this.namespaced ? { namespace } : {};
    const body = {
      apiVersion: API_VERSION,
      kind: this.kind,
      metadata: { name, ...ns, ...metadata },
      ...fields,
    };
    const request = {
      group: GROUP,
      version: VERSION,
      plural: this.plural,
      name,
      body,
      fieldManager,
      force: true,
    };
    const options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const namespaced = { ...request, namespace: namespace ?? '' };
    const written = (await (target === 'status'
      ? this.namespaced
        ? this.api.patchNamespacedCustomObjectStatus(namespaced, options)
        : this.api.patchClusterCustomObjectStatus(request, options)
      : this.namespaced
        ? this.api.patchNamespacedCustomObject(namespaced, options)
        : this.api.patchClusterCustomObject(request, options))) as {
      metadata?: { resourceVersion?: string };
    };
    // The object's new version, for a caller that writes it again in the same pass.
    return written?.metadata?.resourceVersion;
  }
}
