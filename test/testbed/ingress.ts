// Traefik v3 as the testbed's ingress controller, out of cluster against the testbed apiserver: the
// kubernetesIngress provider (IngressClass `traefik`), the kubernetesCRD provider (for basicAuth
// Middlewares) and, when the Gateway API CRDs are installed, the kubernetesGateway provider
// (GatewayClass `traefik`, a shared Gateway `kube-system/testbed`); an HTTP entrypoint on a loopback
// port that pebble's VA dials and an HTTPS one for Gateway listeners. Traefik authenticates as a
// ServiceAccount with a token from the TokenRequest API and RBAC for what it reads.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TestbedBinaries } from './binaries.ts';
import { createIfAbsent, type KubeRest } from './kube-rest.ts';
import { issueCertificate, type CertificateAuthority } from './pki.ts';
import { ManagedProcess, waitUntil, type Stoppable } from './process.ts';
import { grantRole, type Rules } from './rbac.ts';

/** How tests reach the ingress controller; serialisable (part of TestbedInfo). */
export interface TestbedIngressInfo {
  /** The IngressClass Traefik serves (not the cluster's default class). */
  className: 'traefik';
  /** The only address Traefik's HTTP entrypoint listens on. */
  address: '127.0.0.1';
  httpPort: number;
  /** `http://127.0.0.1:${httpPort}`: send requests here with the Host header of the site. */
  httpUrl: string;
  /** Traefik's HTTPS entrypoint (no certificate of its own: Gateway listeners bring theirs). */
  httpsPort: number;
  /** The Gateway API side, when its CRDs are installed. */
  gateway?: TestbedGatewayInfo;
  /** Traefik's API (read-only, loopback), e.g. `${apiUrl}/api/http/routers`. */
  apiUrl: string;
  logFile: string;
}

/** Traefik's GatewayClass and the shared Gateway tests attach HTTPRoutes to. */
export interface TestbedGatewayInfo {
  className: 'traefik';
  /** The shared Gateway; both listeners admit routes from every namespace. */
  namespace: 'kube-system';
  name: 'testbed';
  /** Listener `http` on httpPort, any hostname. */
  httpListener: 'http';
  /** Listener `https` on httpsPort for `*.gw.example.test`, with a testbed-CA certificate. */
  httpsListener: 'https';
  httpsHostname: '*.gw.example.test';
}

export const INGRESS_CLASS = 'traefik';
export const GATEWAY_CLASS = 'traefik';
const GATEWAY_CONTROLLER = 'traefik.io/gateway-controller';
const CONTROLLER = 'traefik.io/ingress-controller';
const namespace = 'kube-system';
const account = 'traefik';
const roleName = 'acme6-testbed:traefik';
// Long enough for a `make testbed-up` session; the testbed's CA lives 30 days.
const tokenSeconds = 7 * 24 * 3600;

// What Traefik's two Kubernetes providers read (upstream's documented role, without pods, which
// only OpenTelemetry needs, and without ingresses/status, which it writes only with ingressEndpoint).
const traefikRules: Rules = [
  {
    apiGroups: [''],
    resources: ['services', 'secrets', 'nodes', 'configmaps'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['ingresses', 'ingressclasses'],
    verbs: ['get', 'list', 'watch'],
  },
  {
    apiGroups: ['traefik.io'],
    resources: [
      'middlewares',
      'middlewaretcps',
      'ingressroutes',
      'traefikservices',
      'ingressroutetcps',
      'ingressrouteudps',
      'tlsoptions',
      'tlsstores',
      'serverstransports',
      'serverstransporttcps',
    ],
    verbs: ['get', 'list', 'watch'],
  },
];

// What the kubernetesGateway provider reads and writes (upstream's kubernetes-gateway-rbac.yml for
// the standard channel, without pods).
const gatewayRules: Rules = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
  {
    apiGroups: ['gateway.networking.k8s.io'],
    resources: [
      'gatewayclasses',
      'gateways',
      'httproutes',
      'grpcroutes',
      'referencegrants',
      'backendtlspolicies',
    ],
    verbs: ['get', 'list', 'watch'],
  },
  {
    apiGroups: ['gateway.networking.k8s.io'],
    resources: [
      'gatewayclasses/status',
      'gateways/status',
      'httproutes/status',
      'grpcroutes/status',
      'backendtlspolicies/status',
    ],
    verbs: ['update'],
  },
];

/** Creates Traefik's ServiceAccount, RBAC and IngressClass; returns a token for the account. */
async function grantTraefik(admin: KubeRest, gateway: boolean): Promise<string> {
  await createIfAbsent(admin, `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: account, namespace },
  });
  const rules = gateway ? [...traefikRules, ...gatewayRules] : traefikRules;
  await grantRole(admin, roleName, rules, [{ kind: 'ServiceAccount', name: account, namespace }]);
  // Not marked default: an Ingress must ask for this class, so one that names another class (or
  // none) is not served, as in a cluster where that class has no controller.
  await createIfAbsent(admin, '/apis/networking.k8s.io/v1/ingressclasses', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: INGRESS_CLASS },
    spec: { controller: CONTROLLER },
  });
  const request = await admin.send<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: tokenSeconds },
    },
  );
  return request.status.token;
}

/** The GatewayClass and the shared Gateway (the Gateway API CRDs must be Established). */
async function createGateway(
  admin: KubeRest,
  ca: CertificateAuthority,
  ports: { httpPort: number; httpsPort: number },
): Promise<TestbedGatewayInfo> {
  const info: TestbedGatewayInfo = {
    className: GATEWAY_CLASS,
    namespace: 'kube-system',
    name: 'testbed',
    httpListener: 'http',
    httpsListener: 'https',
    httpsHostname: '*.gw.example.test',
  };
  const api = '/apis/gateway.networking.k8s.io/v1';
  // The HTTPS listener's certificate, from the testbed CA (not acme6's: the testbed stands alone).
  const tls = await issueCertificate(ca, {
    kind: 'server',
    commonName: info.httpsHostname,
    dnsNames: [info.httpsHostname],
    ipAddresses: [],
  });
  const secretName = 'testbed-gateway-tls';
  await createIfAbsent(admin, `/api/v1/namespaces/${info.namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: info.namespace },
    type: 'kubernetes.io/tls',
    stringData: { 'tls.crt': tls.certPem, 'tls.key': tls.keyPem },
  });
  await createIfAbsent(admin, `${api}/gatewayclasses`, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: GATEWAY_CLASS },
    spec: { controllerName: GATEWAY_CONTROLLER },
  });
  await createIfAbsent(admin, `${api}/namespaces/${info.namespace}/gateways`, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: info.name, namespace: info.namespace },
    spec: {
      gatewayClassName: GATEWAY_CLASS,
      // Traefik maps a listener to the entrypoint listening on its port.
      listeners: [
        {
          name: info.httpListener,
          protocol: 'HTTP',
          port: ports.httpPort,
          allowedRoutes: { namespaces: { from: 'All' } },
        },
        {
          name: info.httpsListener,
          hostname: info.httpsHostname,
          protocol: 'HTTPS',
          port: ports.httpsPort,
          tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: secretName }] },
          allowedRoutes: { namespaces: { from: 'All' } },
        },
      ],
    },
  });
  return info;
}

/** Traefik's static configuration (pure). */
export function traefikConfig(opts: {
  apiserverUrl: string;
  token: string;
  caFile: string;
  httpPort: number;
  httpsPort: number;
  apiPort: number;
  accessLog: string;
  gateway: boolean;
}): Record<string, unknown> {
  const kubernetes = { endpoint: opts.apiserverUrl, token: opts.token, certAuthFilePath: opts.caFile };
  return {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    entryPoints: {
      // asDefault: Ingress routers stay on web (plain HTTP, as before); Gateway listeners pick theirs.
      web: { address: `127.0.0.1:${opts.httpPort}`, asDefault: true },
      websecure: { address: `127.0.0.1:${opts.httpsPort}` },
      traefik: { address: `127.0.0.1:${opts.apiPort}` },
    },
    ping: { entryPoint: 'traefik' },
    api: { insecure: true, dashboard: false },
    log: { level: 'INFO', noColor: true },
    accessLog: { filePath: opts.accessLog },
    // Tests change Ingresses all the time: apply each change at once rather than after 2 s.
    providers: {
      providersThrottleDuration: '0s',
      kubernetesIngress: { ...kubernetes, ingressClass: INGRESS_CLASS, throttleDuration: '0s' },
      kubernetesCRD: { ...kubernetes, throttleDuration: '0s' },
      ...(opts.gateway && {
        kubernetesGateway: { ...kubernetes, throttleDuration: '0s', statusAddress: { ip: '127.0.0.1' } },
      }),
    },
  };
}

/** Starts Traefik (the CRDs must be installed); resolves once it answers its ping. */
export async function startIngress(opts: {
  bin: TestbedBinaries;
  dir: string;
  admin: KubeRest;
  apiserverUrl: string;
  caFile: string;
  httpPort: number;
  httpsPort: number;
  apiPort: number;
  procs: Stoppable[];
  /** Settles once Traefik's CRDs are Established (its CRD provider lists them at start). */
  crdsInstalled: Promise<void>;
  /** The Gateway API CRDs are among them: enable the Gateway provider. */
  gateway: boolean;
  /** Signs the shared Gateway's HTTPS listener certificate. */
  ca: CertificateAuthority;
}): Promise<TestbedIngressInfo> {
  const token = await grantTraefik(opts.admin, opts.gateway);
  await opts.crdsInstalled;
  const gateway = opts.gateway ? await createGateway(opts.admin, opts.ca, opts) : undefined;
  const configFile = join(opts.dir, 'traefik.yaml');
  const config = traefikConfig({ ...opts, token, accessLog: join(opts.dir, 'traefik-access.log') });
  writeFileSync(configFile, stringify(config), { mode: 0o600 }); // it holds the token
  const logFile = join(opts.dir, 'traefik.log');
  const traefik = new ManagedProcess('traefik', opts.bin.traefik, [`--configFile=${configFile}`], logFile);
  opts.procs.push(traefik);
  const apiUrl = `http://127.0.0.1:${opts.apiPort}`;
  await waitUntil('traefik /ping', async () => (await fetch(`${apiUrl}/ping`)).ok, {
    timeoutMs: 30_000,
    intervalMs: 100,
    process: traefik,
  });
  return {
    className: INGRESS_CLASS,
    address: '127.0.0.1',
    httpPort: opts.httpPort,
    httpUrl: `http://127.0.0.1:${opts.httpPort}`,
    httpsPort: opts.httpsPort,
    ...(gateway && { gateway }),
    apiUrl,
    logFile,
  };
}
