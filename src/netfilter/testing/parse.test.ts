import { describe, expect, it } from 'vitest';
import { parseRestore } from './parse.ts';

const SAMPLE = `*nat
:PREROUTING ACCEPT [0:0]
:X-SVC - [0:0]
-A PREROUTING -m comment --comment "hook into X" -j X-SVC
-A X-SVC ! -s fe80::/10 -d 2001:db8::10/128 -p tcp -m tcp --dport 443 -m comment --comment "web/shop" -j DNAT --to-destination [fd00::5]:8443
COMMIT
*filter
:FORWARD DROP [0:0]
-A FORWARD -i eth0 ! -o cni+ -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT
-A FORWARD -d fd00::/8 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -s fd00::/8 -j SNAT --to-source 2001:db8::10
COMMIT
`;

describe('parseRestore', () => {
  it('parses tables, policies, matches and targets', () => {
    const rules = parseRestore(SAMPLE);
    expect(rules.get('filter')?.get('FORWARD')?.policy).toBe('DROP');
    const [dnat] = rules.get('nat')?.get('X-SVC')?.rules ?? [];
    expect(dnat).toMatchObject({
      source: { prefix: 'fe80::/10', negate: true },
      destination: { prefix: '2001:db8::10/128', negate: false },
      protocol: { name: 'tcp', negate: false },
      dport: 443,
      comment: 'web/shop',
      target: { kind: 'DNAT', address: 'fd00::5', port: 8443 },
    });
    const [ndp, ct, snat] = rules.get('filter')?.get('FORWARD')?.rules ?? [];
    expect(ndp).toMatchObject({
      inInterface: { name: 'eth0', negate: false },
      outInterface: { name: 'cni+', negate: true },
      protocol: { name: 'ipv6-icmp' },
      icmpv6Type: 135,
      target: { kind: 'ACCEPT' },
    });
    expect(ct?.ctstate).toEqual(['RELATED', 'ESTABLISHED']);
    expect(snat?.target).toEqual({ kind: 'SNAT', address: '2001:db8::10' });
    expect(rules.get('nat')?.get('PREROUTING')?.rules[0]?.target).toEqual({ kind: 'JUMP', chain: 'X-SVC' });
  });

  it('flushes a re-declared chain and deletes with -X, as --noflush restore does', () => {
    const base = parseRestore(SAMPLE);
    const next = parseRestore('*nat\n:PREROUTING ACCEPT [0:0]\n:X-SVC - [0:0]\n-X X-SVC\nCOMMIT\n', base);
    expect(next.get('nat')?.has('X-SVC')).toBe(false);
    expect(next.get('nat')?.get('PREROUTING')?.rules).toEqual([]);
    expect(next.get('filter')?.get('FORWARD')?.rules).toHaveLength(3);
    // The base is not mutated.
    expect(base.get('nat')?.has('X-SVC')).toBe(true);
  });

  it.each([
    ['*nat\n:A - [0:0]\n-A A -j MISSING\nCOMMIT\n', /jump to missing chain MISSING/],
    [
      '*nat\n:A - [0:0]\n-A A -m statistic --mode random -j ACCEPT\nCOMMIT\n',
      /unsupported match module statistic/,
    ],
    ['*nat\n:A - [0:0]\n-A A --sport 1 -j ACCEPT\nCOMMIT\n', /unsupported option --sport/],
    ['*nat\n-A B -j ACCEPT\nCOMMIT\n', /undeclared chain B/],
    ['*nat\n:A - [0:0]\n-A A -j ACCEPT\n', /not committed/],
    ['*nat\n:A - [0:0]\n-A A -m comment --comment "x -j ACCEPT\nCOMMIT\n', /unbalanced quotes/],
  ])('rejects %j', (text, error) => {
    expect(() => parseRestore(text)).toThrow(error);
  });
});
