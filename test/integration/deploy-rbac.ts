// The identity the shipped manifests give acme6: applies deploy/kustomize's Namespace,
// ServiceAccounts and RBAC to the testbed and mints ServiceAccount tokens (TokenRequest), so the
// real apiserver enforces exactly the permissions a user installs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from '../testbed/paths.ts';
import { kubectl, testbed } from './kube.ts';

/** The namespace the manifests install into. */
export const ACME6_NAMESPACE = 'acme6';
/** The node agent's own namespace (Pod Security privileged), apart from the controller's. */
export const AGENT_NAMESPACE = 'acme6-agent';
/** The ServiceAccounts the manifests create. */
export const SERVICE_ACCOUNTS = { controller: 'acme6-controller', agent: 'acme6-agent' } as const;

/** The kinds that make up an identity; CRDs and workloads are left out (the testbed has the CRDs). */
export const IDENTITY_KINDS = new Set([
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);

/** A rendered manifest object, as far as these helpers look at it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

/** Splits a multi-document YAML rendering into objects, skipping empty documents. */
export function parseManifests(yaml: string): Manifest[] {
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object' && 'kind' in m);
}

/** The kustomize base (agent off) and the overlay that adds the node agent. */
export const KUSTOMIZE_BASE = 'deploy/kustomize';
export const KUSTOMIZE_WITH_AGENT = 'deploy/kustomize-with-agent';

/** `kubectl kustomize DIR` with the testbed's kubectl (its built-in kustomize); all identities by default. */
export async function renderKustomize(dir: string = KUSTOMIZE_WITH_AGENT): Promise<Manifest[]> {
  return parseManifests(await kubectl('kustomize', join(repoRoot, dir)));
}

/** The kustomize component that adds NET_RAW to the agent, for legacy-iptables nodes. */
export const KUSTOMIZE_LEGACY_IPTABLES = 'deploy/kustomize/components/agent-legacy-iptables';

/** Renders an operator's overlay: the with-agent overlay plus `components` (repo paths). */
export async function renderKustomizeWith(components: readonly string[]): Promise<Manifest[]> {
  const overlay = mkdtempSync(join(tmpdir(), 'acme6-overlay-'));
  try {
    // kustomize takes only relative paths to other kustomizations.
    const from = (path: string) => relative(overlay, join(repoRoot, path));
    const kustomization = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${from(KUSTOMIZE_WITH_AGENT)}]`,
      `components: [${components.map(from).join(', ')}]`,
      '',
    ];
    writeFileSync(join(overlay, 'kustomization.yaml'), kustomization.join('\n'));
    return parseManifests(await kubectl('kustomize', overlay));
  } finally {
    rmSync(overlay, { recursive: true, force: true });
  }
}

let applied: Promise<void> | undefined;

/** Applies the shipped identity objects once per test file (server-side apply is idempotent). */
export function applyShippedIdentity(): Promise<void> {
  applied ??= (async () => {
    const identity = (await renderKustomize()).filter((m) => IDENTITY_KINDS.has(m.kind));
    const file = join(testbed().dir, `identity-${process.pid}.yaml`);
    writeFileSync(file, identity.map((m) => stringify(m)).join('---\n'));
    // Test files run in parallel workers; a racing first create can fail once, a retry then patches.
    const apply = (): Promise<string> =>
      kubectl('apply', '--server-side', '--field-manager=acme6-test', '--force-conflicts', '-f', file);
    await apply().catch(apply);
  })();
  return applied;
}

/** Writes a kubeconfig authenticating as `serviceAccount` with a fresh TokenRequest token; returns its path. */
export async function serviceAccountKubeconfig(serviceAccount: string): Promise<string> {
  const namespace = serviceAccount === SERVICE_ACCOUNTS.agent ? AGENT_NAMESPACE : ACME6_NAMESPACE;
  await applyShippedIdentity();
  const token = (await kubectl('create', 'token', serviceAccount, '-n', namespace, '--duration=6h')).trim();
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  // The admin kubeconfig's cluster entry carries the server URL and the testbed CA.
  const admin = parse(readFileSync(testbed().kubeconfigFile, 'utf8')) as {
    clusters: { name: string; cluster: Record<string, string> }[];
  };
  const cluster = admin.clusters[0];
  if (!cluster) throw new Error('the testbed admin kubeconfig has no cluster');
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const path = join(testbed().dir, `${serviceAccount}-${process.pid}-${Date.now()}.kubeconfig`);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: serviceAccount, context: { cluster: cluster.name, user } }],
      'current-context': serviceAccount,
    }),
    { mode: 0o600 },
  );
  return path;
}
