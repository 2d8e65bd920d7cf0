// Where the controller's credentials come from: an explicit file, $KUBECONFIG, or the pod's service account.
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

/**
 * The hard deadline of one apiserver request made through makeApiClient: the apiserver's own
 * default request timeout, so a hung connection or a trickling answer cannot hold a worker forever.
 */
export const KUBE_REQUEST_TIMEOUT_MS = 60_000;

/**
 * A KubeConfig whose API clients give every request an overall deadline (connect, send, and every
 * byte of the answer). Watches are not affected: client-node's Watch sends its own AbortSignal and
 * ignores the one set here, and keeps its own inactivity timeout.
 */
export class DeadlineKubeConfig extends KubeConfig {
  readonly requestTimeoutMs: number;

  constructor(requestTimeoutMs = KUBE_REQUEST_TIMEOUT_MS) {
    super();
    this.requestTimeoutMs = requestTimeoutMs;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (!context.getSignal()) context.setSignal(AbortSignal.timeout(this.requestTimeoutMs));
  }
}

/** Loads `path` if given, else $KUBECONFIG / ~/.kube/config, else the in-cluster service account. */
export function loadKubeConfig(path?: string, requestTimeoutMs = KUBE_REQUEST_TIMEOUT_MS): KubeConfig {
  const kc = new DeadlineKubeConfig(requestTimeoutMs);
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new Error(`no cluster in kubeconfig${path ? ` ${path}` : ''}: pass --kubeconfig or run in a pod`);
  }
  return kc;
}
