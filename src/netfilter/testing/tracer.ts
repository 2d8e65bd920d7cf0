// A packet tracer over a parsed ruleset, in the spirit of kube-proxy's tracePacket: it walks one
// packet through the nat and filter chains of the hooks it crosses, as the kernel would, and says
// where it ends up. Only the first packet of a flow is modelled (nat chains see only NEW packets).
import { inPrefix } from '../ipv6.ts';
import type { Chain, Rule, Ruleset } from './parse.ts';

/** Where the packet enters the stack. */
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** A synthetic packet. `state` defaults to NEW. */
export interface Packet {
  readonly hook: Hook;
  readonly src: string;
  readonly dst: string;
  readonly proto: 'tcp' | 'udp' | 'ipv6-icmp';
  readonly dport?: number;
  readonly icmpv6Type?: number;
  readonly inInterface?: string;
  readonly outInterface?: string;
  readonly state?: 'NEW' | 'ESTABLISHED' | 'RELATED';
}

/** Facts about the host the tracer cannot take from the rules. */
export interface TraceOptions {
  /** Addresses of this host: a packet to one of them after PREROUTING goes to INPUT, not FORWARD. */
  readonly localAddresses: readonly string[];
  /** Source MASQUERADE picks (the egress interface's address). */
  readonly masqueradeAddress?: string;
}

/** One rule that matched on the way. */
export interface Hit {
  readonly table: string;
  readonly chain: string;
  readonly rule: string;
  readonly comment?: string;
}

/** Where the packet ended: verdict, rewritten addresses, and the rules it hit. */
export interface TraceResult {
  readonly verdict: 'ACCEPT' | 'DROP';
  /** `local` if delivered to this host (INPUT), `out` if it left (POSTROUTING), `none` if dropped. */
  readonly delivery: 'local' | 'out' | 'none';
  readonly src: string;
  readonly dst: string;
  readonly dport?: number;
  readonly dnat: boolean;
  /** True if MASQUERADE or SNAT rewrote the source. */
  readonly masqueraded: boolean;
  readonly hits: readonly Hit[];
}

interface State {
  src: string;
  dst: string;
  dport: number | undefined;
  dnat: boolean;
  snat: boolean;
  hits: Hit[];
}

type Verdict = 'ACCEPT' | 'DROP';

/** Traces `packet` through `rules` from its hook to delivery or drop. */
export function tracePacket(rules: Ruleset, packet: Packet, options: TraceOptions): TraceResult {
  const s: State = {
    src: packet.src,
    dst: packet.dst,
    dport: packet.dport,
    dnat: false,
    snat: false,
    hits: [],
  };
  const isNew = (packet.state ?? 'NEW') === 'NEW';
  const run = (table: string, chain: string): Verdict =>
    table === 'nat' && !isNew ? 'ACCEPT' : runBuiltin(rules, table, chain, packet, s, options);
  const done = (verdict: Verdict, delivery: 'local' | 'out'): TraceResult => ({
    verdict,
    delivery: verdict === 'DROP' ? 'none' : delivery,
    src: s.src,
    dst: s.dst,
    ...(s.dport === undefined ? {} : { dport: s.dport }),
    dnat: s.dnat,
    masqueraded: s.snat,
    hits: s.hits,
  });
  const local = () => options.localAddresses.some((a) => inPrefix(a, `${s.dst}/128`));
  // The kernel's order per path (nat before filter where both hook): see netfilter's hook priorities.
  const stages: [string, string][] = [];
  switch (packet.hook) {
    case 'PREROUTING': {
      if (run('nat', 'PREROUTING') === 'DROP') return done('DROP', 'out');
      if (local()) return done(run('filter', 'INPUT'), 'local');
      stages.push(['filter', 'FORWARD'], ['nat', 'POSTROUTING']);
      break;
    }
    case 'INPUT':
      return done(run('filter', 'INPUT'), 'local');
    case 'FORWARD':
      stages.push(['filter', 'FORWARD'], ['nat', 'POSTROUTING']);
      break;
    case 'OUTPUT':
      stages.push(['nat', 'OUTPUT'], ['filter', 'OUTPUT'], ['nat', 'POSTROUTING']);
      break;
    case 'POSTROUTING':
      stages.push(['nat', 'POSTROUTING']);
      break;
  }
  for (const [table, chain] of stages) {
    if (run(table, chain) === 'DROP') return done('DROP', 'out');
  }
  return done('ACCEPT', 'out');
}

function runBuiltin(
  rules: Ruleset,
  table: string,
  chainName: string,
  packet: Packet,
  s: State,
  options: TraceOptions,
): Verdict {
  const chain = rules.get(table)?.get(chainName);
  if (!chain) return 'ACCEPT';
  const result = walk(rules, table, chain, chainName, packet, s, options, 0);
  if (result === 'RETURN') return chain.policy === 'DROP' ? 'DROP' : 'ACCEPT';
  return result;
}

function walk(
  rules: Ruleset,
  table: string,
  chain: Chain,
  chainName: string,
  packet: Packet,
  s: State,
  options: TraceOptions,
  depth: number,
): Verdict | 'RETURN' {
  if (depth > 32) throw new Error(`jump loop through ${table} ${chainName}`);
  for (const rule of chain.rules) {
    if (!matches(rule, packet, s)) continue;
    s.hits.push({
      table,
      chain: chainName,
      rule: rule.text,
      ...(rule.comment ? { comment: rule.comment } : {}),
    });
    const t = rule.target;
    switch (t.kind) {
      case 'ACCEPT':
      case 'DROP':
        return t.kind;
      case 'RETURN':
        return 'RETURN';
      case 'DNAT':
        s.dst = t.address;
        if (t.port !== undefined) s.dport = t.port;
        s.dnat = true;
        return 'ACCEPT';
      case 'SNAT':
        s.src = t.address;
        s.snat = true;
        return 'ACCEPT';
      case 'MASQUERADE':
        if (options.masqueradeAddress === undefined)
          throw new Error('MASQUERADE hit but no masqueradeAddress given');
        s.src = options.masqueradeAddress;
        s.snat = true;
        return 'ACCEPT';
      case 'JUMP': {
        const target = rules.get(table)?.get(t.chain);
        if (!target) throw new Error(`${table} ${chainName}: jump to missing chain ${t.chain}`);
        const v = walk(rules, table, target, t.chain, packet, s, options, depth + 1);
        if (v !== 'RETURN') return v;
        break;
      }
    }
  }
  return 'RETURN';
}

function matches(rule: Rule, packet: Packet, s: State): boolean {
  const addr = (m: Rule['source'], a: string) => m === undefined || inPrefix(a, m.prefix) !== m.negate;
  const iface = (m: Rule['inInterface'], name: string | undefined) =>
    m === undefined || (name !== undefined && ifaceMatches(m.name, name)) !== m.negate;
  if (!addr(rule.source, s.src) || !addr(rule.destination, s.dst)) return false;
  if (rule.protocol && (rule.protocol.name === packet.proto) === rule.protocol.negate) return false;
  if (rule.dport !== undefined && rule.dport !== s.dport) return false;
  if (rule.icmpv6Type !== undefined && rule.icmpv6Type !== packet.icmpv6Type) return false;
  if (!iface(rule.inInterface, packet.inInterface) || !iface(rule.outInterface, packet.outInterface))
    return false;
  if (rule.ctstate) {
    // DNAT/SNAT are conntrack states too: the flow's original tuple differs from its reply.
    const states = new Set<string>([packet.state ?? 'NEW']);
    if (s.dnat) states.add('DNAT');
    if (s.snat) states.add('SNAT');
    if (!rule.ctstate.some((c) => states.has(c))) return false;
  }
  return true;
}

function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}
