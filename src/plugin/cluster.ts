// The cluster as the plugin sees it: the user's kubeconfig (kubectl's flags), and the few reads and
// the one status write the commands need.
import {
  CoreV1Api,
  CustomObjectsApi,
  type CoreV1Event,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import { LABEL_PUBLISHED_STATUS, statusDataKey } from '../agent/status.ts';
import { isNotFound } from '../kube/errors.ts';
import type { PublishedEntry } from './service-view.ts';
import type { Certificate } from '../api/certificate.ts';
import { GROUP, Kind, RESOURCES, VERSION } from '../api/group.ts';
import { CustomResourceClient } from '../kube/custom-resources.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { KubeSecretStore } from '../kube/secrets.ts';
import type { EventSummary } from './certificate-view.ts';
import type { ConnectionFlags } from './flags.ts';
import type { RenewalTarget } from './renew.ts';

function summariseEvent(e: CoreV1Event): EventSummary {
  const last = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
  return {
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.series?.count ?? e.count ?? 1,
    last: last ? new Date(last) : new Date(0),
  };
}

/** Reads and the renewal write, in the user's own name. */
export class PluginCluster implements RenewalTarget {
  /** The namespace of -n, else the context's, else "default". */
  readonly namespace: string;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly certificates: CustomResourceClient<Certificate>;
  private readonly secrets: KubeSecretStore;

  constructor(flags: ConnectionFlags) {
    const kc = loadKubeConfig(flags.kubeconfig);
    if (flags.context !== undefined) {
      if (!kc.getContextObject(flags.context))
        throw new Error(`context "${flags.context}" is not in the kubeconfig`);
      kc.setCurrentContext(flags.context);
    }
    this.namespace = flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.certificates = new CustomResourceClient<Certificate>(kc, Kind.Certificate);
    this.secrets = new KubeSecretStore(kc);
  }

  get(name: string, namespace: string): Promise<Certificate | undefined> {
    return this.certificates.get(name, namespace);
  }

  /** Certificates of one namespace, or of all (undefined). */
  async listCertificates(namespace: string | undefined): Promise<Certificate[]> {
    const common = { group: GROUP, version: VERSION, plural: RESOURCES[Kind.Certificate].plural };
    const list = (await (namespace === undefined
      ? this.custom.listClusterCustomObject(common)
      : this.custom.listNamespacedCustomObject({ ...common, namespace }))) as { items: Certificate[] };
    return list.items;
  }

  /** cert-manager's Issuers and Certificates of one namespace (or all) and its ClusterIssuers. */
  async listCertManagerObjects(namespace: string | undefined): Promise<unknown[]> {
    const list = async (plural: string, namespaced: boolean): Promise<unknown[]> => {
      const common = { group: 'cert-manager.io', version: 'v1', plural };
      const result = (await (!namespaced || namespace === undefined
        ? this.custom.listClusterCustomObject(common)
        : this.custom.listNamespacedCustomObject({ ...common, namespace }))) as { items: unknown[] };
      // Lists leave out each item's apiVersion and kind.
      const kind = { clusterissuers: 'ClusterIssuer', issuers: 'Issuer', certificates: 'Certificate' }[
        plural
      ];
      return result.items.map((item) => ({ apiVersion: 'cert-manager.io/v1', kind, ...(item as object) }));
    };
    return [
      ...(await list('clusterissuers', false)),
      ...(await list('issuers', true)),
      ...(await list('certificates', true)),
    ];
  }

  /** A Service, or undefined when it does not exist. */
  async getService(namespace: string, name: string): Promise<V1Service | undefined> {
    try {
      return await this.core.readNamespacedService({ name, namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Every node agent's entry for Service `ns/name`, from the status ConfigMaps in `agentNamespace`. */
  async publishedEntries(agentNamespace: string, service: string): Promise<PublishedEntry[]> {
    const list = await this.core.listNamespacedConfigMap({
      namespace: agentNamespace,
      labelSelector: `${LABEL_PUBLISHED_STATUS}=true`,
    });
    const key = statusDataKey(service);
    return list.items.flatMap((cm) => {
      const value = cm.data?.[key];
      const node = cm.metadata?.annotations?.['acme6.io/node'] ?? cm.metadata?.name ?? '';
      return value === undefined ? [] : [{ node, value }];
    });
  }

  getSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return this.secrets.get(namespace, name);
  }

  /** Events about one Certificate (this incarnation of it, by uid). */
  async certificateEvents(namespace: string, name: string, uid: string | undefined): Promise<EventSummary[]> {
    const list = await this.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=${Kind.Certificate},involvedObject.name=${name}`,
    });
    return list.items
      .filter((e) => !uid || !e.involvedObject.uid || e.involvedObject.uid === uid)
      .map(summariseEvent);
  }

  readonly applyStatus: RenewalTarget['applyStatus'] = (name, namespace, status, manager, version) =>
    this.certificates.applyStatus(name, namespace, status, manager, version);
}
