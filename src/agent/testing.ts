// Fixtures for the agent's unit tests: small builders for Services and EndpointSlices, and a
// helper that loads a rendered payload plus the hook jumps into a parsed host ruleset.
import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { ANNOTATION_EXPOSE_IPV6, ANNOTATION_EXPOSE_PORTS } from '../api/group.ts';
import { LABEL_SERVICE_NAME } from './model.ts';
import { jumpRules } from './render.ts';
import { parseRestore, type Ruleset } from '../netfilter/testing/parse.ts';

/** A Service `ns/name` with the given ports; `expose` sets the expose-ipv6 annotation, `ports` expose-ports. */
export function service(
  key: string,
  ports: V1ServicePort[],
  annotations: { expose?: string; ports?: string } = { expose: 'true' },
): V1Service {
  const [namespace, name] = key.split('/');
  const a: Record<string, string> = {};
  if (annotations.expose !== undefined) a[ANNOTATION_EXPOSE_IPV6] = annotations.expose;
  if (annotations.ports !== undefined) a[ANNOTATION_EXPOSE_PORTS] = annotations.ports;
  return { metadata: { namespace, name, annotations: a }, spec: { ports } };
}

/** An IPv6 EndpointSlice of Service `ns/name`. */
export function slice(
  key: string,
  ports: { name?: string; port: number; protocol?: string }[],
  endpoints: { address: string; node: string; ready?: boolean }[],
): V1EndpointSlice {
  const [namespace, name = ''] = key.split('/');
  return {
    addressType: 'IPv6',
    metadata: { namespace, name: `${name}-abcde`, labels: { [LABEL_SERVICE_NAME]: name } },
    ports,
    endpoints: endpoints.map((e) => ({
      addresses: [e.address],
      nodeName: e.node,
      ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
    })),
  };
}

/** The built-in chains of a host with a default-DROP FORWARD policy, as the S2 operator had. */
export const HOST_BUILTINS = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

/** Host ruleset after applying `payload` and then inserting the hook jumps, as the apply layer will. */
export function loadHost(payload: string, base: Ruleset = parseRestore(HOST_BUILTINS)): Ruleset {
  const withChains = parseRestore(payload, base);
  const jumps = jumpRules();
  const text = (['nat', 'filter'] as const)
    .map((t) => [
      `*${t}`,
      ...jumps.filter((j) => j.table === t).map((j) => `-I ${j.chain} ${j.spec}`),
      'COMMIT',
    ])
    .flat()
    .join('\n');
  return parseRestore(text, withChains);
}
