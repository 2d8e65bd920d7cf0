// Locates the testbed's Go-built binaries, building them first if the cache lacks them.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

/** Directories holding the cached binaries. */
export interface TestbedBinaries {
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  etcd: string;
  pebble: string;
  pebbleChalltestsrv: string;
  traefik: string;
  /** Traefik's CRD definitions (traefik.io/v1alpha1), from the same module as the binary. */
  traefikCrds: string;
  /** The Gateway API CRDs (standard channel) of the version Traefik supports. */
  gatewayApiCrds: string;
}

let cached: TestbedBinaries | undefined;

/** Runs hack/testbed/build.sh (a no-op when everything is cached) and returns the binaries' paths. */
export function testbedBinaries(): TestbedBinaries {
  if (cached) return cached;
  const out = execFileSync('bash', [join(repoRoot, 'hack/testbed/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const dirs = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  const dir = (key: string): string => {
    const value = dirs[key];
    if (!value) throw new Error(`hack/testbed/build.sh did not report ${key}`);
    return value;
  };
  cached = {
    kubeApiserver: join(dir('KUBERNETES_BIN'), 'kube-apiserver'),
    kubeControllerManager: join(dir('KUBERNETES_BIN'), 'kube-controller-manager'),
    kubectl: join(dir('KUBERNETES_BIN'), 'kubectl'),
    etcd: join(dir('ETCD_BIN'), 'etcd'),
    pebble: join(dir('PEBBLE_BIN'), 'pebble'),
    pebbleChalltestsrv: join(dir('PEBBLE_BIN'), 'pebble-challtestsrv'),
    traefik: join(dir('TRAEFIK_BIN'), 'traefik'),
    traefikCrds: join(dir('TRAEFIK_BIN'), 'crds'),
    gatewayApiCrds: join(dir('GATEWAY_API'), 'crds'),
  };
  return cached;
}
