// The pod runner's identity: a client certificate for its own user and RBAC for exactly what a
// kubelet-and-scheduler stand-in does (no Node authorizer runs in the testbed, so RBAC says it).
import type { TlsOptions } from './https.ts';
import type { KubeRest } from './kube-rest.ts';
import { issueCertificate, type CertificateAuthority } from './pki.ts';
import { grantRole, type Rules, type Subject } from './rbac.ts';

export const POD_RUNNER_USER = 'acme6-testbed-pod-runner';
const roleName = 'acme6-testbed:pod-runner';

const podRules: Rules = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'create'] },
  { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['pods/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['pods/binding'], verbs: ['create'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

// Node heartbeats (Leases) live in kube-node-lease only.
const leaseRules: Rules = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

const subjects: Subject[] = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: POD_RUNNER_USER }];

/** Installs the runner's RBAC (as admin) and returns TLS options authenticating as the runner. */
export async function grantPodRunner(admin: KubeRest, ca: CertificateAuthority): Promise<TlsOptions> {
  await grantRole(admin, roleName, podRules, subjects);
  await grantRole(admin, roleName, leaseRules, subjects, 'kube-node-lease');
  const cert = await issueCertificate(ca, { kind: 'client', user: POD_RUNNER_USER });
  return { ca: ca.certPem, cert: cert.certPem, key: cert.keyPem };
}
