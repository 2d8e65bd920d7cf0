// Which xtables backend the host uses, decided as kubelet / kube-proxy's iptables-wrappers do:
// mixing backends leaves two rule sets whose relative order is undefined, so we must match the host.
//  1. kubelet's KUBE-IPTABLES-HINT (or KUBE-KUBELET-CANARY) in mangle names the backend outright;
//     nft is asked first, and legacy is saved without `-t mangle`, which would create the table.
//  2. Otherwise the backend holding more rules wins.
//  3. Ties (including an empty host) go to nft, the default of current distributions.
import { LEGACY_BINARIES, NFT_BINARIES, runCommand, type Binaries } from './runner.ts';

/** An xtables backend. */
export type Backend = 'nft' | 'legacy';

/** Runs a save command and returns its stdout, or '' when it fails or is missing. */
export type SaveProbe = (argv: readonly string[]) => Promise<string>;

/** Why a backend was chosen, for logs. */
export interface BackendChoice {
  readonly backend: Backend;
  readonly binaries: Binaries;
  readonly reason: string;
}

const HINT = /^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)\s/m;

/** The binaries of a backend; always used together so save, restore and -C/-I agree. */
export function binariesFor(backend: Backend): Binaries {
  return backend === 'nft' ? NFT_BINARIES : LEGACY_BINARIES;
}

/** A SaveProbe over real commands, with an optional prefix such as `ip netns exec NAME`. */
export function execProbe(prefix: readonly string[] = []): SaveProbe {
  return async (argv) => {
    try {
      const r = await runCommand([...prefix, ...argv]);
      return r.exitCode === 0 ? r.stdout : '';
    } catch {
      return '';
    }
  };
}

/** Detects the host's backend. */
export async function detectBackend(probe: SaveProbe = execProbe()): Promise<BackendChoice> {
  const choose = (backend: Backend, reason: string): BackendChoice => ({
    backend,
    binaries: binariesFor(backend),
    reason,
  });
  const families = ['iptables', 'ip6tables'] as const;
  for (const family of families) {
    if (HINT.test(await probe([`${family}-nft-save`, '-t', 'mangle']))) {
      return choose('nft', `kubelet hint in ${family}-nft mangle`);
    }
  }
  const legacySaves: string[] = [];
  for (const family of families) legacySaves.push(await probe([`${family}-legacy-save`]));
  if (legacySaves.some((s) => HINT.test(s))) return choose('legacy', 'kubelet hint in legacy mangle');
  const nftSaves: string[] = [];
  for (const family of families) nftSaves.push(await probe([`${family}-nft-save`]));
  const legacy = countRules(legacySaves);
  const nft = countRules(nftSaves);
  if (legacy > nft) return choose('legacy', `more legacy rules (${legacy}) than nft (${nft})`);
  return choose('nft', `nft by default (nft ${nft} rules, legacy ${legacy})`);
}

function countRules(saves: readonly string[]): number {
  return saves.reduce((n, s) => n + s.split('\n').filter((l) => l.startsWith('-')).length, 0);
}
