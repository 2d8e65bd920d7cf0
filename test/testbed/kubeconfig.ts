// Kubeconfig files with embedded credentials, so one file is all a client needs.
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { CertAndKey } from './pki.ts';

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** Renders a kubeconfig for `server` authenticating with a client certificate. */
export function renderKubeconfig(server: string, caPem: string, user: string, client: CertAndKey): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'acme6-testbed', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [
      {
        name: user,
        user: { 'client-certificate-data': b64(client.certPem), 'client-key-data': b64(client.keyPem) },
      },
    ],
    contexts: [{ name: 'acme6-testbed', context: { cluster: 'acme6-testbed', user } }],
    'current-context': 'acme6-testbed',
  });
}

/** The CA and client certificate of a kubeconfig with inline data (the testbed's admin one). */
export function kubeconfigTls(kubeconfigFile: string): { ca: string; cert: string; key: string } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigFile);
  const b64 = (value: string | undefined): string => Buffer.from(value ?? '', 'base64').toString('utf8');
  return {
    ca: b64(kc.getCurrentCluster()?.caData),
    cert: b64(kc.getCurrentUser()?.certData),
    key: b64(kc.getCurrentUser()?.keyData),
  };
}
