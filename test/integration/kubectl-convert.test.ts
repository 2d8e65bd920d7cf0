// `kubectl acme6 convert` end to end: the cert-manager fixtures converted from files and from the
// cluster (cert-manager's kinds served by stand-in CRDs), and the output accepted by the testbed
// apiserver's own validation of acme6's CRDs.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseObjects } from '../../src/plugin/convert/input.ts';
import { repoRoot } from '../testbed/paths.ts';
import { kubectl, testbed } from './kube.ts';

const run = promisify(execFile);
const fixtureDir = join(repoRoot, 'test/fixtures/cert-manager');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(fixtureDir, f));

/** Runs `kubectl-acme6 convert ARGS` as kubectl would; resolves with stdout and stderr. */
async function convert(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(repoRoot, 'src/cmd/kubectl-acme6.ts'), 'convert', ...args], {
    env: { ...process.env, KUBECONFIG: testbed().kubeconfigFile },
  });
}

/** cert-manager's three kinds as free-form CRDs: enough to store and list the fixtures. */
function standInCrd(kind: string, plural: string, scope: 'Namespaced' | 'Cluster'): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.cert-manager.io` },
    spec: {
      group: 'cert-manager.io',
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

const CRDS = [
  standInCrd('Certificate', 'certificates', 'Namespaced'),
  standInCrd('Issuer', 'issuers', 'Namespaced'),
  standInCrd('ClusterIssuer', 'clusterissuers', 'Cluster'),
];

beforeAll(async () => {
  for (const ns of ['team-a', 'team-b']) {
    await kubectl('create', 'namespace', ns).catch((err: Error) => {
      if (!err.message.includes('AlreadyExists')) throw err;
    });
  }
});
afterAll(async () => {
  for (const name of ['certificates', 'issuers', 'clusterissuers']) {
    await kubectl('delete', 'crd', `${name}.cert-manager.io`, '--ignore-not-found').catch(() => '');
  }
});

/** Applies `yaml` with server-side validation only (nothing is stored, so no controller acts on it). */
async function dryRunApply(yaml: string): Promise<string> {
  const file = join(testbed().dir, `convert-${Date.now()}.yaml`);
  writeFileSync(file, yaml);
  return kubectl('apply', '--dry-run=server', '--validate=strict', '-f', file);
}

describe('kubectl acme6 convert', () => {
  it('converts the fixtures from files into objects the apiserver accepts', async () => {
    const { stdout, stderr } = await convert(...fixtures.flatMap((f) => ['-f', f]));
    expect(stderr).toContain('converted 5 of 12 objects');
    expect(stderr).toContain(
      "certificates.cert-manager.io team-b/shop-tls: metadata.ownerReferences: made by cert-manager's ingress-shim for Ingress shop",
    );
    expect(stderr).toContain('issuers.cert-manager.io team-a/vault: spec.vault:');
    const applied = await dryRunApply(stdout);
    expect(applied.trim().split('\n').sort()).toEqual(
      [
        'certificate.acme6.io/everything created (server dry run)',
        'certificate.acme6.io/web created (server dry run)',
        'certificate.acme6.io/wildcard created (server dry run)',
        'clusterissuer.acme6.io/letsencrypt-prod created (server dry run)',
        'issuer.acme6.io/letsencrypt-staging created (server dry run)',
      ].sort(),
    );
  });

  it('reads the same objects from the cluster and writes the same acme6 objects', async () => {
    const crdFile = join(testbed().dir, `cm-crds-${Date.now()}.json`);
    writeFileSync(crdFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: CRDS }));
    await kubectl('apply', '-f', crdFile);
    await kubectl('wait', '--for=condition=Established', '-f', crdFile, '--timeout=60s');
    // Stored without ownerReferences: the garbage collector would delete a Certificate whose
    // Ingress does not exist, racing the listing.
    const stored = join(testbed().dir, `cm-objects-${Date.now()}.json`);
    const items = fixtures.flatMap((f) => parseObjects(readFileSync(f, 'utf8'), f));
    for (const item of items)
      delete (item as { metadata: { ownerReferences?: unknown } }).metadata.ownerReferences;
    writeFileSync(stored, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    await kubectl('apply', '-f', stored);
    const fromCluster = await convert('-A');
    const fromFiles = await convert('-f', stored);
    // The apiserver stores free-form maps (a webhook's config) with sorted keys: compare sorted.
    const canonical = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(canonical)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => [k, canonical(v)]),
            )
          : value;
    const objects = (yaml: string) =>
      parseObjects(yaml, 'out')
        .map((o) => JSON.stringify(canonical(o)))
        .sort();
    expect(objects(fromCluster.stdout)).toEqual(objects(fromFiles.stdout));
    expect(fromCluster.stderr).toContain('converted 6 of 12 objects');
    // One namespace only: team-b holds two Certificates; the two ClusterIssuers always come along.
    const teamB = await convert('-n', 'team-b');
    expect(teamB.stderr).toContain('converted 3 of 4 objects');
  });

  it('says so when cert-manager is not installed', async () => {
    await kubectl('delete', 'crd', 'clusterissuers.cert-manager.io', '--ignore-not-found');
    await expect(convert('-A')).rejects.toMatchObject({
      stderr: expect.stringContaining(
        "cert-manager's CRDs (cert-manager.io/v1) are not installed",
      ) as unknown,
    });
  });
});
