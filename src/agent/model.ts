// The agent's pure model: annotated Services plus EndpointSlices plus this node's facts in, NAT
// intent out. No I/O; the sync loop gathers the objects and hands the intent to the renderer.
import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { ANNOTATION_EXPOSE_IPV6, ANNOTATION_EXPOSE_PORTS } from '../api/group.ts';
import {
  canonicalIPv6,
  canonicalPrefix,
  isGlobalUnicast,
  isUla,
  prefixWithin,
  ULA_PREFIX,
} from '../netfilter/ipv6.ts';

/** Label that ties an EndpointSlice to its Service. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

/** Protocols the agent can publish (SCTP is not NATed by us). */
export type Protocol = 'TCP' | 'UDP';

/** One published port: [nodeAddress]:port on this node goes to [podAddress]:targetPort. */
export interface Mapping {
  readonly service: string;
  readonly protocol: Protocol;
  readonly nodeAddress: string;
  readonly port: number;
  readonly podAddress: string;
  readonly targetPort: number;
}

/** An annotation the agent cannot honour, with the check that failed as `reason`. */
export interface Problem {
  readonly service: string;
  readonly reason: string;
  readonly message: string;
}

/** Everything the renderer needs, all addresses canonical. */
export interface NatIntent {
  readonly node: string;
  readonly mappings: readonly Mapping[];
  /** ULA pod prefixes of this node whose egress to non-ULA destinations is masqueraded. */
  readonly masqueradePrefixes: readonly string[];
  readonly problems: readonly Problem[];
}

/** This node as the agent sees it (from its Node object). */
export interface NodeFacts {
  readonly name: string;
  /** Node addresses (status.addresses[].address); only global IPv6 ones are published on. */
  readonly addresses: readonly string[];
  /** spec.podCIDRs; only ULA IPv6 ones are masqueraded. */
  readonly podCIDRs?: readonly string[];
}

/** Input of buildIntent: the gathered cluster state. */
export interface ModelInput {
  readonly node: NodeFacts;
  readonly services: readonly V1Service[];
  readonly endpointSlices: readonly V1EndpointSlice[];
}

/** Turns annotated Services and their EndpointSlices into this node's NAT intent. */
export function buildIntent(input: ModelInput): NatIntent {
  const problems: Problem[] = [];
  const mappings: Mapping[] = [];
  const nodeAddresses = globalAddresses(input.node.addresses);
  // Sorted so that a port conflict is always resolved the same way (first Service by key wins).
  const services = [...input.services].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const taken = new Map<string, string>();
  for (const service of services) {
    const key = keyOf(service);
    const annotations = service.metadata?.annotations ?? {};
    const expose = annotations[ANNOTATION_EXPOSE_IPV6];
    if (expose === undefined || expose === 'false') continue;
    const problem = (reason: string, message: string) => problems.push({ service: key, reason, message });
    if (expose !== 'true') {
      problem('BadExposeValue', `${ANNOTATION_EXPOSE_IPV6} is "${expose}"; use "true" or "false"`);
      continue;
    }
    const ports = selectPorts(service, annotations[ANNOTATION_EXPOSE_PORTS], problem);
    if (ports.length === 0) continue;
    if (nodeAddresses.length === 0) {
      problem(
        'NoGlobalAddress',
        `node ${input.node.name} has no global IPv6 address (2000::/3) to publish on; add one to the node's addresses`,
      );
      continue;
    }
    const slices = input.endpointSlices.filter(
      (s) =>
        s.metadata?.namespace === service.metadata?.namespace &&
        s.metadata?.labels?.[LABEL_SERVICE_NAME] === service.metadata?.name &&
        s.addressType === 'IPv6',
    );
    for (const mapping of localMappings(key, ports, slices, input.node.name, nodeAddresses, problem)) {
      const slot = `${mapping.protocol} [${mapping.nodeAddress}]:${mapping.port}`;
      const owner = taken.get(slot);
      if (owner === undefined) {
        taken.set(slot, key);
        mappings.push(mapping);
      } else if (owner !== key) {
        problem('PortConflict', `${slot} is already published by Service ${owner}`);
      }
    }
  }
  return {
    node: input.node.name,
    mappings,
    masqueradePrefixes: ulaPodPrefixes(input.node.podCIDRs ?? []),
    problems: dedupe(problems),
  };
}

function keyOf(service: V1Service): string {
  return `${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`;
}

function globalAddresses(addresses: readonly string[]): string[] {
  const out = new Set<string>();
  for (const a of addresses) {
    const c = canonicalIPv6(a);
    if (c !== undefined && isGlobalUnicast(c)) out.add(c);
  }
  return [...out];
}

function ulaPodPrefixes(cidrs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const cidr of cidrs) {
    const c = canonicalPrefix(cidr);
    if (c !== undefined && prefixWithin(c, ULA_PREFIX)) out.add(c);
  }
  return [...out].sort();
}

type Report = (reason: string, message: string) => void;

/** The Service ports named by `expose-ports` (numbers or port names), or all of them when unset. */
function selectPorts(service: V1Service, value: string | undefined, problem: Report): V1ServicePort[] {
  const all = service.spec?.ports ?? [];
  let chosen: V1ServicePort[];
  if (value === undefined || value.trim() === '') {
    chosen = all;
  } else {
    chosen = [];
    for (const raw of value.split(',')) {
      const entry = raw.trim();
      const isNumber = /^[0-9]+$/.test(entry);
      if (entry === '' || (isNumber && (Number(entry) < 1 || Number(entry) > 65535))) {
        problem(
          'BadExposePorts',
          `${ANNOTATION_EXPOSE_PORTS} entry "${raw}" is not a port number or port name`,
        );
        continue;
      }
      const matched = all.filter((p) => (isNumber ? p.port === Number(entry) : p.name === entry));
      if (matched.length === 0) {
        problem(
          'UnknownPort',
          `${ANNOTATION_EXPOSE_PORTS} names port "${entry}", which the Service does not have`,
        );
      }
      for (const p of matched) if (!chosen.includes(p)) chosen.push(p);
    }
  }
  return chosen.filter((p) => {
    const protocol = p.protocol ?? 'TCP';
    if (protocol === 'TCP' || protocol === 'UDP') return true;
    problem('UnsupportedProtocol', `port ${p.port}/${protocol} cannot be published; only TCP and UDP are`);
    return false;
  });
}

/** Mappings to ready endpoints on this node; non-ULA endpoint addresses are reported, not NATed. */
function localMappings(
  service: string,
  ports: readonly V1ServicePort[],
  slices: readonly V1EndpointSlice[],
  nodeName: string,
  nodeAddresses: readonly string[],
  problem: Report,
): Mapping[] {
  const targets = new Map<string, { protocol: Protocol; port: number; targetPort: number; pod: string }>();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      // Only local pods: replies then leave through this node without SNAT, keeping the client's address.
      if (endpoint.nodeName !== nodeName) continue;
      // The API says an unset `ready` means ready.
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses) {
        const pod = canonicalIPv6(address);
        if (pod === undefined || !isUla(pod)) {
          problem(
            'NonUlaEndpoint',
            `endpoint ${address} is not a ULA address (fc00::/7); it is not published`,
          );
          continue;
        }
        for (const port of ports) {
          const protocol = (port.protocol ?? 'TCP') as Protocol;
          const ep = (slice.ports ?? []).find(
            (p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === protocol,
          );
          if (ep?.port === undefined) continue;
          const slot = `${protocol}/${port.port}`;
          const current = targets.get(slot);
          // One DNAT target per published port: the lowest pod address, so the choice is stable.
          if (current === undefined || pod < current.pod) {
            targets.set(slot, { protocol, port: port.port, targetPort: ep.port, pod });
          }
        }
      }
    }
  }
  const out: Mapping[] = [];
  for (const nodeAddress of nodeAddresses) {
    for (const t of targets.values()) {
      out.push({
        service,
        protocol: t.protocol,
        nodeAddress,
        port: t.port,
        podAddress: t.pod,
        targetPort: t.targetPort,
      });
    }
  }
  return out.sort((a, b) =>
    a.nodeAddress === b.nodeAddress
      ? a.port - b.port || a.protocol.localeCompare(b.protocol)
      : a.nodeAddress.localeCompare(b.nodeAddress),
  );
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.service}\u0000${p.reason}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
