// Where the controller's credentials come from: an explicit file, $KUBECONFIG, or the pod's service account.
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

/**
 * The hard deadline of one apiserver request made through makeApiClient: the apiserver's own
 * default request timeout, so a hung connection or a trickling answer cannot hold a worker forever.
 */
export const KUBE_REQUEST_TIMEOUT_MS = 60_000;

/** How long one connection pool to the apiserver is used before a fresh one replaces it. */
const SHARED_POOL_MS = 10 * 60_000;

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

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

  // client-node makes a new connection pool for every request, so every apiserver request opened
  // a connection (and a TLS handshake in a cluster): one pool per cluster and user is kept instead,
  // renewed now and then so that a rotated CA or client certificate file is still picked up.
  private shared: { key: string; dispatcher: Dispatcher; since: number } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (!context.getSignal()) context.setSignal(AbortSignal.timeout(this.requestTimeoutMs));
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = `${this.getCurrentCluster()?.server ?? ''}\n${this.getCurrentUser()?.name ?? ''}`;
    const now = Date.now();
    if (this.shared?.key === key && now - this.shared.since < SHARED_POOL_MS) {
      void fresh.close(); // never used: it has no connections
      context.setDispatcher(this.shared.dispatcher);
      return;
    }
    const old = this.shared?.dispatcher;
    this.shared = { key, dispatcher: fresh, since: now };
    // Requests under way on the old pool finish; it closes after them.
    void old?.close().catch(() => undefined);
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
