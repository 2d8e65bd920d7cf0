// The metadata a converted object keeps: name, namespace, and the user's labels and annotations
// (without cert-manager's, kubectl's bookkeeping, or keys acme6 reserves).
import { asRecord, asString, type Notes } from './notes.ts';

const DROPPED_PREFIXES = ['cert-manager.io/', 'acme.cert-manager.io/', 'acme6.io/'];
const DROPPED_KEYS = ['kubectl.kubernetes.io/last-applied-configuration'];

/** The entries of a labels or annotations map that carry over. */
export function keepMap(map: unknown, path: string, notes: Notes): Record<string, string> | undefined {
  const entries = Object.entries(asRecord(map) ?? {}).filter(([key, value]) => {
    if (typeof value !== 'string' || DROPPED_KEYS.includes(key)) return false;
    if (DROPPED_PREFIXES.some((p) => key.startsWith(p))) {
      notes.add(`${path}.${key}`, 'cert-manager-specific (or reserved for acme6); not carried over');
      return false;
    }
    return true;
  });
  return entries.length ? (Object.fromEntries(entries) as Record<string, string>) : undefined;
}

/** The converted metadata of `source`, namespaced or not. */
export function convertMetadata(
  source: unknown,
  namespaced: boolean,
  notes: Notes,
): {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
} {
  const meta = asRecord(source) ?? {};
  const name = asString(meta.name) ?? '';
  const namespace = namespaced ? (asString(meta.namespace) ?? undefined) : undefined;
  const labels = keepMap(meta.labels, 'metadata.labels', notes);
  const annotations = keepMap(meta.annotations, 'metadata.annotations', notes);
  return {
    name,
    ...(namespace ? { namespace } : {}),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  };
}
