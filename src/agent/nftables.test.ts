import { describe, expect, it } from 'vitest';
import { buildIntent, type NatIntent } from './model.ts';
import { nftElements, renderNftables, renderNftDelete } from './nftables.ts';
import { service, slice } from './testing.ts';

const NODE = '2001:db8::10';
const POD = 'fd00:1::5';

const intent: NatIntent = buildIntent({
  node: { name: 'node-a', addresses: [NODE], podCIDRs: ['fd00:1::/64'] },
  services: [
    service('web/shop', [
      { name: 'https', port: 443 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ]),
    service('web/blog', [{ name: 'http', port: 80 }]),
  ],
  endpointSlices: [
    slice(
      'web/shop',
      [
        { name: 'https', port: 8443, protocol: 'TCP' },
        { name: 'dns', port: 5353, protocol: 'UDP' },
      ],
      [{ address: POD, node: 'node-a' }],
    ),
    slice(
      'web/blog',
      [{ name: 'http', port: 8080, protocol: 'TCP' }],
      [{ address: 'fd00:1::6', node: 'node-a' }],
    ),
  ],
});

const empty: NatIntent = { ...intent, mappings: [] };

describe('nftElements', () => {
  it('holds one map element per published port and one set element per pod and pod prefix', () => {
    expect(nftElements(intent)).toEqual({
      dnat: [
        `${NODE} . tcp . 443 : ${POD} . 8443`,
        `${NODE} . tcp . 80 : fd00:1::6 . 8080`,
        `${NODE} . udp . 53 : ${POD} . 5353`,
      ],
      targets: [`${POD} . tcp . 8443`, `${POD} . udp . 5353`, 'fd00:1::6 . tcp . 8080'],
      pods: [POD, 'fd00:1::6'],
      egress: ['fd00:1::/64'],
    });
  });
});

describe('renderNftables', () => {
  const script = renderNftables(intent);

  it('replaces the table whole in one script: declare, delete, define', () => {
    const lines = script.split('\n');
    expect(lines.slice(0, 3)).toEqual(['table ip6 acme6', 'delete table ip6 acme6', 'table ip6 acme6 {']);
    // Nothing outside our table is named.
    expect(script.match(/^\s*(table|delete|flush|add|insert)\b.*$/gm)).toEqual([
      'table ip6 acme6',
      'delete table ip6 acme6',
      'table ip6 acme6 {',
    ]);
  });

  it('has one rule per hook, whatever the number of ports, and puts every port in the map', () => {
    const rules = (chain: string) => {
      const body = script.slice(script.indexOf(`chain ${chain} {`));
      return body
        .slice(0, body.indexOf('}\n'))
        .split('\n')
        .slice(2)
        .map((l) => l.trim())
        .filter(Boolean);
    };
    expect(rules('prerouting')).toEqual([
      'meta l4proto { tcp, udp } ip6 saddr != fe80::/10 dnat ip6 to ip6 daddr . meta l4proto . th dport map @published-ports comment "acme6: published ports"',
    ]);
    expect(rules('output')).toHaveLength(1);
    expect(rules('postrouting')).toEqual([
      'meta l4proto { tcp, udp } ip6 saddr fc00::/7 ct status dnat ip6 daddr . meta l4proto . th dport @published-targets masquerade comment "acme6: hairpin"',
      'ip6 saddr @egress-sources ip6 daddr != fc00::/7 masquerade comment "acme6: node node-a pod egress"',
    ]);
    expect(rules('forward')).toEqual([
      'ct state new ct status & dnat == 0 ip6 saddr != fc00::/7 ip6 daddr @published-pods drop comment "acme6: unpublished ports of published pods"',
    ]);
    expect(script).toContain(
      `elements = { ${NODE} . tcp . 443 : ${POD} . 8443, ${NODE} . tcp . 80 : fd00:1::6 . 8080, ${NODE} . udp . 53 : ${POD} . 5353 }`,
    );
    expect(script).toMatch(/type nat hook prerouting priority dstnat;/);
    expect(script).toMatch(/type nat hook output priority -100;/);
    expect(script).toMatch(/type nat hook postrouting priority srcnat;/);
    expect(script).toMatch(/type filter hook forward priority filter;/);
  });

  it('SNATs egress to a fixed address when asked, and leaves egress out without ULA pod prefixes', () => {
    expect(renderNftables(intent, { snatAddress: '2001:db8::20' })).toContain(
      'ip6 saddr @egress-sources ip6 daddr != fc00::/7 snat ip6 to 2001:db8::20',
    );
    const noPrefixes = renderNftables({ ...intent, masqueradePrefixes: [] });
    expect(noPrefixes).not.toContain('egress-sources');
    expect(noPrefixes).toContain('@published-pods drop');
  });

  it('renders only the delete while nothing is published', () => {
    expect(renderNftables(empty)).toBe(renderNftDelete());
    expect(renderNftDelete()).toBe('table ip6 acme6\ndelete table ip6 acme6\n');
  });

  it('is stable: the same intent in another order renders the same script', () => {
    expect(renderNftables({ ...intent, mappings: [...intent.mappings].reverse() })).toBe(script);
  });

  it('refuses what no backend may render', () => {
    const m = intent.mappings[0];
    if (m === undefined) throw new Error('no mapping');
    expect(() => renderNftables({ ...intent, mappings: [{ ...m, podAddress: '::1' }] })).toThrow();
    expect(() => renderNftables(intent, { snatAddress: 'fd00::1' })).toThrow(/not a global IPv6 address/);
  });
});
