import { describe, expect, it } from 'vitest';
import { CAP_NET_RAW, hasCapability, legacyTables, netRawMissing } from './capabilities.ts';

// CapEff of a root container with NET_ADMIN only (bit 12), and with NET_ADMIN and NET_RAW (12, 13).
const NET_ADMIN_ONLY = 'Name:\tacme6\nCapInh:\t0000000000000000\nCapEff:\t0000000000001000\n';
const WITH_NET_RAW = 'Name:\tacme6\nCapEff:\t0000000000003000\nCapBnd:\t0000000000003000\n';

describe('hasCapability', () => {
  it('reads the effective set of /proc/self/status', () => {
    expect(hasCapability(NET_ADMIN_ONLY, CAP_NET_RAW)).toBe(false);
    expect(hasCapability(NET_ADMIN_ONLY, 12)).toBe(true);
    expect(hasCapability(WITH_NET_RAW, CAP_NET_RAW)).toBe(true);
    expect(hasCapability('CapEff:\t000001ffffffffff\n', CAP_NET_RAW)).toBe(true);
    expect(hasCapability('', CAP_NET_RAW)).toBe(false);
  });
});

describe('legacyTables', () => {
  it('lists the legacy tables loaded in this network namespace, IPv6 and IPv4', () => {
    const files: Record<string, string> = {
      '/proc/net/ip6_tables_names': 'nat\nfilter\n',
      '/proc/net/ip_tables_names': 'filter\nmangle\n',
    };
    expect(legacyTables((path) => files[path])).toEqual(['nat', 'filter', 'mangle']);
    expect(legacyTables(() => undefined)).toEqual([]);
    expect(legacyTables(() => '')).toEqual([]);
  });
});

describe('netRawMissing', () => {
  it('keeps an explicit legacy backend idle without NET_RAW, and names the opt-in', () => {
    for (const flag of ['iptables-legacy', 'legacy'] as const) {
      const why = netRawMissing({ flag, hasNetRaw: false, legacyTables: [] });
      expect(why).toContain('ip6tables-legacy needs the NET_RAW capability');
      expect(why).toContain('agent.legacyIptables=true');
      expect(why).toContain('deploy/kustomize/components/agent-legacy-iptables');
      expect(netRawMissing({ flag, hasNetRaw: true, legacyTables: [] })).toBeUndefined();
    }
  });

  it('keeps auto and iptables idle where legacy tables exist that it cannot read', () => {
    for (const flag of ['auto', 'iptables'] as const) {
      const why = netRawMissing({ flag, hasNetRaw: false, legacyTables: ['nat', 'filter'] });
      expect(why).toContain('legacy iptables tables (nat, filter)');
      expect(why).toContain('agent.legacyIptables=true');
      expect(netRawMissing({ flag, hasNetRaw: false, legacyTables: [] })).toBeUndefined();
      expect(netRawMissing({ flag, hasNetRaw: true, legacyTables: ['nat'] })).toBeUndefined();
    }
  });

  it('never asks for NET_RAW for nftables or iptables-nft', () => {
    for (const flag of ['nftables', 'iptables-nft', 'nft'] as const) {
      expect(netRawMissing({ flag, hasNetRaw: false, legacyTables: ['nat'] })).toBeUndefined();
    }
  });
});
