// Removing what the agent installed through the backends it is NOT using now: after a switch (an
// upgrade from the ip6tables agent to nftables, or back) two rule sets of ours must never coexist,
// and `--cleanup` removes all three. A backend whose tool is missing has nothing of ours.
import { binariesFor, execProbe, type Backend } from './backend.ts';
import { Chains, CHAIN_PREFIX } from './chains.ts';
import { cleanupRules } from './cleanup.ts';
import { execNft, nftablesDataplane } from './nftables-dataplane.ts';
import { HOOK_COMMENT } from './render.ts';
import { execRunner } from './runner.ts';

/** The three places the agent can have written to. */
export type BackendName = 'nftables' | 'iptables-nft' | 'iptables-legacy';
export const BACKEND_NAMES: readonly BackendName[] = ['nftables', 'iptables-nft', 'iptables-legacy'];

/** True when an ip6tables-save output (all tables) holds a chain or hook jump of ours. */
export function saveHasOurs(save: string): boolean {
  return (
    save.includes(`:${CHAIN_PREFIX}`) || save.includes(`"${HOOK_COMMENT}"`) || save.includes(Chains.canary)
  );
}

/**
 * Removes our rules from every backend except `keep`; returns per backend what was removed, or why
 * it was skipped. Never throws: a leftover must not stop the agent from publishing.
 */
export async function removeLeftovers(
  keep: BackendName | undefined,
  prefix: readonly string[] = [],
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of BACKEND_NAMES) {
    if (name === keep) continue;
    try {
      out[name] =
        name === 'nftables'
          ? await nftablesDataplane(execNft(prefix)).cleanup()
          : await xtables(name, prefix);
    } catch (err) {
      out[name] = `skipped: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return out;
}

async function xtables(name: BackendName, prefix: readonly string[]): Promise<Record<string, number>> {
  const backend: Backend = name === 'iptables-legacy' ? 'legacy' : 'nft';
  const binaries = binariesFor(backend);
  // Looked at without `-t` first: saving a legacy table by name would load its module and create it.
  if (!saveHasOurs(await execProbe(prefix)([binaries.save]))) return { chains: 0, jumps: 0 };
  return cleanupRules(execRunner({ binaries, prefix }));
}
