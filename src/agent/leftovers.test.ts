import { describe, expect, it } from 'vitest';
import { cleanupFailures, saveHasOurs } from './leftovers.ts';

describe('saveHasOurs', () => {
  it('sees our chains and tagged hook jumps, and nothing in a host without them', () => {
    expect(saveHasOurs('*nat\n:PREROUTING ACCEPT [0:0]\n:ACME6-SVC-0123456789abcdef - [0:0]\nCOMMIT\n')).toBe(
      true,
    );
    expect(saveHasOurs('*filter\n-A FORWARD -m comment --comment "acme6: hook" -j OLD-NAME\nCOMMIT\n')).toBe(
      true,
    );
    expect(
      saveHasOurs(
        '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n',
      ),
    ).toBe(false);
    expect(saveHasOurs('')).toBe(false);
  });
});

describe('cleanupFailures', () => {
  it('fails --cleanup on a backend that could not be read, not on one whose tool is missing', () => {
    expect(
      cleanupFailures({
        nftables: 'skipped: spawn nft ENOENT',
        'iptables-nft': { chains: 2, jumps: 4 },
        'iptables-legacy':
          'failed: ip6tables-legacy-save failed (exit 1): Permission denied (you must be root)',
      }),
    ).toEqual([
      'iptables-legacy failed: ip6tables-legacy-save failed (exit 1): Permission denied (you must be root)',
    ]);
    expect(cleanupFailures({ nftables: 0, 'iptables-nft': { chains: 0, jumps: 0 } })).toEqual([]);
  });
});
