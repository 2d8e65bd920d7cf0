// Watches the Certificates of a namespace the way a user would, polling their status, and notes
// every step backwards: a revision going down, Issuing=False, a counted failure.
import * as k8s from '@kubernetes/client-node';
import type { Certificate } from '../../src/api/certificate.ts';
import { adminKubeConfig } from './kube.ts';

/** Watches the Certificates' status as a user would, noting every step backwards or failure. */
export function observeCertificates(namespace: string) {
  const api = adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
  const highest = new Map<string, number>();
  const problems = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const list = (await api.listNamespacedCustomObject({
        group: 'acme6.io',
        version: 'v1alpha1',
        namespace,
        plural: 'certificates',
      })) as { items: Certificate[] };
      for (const c of list.items) {
        const name = c.metadata.name!;
        const revision = c.status?.revision ?? 0;
        if (revision < (highest.get(name) ?? 0))
          problems.add(`${name}: revision went from ${highest.get(name)} to ${revision}`);
        highest.set(name, Math.max(revision, highest.get(name) ?? 0));
        const issuing = c.status?.conditions?.find((x) => x.type === 'Issuing');
        if (issuing?.status === 'False')
          problems.add(`${name}: Issuing=False/${issuing.reason}: ${issuing.message}`);
        if (c.status?.failedIssuanceAttempts)
          problems.add(`${name}: failedIssuanceAttempts ${c.status.failedIssuanceAttempts}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    highest,
    problems,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
