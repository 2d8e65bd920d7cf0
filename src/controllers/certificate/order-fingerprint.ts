// What an ACME order was placed for, as a digest recorded in status.acme: the names, the issuer
// (which Certificate field names it, and which CA and profile it uses), the private key and the
// solver each name gets. An order in flight whose digest no longer matches is for something no
// longer wanted: the issuance abandons it and places a new one at once, since a spec change may
// be exactly the fix.
import { createHash } from 'node:crypto';
import type { Certificate } from '../../api/certificate.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import type { OrderStatus } from './issuance-status.ts';
import type { SolverChoice } from './solver-selection.ts';

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The digest of what an order for `certificate` from `issuer`, solved by `choices`, is for. */
export function orderFingerprint(
  certificate: Pick<Certificate, 'spec'>,
  issuer: AnyIssuer,
  choices: readonly SolverChoice[],
): string {
  const { dnsNames, issuerRef, privateKey } = certificate.spec;
  const what = {
    dnsNames: [...new Set(dnsNames)].sort(),
    issuerRef: { kind: issuerRef.kind, name: issuerRef.name, group: issuerRef.group },
    ca: { server: issuer.spec.acme.server, profile: issuer.spec.acme.profile },
    privateKey,
    solvers: choices
      .map((c) => ({ dnsName: c.dnsName, type: c.type, solver: c.solver }))
      .sort((a, b) => (a.dnsName < b.dnsName ? -1 : a.dnsName > b.dnsName ? 1 : 0)),
  };
  return createHash('sha256').update(canonicalJson(what)).digest('hex');
}

/**
 * Whether the order in flight (`ordered`) was placed for something other than what the
 * Certificate asks for now (`fingerprint` of its spec, `dnsNames`). An order recorded before
 * digests were kept is judged by its names alone: outdated if the Certificate asks for a name it
 * has no challenge for.
 */
export function orderOutdated(
  ordered: OrderStatus,
  fingerprint: string,
  dnsNames: readonly string[],
): boolean {
  if (ordered.orderFingerprint) return ordered.orderFingerprint !== fingerprint;
  const names = new Set((ordered.challenges ?? []).map((c) => c.dnsName));
  return names.size > 0 && dnsNames.some((n) => !names.has(n));
}
