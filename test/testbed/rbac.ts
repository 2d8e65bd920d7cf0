// RBAC for the testbed's own components, created as admin: a role and its binding in one call.
import { createIfAbsent, type KubeRest } from './kube-rest.ts';

const rbac = '/apis/rbac.authorization.k8s.io/v1';
const group = 'rbac.authorization.k8s.io';

/** A subject of a binding: a User (certificate) or a ServiceAccount. */
export type Subject =
  | { kind: 'User'; apiGroup: typeof group; name: string }
  | { kind: 'ServiceAccount'; name: string; namespace: string };

/** A role's rules. */
export type Rules = { apiGroups: string[]; resources: string[]; verbs: string[] }[];

/**
 * Creates role `name` with `rules` and binds `subjects` to it: cluster-wide without `namespace`
 * (ClusterRole and ClusterRoleBinding), else in that namespace (Role and RoleBinding).
 */
export async function grantRole(
  admin: KubeRest,
  name: string,
  rules: Rules,
  subjects: Subject[],
  namespace?: string,
): Promise<void> {
  const [roleKind, bindingKind, base] = namespace
    ? (['Role', 'RoleBinding', `${rbac}/namespaces/${namespace}`] as const)
    : (['ClusterRole', 'ClusterRoleBinding', rbac] as const);
  const metadata = { name, ...(namespace && { namespace }) };
  const plural = (kind: string): string => `${kind.toLowerCase()}s`;
  await createIfAbsent(admin, `${base}/${plural(roleKind)}`, {
    apiVersion: `${group}/v1`,
    kind: roleKind,
    metadata,
    rules,
  });
  await createIfAbsent(admin, `${base}/${plural(bindingKind)}`, {
    apiVersion: `${group}/v1`,
    kind: bindingKind,
    metadata,
    roleRef: { apiGroup: group, kind: roleKind, name },
    subjects,
  });
}
