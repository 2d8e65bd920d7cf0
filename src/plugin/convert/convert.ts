// `kubectl acme6 convert`: cert-manager Issuers, ClusterIssuers and Certificates in, acme6 objects
// and per-field notes out. Issuers first, so each Certificate knows whether its issuer carried over.
import { convertCertificate, issuerKey } from './certificate.ts';
import { convertIssuer } from './issuer.ts';
import { asRecord, asString, type ConversionNote } from './notes.ts';

/** The group of cert-manager's objects. */
export const CERT_MANAGER_GROUP = 'cert-manager.io';

/** One input object and what became of it. */
export interface Converted {
  /** `certificates.cert-manager.io team-a/web`, naming the source group-qualified. */
  source: string;
  /** The acme6 object, or undefined when it could not be converted. */
  object?: Record<string, unknown>;
  notes: ConversionNote[];
}

const PLURAL: Record<string, string> = {
  Certificate: 'certificates',
  Issuer: 'issuers',
  ClusterIssuer: 'clusterissuers',
};

/** `certificates.cert-manager.io ns/name`. */
function describe(kind: string, meta: Record<string, unknown>): string {
  const ns = asString(meta.namespace);
  const name = asString(meta.name) ?? '(no name)';
  return `${PLURAL[kind] ?? kind.toLowerCase()}.${CERT_MANAGER_GROUP} ${ns && kind !== 'ClusterIssuer' ? `${ns}/` : ''}${name}`;
}

/**
 * Converts cert-manager objects; anything else (other groups, other kinds) is reported and skipped.
 * `defaultNamespace` stands in for a namespaced object without one (a file meant for `-n`).
 */
export function convertObjects(inputs: readonly unknown[], defaultNamespace: string): Converted[] {
  const objects = inputs.map((input) => {
    const object = asRecord(input) ?? {};
    const meta = { ...asRecord(object.metadata) };
    const kind = asString(object.kind) ?? '';
    if (kind !== 'ClusterIssuer' && !asString(meta.namespace)) meta.namespace = defaultNamespace;
    const withMeta: Record<string, unknown> = { ...object, metadata: meta };
    return { object: withMeta, kind, meta };
  });
  const results = new Map<number, Converted>();
  const issuers = new Map<string, boolean>();
  objects.forEach(({ object, kind, meta }, i) => {
    const group = (asString(object.apiVersion) ?? '').split('/')[0];
    if (group !== CERT_MANAGER_GROUP || !(kind in PLURAL)) {
      results.set(i, {
        source:
          `${kind || '(no kind)'} ${asString(object.apiVersion) ?? ''} ${asString(meta.name) ?? ''}`.trim(),
        notes: [
          { field: 'kind', reason: 'not a cert-manager Certificate, Issuer or ClusterIssuer; skipped' },
        ],
      });
      return;
    }
    if (kind === 'Certificate') return;
    const outcome = convertIssuer(object, kind as 'Issuer' | 'ClusterIssuer');
    issuers.set(
      issuerKey(kind, asString(meta.namespace) ?? '', asString(meta.name) ?? ''),
      outcome.acme && !!outcome.object,
    );
    results.set(i, {
      source: describe(kind, meta),
      ...(outcome.object ? { object: outcome.object } : {}),
      notes: outcome.notes.list,
    });
  });
  objects.forEach(({ object, kind, meta }, i) => {
    if (results.has(i)) return;
    const outcome = convertCertificate(object, issuers);
    results.set(i, {
      source: describe(kind, meta),
      ...(outcome.object ? { object: outcome.object } : {}),
      notes: outcome.notes.list,
    });
  });
  return objects.map((_, i) => results.get(i)!);
}
