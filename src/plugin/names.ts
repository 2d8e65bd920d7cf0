// How the plugin names acme6 objects in its output: group-qualified, since cert-manager's kinds share
// the names (Certificate, Issuer, ClusterIssuer) and both are often installed in one cluster.
import { GROUP, Kind, RESOURCES } from '../api/group.ts';

/** `certificates.acme6.io`, as kubectl takes it. */
export const CERTIFICATES = `${RESOURCES[Kind.Certificate].plural}.${GROUP}`;

/** `certificates.acme6.io team/web`. */
export function certificateName(namespace: string, name: string): string {
  return `${CERTIFICATES} ${namespace}/${name}`;
}
