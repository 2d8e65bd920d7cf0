// The native nftables backend: each sync is one `nft -f -` transaction that replaces the table
// `ip6 acme6` whole (see nftables.ts); the canary lists that table; cleanup deletes it.
import type { SyncOptions } from './apply.ts';
import type { ApplyStats, Dataplane } from './dataplane.ts';
import {
  NFT_BASE_CHAINS,
  NFT_FAMILY,
  NFT_TABLE,
  NftNames,
  renderNftables,
  renderNftDelete,
} from './nftables.ts';
import { NetfilterCommandError, runCommand } from './runner.ts';

/** The two nft calls the backend makes. */
export interface NftRunner {
  /** `nft -f -` with `script` on stdin: one transaction, all or nothing. */
  apply(script: string): Promise<void>;
  /** `nft -j list table ip6 acme6`, parsed; undefined when the table does not exist. */
  listTable(): Promise<NftJson | undefined>;
}

/** The parts of `nft -j` output the agent reads. */
export interface NftJson {
  readonly nftables: readonly Record<string, unknown>[];
}

/** An NftRunner over the real `nft` binary, optionally prefixed (`ip netns exec NAME`). */
export function execNft(prefix: readonly string[] = []): NftRunner {
  return {
    async apply(script) {
      const argv = [...prefix, 'nft', '-f', '-'];
      const r = await runCommand(argv, script);
      if (r.exitCode !== 0) throw new NetfilterCommandError(argv, r.exitCode, r.stderr);
    },
    async listTable() {
      const argv = [...prefix, 'nft', '-j', 'list', 'table', NFT_FAMILY, NFT_TABLE];
      const r = await runCommand(argv);
      if (r.exitCode !== 0) {
        if (/No such file or directory/.test(r.stderr)) return undefined;
        throw new NetfilterCommandError(argv, r.exitCode, r.stderr);
      }
      return JSON.parse(r.stdout) as NftJson;
    },
  };
}

/**
 * True when the listed table has every base chain with its rules and a non-empty port map: a
 * `nft flush ruleset`, `flush table` or `flush map` makes it false.
 */
export function nftTableComplete(table: NftJson | undefined): boolean {
  if (table === undefined) return false;
  const rulesPerChain = new Map<string, number>();
  let mapped = 0;
  for (const item of table.nftables) {
    const chain = item.chain as { name?: string } | undefined;
    if (chain?.name !== undefined) rulesPerChain.set(chain.name, rulesPerChain.get(chain.name) ?? 0);
    const rule = item.rule as { chain?: string } | undefined;
    if (rule?.chain !== undefined) rulesPerChain.set(rule.chain, (rulesPerChain.get(rule.chain) ?? 0) + 1);
    const map = item.map as { name?: string; elem?: unknown[] } | undefined;
    if (map?.name === NftNames.dnatMap) mapped = map.elem?.length ?? 0;
  }
  return mapped > 0 && NFT_BASE_CHAINS.every((c) => (rulesPerChain.get(c) ?? 0) > 0);
}

/** The native backend; a `change` that renders the script last applied is skipped. */
export function nftablesDataplane(nft: NftRunner, options: SyncOptions = {}): Dataplane {
  let lastApplied: string | undefined;
  let published = false;
  const removeTable = async (): Promise<number> => {
    // Listing first: with nothing to remove, nothing is written (not even an empty transaction).
    if ((await nft.listTable()) === undefined) return 0;
    await nft.apply(renderNftDelete());
    return 1;
  };
  return {
    name: 'nftables',
    async sync(intent, reason): Promise<ApplyStats | undefined> {
      const script = renderNftables(intent, options);
      if (reason === 'change' && script === lastApplied) return undefined;
      lastApplied = undefined;
      published = false;
      if (intent.mappings.length === 0) {
        const deleted = await removeTable();
        lastApplied = script;
        return {
          bytes: deleted === 0 ? 0 : Buffer.byteLength(renderNftDelete()),
          detail: { tablesDeleted: deleted },
        };
      }
      await nft.apply(script);
      lastApplied = script;
      published = true;
      return { bytes: Buffer.byteLength(script), detail: { tablesReplaced: 1 } };
    },
    // Nothing published means no table, so there is nothing to lose to a flush.
    canary: async () => !published || nftTableComplete(await nft.listTable()),
    async cleanup() {
      return { tablesDeleted: await removeTable() };
    },
  };
}
