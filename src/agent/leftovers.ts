// Removing what the agent installed through the backends it is NOT using now: after a switch (an
// upgrade from the ip6tables agent to nftables, or back) two rule sets of ours must never coexist,
// and `--cleanup` removes all three. A backend whose tool is missing has nothing of ours.
import { binariesFor, type Backend } from './backend.ts';
import { Chains, CHAIN_PREFIX } from './chains.ts';
import { cleanupRules } from './cleanup.ts';
import { execNft, nftablesDataplane } from './nftables-dataplane.ts';
import { HOOK_COMMENT } from './render.ts';
import { execRunner, NetfilterCommandError, runCommand } from './runner.ts';

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
 * Removes our rules from every backend except `keep`; returns per backend what was removed, or
 * `skipped: …` (its tool is not installed) or `failed: …` (it could not be read or written, e.g.
 * for want of a capability). Never throws: a leftover must not stop the agent from publishing;
 * `--cleanup` fails on a `failed` entry (cleanupFailures).
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
      const message = (err as Error).message.split('\n')[0] ?? '';
      out[name] = toolMissing(err) ? `skipped: ${message}` : `failed: ${message}`;
    }
  }
  return out;
}

/** The backends whose leftovers could not be removed, with why (entries `failed: …`). */
export function cleanupFailures(result: Record<string, unknown>): string[] {
  return Object.entries(result)
    .filter(([, v]) => typeof v === 'string' && v.startsWith('failed: '))
    .map(([name, v]) => `${name} ${String(v)}`);
}

/** A command that could not start because its binary is not installed. */
function toolMissing(err: unknown): boolean {
  return err instanceof NetfilterCommandError && err.exitCode === null && /ENOENT/.test(err.stderr);
}

async function xtables(name: BackendName, prefix: readonly string[]): Promise<Record<string, number>> {
  const backend: Backend = name === 'iptables-legacy' ? 'legacy' : 'nft';
  const binaries = binariesFor(backend);
  // Looked at without `-t` first: saving a legacy table by name would load its module and create it.
  // A save that fails (not one whose tool is missing) is an error, not "nothing of ours".
  const argv = [...prefix, binaries.save];
  const save = await runCommand(argv);
  if (save.exitCode !== 0) throw new NetfilterCommandError(argv, save.exitCode, save.stderr);
  if (!saveHasOurs(save.stdout)) return { chains: 0, jumps: 0 };
  return cleanupRules(execRunner({ binaries, prefix }));
}
