// The identity of an object, as events and logs refer to it.

/** Enough of an object to name it and point an Event at it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

/** Builds an ObjectRef from an object with apiVersion, kind and metadata. */
export function refOf(obj: {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string };
}): ObjectRef {
  const ref: ObjectRef = {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    name: obj.metadata?.name ?? '',
  };
  if (obj.metadata?.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata?.uid) ref.uid = obj.metadata.uid;
  return ref;
}

/** `Kind namespace/name` or `Kind name`, for log lines and messages. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
