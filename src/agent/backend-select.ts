// Which netfilter backend the agent writes through: its own nftables table where that can work,
// otherwise ip6tables in the host's xtables variant (backend.ts).
//
// An nftables `accept` ends only its own table's base chain, while a drop in any base chain at a
// hook is final. So where the host's ip6tables FORWARD chain drops by default (policy DROP, as
// Docker sets it, or a final unconditional DROP/REJECT), a flow our table lets through would still
// be dropped there, replies included. The agent's ACCEPT rules must then live in that very chain:
// `auto` picks ip6tables there and says why, and an explicit `--backend=nftables` refuses to start
// rather than publish ports nobody can reach. (Writing native rules into iptables-nft's own
// `ip6 filter` table is avoided: expressions it cannot translate make ip6tables-nft-save/-restore
// fail for every other user of that table, kube-proxy and Docker included.)
//
// A native nftables firewall (e.g. `table inet filter` with a forward policy of drop) is the host
// administrator's to open: neither backend can accept past it. It is reported as a warning.
import {
  binariesFor,
  detectBackend,
  execProbe,
  type Backend,
  type BackendChoice,
  type SaveProbe,
} from './backend.ts';
import { NFT_FAMILY, NFT_TABLE } from './nftables.ts';
import { runCommand, type CommandResult } from './runner.ts';

/** Values of `--backend`; `nft` and `legacy` are the old spellings of iptables-nft / iptables-legacy. */
export const BACKEND_FLAGS = [
  'auto',
  'nftables',
  'iptables',
  'iptables-nft',
  'iptables-legacy',
  'nft',
  'legacy',
] as const;
export type BackendFlag = (typeof BACKEND_FLAGS)[number];

/** The chosen backend, why (for the start-up log and readiness), and host findings worth a warning. */
export type Selection =
  | { readonly kind: 'nftables'; readonly reason: string; readonly warnings: readonly string[] }
  | { readonly kind: 'iptables'; readonly xtables: BackendChoice; readonly reason: string };

/** Runs a command (argv, optional stdin) and resolves with its result; never rejects. */
export type CommandProbe = (argv: readonly string[], input?: string) => Promise<CommandResult>;

/** A CommandProbe over real commands, with an optional prefix such as `ip netns exec NAME`. */
export function execCommandProbe(prefix: readonly string[] = []): CommandProbe {
  return async (argv, input) => {
    try {
      return await runCommand([...prefix, ...argv], input);
    } catch (err) {
      return { exitCode: null, stdout: '', stderr: (err as Error).message };
    }
  };
}

/**
 * What the native table needs from tool and kernel: ip6 nat chains and a concatenated verdict-free
 * map. `nft -c` hands it to the kernel and aborts the transaction, so nothing is installed.
 */
export const SUPPORT_PROBE = `table ${NFT_FAMILY} ${NFT_TABLE}-probe {
  map m {
    type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service
  }
  set s {
    type ipv6_addr
    flags interval
    auto-merge
  }
  chain p {
    type nat hook prerouting priority dstnat; policy accept;
    meta l4proto { tcp, udp } dnat ip6 to ip6 daddr . meta l4proto . th dport map @m
  }
  chain f {
    type filter hook forward priority filter; policy accept;
    ct state new ct status & dnat == 0 ip6 daddr @s drop
  }
}
`;

/** Why nft cannot load our table on this host (tool missing, too old, kernel lacks support), or undefined. */
export async function nftUnsupported(probe: CommandProbe): Promise<string | undefined> {
  const check = await probe(['nft', '-c', '-f', '-'], SUPPORT_PROBE);
  if (check.exitCode === 0) return undefined;
  const detail = check.stderr.trim().split('\n')[0] || `exit ${check.exitCode ?? 'signal'}`;
  return `nft cannot load an ip6 nat table with maps (${detail})`;
}

/**
 * Why the host's ip6tables FORWARD chain (either variant, from `ip6tables-*-save` output) drops
 * what it does not accept itself: its policy DROP, or a final unconditional DROP/REJECT rule.
 */
export function xtablesForwardDrop(variant: Backend, save: string): string | undefined {
  let table = '';
  let last = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    if (table !== 'filter') continue;
    if (/^:FORWARD DROP\b/.test(line)) return `ip6tables-${variant} FORWARD has policy DROP`;
    if (line.startsWith('-A FORWARD ')) last = line;
  }
  if (/^-A FORWARD (-m comment --comment ("[^"]*"|\S+) )?-j (DROP|REJECT)\b/.test(last)) {
    return `ip6tables-${variant} FORWARD ends with an unconditional DROP or REJECT`;
  }
  return undefined;
}

interface NftChain {
  family?: string;
  table?: string;
  name?: string;
  hook?: string;
  policy?: string;
}

/**
 * Native nftables forward chains (from `nft -j list chains`) of other tables with a policy of
 * drop, leaving out iptables-nft's own `ip6 filter FORWARD` (xtablesForwardDrop covers it).
 */
export function nativeForwardDrops(nftChainsJson: string): string[] {
  if (nftChainsJson.trim() === '') return [];
  let items: Record<string, unknown>[];
  try {
    items = (JSON.parse(nftChainsJson) as { nftables?: Record<string, unknown>[] }).nftables ?? [];
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const item of items) {
    const c = item.chain as NftChain | undefined;
    if (c?.hook !== 'forward' || c.policy !== 'drop' || (c.family !== 'ip6' && c.family !== 'inet')) continue;
    if (c.family === 'ip6' && c.table === 'filter' && c.name === 'FORWARD') continue;
    out.push(
      `nftables chain ${c.family} ${c.table} ${c.name} drops forwarded packets by default; ` +
        'published flows and their replies must be accepted there too (e.g. `ct status dnat accept`, `ct state established,related accept`)',
    );
  }
  return out;
}

/** Probes for selectBackend(): commands for nft, save output for the xtables variants. */
export interface SelectProbes {
  readonly command: CommandProbe;
  readonly save: SaveProbe;
}

/** Probes over real commands, optionally inside `ip netns exec NAME`. */
export function execSelectProbes(prefix: readonly string[] = []): SelectProbes {
  return { command: execCommandProbe(prefix), save: execProbe(prefix) };
}

/** Why the native backend cannot work here, and the xtables variant whose FORWARD is the reason. */
async function nftablesBlocked(
  probes: SelectProbes,
): Promise<{ why: string; variant?: Backend } | undefined> {
  const unsupported = await nftUnsupported(probes.command);
  if (unsupported !== undefined) return { why: unsupported };
  const drop = await xtablesForwardDropNow(probes);
  if (drop === undefined) return undefined;
  return { why: `${drop.why}, and only a rule in that chain can accept past it`, variant: drop.variant };
}

/** Which ip6tables FORWARD chain (either variant) drops by default now, and why; undefined if none. */
export async function xtablesForwardDropNow(
  probes: Pick<SelectProbes, 'save'>,
): Promise<{ why: string; variant: Backend } | undefined> {
  // Without `-t`: legacy would load the filter table's module (and register its hooks) to save it.
  for (const variant of ['nft', 'legacy'] as const) {
    const why = xtablesForwardDrop(variant, await probes.save([`ip6tables-${variant}-save`]));
    if (why !== undefined) return { why, variant };
  }
  return undefined;
}

/** Decides the backend for `--backend=flag`; rejects when an explicit nftables cannot work here. */
export async function selectBackend(
  flag: BackendFlag,
  probes: SelectProbes = execSelectProbes(),
): Promise<Selection> {
  const fixed = (backend: Backend): Selection => ({
    kind: 'iptables',
    xtables: { backend, binaries: binariesFor(backend), reason: 'chosen by --backend' },
    reason: `chosen by --backend=${flag}`,
  });
  const native = async (reason: string): Promise<Selection> => {
    const chains = await probes.command(['nft', '-j', 'list', 'chains']);
    return {
      kind: 'nftables',
      reason,
      warnings: nativeForwardDrops(chains.exitCode === 0 ? chains.stdout : ''),
    };
  };
  switch (flag) {
    case 'iptables-nft':
    case 'nft':
      return fixed('nft');
    case 'iptables-legacy':
    case 'legacy':
      return fixed('legacy');
    case 'iptables': {
      const xtables = await detectBackend(probes.save);
      return { kind: 'iptables', xtables, reason: `chosen by --backend=iptables; ${xtables.reason}` };
    }
    case 'nftables': {
      const blocked = await nftablesBlocked(probes);
      if (blocked !== undefined) {
        throw new Error(
          `--backend=nftables cannot work on this host: ${blocked.why}; use --backend=auto or iptables`,
        );
      }
      return native('chosen by --backend=nftables');
    }
    case 'auto': {
      const blocked = await nftablesBlocked(probes);
      if (blocked === undefined) {
        return native('auto: nft and the kernel support it, and no ip6tables FORWARD drops by default');
      }
      // Our ACCEPT rules must go into the very chain that drops, so its variant wins over detection.
      const xtables =
        blocked.variant === undefined
          ? await detectBackend(probes.save)
          : {
              backend: blocked.variant,
              binaries: binariesFor(blocked.variant),
              reason: 'the variant whose FORWARD drops',
            };
      return {
        kind: 'iptables',
        xtables,
        reason: `auto: not nftables because ${blocked.why}; ${xtables.reason}`,
      };
    }
  }
}
