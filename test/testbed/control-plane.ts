// etcd + kube-apiserver + kube-controller-manager on loopback, with real TLS and RBAC.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestbedBinaries } from './binaries.ts';
import { httpsGet } from './https.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import {
  createCertificateAuthority,
  createSigningKey,
  issueCertificate,
  type CertificateAuthority,
} from './pki.ts';
import { freePort } from './ports.ts';
import { ManagedProcess, waitUntil, type Stoppable } from './process.ts';

/** A running control plane and how to reach it. */
export interface ControlPlane {
  apiserverUrl: string;
  /** Admin kubeconfig (user in system:masters). */
  kubeconfig: string;
  processes: Stoppable[];
  /** Stops kube-apiserver (SIGTERM) and starts it again on the same port; resolves when it is ready. */
  restartApiserver: () => Promise<void>;
}

/** The name in the certificate the apiserver proxies to aggregated APIs with. */
export const FRONT_PROXY_CLIENT = 'front-proxy-client';

// Services get documentation/ULA ranges: nothing ever routes to them here.
const serviceCidrs = '198.51.100.0/24,fd00:10:96::/112';

/** Tuning of the control plane; the test suites use the defaults. */
export interface ControlPlaneOptions {
  /**
   * etcd's `--quota-backend-bytes` (etcd's default: 2 GiB). The benchmark raises it: P2 writes
   * 20,000 × 100 KB Secrets, which with their revisions would exceed the default and fail with
   * "etcdserver: mvcc: database space exceeded".
   */
  etcdQuotaBackendBytes?: number;
}

async function startEtcd(
  bin: TestbedBinaries,
  dir: string,
  procs: Stoppable[],
  options: ControlPlaneOptions,
): Promise<string> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const etcd = new ManagedProcess(
    'etcd',
    bin.etcd,
    [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
      ...(options.etcdQuotaBackendBytes !== undefined
        ? [`--quota-backend-bytes=${options.etcdQuotaBackendBytes}`]
        : []),
    ],
    join(dir, 'etcd.log'),
  );
  procs.push(etcd);
  await waitUntil(
    'etcd health',
    async () => {
      const res = await fetch(`${url}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    { timeoutMs: 30_000, process: etcd },
  );
  return url;
}

/** Starts etcd, kube-apiserver and kube-controller-manager in `dir`; waits until all are ready. */
export async function startControlPlane(
  bin: TestbedBinaries,
  dir: string,
  ca: CertificateAuthority,
  procs: Stoppable[],
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const etcdUrl = await startEtcd(bin, dir, procs, options);
  const port = await freePort();
  const apiserverUrl = `https://127.0.0.1:${port}`;
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  file('ca.crt', ca.certPem);
  file('ca.key', ca.keyPem);
  const serving = await issueCertificate(ca, {
    kind: 'server',
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  const signing = await createSigningKey();
  // The aggregation layer (APIService, e.g. a cert-manager DNS01 webhook): the apiserver proxies as
  // front-proxy-client, with a certificate from a CA of its own, which extension servers read from
  // kube-system/extension-apiserver-authentication. Nothing listens until a test registers one.
  const frontProxyCa = await createCertificateAuthority('acme6 testbed front-proxy CA');
  const proxyClient = await issueCertificate(frontProxyCa, { kind: 'client', user: FRONT_PROXY_CLIENT });
  const apiserverArgs = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${file('apiserver.crt', serving.certPem)}`,
    `--tls-private-key-file=${file('apiserver.key', serving.keyPem)}`,
    `--client-ca-file=${join(dir, 'ca.crt')}`,
    `--service-account-issuer=${apiserverUrl}`,
    `--service-account-key-file=${file('sa.pub', signing.publicPem)}`,
    `--service-account-signing-key-file=${file('sa.key', signing.privatePem)}`,
    `--service-cluster-ip-range=${serviceCidrs}`,
    `--requestheader-client-ca-file=${file('front-proxy-ca.crt', frontProxyCa.certPem)}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${file('front-proxy-client.crt', proxyClient.certPem)}`,
    `--proxy-client-key-file=${file('front-proxy-client.key', proxyClient.keyPem)}`,
    // No kube-proxy here: dial an APIService's endpoint, not its Service's cluster IP.
    '--enable-aggregator-routing=true',
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // The "kubernetes" Service would point at 127.0.0.1, which Endpoints may not hold.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    '--v=1',
  ];
  const launchApiserver = (): ManagedProcess =>
    new ManagedProcess('kube-apiserver', bin.kubeApiserver, apiserverArgs, join(dir, 'kube-apiserver.log'));
  let apiserver = launchApiserver();
  // Stopping the testbed stops whichever apiserver runs then, also after a restart.
  procs.push({ stop: (graceMs) => apiserver.stop(graceMs), killNow: () => apiserver.killNow() });

  const admin = await issueCertificate(ca, {
    kind: 'client',
    user: 'acme6-admin',
    groups: ['system:masters'],
  });
  const kubeconfig = renderKubeconfig(apiserverUrl, ca.certPem, 'acme6-admin', admin);
  const tls = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };
  const apiserverReady = (): Promise<void> =>
    waitUntil(
      'kube-apiserver /readyz',
      async () => (await httpsGet(`${apiserverUrl}/readyz`, tls)).status === 200,
      {
        timeoutMs: 90_000,
        intervalMs: 300,
        process: apiserver,
      },
    );
  await apiserverReady();

  // The controller manager authenticates as itself, like in a real cluster, and hands each
  // controller its own service-account credentials.
  const kcmCert = await issueCertificate(ca, { kind: 'client', user: 'system:kube-controller-manager' });
  const kcm = new ManagedProcess(
    'kube-controller-manager',
    bin.kubeControllerManager,
    [
      `--kubeconfig=${file('kcm.kubeconfig', renderKubeconfig(apiserverUrl, ca.certPem, 'kcm', kcmCert))}`,
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${join(dir, 'sa.key')}`,
      `--root-ca-file=${join(dir, 'ca.crt')}`,
      `--cluster-signing-cert-file=${join(dir, 'ca.crt')}`,
      `--cluster-signing-key-file=${join(dir, 'ca.key')}`,
      `--service-cluster-ip-range=${serviceCidrs}`,
      '--leader-elect=false',
      '--secure-port=0',
      '--kube-api-qps=100',
      '--kube-api-burst=200',
      '--v=1',
    ],
    join(dir, 'kube-controller-manager.log'),
  );
  procs.push(kcm);
  // Ready when its service-account controller has made the default namespace's ServiceAccount.
  await waitUntil(
    'kube-controller-manager (default ServiceAccount)',
    async () =>
      (await httpsGet(`${apiserverUrl}/api/v1/namespaces/default/serviceaccounts/default`, tls)).status ===
      200,
    { timeoutMs: 60_000, intervalMs: 300, process: kcm },
  );
  const restartApiserver = async (): Promise<void> => {
    await apiserver.stop();
    apiserver = launchApiserver();
    await apiserverReady();
  };
  return { apiserverUrl, kubeconfig, processes: procs, restartApiserver };
}
