// Which objects the agent watches in full: the pure decisions behind PublishedServicesWatch. The
// agent sees every Service only as slim metadata; a Service that asks to be published (its
// expose-ipv6 annotation is set to anything but "false") gets its full object and its
// EndpointSlices watched, everything else is never fetched.
import type { KubernetesObject, V1EndpointSlice } from '@kubernetes/client-node';
import { ANNOTATION_EXPOSE_IPV6, GROUP } from '../api/group.ts';
import { LABEL_SERVICE_NAME } from './model.ts';

/** The least of a Service the agent keeps for every Service of the cluster. */
export interface ServiceMeta extends KubernetesObject {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    /** Only acme6's own annotations (`acme6.io/...`); the rest is dropped. */
    annotations?: Record<string, string>;
  };
}

/** `namespace/name` of a Service or of the object's metadata. */
export function serviceKey(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/**
 * True when the model must see this Service in full: `"true"` publishes it, any other value but
 * `"false"` is reported as a problem (which needs the Service too). Absent or `"false"`: ignored.
 */
export function wantsPublishing(obj: { metadata?: { annotations?: Record<string, string> } }): boolean {
  const value = obj.metadata?.annotations?.[ANNOTATION_EXPOSE_IPV6];
  return value !== undefined && value !== 'false';
}

/**
 * Reduces a Service (or its PartialObjectMetadata) to what the agent keeps for every Service: its
 * identity and acme6's annotations. Managed fields, labels and foreign annotations (a
 * last-applied-configuration can be kilobytes) are dropped, so thousands of Services cost little.
 */
export function slimServiceMeta(obj: KubernetesObject): ServiceMeta {
  const m = obj.metadata ?? {};
  const metadata: ServiceMeta['metadata'] = { name: m.name ?? '', namespace: m.namespace ?? '' };
  if (m.uid !== undefined) metadata.uid = m.uid;
  if (m.resourceVersion !== undefined) metadata.resourceVersion = m.resourceVersion;
  const ours = Object.entries(m.annotations ?? {}).filter(([k]) => k.startsWith(`${GROUP}/`));
  if (ours.length > 0) metadata.annotations = Object.fromEntries(ours);
  return { apiVersion: 'v1', kind: 'Service', metadata };
}

/** The label selector that picks the EndpointSlices of Service `name` (in its namespace). */
export function sliceSelectorOf(name: string): string {
  return `${LABEL_SERVICE_NAME}=${name}`;
}

/** True when `slice` belongs to the Service `key` (`namespace/name`). */
export function sliceBelongsTo(slice: V1EndpointSlice, key: string): boolean {
  return `${slice.metadata?.namespace ?? ''}/${slice.metadata?.labels?.[LABEL_SERVICE_NAME] ?? ''}` === key;
}

/** What to start and stop so that exactly the `wanted` keys are watched. */
export function watchChanges(
  watched: Iterable<string>,
  wanted: Iterable<string>,
): { start: string[]; stop: string[] } {
  const now = new Set(watched);
  const next = new Set(wanted);
  return {
    start: [...next].filter((k) => !now.has(k)).sort(),
    stop: [...now].filter((k) => !next.has(k)).sort(),
  };
}
