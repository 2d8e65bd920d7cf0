import { describe, expect, it } from 'vitest';
import { detectBackend, type SaveProbe } from './backend.ts';
import { LEGACY_BINARIES, NFT_BINARIES } from './runner.ts';

/** A probe answering from a table of `argv.join(' ')` → output; unknown commands fail (''). */
function probe(outputs: Record<string, string>): SaveProbe & { calls: string[] } {
  const calls: string[] = [];
  const fn = (argv: readonly string[]) => {
    calls.push(argv.join(' '));
    return Promise.resolve(outputs[argv.join(' ')] ?? '');
  };
  return Object.assign(fn, { calls });
}

const rules = (n: number) =>
  ['*filter', ':INPUT ACCEPT [0:0]', ...Array<string>(n).fill('-A INPUT -j ACCEPT'), 'COMMIT'].join('\n');

describe('detectBackend', () => {
  it('follows the kubelet hint in nft mangle even when legacy has more rules', async () => {
    const p = probe({
      'ip6tables-nft-save -t mangle': '*mangle\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n',
      'ip6tables-legacy-save': rules(50),
    });
    const choice = await detectBackend(p);
    expect(choice.backend).toBe('nft');
    expect(choice.binaries).toEqual(NFT_BINARIES);
  });

  it('follows the kubelet hint in legacy, and never asks legacy for -t mangle', async () => {
    const p = probe({
      'iptables-legacy-save': '*mangle\n:KUBE-KUBELET-CANARY - [0:0]\nCOMMIT\n',
      'ip6tables-nft-save': rules(10),
    });
    const choice = await detectBackend(p);
    expect(choice.backend).toBe('legacy');
    expect(choice.binaries).toEqual(LEGACY_BINARIES);
    expect(p.calls.filter((c) => c.includes('legacy') && c.includes('mangle'))).toEqual([]);
  });

  it('without a hint picks the backend with more rules', async () => {
    expect(
      (await detectBackend(probe({ 'ip6tables-legacy-save': rules(3), 'ip6tables-nft-save': rules(2) })))
        .backend,
    ).toBe('legacy');
    expect(
      (await detectBackend(probe({ 'iptables-legacy-save': rules(1), 'ip6tables-nft-save': rules(2) })))
        .backend,
    ).toBe('nft');
  });

  it('defaults to nft on a tie or an empty host', async () => {
    const choice = await detectBackend(probe({}));
    expect(choice.backend).toBe('nft');
    expect(choice.binaries.restore).toBe('ip6tables-nft-restore');
  });
});
