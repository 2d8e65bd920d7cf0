// NAT intent → one `ip6tables-restore --noflush` payload. Declaring a chain in restore input
// flushes it, so each sync rewrites exactly the chains we own, atomically, and nothing else.
// Jumps from built-in chains cannot be written that way (flushing PREROUTING would wipe other
// tools' rules); they are rendered apart by jumpRules() for the apply layer to check and insert.
import { Chains, isOwnedChain, serviceChain } from './chains.ts';
import type { Mapping, NatIntent } from './model.ts';
import { isGlobalUnicast, isUla, LINK_LOCAL_PREFIX, ULA_PREFIX } from '../netfilter/ipv6.ts';

/** The two tables the agent writes. */
export type Table = 'nat' | 'filter';

/** A chain in a table. */
export interface ChainRef {
  readonly table: Table;
  readonly chain: string;
}

/** How to render: egress SNAT address and the owned chains found on the host (for stale deletion). */
export interface RenderOptions {
  /** SNAT pod egress to this address instead of MASQUERADE (a stable source; see DI#18). */
  readonly snatAddress?: string;
  /** Chains currently present (e.g. chainsFromSave(ip6tables-save output)); other tables are ignored. */
  readonly existingChains?: readonly { readonly table: string; readonly chain: string }[];
}

/** A rule to be placed in a built-in chain: `spec` is everything after `-A <chain>`. */
export interface JumpRule {
  readonly table: Table;
  readonly chain: 'PREROUTING' | 'OUTPUT' | 'POSTROUTING' | 'FORWARD';
  readonly spec: string;
  /** The owned chain the rule jumps to. */
  readonly target: string;
}

/** Comment that tags the agent's jump rules in built-in chains, so they can be found and removed. */
export const HOOK_COMMENT = 'acme6: hook';

/** The one jump per built-in hook into the agent's chains. */
export function jumpRules(): JumpRule[] {
  const jump = (table: Table, chain: JumpRule['chain'], target: string): JumpRule => ({
    table,
    chain,
    spec: `${comment(HOOK_COMMENT)} -j ${target}`,
    target,
  });
  return [
    jump('nat', 'PREROUTING', Chains.prerouting),
    jump('nat', 'OUTPUT', Chains.output),
    jump('nat', 'POSTROUTING', Chains.postrouting),
    jump('filter', 'FORWARD', Chains.forward),
  ];
}

/** Chains the intent needs, per table. */
export function wantedChains(intent: NatIntent): ChainRef[] {
  const services = [...new Set(intent.mappings.map((m) => m.service))].map(serviceChain);
  return [
    ...[Chains.prerouting, Chains.output, Chains.postrouting, Chains.canary, ...services].map((chain) => ({
      table: 'nat' as const,
      chain,
    })),
    ...[Chains.forward, Chains.canary, ...services].map((chain) => ({ table: 'filter' as const, chain })),
  ];
}

/** Owned chains present on the host that the intent no longer wants. */
export function staleChains(
  existing: readonly { readonly table: string; readonly chain: string }[],
  wanted: readonly ChainRef[],
): ChainRef[] {
  const want = new Set(wanted.map((c) => `${c.table} ${c.chain}`));
  return existing.filter(
    (c): c is ChainRef =>
      (c.table === 'nat' || c.table === 'filter') &&
      isOwnedChain(c.chain) &&
      !want.has(`${c.table} ${c.chain}`),
  );
}

/** Chain declarations (`:NAME POLICY [..]`) of the nat and filter tables in ip6tables-save output. */
export function chainsFromSave(save: string): ChainRef[] {
  const out: ChainRef[] = [];
  let table: string | undefined;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^:(\S+)/.exec(line);
    if (m?.[1] && (table === 'nat' || table === 'filter')) out.push({ table, chain: m[1] });
  }
  return out;
}

/** Renders the whole desired state of the agent's chains as one restore payload (nat, then filter). */
export function renderRestore(intent: NatIntent, options: RenderOptions = {}): string {
  assertRenderable(intent, options);
  const wanted = wantedChains(intent);
  const stale = staleChains(options.existingChains ?? [], wanted);
  const byService = groupByService(intent.mappings);
  const table = (name: Table, rules: string[]) => {
    const declared = [...wanted, ...stale].filter((c) => c.table === name).map((c) => `:${c.chain} - [0:0]`);
    const deletions = stale.filter((c) => c.table === name).map((c) => `-X ${c.chain}`);
    return [`*${name}`, ...declared, ...rules, ...deletions, 'COMMIT'];
  };
  return [...table('nat', natRules(intent, byService, options)), ...table('filter', filterRules(byService))]
    .join('\n')
    .concat('\n');
}

function natRules(intent: NatIntent, byService: Map<string, Mapping[]>, options: RenderOptions): string[] {
  const rules: string[] = [];
  const hairpin = new Set<string>();
  for (const [service, mappings] of byService) {
    const chain = serviceChain(service);
    // OUTPUT too: the node itself reaching its published address is locally generated, not PREROUTING.
    rules.push(`-A ${Chains.prerouting} ${comment(`acme6: service ${service}`)} -j ${chain}`);
    rules.push(`-A ${Chains.output} ${comment(`acme6: service ${service}`)} -j ${chain}`);
    for (const m of mappings) {
      // No SNAT here: the pod sees the client's own address. Link-local clients are left alone
      // because the kernel would pick a link-local source towards a ULA pod (moby#48570).
      rules.push(
        `-A ${chain} ! -s ${LINK_LOCAL_PREFIX} -d ${m.nodeAddress}/128 ${portMatch(m.protocol, m.port)} ` +
          `${comment(`acme6: service ${service} ${m.protocol.toLowerCase()}/${m.port}`)} ` +
          `-j DNAT --to-destination [${m.podAddress}]:${m.targetPort}`,
      );
      // Hairpin: a ULA client (the pod itself or a neighbour on its bridge) that came in through our
      // DNAT would get the reply straight from the pod's address; masquerade so it returns via us.
      const rule =
        `-A ${Chains.postrouting} -s ${ULA_PREFIX} -d ${m.podAddress}/128 ${portMatch(m.protocol, m.targetPort)} ` +
        `-m conntrack --ctstate DNAT ${comment(`acme6: service ${service} hairpin ${m.protocol.toLowerCase()}/${m.port}`)} -j MASQUERADE`;
      if (!hairpin.has(rule)) {
        hairpin.add(rule);
        rules.push(rule);
      }
    }
  }
  const egress = options.snatAddress === undefined ? 'MASQUERADE' : `SNAT --to-source ${options.snatAddress}`;
  for (const prefix of intent.masqueradePrefixes) {
    rules.push(
      `-A ${Chains.postrouting} -s ${prefix} ! -d ${ULA_PREFIX} ${comment(`acme6: node ${intent.node} pod egress`)} -j ${egress}`,
    );
  }
  return rules;
}

function filterRules(byService: Map<string, Mapping[]>): string[] {
  const rules: string[] = [];
  for (const [service, mappings] of byService) {
    const chain = serviceChain(service);
    rules.push(`-A ${Chains.forward} ${comment(`acme6: service ${service}`)} -j ${chain}`);
    const seen = new Set<string>();
    for (const m of mappings) {
      // ctstate DNAT: only flows that came through the published port; direct routing to the pod
      // address from outside (an L2 neighbour, moby#45610) falls through to the DROP below.
      const rule =
        `-A ${chain} -d ${m.podAddress}/128 ${portMatch(m.protocol, m.targetPort)} -m conntrack --ctstate DNAT ` +
        `${comment(`acme6: service ${service} ${m.protocol.toLowerCase()}/${m.port}`)} -j ACCEPT`;
      if (!seen.has(rule)) {
        seen.add(rule);
        rules.push(rule);
      }
    }
  }
  // Only the pods we publish are ours to guard; everything else (other pods, other ULA ranges)
  // falls through to whatever else governs FORWARD.
  const pods = [...new Set([...byService.values()].flat().map((m) => m.podAddress))].sort();
  for (const pod of pods) {
    // Replies of a published pod pass even under a FORWARD policy of DROP, whatever the pod CIDRs.
    rules.push(
      `-A ${Chains.forward} -s ${pod}/128 -m conntrack --ctstate RELATED,ESTABLISHED ` +
        `${comment(`acme6: replies from published pod ${pod}`)} -j ACCEPT`,
    );
    // Flows another component DNATed to this pod (a kube-proxy NodePort) are not ours to judge.
    rules.push(
      `-A ${Chains.forward} -d ${pod}/128 -m conntrack --ctstate DNAT ` +
        `${comment(`acme6: DNATed by others to ${pod}`)} -j RETURN`,
    );
    // Explicit, not the FORWARD policy: ULA is not unroutable for a neighbour. ULA sources (other
    // nodes' pods) are left to whatever else governs pod-to-pod traffic.
    rules.push(
      `-A ${Chains.forward} ! -s ${ULA_PREFIX} -d ${pod}/128 -m conntrack --ctstate NEW ` +
        `${comment(`acme6: unpublished ports of ${pod}`)} -j DROP`,
    );
  }
  return rules;
}

function groupByService(mappings: readonly Mapping[]): Map<string, Mapping[]> {
  const out = new Map<string, Mapping[]>();
  for (const m of mappings) out.set(m.service, [...(out.get(m.service) ?? []), m]);
  return out;
}

function portMatch(protocol: Mapping['protocol'], port: number): string {
  const p = protocol.toLowerCase();
  return `-p ${p} -m ${p} --dport ${port}`;
}

function comment(text: string): string {
  // Names are DNS labels, so a double quote cannot appear; strip it anyway rather than break quoting.
  return `-m comment --comment "${text.replaceAll('"', '')}"`;
}

/** Throws unless every mapping and the SNAT address are safe to render (for every backend). */
export function assertRenderable(intent: NatIntent, options: RenderOptions): void {
  for (const m of intent.mappings) assertMapping(m);
  if (options.snatAddress !== undefined && !isGlobalUnicast(options.snatAddress)) {
    throw new Error(`egress SNAT address ${options.snatAddress} is not a global IPv6 address`);
  }
}

// The model only yields ULA pods and global node addresses; re-check so a caller's hand-made
// intent can never DNAT to ::1 or to a link-local address.
function assertMapping(m: Mapping): void {
  if (!isUla(m.podAddress))
    throw new Error(`refusing to DNAT ${m.service} to non-ULA address ${m.podAddress}`);
  if (!isGlobalUnicast(m.nodeAddress)) {
    throw new Error(`refusing to publish ${m.service} on non-global address ${m.nodeAddress}`);
  }
  for (const port of [m.port, m.targetPort]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`${m.service}: bad port ${port}`);
  }
}
