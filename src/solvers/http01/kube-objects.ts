// Creates and deletes a challenge's solver objects through the apiserver. Create-if-absent, not
// update: the objects of one challenge never change (a new token gets new names), and a pod spec
// could not be updated anyway.
import { CoreV1Api, CustomObjectsApi, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { GATEWAY_API_GROUP, type HTTPRoute } from '../../controllers/gateway/types.ts';
import { isConflict, isNotFound } from '../../kube/errors.ts';
import type { SolverObjects } from './resources.ts';

const routes = { group: GATEWAY_API_GROUP, version: 'v1', plural: 'httproutes' };

/** What the http-01 solver needs of the cluster. */
export interface SolverObjectStore {
  /** Creates whichever of the objects do not exist yet. */
  ensure(objects: SolverObjects): Promise<void>;
  /** Deletes the objects named `name`; absent ones are fine. */
  remove(namespace: string, name: string): Promise<void>;
  /** The solver HTTPRoute as stored (for its status), undefined if absent. */
  getRoute(namespace: string, name: string): Promise<HTTPRoute | undefined>;
}

const ignore = (test: (err: unknown) => boolean) => (err: unknown) => {
  if (!test(err)) throw err;
};

/** A SolverObjectStore over the real apiserver. */
export class KubeSolverObjectStore implements SolverObjectStore {
  private readonly core: CoreV1Api;
  private readonly networking: NetworkingV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.networking = kubeConfig.makeApiClient(NetworkingV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async ensure({ namespace, pod, service, ingress, route }: SolverObjects): Promise<void> {
    const exists = ignore(isConflict);
    // The Ingress last: a route to a backend that is not there yet would answer 503 meanwhile.
    await Promise.all([
      this.core.createNamespacedPod({ namespace, body: pod }).catch(exists),
      this.core.createNamespacedService({ namespace, body: service }).catch(exists),
    ]);
    if (ingress) await this.networking.createNamespacedIngress({ namespace, body: ingress }).catch(exists);
    if (route)
      await this.custom.createNamespacedCustomObject({ ...routes, namespace, body: route }).catch(exists);
  }

  async getRoute(namespace: string, name: string): Promise<HTTPRoute | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...routes, namespace, name })) as HTTPRoute;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async remove(namespace: string, name: string): Promise<void> {
    const gone = ignore(isNotFound);
    // The route first, so the CA (or a late self-check) never reaches a half-removed backend.
    // Either route kind (the issuer may have changed meanwhile); a 404 is also what a cluster without
    // the Gateway API answers.
    await Promise.all([
      this.networking.deleteNamespacedIngress({ namespace, name }).catch(gone),
      this.custom.deleteNamespacedCustomObject({ ...routes, namespace, name }).catch(gone),
    ]);
    await Promise.all([
      this.core.deleteNamespacedService({ namespace, name }).catch(gone),
      this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 5 }).catch(gone),
    ]);
  }
}
