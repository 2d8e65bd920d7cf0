// Shared set-up for the http-01 tests: a controller whose self-check asks the testbed's BIND and
// dials Traefik's port, Issuers for pebble with an http-01 solver, test hosts in DNS, and a site
// (the user's own pod, Service and Ingress, optionally behind basic auth).
import { afterAll, beforeAll } from 'vitest';
import { setHostAddresses } from '../testbed/dns-update.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, testbedAcme } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createBasicAuth, createSite as createEchoSite } from './echo-site.ts';

export { SITE_AUTH } from './echo-site.ts';
import { createTestNamespace, kubectl, testbed } from './kube.ts';

export { viaIngress } from './ingress-http.ts';

/** The solver image: the pod runner runs any `.../acme6` image as this repository's acme6. */
export const SOLVER_IMAGE = 'ghcr.io/acme6/acme6:test';

/** Starts the controller with the http-01 flags the testbed needs (nameservers, Traefik's port). */
export function startHttp01Controller(extra: string[] = []): Promise<ManagedProcess> {
  const tb = testbed();
  return startController([
    '--failure-backoff-initial=2s',
    '--failure-backoff-max=10s',
    `--acme-http01-solver-image=${SOLVER_IMAGE}`,
    `--acme-http01-solver-nameservers=${tb.dns!.primary}`,
    `--acme-http01-self-check-port=${tb.ingress!.httpPort}`,
    ...extra,
  ]);
}

/** An Issuer for pebble whose only solver is http-01 through `ingressClassName`. */
export function http01Issuer(name: string, ingressClassName = 'traefik', selfCheck: object = {}): object {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Issuer',
    metadata: { name },
    spec: {
      acme: {
        ...testbedAcme(name),
        solvers: [
          {
            http01: { ingress: { ingressClassName }, selfCheck: { interval: '1s', passes: 1, ...selfCheck } },
          },
        ],
      },
    },
  };
}

/** Points `host` at Traefik (A 127.0.0.1) and, if given, an AAAA set (`::1`: nothing answers). */
export function pointHost(host: string, aaaa: string[] = []): Promise<void> {
  return setHostAddresses(testbed().dns!, host, { a: ['127.0.0.1'], aaaa, ttl: 1 });
}

/** Removes the host's records again. */
export function dropHost(host: string): Promise<void> {
  return setHostAddresses(testbed().dns!, host, { a: [], aaaa: [] });
}

/**
 * The user's site for `host`: an echo pod and Service, and an Ingress for `/` of class traefik,
 * behind Traefik basic auth when `auth` is set.
 */
export async function createSite(
  namespace: string,
  name: string,
  host: string,
  auth: boolean,
): Promise<void> {
  const annotations = auth ? await createBasicAuth(namespace, name) : {};
  await createEchoSite(namespace, name, { host, path: '/', pathType: 'Prefix', annotations });
}

/** Names of the http-01 solver Pods, Services and Ingresses left in `namespace`. */
export async function solverObjects(namespace: string): Promise<string[]> {
  const out = await kubectl(
    'get',
    'pods,services,ingresses',
    '-n',
    namespace,
    '-l',
    'acme6.io/http01-solver=true',
    '-o',
    'name',
  );
  return out.split('\n').filter(Boolean).sort();
}

/** The Ready condition's status and message. */
export async function readyCondition(
  namespace: string,
  name: string,
): Promise<{ status: string; message: string }> {
  const out = await kubectl(
    'get',
    'certificate',
    name,
    '-n',
    namespace,
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].message}',
  );
  const [status = '', ...message] = out.split('|');
  return { status, message: message.join('|') };
}

/**
 * Registers a file's set-up: a namespace, the http-01 controller, a Ready Issuer `web` of class
 * traefik, and at the end the controller stopped and `hosts`' records removed. Returns the namespace.
 */
export function http01Suite(prefix: string, hosts: string[]): () => string {
  let ns = '';
  let controller: ManagedProcess | undefined;
  beforeAll(async () => {
    ns = await createTestNamespace(prefix);
    controller = await startHttp01Controller();
    await apply(ns, http01Issuer('web'));
    await kubectl('wait', '--for=condition=Ready', 'issuer/web', '-n', ns, '--timeout=60s');
  });
  afterAll(async () => {
    await controller?.stop();
    for (const host of hosts) await dropHost(host);
  });
  return () => ns;
}
