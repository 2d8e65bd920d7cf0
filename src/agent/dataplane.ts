// What the agent needs from a netfilter backend: apply an intent (skipping a change that renders
// the same rules), tell whether our rules are still in place, and remove everything. Two
// implementations: ip6tables (xtablesDataplane, below) and native nftables (nftables-dataplane.ts).
import { canaryPresent, RuleSyncer, type ApplyReason, type SyncOptions } from './apply.ts';
import { cleanupRules } from './cleanup.ts';
import type { Selection } from './backend-select.ts';
import type { BackendName } from './leftovers.ts';
import type { NatIntent } from './model.ts';
import { execNft, nftablesDataplane } from './nftables-dataplane.ts';
import { execRunner, type NetfilterRunner } from './runner.ts';

/** What one applied sync did, for the log. */
export interface ApplyStats {
  /** Size of the script handed to the kernel (restore input or nft script). */
  readonly bytes: number;
  /** Backend-specific counts (chains deleted, jumps inserted, …). */
  readonly detail: Readonly<Record<string, number>>;
}

/** A netfilter backend the agent writes through. */
export interface Dataplane {
  readonly name: BackendName;
  /** Applies `intent`; undefined when a `change` renders what was last applied (nothing done). */
  sync(intent: NatIntent, reason: ApplyReason): Promise<ApplyStats | undefined>;
  /** True while everything we installed is in place (false: someone flushed us; resync). */
  canary(): Promise<boolean>;
  /** Removes everything the agent installed; returns counts for the log. */
  cleanup(): Promise<Readonly<Record<string, number>>>;
}

/** The ip6tables backend: one `ip6tables-restore --noflush` per sync plus the hook jumps. */
export function xtablesDataplane(
  name: BackendName,
  runner: NetfilterRunner,
  options: SyncOptions = {},
): Dataplane {
  const syncer = new RuleSyncer(runner, options);
  return {
    name,
    async sync(intent, reason) {
      const stats = await syncer.sync(intent, reason);
      if (stats === undefined) return undefined;
      return {
        bytes: stats.restoreBytes,
        detail: { jumpsInserted: stats.jumpsInserted, chainsDeleted: stats.chainsDeleted.length },
      };
    },
    canary: () => canaryPresent(runner),
    cleanup: () => cleanupRules(runner),
  };
}

/** The dataplane of a selected backend, its commands optionally prefixed (`ip netns exec NAME`). */
export function dataplaneFor(
  selection: Selection,
  options: SyncOptions = {},
  prefix: readonly string[] = [],
): Dataplane {
  if (selection.kind === 'nftables') return nftablesDataplane(execNft(prefix), options);
  const { backend, binaries } = selection.xtables;
  return xtablesDataplane(`iptables-${backend}`, execRunner({ binaries, prefix }), options);
}
