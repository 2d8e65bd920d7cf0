// The cached Certificates by the Secret they name, so that finding the others naming one Secret
// (DuplicateSecretName) costs the few that do, not a copy and scan of the whole namespace: with
// 10,000 Certificates in one namespace, scanning on every event and reconcile was 10,000 × 10,000.
import type { InformerHandler } from '../../runtime/informer.ts';

interface Named {
  metadata: { name?: string; namespace?: string; uid?: string };
  spec: { secretName: string };
}

const indexKey = (c: Named): string => `${c.metadata.namespace ?? ''}/${c.spec.secretName}`;

/** Kept current as an informer handler; register it before the handlers that read it. */
export class SecretNameIndex<T extends Named> implements InformerHandler<T> {
  private readonly bySecret = new Map<string, Map<string, T>>();

  /** The cached Certificates in `namespace` whose spec.secretName is `secretName`. */
  claimants(namespace: string, secretName: string): T[] {
    return [...(this.bySecret.get(`${namespace}/${secretName}`)?.values() ?? [])];
  }

  onAdd(obj: T): void {
    const key = indexKey(obj);
    let named = this.bySecret.get(key);
    if (!named) this.bySecret.set(key, (named = new Map<string, T>()));
    named.set(obj.metadata.name ?? '', obj);
  }

  onUpdate(obj: T, old: T): void {
    this.onDelete(old);
    this.onAdd(obj);
  }

  onDelete(obj: T): void {
    const key = indexKey(obj);
    const named = this.bySecret.get(key);
    const stored = named?.get(obj.metadata.name ?? '');
    // The informer hands over the object as the delete event carried it, not the cached instance: go
    // by name, unless the entry is a later incarnation (another uid) of that name.
    if (!named || !stored || (stored.metadata.uid && stored.metadata.uid !== obj.metadata.uid)) return;
    named.delete(obj.metadata.name ?? '');
    if (named.size === 0) this.bySecret.delete(key);
  }
}
