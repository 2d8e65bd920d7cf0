// Registers the test DNS01 webhook (test/emulators/cert-manager-webhook) with the testbed's apiserver
// the way users register cert-manager webhooks: a Service with an endpoint where the server listens,
// an APIService v1alpha1.<group> with the CA of its serving certificate, and the ClusterRole a webhook
// chart ships so the solver's user (acme6's ServiceAccount) may create ChallengePayloads.
//
// The apiserver dials the endpoint itself (--enable-aggregator-routing, no kube-proxy here), and an
// EndpointSlice may not hold a loopback address: the server listens on the host's end of a pod veth
// (NODE_IP, 203.0.113.1) that a sandbox of the testbed's pod network puts on this host.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { secretValue } from '../../src/kube/secrets.ts';
import { TestDnsWebhook } from '../emulators/cert-manager-webhook/server.ts';
import { NODE_IP, PodAddressPool, type PodSandbox } from '../testbed/pod-network.ts';
import { createCertificateAuthority, issueCertificate } from '../testbed/pki.ts';
import { apply } from './certificate-dns01.ts';
import { ACME6_NAMESPACE, SERVICE_ACCOUNTS } from './deploy-rbac.ts';
import { adminKubeConfig, kubectl } from './kube.ts';

/** A webhook serving `solverName` in `groupName`, registered and Available. */
export interface RegisteredWebhook {
  groupName: string;
  solverName: string;
  server: TestDnsWebhook;
  /** Removes the APIService, its objects and the grant, stops the server. */
  stop(): Promise<void>;
}

/** What the webhook chart's ClusterRole would grant acme6: create on the solver resource only. */
export function solverClusterRole(name: string, groupName: string, solverName: string): object {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [{ apiGroups: [groupName], resources: [solverName], verbs: ['create'] }],
  };
}

/** Reads the front proxy's CA and allowed names from where extension servers read them. */
async function requestHeaderAuth(): Promise<{ caPem: string; allowedNames: string[] }> {
  const cm = await adminKubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .readNamespacedConfigMap({ namespace: 'kube-system', name: 'extension-apiserver-authentication' });
  const caPem = cm.data?.['requestheader-client-ca-file'];
  if (!caPem) throw new Error('kube-apiserver runs without --requestheader-client-ca-file');
  return { caPem, allowedNames: JSON.parse(cm.data?.['requestheader-allowed-names'] ?? '[]') as string[] };
}

/**
 * Starts and registers a webhook; `grant: false` leaves out the ClusterRole binding for acme6's
 * ServiceAccount (to see the 403 a missing grant gives).
 */
export async function startRegisteredWebhook(
  options: { solverName?: string; grant?: boolean } = {},
): Promise<RegisteredWebhook> {
  const id = randomBytes(3).toString('hex');
  const groupName = `acme-${id}.webhook.example.test`;
  const solverName = options.solverName ?? 'bind';
  const namespace = `dns-webhook-${id}`;
  const service = 'dns-webhook';
  const roleName = `${groupName}:${solverName}:solver`;
  const pool = new PodAddressPool();
  let sandbox: PodSandbox | undefined;
  let server: TestDnsWebhook | undefined;
  const stop = async (): Promise<void> => {
    await kubectl('delete', 'apiservice', `v1alpha1.${groupName}`, '--ignore-not-found').catch(() => '');
    await kubectl('delete', 'clusterrolebinding,clusterrole', roleName, '--ignore-not-found').catch(() => '');
    await kubectl('delete', 'namespace', namespace, '--ignore-not-found', '--wait=false').catch(() => '');
    await server?.close();
    if (sandbox) await pool.removeSandbox(sandbox);
  };
  try {
    const auth = await requestHeaderAuth();
    sandbox = await pool.createSandbox();
    const ca = await createCertificateAuthority(`dns webhook ${id} CA`);
    const serving = await issueCertificate(ca, {
      kind: 'server',
      commonName: `${service}.${namespace}.svc`,
      dnsNames: [`${service}.${namespace}.svc`],
      ipAddresses: [],
    });
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    server = await TestDnsWebhook.start({
      groupName,
      solverName,
      certPem: serving.certPem,
      keyPem: serving.keyPem,
      requestHeaderCaPem: auth.caPem,
      allowedNames: auth.allowedNames,
      host: NODE_IP,
      readSecret: async (ns, name, key) =>
        secretValue(await core.readNamespacedSecret({ namespace: ns, name }).catch(() => undefined), key),
    });
    await kubectl('create', 'namespace', namespace);
    await apply(
      namespace,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: service, namespace },
        spec: { ports: [{ name: 'https', port: 443, targetPort: server.port, protocol: 'TCP' }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${service}-1`,
          namespace,
          labels: {
            'kubernetes.io/service-name': service,
            'endpointslice.kubernetes.io/managed-by': 'acme6-tests',
          },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [NODE_IP], conditions: { ready: true } }],
        ports: [{ name: 'https', port: server.port, protocol: 'TCP' }],
      },
      {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: `v1alpha1.${groupName}` },
        spec: {
          group: groupName,
          version: 'v1alpha1',
          service: { name: service, namespace, port: 443 },
          caBundle: Buffer.from(ca.certPem).toString('base64'),
          groupPriorityMinimum: 1000,
          versionPriority: 15,
        },
      },
      solverClusterRole(roleName, groupName, solverName),
      ...(options.grant === false
        ? []
        : [
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'ClusterRoleBinding',
              metadata: { name: roleName },
              roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
              subjects: [
                { kind: 'ServiceAccount', name: SERVICE_ACCOUNTS.controller, namespace: ACME6_NAMESPACE },
              ],
            },
          ]),
    );
    await kubectl('wait', '--for=condition=Available', `apiservice/v1alpha1.${groupName}`, '--timeout=90s');
    return { groupName, solverName, server, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
