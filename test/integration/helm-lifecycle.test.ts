// The chart's whole life against the testbed apiserver: `helm install`, `helm upgrade` to changed
// values and a newer chart version (the templated CRDs follow), `helm test`, and `helm uninstall`,
// after which the CRDs and a Certificate are still there (crds.keep).
//
// What the testbed cannot do: its pod runner runs no pod that sets `command` (the test hooks run
// `node -e`), and a pod there cannot reach the apiserver. So the releases use an image the runner does
// not run (no controller pod starts; the objects are still created and checked), `helm test` is shown
// creating its hook pods, and the hook script itself runs here on the host: against the testbed
// apiserver with the hook ServiceAccount's own token, and against a real controller's /readyz.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../testbed/paths.ts';
import { startController } from './controller-process.ts';
import { parseManifests, type Manifest } from './deploy-rbac.ts';
import { helm } from './helm.ts';
import { createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';
import { endpointOf } from './metrics-scrape.ts';

const run = promisify(execFile);
const chart = join(repoRoot, 'deploy/helm/acme6');
const RELEASE = 'acme6-it';
const CRDS = ['certificates.acme6.io', 'clusterissuers.acme6.io', 'issuers.acme6.io'];
// Not an image the pod runner runs (its last path segment is not "acme6"): no pod starts.
const NOT_RUN_IMAGE = 'registry.invalid/chart-test/acme6-not-run';

let work: string;
let namespace: string;

function helmIn(...args: string[]): Promise<string> {
  return helm(
    join(work, 'home'),
    ...args,
    '--kubeconfig',
    testbed().kubeconfigFile,
    '--namespace',
    namespace,
  );
}

function valuesFile(name: string, values: unknown): string {
  const file = join(work, name);
  writeFileSync(file, stringify(values));
  return file;
}

async function getJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl('get', ...args, '-o', 'json')) as T;
}

interface Meta {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

const baseValues = {
  fullnameOverride: RELEASE,
  image: { repository: NOT_RUN_IMAGE },
  // The node agent is another concern; its DaemonSet would only add pods that never run here.
  agent: { enabled: false },
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'acme6-helm-lifecycle-'));
  namespace = await createTestNamespace('acme6-helm');
  // The testbed installed the CRDs without Helm (as the 0.1.0 chart's crds/ directory did): Helm adopts
  // objects that carry its ownership metadata, the upgrade path for such clusters.
  for (const crd of CRDS) {
    await kubectl('label', 'crd', crd, 'app.kubernetes.io/managed-by=Helm', '--overwrite');
    await kubectl(
      'annotate',
      'crd',
      crd,
      `meta.helm.sh/release-name=${RELEASE}`,
      `meta.helm.sh/release-namespace=${namespace}`,
      '--overwrite',
    );
  }
}, 60_000);

afterAll(async () => {
  // Whatever failed, the CRDs stay (other test files use them); only the ownership marks go.
  await helmIn('uninstall', RELEASE, '--ignore-not-found').catch(() => undefined);
  for (const crd of CRDS) {
    await kubectl(
      'annotate',
      'crd',
      crd,
      'meta.helm.sh/release-name-',
      'meta.helm.sh/release-namespace-',
    ).catch(() => undefined);
  }
  if (namespace) await kubectl('delete', 'namespace', namespace, '--wait=false').catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('helm install, upgrade, test and uninstall', () => {
  it('installs the release with its CRDs adopted and marked keep', async () => {
    const out = await helmIn('install', RELEASE, chart, '-f', valuesFile('install.yaml', baseValues));
    expect(out).toMatch(/STATUS: deployed/);
    // NOTES.txt speaks of this release and namespace.
    expect(out).toContain(`is installed as release "${RELEASE}" in namespace ${namespace}`);
    expect(out).toContain('kubectl get certificates.acme6.io -A');

    const deployment = await getJson<{ spec: { replicas: number } }>(
      'deploy',
      `${RELEASE}-controller`,
      '-n',
      namespace,
    );
    expect(deployment.spec.replicas).toBe(2);
    const pdb = await getJson<{ spec: { minAvailable: number } }>(
      'pdb',
      `${RELEASE}-controller`,
      '-n',
      namespace,
    );
    expect(pdb.spec.minAvailable).toBe(1);
    for (const crd of CRDS) {
      const { metadata } = await getJson<Meta>('crd', crd);
      expect(metadata.annotations).toMatchObject({
        'helm.sh/resource-policy': 'keep',
        'meta.helm.sh/release-name': RELEASE,
      });
      expect(metadata.labels?.['helm.sh/chart']).toBe('acme6-0.1.0');
    }
  });

  it('upgrades to changed values and a newer chart, the CRDs included', async () => {
    // A newer chart: the same templates under another version, which the CRDs' helm.sh/chart label shows.
    const newer = join(work, 'acme6');
    cpSync(chart, newer, { recursive: true });
    const chartYaml = parse(readFileSync(join(newer, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(newer, 'Chart.yaml'), stringify({ ...chartYaml, version: '0.1.1-upgrade.1' }));
    const values = valuesFile('upgrade.yaml', {
      ...baseValues,
      controller: {
        replicas: 3,
        logLevel: 'debug',
        podLabels: { team: 'platform' },
        podDisruptionBudget: { minAvailable: 2 },
      },
    });
    expect(await helmIn('upgrade', RELEASE, newer, '-f', values)).toMatch(/STATUS: deployed/);

    const deployment = await getJson<{
      spec: {
        replicas: number;
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: { args: string[] }[] };
        };
      };
    }>('deploy', `${RELEASE}-controller`, '-n', namespace);
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.metadata.labels.team).toBe('platform');
    expect(deployment.spec.template.spec.containers[0]?.args).toContain('--log-level=debug');
    const pdb = await getJson<{ spec: { minAvailable: number } }>(
      'pdb',
      `${RELEASE}-controller`,
      '-n',
      namespace,
    );
    expect(pdb.spec.minAvailable).toBe(2);
    for (const crd of CRDS) {
      const { metadata } = await getJson<Meta>('crd', crd);
      expect(metadata.labels?.['helm.sh/chart'], crd).toBe('acme6-0.1.1-upgrade.1');
    }
    const history = JSON.parse(await helmIn('history', RELEASE, '-o', 'json')) as {
      revision: number;
      status: string;
    }[];
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
  });

  it('runs helm test: the hook pods are created in acme6’s image (the testbed cannot run them)', async () => {
    const err = await helmIn('test', RELEASE, '--timeout', '20s').then(
      () => '',
      (e: Error) => e.message,
    );
    // The pod runner stands in for a kubelet, but not for these pods: they stay Pending.
    expect(err).toMatch(/timed out waiting for the condition|context deadline exceeded/);
    const pods = await getJson<{ items: (Manifest & { spec: { containers: { image: string }[] } })[] }>(
      'pods',
      '-n',
      namespace,
      '-l',
      'app.kubernetes.io/component=test',
    );
    expect(pods.items.length).toBeGreaterThan(0);
    for (const pod of pods.items) {
      expect(pod.spec.containers[0]?.image).toBe(`${NOT_RUN_IMAGE}:0.1.0`);
      expect(
        (await eventsOf(namespace, pod.metadata.name, { reason: 'UnknownImage' })).length,
      ).toBeGreaterThan(0);
    }
  });

  it('has hook scripts that pass against the testbed apiserver and a real controller, and fail without one', async () => {
    const hooks = parseManifests(await helmIn('get', 'hooks', RELEASE));
    const commandOf = (check: string): string[] => {
      const pod = hooks.find((h) => h.kind === 'Pod' && h.metadata.name === `${RELEASE}-test-${check}`);
      const container = (pod?.spec as { containers: { command: string[]; args: string[] }[] } | undefined)
        ?.containers[0];
      if (!container) throw new Error(`no ${check} test hook in the release`);
      return [...container.command.slice(1), ...container.args];
    };
    const runHook = async (
      check: string,
      env: Record<string, string>,
    ): Promise<{ code: number; out: string }> => {
      const result = await run(process.execPath, commandOf(check), {
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 60_000,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({
          code: e.code ?? -1,
          out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
        }),
      );
      return result;
    };

    // crds: the hook's ServiceAccount (no RBAC of its own) reads acme6.io's discovery.
    const saDir = join(work, 'serviceaccount');
    mkdirSync(saDir, { recursive: true });
    const token = (await kubectl('create', 'token', `${RELEASE}-test`, '-n', namespace)).trim();
    writeFileSync(join(saDir, 'token'), token);
    const kubeconfig = parse(readFileSync(testbed().kubeconfigFile, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    };
    const cluster = kubeconfig.clusters[0]?.cluster;
    if (!cluster) throw new Error('the testbed kubeconfig has no cluster');
    writeFileSync(join(saDir, 'ca.crt'), Buffer.from(cluster['certificate-authority-data'], 'base64'));
    const server = new URL(cluster.server);
    const crds = await runHook('crds', {
      KUBERNETES_SERVICE_HOST: server.hostname.replace(/^\[|\]$/g, ''),
      KUBERNETES_SERVICE_PORT: server.port,
      SERVICEACCOUNT_DIR: saDir,
    });
    expect(crds).toEqual({
      code: 0,
      out: 'ok: acme6.io/v1alpha1 discovery: serves certificates, clusterissuers, issuers\n',
    });

    // readyz: a real controller's /readyz passes; once it is gone the check fails and says why.
    const controller = await startController();
    const readyzUrl = `${endpointOf(controller, 'serving health probes')}/readyz`;
    try {
      const ready = await runHook('readyz', { READYZ_URL: readyzUrl });
      expect(ready.code, ready.out).toBe(0);
      expect(ready.out).toMatch(
        new RegExp(`^ok: controller ${readyzUrl}: HTTP 200 .*readyz check passed`, 's'),
      );
    } finally {
      await controller.stop();
    }
    const gone = await runHook('readyz', { READYZ_URL: readyzUrl, CHECK_TIMEOUT_SECONDS: '1' });
    expect(gone.code).toBe(1);
    expect(gone.out).toMatch(new RegExp(`^FAILED: controller ${readyzUrl}: fetch failed \\(.*ECONNREFUSED`));
  });

  it('uninstalls, keeping the CRDs and the Certificates', async () => {
    await kubectl(
      'apply',
      '-n',
      namespace,
      '-f',
      valuesFile('certificate.yaml', {
        apiVersion: 'acme6.io/v1alpha1',
        kind: 'Certificate',
        metadata: { name: 'survivor' },
        spec: {
          secretName: 'survivor-tls',
          dnsNames: ['survivor.example.test'],
          issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-staging' },
        },
      }),
    );
    const out = await helmIn('uninstall', RELEASE);
    expect(out).toMatch(/These resources were kept due to the resource policy:/);
    for (const crd of CRDS) expect(out).toContain(`[CustomResourceDefinition] ${crd}`);

    for (const crd of CRDS) await kubectl('get', 'crd', crd);
    const certificate = await getJson<Manifest>('certificate.acme6.io', 'survivor', '-n', namespace);
    expect(certificate.metadata.name).toBe('survivor');
    const left = await kubectl(
      'get',
      'deploy,pdb,svc,sa',
      '-n',
      namespace,
      '-l',
      `app.kubernetes.io/instance=${RELEASE}`,
      '-o',
      'name',
    );
    expect(left.trim()).toBe('');
  });
});
