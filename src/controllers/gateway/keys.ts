// Which Gateways to look at again when a Certificate or a Gateway changes.
import type { Gateway } from './types.ts';
import { claimedSecretNames, controllingGateway } from './plan.ts';

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * Gateways a Certificate's change concerns: its controller (to repair an edit or recreate a deleted
 * one) and every Gateway naming its Secret (a freed name may now be theirs to take).
 */
export function gatewayKeysForCertificate(
  certificate: { metadata?: { name?: string; namespace?: string } },
  gatewaysIn: (namespace: string) => readonly Gateway[],
): string[] {
  const namespace = certificate.metadata?.namespace;
  const name = certificate.metadata?.name;
  if (!namespace || !name) return [];
  const keys = new Set<string>();
  const controller = controllingGateway(certificate);
  if (controller) keys.add(key(namespace, controller.name));
  for (const gateway of gatewaysIn(namespace)) {
    if (gateway.metadata?.name && claimedSecretNames(gateway).includes(name)) {
      keys.add(key(namespace, gateway.metadata.name));
    }
  }
  return [...keys];
}

/** The Gateway itself and every other Gateway in its namespace that names one of its Secrets. */
export function gatewayKeysForGateway(
  gateway: Gateway,
  gatewaysIn: (namespace: string) => readonly Gateway[],
): string[] {
  const namespace = gateway.metadata?.namespace;
  const name = gateway.metadata?.name;
  if (!namespace || !name) return [];
  const secrets = new Set(claimedSecretNames(gateway));
  const keys = new Set([key(namespace, name)]);
  for (const other of gatewaysIn(namespace)) {
    if (other.metadata?.name && claimedSecretNames(other).some((s) => secrets.has(s))) {
      keys.add(key(namespace, other.metadata.name));
    }
  }
  return [...keys];
}
