// One testbed: a control plane with acme6's CRDs installed, an authoritative DNS primary and
// secondary (BIND) and, optionally, pebble resolving through that DNS. Everything it starts lives in
// one temporary directory that is removed when it stops, however it stops.
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testbedBinaries } from './binaries.ts';
import { startControlPlane } from './control-plane.ts';
import { startDns, type TestbedDnsInfo } from './dns.ts';
import { onProcessExit } from './exit-hooks.ts';
import { startIngress, type TestbedIngressInfo } from './ingress.ts';
import { KubeRest } from './kube-rest.ts';
import { crdDir } from './paths.ts';
import { startPebble, type PebbleOptions } from './pebble.ts';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from './pki.ts';
import { grantPodRunner } from './pod-runner-access.ts';
import { PodRunner, type PodRunnerInfo } from './pod-runner.ts';
import { freePort } from './ports.ts';
import type { Stoppable } from './process.ts';
import { createWorkdir, reapOrphanedWorkdirs } from './workdir.ts';

const run = promisify(execFile);

/** What to start besides the control plane. */
export interface TestbedOptions {
  /** Start pebble (default: yes, with default options; it resolves through the testbed DNS). */
  pebble?: PebbleOptions | false;
  /** Start the BIND primary and secondary (default: yes). */
  dns?: false;
  /** Start Traefik as the ingress controller; pebble's VA then dials its HTTP port (default: yes). */
  ingress?: false;
  /**
   * Install the Gateway API CRDs and enable Traefik's Gateway provider (default: yes, with ingress;
   * `false` gives an apiserver without the Gateway API).
   */
  gateway?: false;
  /** Start the pod runner, the testbed's kubelet stand-in (default: yes; needs root for netns). */
  podRunner?: false;
  /** etcd's backend quota in bytes (default: etcd's own, 2 GiB); see ControlPlaneOptions. */
  etcdQuotaBackendBytes?: number;
}

/** How to reach a running testbed; serialisable, so vitest can hand it to test files. */
export interface TestbedInfo {
  dir: string;
  apiserverUrl: string;
  kubeconfigFile: string;
  kubectl: string;
  pebble?: { directoryUrl: string; managementUrl: string; listenerCaFile: string; issuerRootFile: string };
  dns?: TestbedDnsInfo;
  /** Traefik: see DATAPLANE.md. */
  ingress?: TestbedIngressInfo;
  /** The pod runner: see DATAPLANE.md. */
  podRunner?: PodRunnerInfo;
}

/** A running testbed. */
export class Testbed {
  readonly info: TestbedInfo;
  private readonly processes: Stoppable[];
  private readonly unregister: () => void;
  /** Restarts kube-apiserver on its port (etcd keeps the data): clients see it go away and come back. */
  readonly restartApiserver: () => Promise<void>;

  private constructor(
    info: TestbedInfo,
    processes: Stoppable[],
    unregister: () => void,
    restartApiserver: () => Promise<void>,
  ) {
    this.info = info;
    this.processes = processes;
    this.unregister = unregister;
    this.restartApiserver = restartApiserver;
  }

  /** Starts a testbed; on any failure everything already started is torn down before rethrowing. */
  static async start(options: TestbedOptions = {}): Promise<Testbed> {
    reapOrphanedWorkdirs();
    const bin = testbedBinaries();
    const dir = createWorkdir();
    const processes: Stoppable[] = [];
    const killAll = (): void => {
      for (const p of processes) p.killNow();
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    };
    const unregister = onProcessExit(killAll);
    try {
      const ca = await createCertificateAuthority('acme6 testbed CA');
      // DNS starts in well under a second, alongside the control plane's many; both must have
      // settled before a failure tears down, or a late start would escape the teardown.
      const [planeResult, dnsResult] = await Promise.allSettled([
        startControlPlane(
          bin,
          dir,
          ca,
          processes,
          options.etcdQuotaBackendBytes !== undefined
            ? { etcdQuotaBackendBytes: options.etcdQuotaBackendBytes }
            : {},
        ),
        options.dns === false ? Promise.resolve(undefined) : startDns(dir, processes),
      ]);
      if (planeResult.status === 'rejected') throw planeResult.reason;
      if (dnsResult.status === 'rejected') throw dnsResult.reason;
      const plane = planeResult.value;
      const dns = dnsResult.value;
      const kubeconfigFile = join(dir, 'admin.kubeconfig');
      writeFileSync(kubeconfigFile, plane.kubeconfig, { mode: 0o600 });
      const info: TestbedInfo = {
        dir,
        apiserverUrl: plane.apiserverUrl,
        kubeconfigFile,
        kubectl: bin.kubectl,
        ...(dns && { dns }),
      };
      const httpPort = options.ingress === false ? undefined : await freePort();
      const gateway = httpPort !== undefined && options.gateway !== false;
      const admin = await adminRest(plane.apiserverUrl, ca);
      const caFile = join(dir, 'ca.crt');
      // Everything after the control plane is independent; each part registers what it starts in
      // `processes` at once, and all must settle before a failure tears down.
      // acme6's and Traefik's CRDs in one kubectl apply: each kubectl run costs a second or two.
      const crdsInstalled = installCrds(bin.kubectl, kubeconfigFile, [
        crdDir,
        ...(httpPort === undefined ? [] : [bin.traefikCrds]),
        ...(gateway ? [bin.gatewayApiCrds] : []),
      ]);
      const results = await Promise.allSettled([
        crdsInstalled,
        httpPort === undefined
          ? undefined
          : (async () => {
              const apiPort = await freePort();
              const httpsPort = await freePort();
              const apiserverUrl = plane.apiserverUrl;
              const procs = processes;
              info.ingress = await startIngress({
                bin,
                dir,
                admin,
                apiserverUrl,
                caFile,
                httpPort,
                httpsPort,
                apiPort,
                procs,
                crdsInstalled,
                gateway,
                ca,
              });
            })(),
        options.podRunner === false
          ? undefined
          : grantPodRunner(admin, ca).then(async (tls) => {
              const runner = await PodRunner.start(plane.apiserverUrl, tls, dir);
              processes.push(runner);
              info.podRunner = runner.info;
            }),
        options.pebble === false
          ? undefined
          : (async () => {
              const pebbleOptions = {
                ...(httpPort !== undefined && { httpPort }),
                ...(dns && { dnsServer: dns.primary }),
                ...options.pebble,
              };
              const pebble = await startPebble(bin, dir, ca, pebbleOptions);
              processes.push(pebble.process);
              const { directoryUrl, managementUrl, listenerCaFile, issuerRootFile } = pebble;
              info.pebble = { directoryUrl, managementUrl, listenerCaFile, issuerRootFile };
            })(),
      ]);
      for (const result of results) if (result.status === 'rejected') throw result.reason;
      return new Testbed(info, processes, unregister, plane.restartApiserver);
    } catch (err) {
      await Promise.all(processes.map((p) => p.stop(2000)));
      killAll();
      unregister();
      throw err;
    }
  }

  /** Stops every process (newest first) and removes the directory. */
  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) await p.stop();
    rmSync(this.info.dir, { recursive: true, force: true });
    this.unregister();
  }

  /** Shell `KEY=value` lines naming every service and how to reach it. */
  envLines(kubeconfigFile = this.info.kubeconfigFile): string {
    const env: Record<string, string> = {
      KUBECONFIG: kubeconfigFile,
      ACME6_APISERVER_URL: this.info.apiserverUrl,
      ACME6_KUBECTL: this.info.kubectl,
    };
    if (this.info.pebble) {
      env.ACME6_PEBBLE_DIRECTORY_URL = this.info.pebble.directoryUrl;
      env.ACME6_PEBBLE_MANAGEMENT_URL = this.info.pebble.managementUrl;
      env.ACME6_PEBBLE_LISTENER_CA_FILE = this.info.pebble.listenerCaFile;
      env.ACME6_PEBBLE_ROOT_CA_FILE = this.info.pebble.issuerRootFile;
    }
    if (this.info.dns) {
      env.ACME6_DNS_PRIMARY = this.info.dns.primary;
      env.ACME6_DNS_SECONDARY = this.info.dns.secondary;
      env.ACME6_DNS_ZONES = this.info.dns.zones.join(',');
      env.ACME6_TSIG_KEY_NAME = this.info.dns.tsig.keyName;
      env.ACME6_TSIG_ALGORITHM = this.info.dns.tsig.algorithm;
      env.ACME6_TSIG_SECRET = this.info.dns.tsig.secret;
      env.ACME6_TSIG_KEY_FILE = this.info.dns.tsig.keyFile;
    }
    if (this.info.ingress) {
      env.ACME6_INGRESS_CLASS = this.info.ingress.className;
      env.ACME6_INGRESS_ADDRESS = this.info.ingress.address;
      env.ACME6_INGRESS_HTTP_PORT = String(this.info.ingress.httpPort);
      env.ACME6_INGRESS_HTTP_URL = this.info.ingress.httpUrl;
      env.ACME6_INGRESS_HTTPS_PORT = String(this.info.ingress.httpsPort);
      if (this.info.ingress.gateway) {
        env.ACME6_GATEWAY_CLASS = this.info.ingress.gateway.className;
        env.ACME6_GATEWAY = `${this.info.ingress.gateway.namespace}/${this.info.ingress.gateway.name}`;
      }
    }
    if (this.info.podRunner) env.ACME6_POD_RUNNER_NODE = this.info.podRunner.nodeName;
    return Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')
      .concat('\n');
  }
}

/** A client for the harness's own setup, as a member of system:masters. */
async function adminRest(apiserverUrl: string, ca: CertificateAuthority): Promise<KubeRest> {
  const cert = await issueCertificate(ca, {
    kind: 'client',
    user: 'acme6-testbed-setup',
    groups: ['system:masters'],
  });
  return new KubeRest(apiserverUrl, { ca: ca.certPem, cert: cert.certPem, key: cert.keyPem });
}

/** Applies CRD files or directories with kubectl, as a user would, and waits until all are Established. */
async function installCrds(kubectl: string, kubeconfig: string, paths: string[]): Promise<void> {
  const args = ['--kubeconfig', kubeconfig];
  const files = paths.flatMap((path) => ['-f', path]);
  await run(kubectl, [...args, 'apply', '--server-side', ...files]);
  await run(kubectl, [...args, 'wait', '--for=condition=Established', '--timeout=60s', ...files]);
}
