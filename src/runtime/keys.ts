/** The identifying part of any Kubernetes object, as far as keys are concerned. */
export interface ObjectIdentity {
  metadata?: { name?: string; namespace?: string };
}

/** A parsed queue key; `namespace` is undefined for cluster-scoped objects. */
export interface ObjectRef {
  namespace: string | undefined;
  name: string;
}

/** The queue key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(obj: ObjectIdentity): string {
  const name = obj.metadata?.name;
  if (!name) throw new TypeError('cannot build a key for an object without metadata.name');
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a key made by `objectKey`; throws on anything else (empty parts, more than one slash). */
export function parseKey(key: string): ObjectRef {
  const parts = key.split('/');
  if (parts.length === 1 && parts[0]) return { namespace: undefined, name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw new Error(`invalid object key "${key}": expected "namespace/name" or "name"`);
}
