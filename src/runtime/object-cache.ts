import type { KubernetesObject } from '@kubernetes/client-node';

/** One difference applied to an ObjectCache. */
export type CacheChange<T> =
  { type: 'add'; obj: T } | { type: 'update'; obj: T; old: T } | { type: 'delete'; obj: T };

/** Objects by namespace and name; every mutation reports what actually changed. */
export class ObjectCache<T extends KubernetesObject> {
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private count = 0;

  /** The object with this name (and namespace, for namespaced kinds), if cached. */
  get(name: string, namespace?: string): T | undefined {
    return this.byNamespace.get(namespace ?? '')?.get(name);
  }

  /** All cached objects, or those in one namespace. */
  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.byNamespace.get(namespace)?.values() ?? [])];
    return [...this.byNamespace.values()].flatMap((objects) => [...objects.values()]);
  }

  /** Number of cached objects. */
  get size(): number {
    return this.count;
  }

  /** Stores the object; reports an add, an update, or nothing when its resourceVersion is unchanged. */
  upsert(obj: T): CacheChange<T> | undefined {
    const { namespace, name } = locate(obj);
    let objects = this.byNamespace.get(namespace);
    if (!objects) {
      objects = new Map();
      this.byNamespace.set(namespace, objects);
    }
    const old = objects.get(name);
    if (old && sameVersion(old, obj)) return undefined;
    objects.set(name, obj);
    if (!old) {
      this.count++;
      return { type: 'add', obj };
    }
    return { type: 'update', obj, old };
  }

  /** Drops the object; reports a delete (with the given, final state) if it was cached. */
  remove(obj: T): CacheChange<T> | undefined {
    const { namespace, name } = locate(obj);
    const objects = this.byNamespace.get(namespace);
    if (!objects?.delete(name)) return undefined;
    this.count--;
    if (objects.size === 0) this.byNamespace.delete(namespace);
    return { type: 'delete', obj };
  }

  /** Makes the cache hold exactly `items` (a full list), reporting every difference. */
  replaceAll(items: readonly T[]): CacheChange<T>[] {
    const listed = new Set(items.map((obj) => locationKey(locate(obj))));
    const changes: CacheChange<T>[] = [];
    for (const cached of this.list()) {
      if (listed.has(locationKey(locate(cached)))) continue;
      const change = this.remove(cached);
      if (change) changes.push(change);
    }
    for (const obj of items) {
      const change = this.upsert(obj);
      if (change) changes.push(change);
    }
    return changes;
  }
}

function locate(obj: KubernetesObject): { namespace: string; name: string } {
  return { namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}

function locationKey(location: { namespace: string; name: string }): string {
  return `${location.namespace}/${location.name}`;
}

// Like client-node's cache: an object without a resourceVersion always counts as changed.
function sameVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const version = a.metadata?.resourceVersion;
  return version !== undefined && version === b.metadata?.resourceVersion;
}
