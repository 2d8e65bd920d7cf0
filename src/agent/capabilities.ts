// Whether the agent may use ip6tables-legacy. Legacy iptables reads and writes its tables through a
// raw socket, so besides NET_ADMIN it needs NET_RAW, which the shipped DaemonSet does not grant (it
// is an opt-in: Helm `agent.legacyIptables`, kustomize component `agent-legacy-iptables`). Without
// it, `--backend=auto` could not even see a legacy host's rules and would pick the wrong variant.
import type { BackendFlag } from './backend-select.ts';
import { readProc, type ProcReader } from './sysctl.ts';

/** Bit of CAP_NET_RAW in the capability sets of /proc/PID/status. */
export const CAP_NET_RAW = 13;

/** True when the process's effective capabilities (`CapEff:` of /proc/self/status) include `cap`. */
export function hasCapability(status: string, cap: number): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)\s*$/im.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> BigInt(cap)) & 1n) === 1n;
}

/** Names of the legacy x_tables tables loaded in this network namespace (IPv4 and IPv6). */
export function legacyTables(read: ProcReader = readProc): string[] {
  const names = ['/proc/net/ip6_tables_names', '/proc/net/ip_tables_names'].flatMap((path) =>
    (read(path) ?? '').split('\n').map((name) => name.trim()),
  );
  return [...new Set(names.filter((name) => name !== ''))];
}

/** What the decision looks at. */
export interface NetRawFacts {
  readonly flag: BackendFlag;
  readonly hasNetRaw: boolean;
  /** legacyTables(): the node has legacy tables, which only a NET_RAW process can read. */
  readonly legacyTables: readonly string[];
}

const FIX =
  'grant it: Helm value agent.legacyIptables=true, or the kustomize component ' +
  'deploy/kustomize/components/agent-legacy-iptables (adds the NET_RAW capability to the agent)';

/**
 * Why the agent must stay idle for want of NET_RAW, or undefined: `--backend=iptables-legacy`
 * needs it to write; `auto` and `iptables` need it to read a node's legacy tables before choosing
 * (unreadable, they would look empty and the agent would mix variants). `nftables` and
 * `iptables-nft` never need it.
 */
export function netRawMissing(facts: NetRawFacts): string | undefined {
  if (facts.hasNetRaw) return undefined;
  if (facts.flag === 'iptables-legacy' || facts.flag === 'legacy') {
    return `--backend=${facts.flag}: ip6tables-legacy needs the NET_RAW capability, which this pod lacks; ${FIX}`;
  }
  if ((facts.flag === 'auto' || facts.flag === 'iptables') && facts.legacyTables.length > 0) {
    return (
      `this node has legacy iptables tables (${facts.legacyTables.join(', ')}), which the agent cannot ` +
      `read without the NET_RAW capability, so --backend=${facts.flag} cannot choose safely; ${FIX}; ` +
      'or, if the node uses nftables and the legacy tables are unused, pass --backend=nftables or iptables-nft'
    );
  }
  return undefined;
}
