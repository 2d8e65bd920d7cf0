// The two ways to install acme6 must install the same thing: `helm lint` and `helm template` pass,
// the kustomize and Helm renderings grant the same RBAC, and the real apiserver accepts both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterIssuer } from '../../src/api/issuer.ts';
import { repoRoot } from '../testbed/paths.ts';
import {
  ACME6_NAMESPACE,
  AGENT_NAMESPACE,
  applyShippedIdentity,
  KUSTOMIZE_BASE,
  KUSTOMIZE_LEGACY_IPTABLES,
  parseManifests,
  renderKustomize,
  renderKustomizeWith,
  type Manifest,
} from './deploy-rbac.ts';
import { helm } from './helm.ts';
import { kubectl, testbed } from './kube.ts';

const chart = join(repoRoot, 'deploy/helm/acme6');
const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** A role's rules as a sorted set of single grants, so equal permissions compare equal however written. */
function grants(rules: PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    for (const group of r.apiGroups ?? ['']) {
      for (const resource of r.resources ?? r.nonResourceURLs ?? []) {
        for (const verb of r.verbs) {
          for (const name of r.resourceNames ?? ['*any*']) out.add(`${group}|${resource}|${verb}|${name}`);
        }
      }
    }
  }
  return [...out].sort();
}

/** The RBAC of a rendering: each role's grants and each binding's roleRef and subjects, by kind/ns/name. */
function rbacOf(manifests: Manifest[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of manifests.filter((x) => RBAC_KINDS.includes(x.kind))) {
    const key = `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
    out[key] = m.kind.endsWith('Binding')
      ? { roleRef: m.roleRef, subjects: m.subjects }
      : grants((m.rules as PolicyRule[] | undefined) ?? []);
  }
  return out;
}

let helmHome: string;
let kustomized: Manifest[];
let helmDefault: Manifest[];
/** The chart with agent.enabled=true, to compare with the kustomize overlay that adds the agent. */
let helmWithAgent: Manifest[];

async function helmTemplate(...sets: string[]): Promise<Manifest[]> {
  const args = ['template', 'acme6', chart, '--namespace', ACME6_NAMESPACE];
  return parseManifests(await helm(helmHome, ...args, ...sets.flatMap((s) => ['--set', s])));
}

beforeAll(async () => {
  helmHome = mkdtempSync(join(tmpdir(), 'acme6-helm-home-'));
  kustomized = await renderKustomize();
  helmDefault = await helmTemplate();
  helmWithAgent = await helmTemplate('agent.enabled=true');
  // Namespaced objects can be dry-run only into a namespace that exists.
  await applyShippedIdentity();
});

afterAll(() => {
  if (helmHome) rmSync(helmHome, { recursive: true, force: true });
});

describe('the Helm chart', () => {
  it('passes helm lint --strict', async () => {
    const out = await helm(helmHome, 'lint', '--strict', chart, '--namespace', ACME6_NAMESPACE);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders the controller Deployment, agent DaemonSet and metrics Service', () => {
    const kinds = helmWithAgent.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Deployment/acme6-controller',
        'DaemonSet/acme6-agent',
        'Service/acme6-controller-metrics',
        'ServiceAccount/acme6-controller',
        'ServiceAccount/acme6-agent',
      ]),
    );
    // Example issuers are opt-in.
    expect(kinds.filter((k) => k.startsWith('ClusterIssuer/'))).toEqual([]);
  });

  it('leaves the agent and its RBAC out by default (agent.enabled=false)', async () => {
    for (const rendering of [helmDefault, await helmTemplate('agent.enabled=false')]) {
      const names = rendering.map((m) => `${m.kind}/${m.metadata.name}`);
      expect(names.filter((n) => n.includes('agent'))).toEqual([]);
      expect(names).toContain('Deployment/acme6-controller');
    }
  });

  it('renders example ClusterIssuers that pass the schema when enabled', async () => {
    const issuers = (
      await helmTemplate(
        'exampleIssuers.letsencryptStaging.enabled=true',
        'exampleIssuers.letsencryptStaging.email=admin@example.com',
        'exampleIssuers.letsencryptProduction.enabled=true',
        'exampleIssuers.letsencryptProduction.ingressClassName=traefik',
      )
    ).filter((m) => m.kind === 'ClusterIssuer');
    expect(issuers.map((i) => i.metadata.name).sort()).toEqual([
      'letsencrypt-production',
      'letsencrypt-staging',
    ]);
    for (const issuer of issuers) {
      const result = clusterIssuer.safeParse(issuer);
      expect(result.success ? [] : result.error.issues).toEqual([]);
    }
  });
});

describe('kustomize and Helm', () => {
  it('put the agent in its own privileged namespace; the controller’s is restricted', () => {
    for (const rendering of [kustomized, helmWithAgent]) {
      const agentObjects = rendering.filter(
        (m) => m.metadata.name.includes('agent') && !['ClusterRole', 'Namespace'].includes(m.kind),
      );
      expect(
        agentObjects.filter((m) => m.kind !== 'ClusterRoleBinding').map((m) => m.metadata.namespace),
      ).toEqual(agentObjects.filter((m) => m.kind !== 'ClusterRoleBinding').map(() => AGENT_NAMESPACE));
      const ns = rendering.find((m) => m.kind === 'Namespace' && m.metadata.name === AGENT_NAMESPACE);
      expect((ns?.metadata as { labels?: Record<string, string> } | undefined)?.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'privileged',
      });
    }
    const controllerNs = kustomized.find(
      (m) => m.kind === 'Namespace' && m.metadata.name === ACME6_NAMESPACE,
    );
    expect((controllerNs?.metadata as { labels?: Record<string, string> } | undefined)?.labels).toMatchObject(
      {
        'pod-security.kubernetes.io/enforce': 'restricted',
      },
    );
    expect(helmDefault.filter((m) => m.kind === 'Namespace')).toEqual([]);
  });

  it('leave the agent out of the kustomize base; the with-agent overlay adds it', async () => {
    const base = (await renderKustomize(KUSTOMIZE_BASE)).map((m) => `${m.kind}/${m.metadata.name}`);
    expect(base.filter((n) => n.includes('agent'))).toEqual([]);
    expect(base).toContain('Deployment/acme6-controller');
    expect(kustomized.map((m) => `${m.kind}/${m.metadata.name}`)).toContain('DaemonSet/acme6-agent');
  });

  it('give the agent NET_ADMIN only; the legacy-iptables opt-in adds NET_RAW, in both alike', async () => {
    const agentCaps = (ms: Manifest[]): unknown => {
      const ds = ms.find((m) => m.kind === 'DaemonSet' && m.metadata.name === 'acme6-agent');
      const spec = (ds?.spec as { template: { spec: { containers: { securityContext: unknown }[] } } })
        .template.spec;
      return (spec.containers[0]?.securityContext as { capabilities?: unknown }).capabilities;
    };
    expect(agentCaps(kustomized)).toEqual({ drop: ['ALL'], add: ['NET_ADMIN'] });
    expect(agentCaps(helmWithAgent)).toEqual({ drop: ['ALL'], add: ['NET_ADMIN'] });
    const legacyCaps = { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] };
    expect(agentCaps(await renderKustomizeWith([KUSTOMIZE_LEGACY_IPTABLES]))).toEqual(legacyCaps);
    expect(agentCaps(await helmTemplate('agent.enabled=true', 'agent.legacyIptables=true'))).toEqual(
      legacyCaps,
    );
  });

  it('grant the same RBAC', () => {
    const fromKustomize = rbacOf(kustomized);
    expect(Object.keys(fromKustomize).sort()).toEqual([
      'ClusterRole//acme6-agent',
      'ClusterRole//acme6-controller',
      'ClusterRoleBinding//acme6-agent',
      'ClusterRoleBinding//acme6-controller',
      'Role/acme6-agent/acme6-agent-status',
      'Role/acme6/acme6-controller-leader-election',
      'RoleBinding/acme6-agent/acme6-agent-status',
      'RoleBinding/acme6/acme6-controller-leader-election',
    ]);
    expect(rbacOf(helmWithAgent)).toEqual(fromKustomize);
  });

  it('grant no wildcards and no escalate, bind or impersonate', () => {
    for (const manifests of [kustomized, helmWithAgent]) {
      for (const role of manifests.filter((m) => m.kind === 'Role' || m.kind === 'ClusterRole')) {
        const bad = grants(role.rules as PolicyRule[]).filter((g) =>
          /(^|\|)\*(\||$)|\|(escalate|bind|impersonate)\|/.test(g),
        );
        expect(bad, `${role.kind} ${role.metadata.name}`).toEqual([]);
      }
    }
  });

  it('run the same workloads with the same pod security', () => {
    const workloads = (ms: Manifest[]): unknown =>
      ms
        .filter((m) => m.kind === 'Deployment' || m.kind === 'DaemonSet')
        .map((m) => {
          const spec = (m.spec as { template: { spec: Record<string, unknown> } }).template.spec;
          const containers = spec.containers as { args: string[]; securityContext: unknown }[];
          return {
            kind: m.kind,
            name: m.metadata.name,
            hostNetwork: spec.hostNetwork,
            serviceAccountName: spec.serviceAccountName,
            podSecurity: spec.securityContext,
            containers: containers.map((c) => ({ args: c.args, securityContext: c.securityContext })),
          };
        })
        .sort((a, b) => a.kind.localeCompare(b.kind));
    expect(workloads(helmWithAgent)).toEqual(workloads(kustomized));
  });
});

describe('the testbed apiserver', () => {
  // Server-side dry runs: admission (Pod Security on the namespace included) and schema validation
  // run for real; nothing is stored.
  it.each([
    ['kustomize', (): Manifest[] => kustomized],
    // `helm test` hooks are created only by `helm test` (after the install, ServiceAccount and all).
    [
      'helm',
      (): Manifest[] =>
        helmWithAgent.filter(
          (m) => !(m.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook'],
        ),
    ],
  ])('accepts the %s rendering (apply --dry-run=server)', async (source, manifests) => {
    const file = join(testbed().dir, `deploy-${source}.yaml`);
    writeFileSync(
      file,
      manifests()
        .map((m) => JSON.stringify(m))
        .join('\n---\n'),
    );
    const out = await kubectl(
      'apply',
      '--server-side',
      '--dry-run=server',
      // The testbed installed the CRDs under another field manager; a dry run may take them over.
      '--force-conflicts',
      '--field-manager=acme6-dry-run',
      '-f',
      file,
    );
    expect(out).toMatch(/deployment\.apps\/acme6-controller serverside-applied \(server dry run\)/);
    expect(out).toMatch(/daemonset\.apps\/acme6-agent serverside-applied \(server dry run\)/);
  });
});
