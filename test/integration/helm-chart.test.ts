// What the chart renders and refuses, through the real helm binary: values.schema.json rejects bad
// values with messages that name the value, the templated CRDs are crds/ (plus labels and the keep
// annotation), the PodDisruptionBudget follows the replicas and the Prometheus objects are opt-in.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../testbed/paths.ts';
import { parseManifests, type Manifest } from './deploy-rbac.ts';
import { helm } from './helm.ts';

const chart = join(repoRoot, 'deploy/helm/acme6');
let helmHome: string;

beforeAll(() => {
  helmHome = mkdtempSync(join(tmpdir(), 'acme6-helm-chart-'));
});
afterAll(() => {
  if (helmHome) rmSync(helmHome, { recursive: true, force: true });
});

async function render(...sets: string[]): Promise<Manifest[]> {
  const args = ['template', 'acme6', chart, '--namespace', 'acme6', ...sets.flatMap((s) => ['--set', s])];
  return parseManifests(await helm(helmHome, ...args));
}

/** An object's labels and annotations. */
function meta(m: Manifest): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  return m.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** The error `helm template` fails with, or a failure of the test when it renders. */
async function renderError(...sets: string[]): Promise<string> {
  try {
    await render(...sets);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`helm template rendered with ${sets.join(' ')}`);
}

describe('values.schema.json and the templates refuse bad values', () => {
  it.each([
    ['controller.replicas=two', "at '/controller/replicas': got string, want integer"],
    ['controller.replicas=-1', "at '/controller/replicas': minimum: got -1, want 0"],
    [
      'controller.logLevel=verbose',
      "at '/controller/logLevel': value must be one of 'debug', 'info', 'warn', 'error'",
    ],
    [
      'image.pullPolicy=Sometimes',
      "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'",
    ],
    ['controller.metricsPort=70000', "at '/controller/metricsPort': maximum: got 70,000, want 65,535"],
    ['controller.workers=0', "at '/controller/workers': minimum: got 0, want 1"],
    ['controler.replicas=1', "at '': additional properties 'controler' not allowed"],
    ['controller.podLabels.team=1', "at '/controller/podLabels/team': got number, want string"],
    ['crds.keep=yes', "at '/crds/keep': got string, want boolean"],
    ['agent.enabled=maybe', "at '/agent/enabled': got string, want boolean"],
    ['agent.legacyIptables=yes', "at '/agent/legacyIptables': got string, want boolean"],
    ['imagePullSecrets[0].nam=regcred', "at '/imagePullSecrets/0': missing property 'name'"],
    ['controller.extraEnv[0].value=x', "at '/controller/extraEnv/0': missing property 'name'"],
    [
      'prometheus.serviceMonitor.interval=5',
      "at '/prometheus/serviceMonitor/interval': got number, want string",
    ],
    [
      'prometheus.podMonitor.interval=often',
      "at '/prometheus/podMonitor/interval': 'often' does not match pattern",
    ],
    ['fullnameOverride=Acme6', "at '/fullnameOverride': 'Acme6' does not match pattern"],
    [
      'controller.podDisruptionBudget.minAvailable=2',
      'controller.podDisruptionBudget.minAvailable (2) must be less than controller.replicas (2), or no node could ever be drained',
    ],
    [
      'controller.leaderElection.enabled=false',
      'controller.replicas is 2 but controller.leaderElection.enabled is false: every replica would work on the same Certificates at once',
    ],
    [
      'prometheus.serviceMonitor.enabled=true,metricsService.enabled=false',
      'prometheus.serviceMonitor.enabled needs metricsService.enabled: the ServiceMonitor scrapes that Service',
    ],
  ])('%s', async (set, message) => {
    expect(await renderError(set)).toContain(message);
  });
});

describe('the rendering', () => {
  it('templates the CRDs of crds/, labelled and kept on uninstall, and leaves them out with crds.enabled=false', async () => {
    const rendered = (await render()).filter((m) => m.kind === 'CustomResourceDefinition');
    const sources = readdirSync(join(repoRoot, 'crds'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => parse(readFileSync(join(repoRoot, 'crds', f), 'utf8')) as Manifest);
    expect(rendered.map((c) => c.metadata.name).sort()).toEqual(sources.map((c) => c.metadata.name).sort());
    for (const source of sources) {
      const crd = rendered.find((c) => c.metadata.name === source.metadata.name) as Manifest & {
        metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      };
      expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
      expect(crd.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'Helm' });
      const strip = (m: Manifest): unknown => ({ ...m, metadata: { name: m.metadata.name } });
      expect(strip(crd), `${source.metadata.name} differs from crds/`).toEqual(strip(source));
    }
    const unkept = (await render('crds.keep=false')).filter((m) => m.kind === 'CustomResourceDefinition');
    expect(unkept.map((c) => meta(c).annotations)).toEqual([undefined, undefined, undefined]);
    expect((await render('crds.enabled=false')).filter((m) => m.kind === 'CustomResourceDefinition')).toEqual(
      [],
    );
  });

  it('has a PodDisruptionBudget only with more than one replica', async () => {
    const pdb = (ms: Manifest[]): unknown[] =>
      ms
        .filter((m) => m.kind === 'PodDisruptionBudget')
        .map((m) => (m.spec as { minAvailable: number }).minAvailable);
    expect(pdb(await render())).toEqual([1]);
    expect(
      pdb(await render('controller.replicas=3', 'controller.podDisruptionBudget.minAvailable=2')),
    ).toEqual([2]);
    expect(pdb(await render('controller.replicas=1', 'controller.leaderElection.enabled=false'))).toEqual([]);
    expect(pdb(await render('controller.podDisruptionBudget.enabled=false'))).toEqual([]);
  });

  it('renders the ServiceMonitor and PodMonitor only when asked, selecting the controller', async () => {
    const monitors = (ms: Manifest[]): Manifest[] =>
      ms.filter((m) => m.kind === 'ServiceMonitor' || m.kind === 'PodMonitor');
    expect(monitors(await render())).toEqual([]);
    const on = monitors(
      await render(
        'prometheus.serviceMonitor.enabled=true',
        'prometheus.serviceMonitor.labels.release=prom',
        'prometheus.podMonitor.enabled=true',
      ),
    );
    expect(on.map((m) => m.kind).sort()).toEqual(['PodMonitor', 'ServiceMonitor']);
    const serviceMonitor = on.find((m) => m.kind === 'ServiceMonitor') as Manifest;
    expect(meta(serviceMonitor).labels?.release).toBe('prom');
    expect(serviceMonitor.spec).toMatchObject({
      selector: { matchLabels: { 'app.kubernetes.io/component': 'controller' } },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '60s' }],
    });
  });

  it('puts podLabels, podAnnotations, priorityClassName, extraEnv, extraArgs, pull secrets and SA annotations in place', async () => {
    const ms = await render(
      'controller.podLabels.team=platform',
      'controller.podLabels.app\\.kubernetes\\.io/component=not-a-selector',
      'controller.podAnnotations.note=x',
      'controller.priorityClassName=platform-high',
      'controller.extraEnv[0].name=HTTPS_PROXY',
      'controller.extraEnv[0].value=http://proxy.example:3128',
      'controller.extraArgs[0]=--workers=4',
      'imagePullSecrets[0].name=regcred',
      'controller.serviceAccount.annotations.iam\\.example/role=acme6',
    );
    const deployment = ms.find((m) => m.kind === 'Deployment') as Manifest;
    const template = (
      deployment.spec as {
        template: { metadata: Record<string, Record<string, string>>; spec: Record<string, unknown> };
      }
    ).template;
    expect(template.metadata.labels).toEqual({
      team: 'platform',
      'app.kubernetes.io/name': 'acme6',
      'app.kubernetes.io/instance': 'acme6',
      'app.kubernetes.io/component': 'controller',
    });
    expect(template.metadata.annotations).toEqual({ note: 'x' });
    expect(template.spec.priorityClassName).toBe('platform-high');
    expect(template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    const [container] = template.spec.containers as { env: unknown[]; args: string[] }[];
    expect(container?.env).toContainEqual({ name: 'HTTPS_PROXY', value: 'http://proxy.example:3128' });
    expect(container?.args.at(-1)).toBe('--workers=4');
    const sa = ms.find(
      (m) => m.kind === 'ServiceAccount' && m.metadata.name === 'acme6-controller',
    ) as Manifest;
    expect(meta(sa).annotations).toEqual({ 'iam.example/role': 'acme6' });
  });

  it('has test hooks that run node in acme6’s own image', async () => {
    const pods = (await render()).filter((m) => m.kind === 'Pod');
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(['acme6-test-crds', 'acme6-test-readyz']);
    for (const pod of pods) {
      expect(meta(pod).annotations?.['helm.sh/hook']).toBe('test');
      const [container] = (pod.spec as { containers: { image: string; command: string[] }[] }).containers;
      expect(container?.image).toBe('ghcr.io/acme6/acme6:0.1.0');
      expect(container?.command.slice(0, 3)).toEqual(['node', '--input-type=module', '-e']);
    }
  });
});
