// NAT intent → one `nft -f` script for the agent's own table `ip6 acme6`. The script declares the
// table, deletes it and defines it whole again, so DNAT, masquerade and filter change together in
// one kernel transaction and nothing outside the table is touched. Ports are elements of a map, so
// a packet costs one lookup whether one port or ten thousand are published.
import type { Mapping, NatIntent } from './model.ts';
import { assertRenderable, type RenderOptions } from './render.ts';
import { LINK_LOCAL_PREFIX, ULA_PREFIX } from '../netfilter/ipv6.ts';

/** The table the native backend owns, whole; nothing else is ever written or deleted. */
export const NFT_FAMILY = 'ip6';
export const NFT_TABLE = 'acme6';

/** Names inside the table (chains, sets, maps). */
export const NftNames = {
  /** `[node] . proto . port` → `[pod] . targetPort`: every published port, one lookup. */
  dnatMap: 'published-ports',
  /** `[pod] . proto . targetPort` of the published ports, for the hairpin masquerade. */
  targets: 'published-targets',
  /** Pods the agent publishes: new flows routed straight to them from outside are dropped. */
  pods: 'published-pods',
  /** The node's ULA pod prefixes, whose egress is masqueraded. */
  egress: 'egress-sources',
  prerouting: 'prerouting',
  output: 'output',
  postrouting: 'postrouting',
  forward: 'forward',
} as const;

/** The base chains of the table; the canary wants each present with its rules. */
export const NFT_BASE_CHAINS = [
  NftNames.prerouting,
  NftNames.output,
  NftNames.postrouting,
  NftNames.forward,
] as const;

/** The lookup key of a packet: where it is going, as a published port is keyed. */
const KEY = 'ip6 daddr . meta l4proto . th dport';

/** The script that removes the table if present (declaring it first makes the delete never fail). */
export function renderNftDelete(): string {
  return `table ${NFT_FAMILY} ${NFT_TABLE}\ndelete table ${NFT_FAMILY} ${NFT_TABLE}\n`;
}

/** The elements of the table's sets and maps for an intent, sorted (the rendering is stable). */
export interface NftElements {
  readonly dnat: readonly string[];
  readonly targets: readonly string[];
  readonly pods: readonly string[];
  readonly egress: readonly string[];
}

/** Set and map contents for `intent`: one element per published port, pod and pod prefix. */
export function nftElements(intent: NatIntent): NftElements {
  return {
    dnat: unique(
      intent.mappings.map(
        (m) => `${m.nodeAddress} . ${proto(m)} . ${m.port} : ${m.podAddress} . ${m.targetPort}`,
      ),
    ),
    targets: unique(intent.mappings.map((m) => `${m.podAddress} . ${proto(m)} . ${m.targetPort}`)),
    pods: unique(intent.mappings.map((m) => m.podAddress)),
    egress: unique(intent.masqueradePrefixes),
  };
}

/**
 * The whole desired table as one transaction: (re)declare, delete, define. Nothing published
 * renders the delete alone: the table does not exist while a node publishes nothing.
 */
export function renderNftables(intent: NatIntent, options: RenderOptions = {}): string {
  assertRenderable(intent, options);
  if (intent.mappings.length === 0) return renderNftDelete();
  const e = nftElements(intent);
  const egressTarget =
    options.snatAddress === undefined ? 'masquerade' : `snat ip6 to ${options.snatAddress}`;
  const lines = [
    ...renderNftDelete().trimEnd().split('\n'),
    `table ${NFT_FAMILY} ${NFT_TABLE} {`,
    ...set(
      NftNames.dnatMap,
      'map',
      'ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service',
      e.dnat,
    ),
    ...set(NftNames.targets, 'set', 'ipv6_addr . inet_proto . inet_service', e.targets),
    ...set(NftNames.pods, 'set', 'ipv6_addr', e.pods),
    ...(e.egress.length > 0 ? set(NftNames.egress, 'set', 'ipv6_addr', e.egress, true) : []),
    // No SNAT on the way in: the pod sees the client's address. Link-local clients are left alone
    // because the kernel would pick a link-local source towards a ULA pod (moby#48570). A key that
    // is not in the map matches nothing, so every other packet passes untouched.
    ...chain(NftNames.prerouting, 'nat hook prerouting priority dstnat', [
      `meta l4proto { tcp, udp } ip6 saddr != ${LINK_LOCAL_PREFIX} dnat ip6 to ${KEY} map @${NftNames.dnatMap} comment "acme6: published ports"`,
    ]),
    // The node itself reaching its published address is locally generated: output, not prerouting.
    ...chain(NftNames.output, 'nat hook output priority -100', [
      `meta l4proto { tcp, udp } ip6 saddr != ${LINK_LOCAL_PREFIX} dnat ip6 to ${KEY} map @${NftNames.dnatMap} comment "acme6: published ports, from the node"`,
    ]),
    ...chain(NftNames.postrouting, 'nat hook postrouting priority srcnat', [
      // Hairpin: a ULA client (the pod itself or a neighbour on its bridge) that came in through our
      // DNAT would get the reply straight from the pod's address; masquerade so it returns via us.
      `meta l4proto { tcp, udp } ip6 saddr ${ULA_PREFIX} ct status dnat ${KEY} @${NftNames.targets} masquerade comment "acme6: hairpin"`,
      ...(e.egress.length > 0
        ? [
            `ip6 saddr @${NftNames.egress} ip6 daddr != ${ULA_PREFIX} ${egressTarget} comment "acme6: node ${intent.node} pod egress"`,
          ]
        : []),
    ]),
    // An accept here would not outrank another table's drop (each base chain at a hook decides for
    // itself), so this chain only drops: new flows from outside the ULA range routed straight to a
    // published pod that nobody DNATed (our published ports and a kube-proxy NodePort are DNATed).
    // See backend-select.ts for hosts whose ip6tables FORWARD drops by default.
    ...chain(NftNames.forward, 'filter hook forward priority filter', [
      `ct state new ct status & dnat == 0 ip6 saddr != ${ULA_PREFIX} ip6 daddr @${NftNames.pods} drop comment "acme6: unpublished ports of published pods"`,
    ]),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

function set(
  name: string,
  kind: 'set' | 'map',
  type: string,
  elements: readonly string[],
  prefixes = false,
): string[] {
  return [
    `  ${kind} ${name} {`,
    `    type ${type}`,
    // Pod prefixes may overlap (a /64 inside a /56); auto-merge folds them instead of failing.
    ...(prefixes ? ['    flags interval', '    auto-merge'] : []),
    `    elements = { ${elements.join(', ')} }`,
    '  }',
  ];
}

function chain(name: string, hook: string, rules: readonly string[]): string[] {
  return [`  chain ${name} {`, `    type ${hook}; policy accept;`, ...rules.map((r) => `    ${r}`), '  }'];
}

function proto(m: Mapping): string {
  return m.protocol.toLowerCase();
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
