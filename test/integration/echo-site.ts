// An echo site as a user would run it: the testbed's echo Pod, a Service in front of it, and
// optionally an Ingress routing one host and path to it.
import * as k8s from '@kubernetes/client-node';
import { adminKubeConfig, testbed } from './kube.ts';

/** An echo site: Pod (label app=NAME), Service NAME:80 -> 8080, and optionally an Ingress. */
export async function createSite(
  namespace: string,
  name: string,
  ingress?: {
    host: string;
    path: string;
    pathType: 'Exact' | 'Prefix';
    annotations?: Record<string, string>;
    className?: string | null;
  },
): Promise<void> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const networking = kc.makeApiClient(k8s.NetworkingV1Api);
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app: name } },
      spec: {
        containers: [{ name: 'site', image: 'acme6-testbed/http-echo:1', ports: [{ containerPort: 8080 }] }],
      },
    },
  });
  await core.createNamespacedService({
    namespace,
    body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } },
  });
  if (!ingress) return;
  const className = ingress.className === undefined ? testbed().ingress!.className : ingress.className;
  await networking.createNamespacedIngress({
    namespace,
    body: {
      metadata: { name, ...(ingress.annotations && { annotations: ingress.annotations }) },
      spec: {
        ...(className !== null && { ingressClassName: className }),
        rules: [
          {
            host: ingress.host,
            http: {
              paths: [
                {
                  path: ingress.path,
                  pathType: ingress.pathType,
                  backend: { service: { name, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
  });
}

/** Test credentials of the sites behind basic auth, and the header that passes it. */
export const SITE_USER = 'owner';
const SITE_PASSWORD = 'hunter2';
export const SITE_AUTH = `Basic ${Buffer.from(`${SITE_USER}:${SITE_PASSWORD}`).toString('base64')}`;

/**
 * Basic auth for site NAME in Traefik (a basic-auth Secret and a Middleware); returns the Ingress
 * annotations that put a router behind it.
 */
export async function createBasicAuth(namespace: string, name: string): Promise<Record<string, string>> {
  const kc = adminKubeConfig();
  await kc.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: `${name}-users` },
      type: 'kubernetes.io/basic-auth',
      stringData: { username: SITE_USER, password: SITE_PASSWORD },
    },
  });
  await kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
    group: 'traefik.io',
    version: 'v1alpha1',
    namespace,
    plural: 'middlewares',
    body: {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'Middleware',
      metadata: { name: `${name}-auth` },
      spec: { basicAuth: { secret: `${name}-users` } },
    },
  });
  return { 'traefik.ingress.kubernetes.io/router.middlewares': `${namespace}-${name}-auth@kubernetescrd` };
}
