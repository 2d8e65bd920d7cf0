// Creates and deletes a challenge's solver objects through the apiserver. Create-if-absent, not
// update: the objects of one challenge never change (a new token gets new names), and a pod spec
// could not be updated anyway.
import { CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../../kube/errors.ts';
import type { SolverObjects } from './resources.ts';

/** What the http-01 solver needs of the cluster. */
export interface SolverObjectStore {
  /** Creates whichever of the objects do not exist yet. */
  ensure(objects: SolverObjects): Promise<void>;
  /** Deletes the objects named `name`; absent ones are fine. */
  remove(namespace: string, name: string): Promise<void>;
}

const ignore = (test: (err: unknown) => boolean) => (err: unknown) => {
  if (!test(err)) throw err;
};

/** A SolverObjectStore over the real apiserver. */
export class KubeSolverObjectStore implements SolverObjectStore {
  private readonly core: CoreV1Api;
  private readonly networking: NetworkingV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.networking = kubeConfig.makeApiClient(NetworkingV1Api);
  }

  async ensure({ namespace, pod, service, ingress }: SolverObjects): Promise<void> {
    const exists = ignore(isConflict);
    // The Ingress last: a route to a backend that is not there yet would answer 503 meanwhile.
    await Promise.all([
      this.core.createNamespacedPod({ namespace, body: pod }).catch(exists),
      this.core.createNamespacedService({ namespace, body: service }).catch(exists),
    ]);
    await this.networking.createNamespacedIngress({ namespace, body: ingress }).catch(exists);
  }

  async remove(namespace: string, name: string): Promise<void> {
    const gone = ignore(isNotFound);
    // The route first, so the CA (or a late self-check) never reaches a half-removed backend.
    await this.networking.deleteNamespacedIngress({ namespace, name }).catch(gone);
    await Promise.all([
      this.core.deleteNamespacedService({ namespace, name }).catch(gone),
      this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 5 }).catch(gone),
    ]);
  }
}
