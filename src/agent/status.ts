// What the agent tells users on the Service: a per-node status annotation listing what this node
// publishes. Pure functions; the agent writes the result with a JSON merge patch of that one key,
// so nodes never overwrite each other's entries and no read-modify-write race exists.
import { createHash } from 'node:crypto';
import type { V1Service } from '@kubernetes/client-node';
import { ANNOTATION_IPV6_PUBLISHED_PREFIX } from '../api/group.ts';
import type { Mapping } from './model.ts';

/** Longest name segment of an annotation key (after the `/`). */
const MAX_NAME = 63;

/** This node's annotation key; node names over 63 characters are shortened with a hash suffix. */
export function publishedAnnotationKey(node: string): string {
  const name =
    node.length <= MAX_NAME
      ? node
      : `${node.slice(0, MAX_NAME - 17).replace(/[-.]+$/, '')}-${createHash('sha256').update(node).digest('hex').slice(0, 16)}`;
  return `${ANNOTATION_IPV6_PUBLISHED_PREFIX}${name}`;
}

/** `node/[address]:port/PROTO -> [pod]:port` for one mapping. */
export function describeMapping(node: string, m: Mapping): string {
  return `${node}/[${m.nodeAddress}]:${m.port}/${m.protocol} -> [${m.podAddress}]:${m.targetPort}`;
}

/** The annotation value per Service key (`ns/name`) for the mappings of this node. */
export function publishedValues(node: string, mappings: readonly Mapping[]): Map<string, string> {
  const lists = new Map<string, string[]>();
  for (const m of mappings) lists.set(m.service, [...(lists.get(m.service) ?? []), describeMapping(node, m)]);
  return new Map([...lists].map(([k, v]) => [k, v.join(', ')]));
}

/** One annotation change: `value` null removes the key. */
export interface AnnotationChange {
  readonly namespace: string;
  readonly name: string;
  readonly value: string | null;
  readonly service: V1Service;
}

/** Services whose annotation under `key` differs from `wanted` (missing in `wanted` means remove). */
export function annotationChanges(
  services: readonly V1Service[],
  key: string,
  wanted: ReadonlyMap<string, string>,
): AnnotationChange[] {
  const out: AnnotationChange[] = [];
  for (const service of services) {
    const namespace = service.metadata?.namespace ?? '';
    const name = service.metadata?.name ?? '';
    const current = service.metadata?.annotations?.[key];
    const want = wanted.get(`${namespace}/${name}`);
    if (want === current) continue;
    if (want === undefined && current === undefined) continue;
    out.push({ namespace, name, value: want ?? null, service });
  }
  return out;
}
