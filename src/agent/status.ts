// What the agent tells users about what its node publishes: one ConfigMap per node in the agent's
// own namespace, one data key per Service. The agent may write only ConfigMaps in that namespace,
// never a Service. Pure functions; the agent writes the result whole (each node owns its object).
import { createHash } from 'node:crypto';
import type { Mapping } from './model.ts';

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

/** Label on each node's status ConfigMap, so all of them are listed with one selector. */
export const LABEL_PUBLISHED_STATUS = 'acme6.io/published-status';

/** Name of `node`'s status ConfigMap (a DNS subdomain; long node names get a hash suffix). */
export function statusConfigMapName(node: string): string {
  const name = `acme6-published-${node}`;
  return name.length <= 253
    ? name
    : `${name.slice(0, 253 - 17).replace(/[-.]+$/, '')}-${createHash('sha256').update(node).digest('hex').slice(0, 16)}`;
}

/**
 * ConfigMap data key of a Service `ns/name`: `ns.name`. Namespaces and Service names are DNS labels
 * (no dots), so the key is unambiguous and fits ConfigMap key rules.
 */
export function statusDataKey(service: string): string {
  return service.replace('/', '.');
}

/** The data of this node's status ConfigMap. */
export function publishedData(node: string, mappings: readonly Mapping[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [service, value] of [...publishedValues(node, mappings)].sort(([a], [b]) => a.localeCompare(b)))
    out[statusDataKey(service)] = value;
  return out;
}

/** One Service whose published state on this node changed: `value` null means no longer published. */
export interface PublishedChange {
  readonly service: string;
  readonly value: string | null;
}

/** Services whose published value differs between `before` and `after` (keys `ns/name`). */
export function publishedChanges(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): PublishedChange[] {
  const out: PublishedChange[] = [];
  for (const [service, value] of after) if (before.get(service) !== value) out.push({ service, value });
  for (const service of before.keys()) if (!after.has(service)) out.push({ service, value: null });
  return out;
}
