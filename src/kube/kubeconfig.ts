// Where the controller's credentials come from: an explicit file, $KUBECONFIG, or the pod's service account.
import { KubeConfig } from '@kubernetes/client-node';

/** Loads `path` if given, else $KUBECONFIG / ~/.kube/config, else the in-cluster service account. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new Error(`no cluster in kubeconfig${path ? ` ${path}` : ''}: pass --kubeconfig or run in a pod`);
  }
  return kc;
}
