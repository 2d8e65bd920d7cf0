// Which Ingresses to look at again when a Certificate or an Ingress changes.
import type { V1Ingress } from '@kubernetes/client-node';
import { claimedSecretNames, controllingIngress } from './plan.ts';

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * Ingresses a Certificate's change concerns: its controller (to repair an edit or recreate a deleted
 * one) and every Ingress naming its Secret (a freed name may now be theirs to take).
 */
export function ingressKeysForCertificate(
  certificate: { metadata?: { name?: string; namespace?: string } },
  ingressesIn: (namespace: string) => readonly V1Ingress[],
): string[] {
  const namespace = certificate.metadata?.namespace;
  const name = certificate.metadata?.name;
  if (!namespace || !name) return [];
  const keys = new Set<string>();
  const controller = controllingIngress(certificate);
  if (controller) keys.add(key(namespace, controller.name));
  for (const ingress of ingressesIn(namespace)) {
    if (ingress.metadata?.name && claimedSecretNames(ingress).includes(name)) {
      keys.add(key(namespace, ingress.metadata.name));
    }
  }
  return [...keys];
}

/** The Ingress itself and every other Ingress in its namespace that names one of its Secrets. */
export function ingressKeysForIngress(
  ingress: V1Ingress,
  ingressesIn: (namespace: string) => readonly V1Ingress[],
): string[] {
  const namespace = ingress.metadata?.namespace;
  const name = ingress.metadata?.name;
  if (!namespace || !name) return [];
  const secrets = new Set(claimedSecretNames(ingress));
  const keys = new Set([key(namespace, name)]);
  for (const other of ingressesIn(namespace)) {
    if (other.metadata?.name && claimedSecretNames(other).some((s) => secrets.has(s))) {
      keys.add(key(namespace, other.metadata.name));
    }
  }
  return [...keys];
}
