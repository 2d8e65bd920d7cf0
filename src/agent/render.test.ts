import { describe, expect, it } from 'vitest';
import { serviceChain } from './chains.ts';
import { buildIntent, type NatIntent } from './model.ts';
import { chainsFromSave, jumpRules, renderRestore, wantedChains } from './render.ts';
import { HOST_BUILTINS, loadHost, service, slice } from './testing.ts';
import { parseRestore } from '../netfilter/testing/parse.ts';
import { tracePacket, type Packet } from '../netfilter/testing/tracer.ts';

// One node, 2001:db8::10 on eth0, its pods in fd00:1::/64 behind a bridge whose gateway is fd00:1::1.
const NODE = '2001:db8::10';
const GATEWAY = 'fd00:1::1';
const POD = 'fd00:1::5';
const CLIENT = '2001:db8:ffff::1';

const intent: NatIntent = buildIntent({
  node: { name: 'node-a', addresses: [NODE], podCIDRs: ['fd00:1::/64'] },
  services: [
    service('web/shop', [
      { name: 'https', port: 443 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ]),
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
  ],
});

const host = loadHost(renderRestore(intent));
const trace = (packet: Packet, masqueradeAddress = NODE) =>
  tracePacket(host, packet, { localAddresses: [NODE, GATEWAY], masqueradeAddress });

describe('rendered rules, traced', () => {
  it.each<
    [
      string,
      Packet,
      { verdict: string; delivery?: string; src: string; dst: string; dport?: number; masqueraded: boolean },
    ]
  >([
    [
      'published TCP reaches the pod with the client’s source kept',
      { hook: 'PREROUTING', src: CLIENT, dst: NODE, proto: 'tcp', dport: 443, inInterface: 'eth0' },
      { verdict: 'ACCEPT', delivery: 'out', src: CLIENT, dst: POD, dport: 8443, masqueraded: false },
    ],
    [
      'published UDP reaches the pod with the client’s source kept',
      { hook: 'PREROUTING', src: CLIENT, dst: NODE, proto: 'udp', dport: 53, inInterface: 'eth0' },
      { verdict: 'ACCEPT', delivery: 'out', src: CLIENT, dst: POD, dport: 5353, masqueraded: false },
    ],
    [
      'UDP on the TCP port is not published: it stays on the node',
      { hook: 'PREROUTING', src: CLIENT, dst: NODE, proto: 'udp', dport: 443, inInterface: 'eth0' },
      { verdict: 'ACCEPT', delivery: 'local', src: CLIENT, dst: NODE, dport: 443, masqueraded: false },
    ],
    [
      'an unpublished port on the same pod, routed to directly, is dropped',
      { hook: 'PREROUTING', src: CLIENT, dst: POD, proto: 'tcp', dport: 22, inInterface: 'eth0' },
      { verdict: 'DROP', src: CLIENT, dst: POD, masqueraded: false },
    ],
    [
      'the published target port, routed to directly (bypassing DNAT), is dropped',
      { hook: 'PREROUTING', src: CLIENT, dst: POD, proto: 'tcp', dport: 8443, inInterface: 'eth0' },
      { verdict: 'DROP', src: CLIENT, dst: POD, masqueraded: false },
    ],
    [
      'a link-local source is not DNATed',
      { hook: 'PREROUTING', src: 'fe80::99', dst: NODE, proto: 'tcp', dport: 443, inInterface: 'eth0' },
      { verdict: 'ACCEPT', delivery: 'local', src: 'fe80::99', dst: NODE, dport: 443, masqueraded: false },
    ],
    [
      'pod egress to a ULA elsewhere is not ours to accept: the host’s DROP policy applies',
      { hook: 'PREROUTING', src: POD, dst: 'fd00:2::9', proto: 'tcp', dport: 80, inInterface: 'cni0' },
      { verdict: 'DROP', src: POD, dst: 'fd00:2::9', masqueraded: false },
    ],
    [
      'replies of a published pod pass under a FORWARD policy of DROP',
      { hook: 'FORWARD', src: POD, dst: CLIENT, proto: 'tcp', dport: 40000, state: 'ESTABLISHED' },
      { verdict: 'ACCEPT', delivery: 'out', src: POD, dst: CLIENT, dport: 40000, masqueraded: false },
    ],
    [
      'pod egress is not ours to accept: the host’s DROP policy still applies',
      { hook: 'PREROUTING', src: POD, dst: CLIENT, proto: 'tcp', dport: 443, inInterface: 'cni0' },
      { verdict: 'DROP', src: POD, dst: CLIENT, masqueraded: false },
    ],
    [
      'a pod that is not published is not ours to guard: the host policy decides',
      { hook: 'PREROUTING', src: CLIENT, dst: 'fd00:1::77', proto: 'tcp', dport: 22, inInterface: 'eth0' },
      { verdict: 'DROP', src: CLIENT, dst: 'fd00:1::77', masqueraded: false },
    ],
    [
      'the node itself reaches its published address (nat OUTPUT), unmasqueraded',
      { hook: 'OUTPUT', src: NODE, dst: NODE, proto: 'tcp', dport: 443 },
      { verdict: 'ACCEPT', delivery: 'out', src: NODE, dst: POD, dport: 8443, masqueraded: false },
    ],
  ])('%s', (_name, packet, want) => {
    expect(trace(packet)).toMatchObject(want);
  });

  it('hairpin: a pod reaching its own published address is DNATed and masqueraded', () => {
    const result = trace(
      { hook: 'PREROUTING', src: POD, dst: NODE, proto: 'tcp', dport: 443, inInterface: 'cni0' },
      GATEWAY,
    );
    expect(result).toMatchObject({
      verdict: 'ACCEPT',
      src: GATEWAY,
      dst: POD,
      dport: 8443,
      masqueraded: true,
    });
    expect(result.hits.map((h) => h.comment)).toEqual([
      'acme6: hook',
      'acme6: service web/shop',
      'acme6: service web/shop tcp/443',
      'acme6: hook',
      'acme6: service web/shop',
      'acme6: service web/shop tcp/443',
      'acme6: hook',
      'acme6: service web/shop hairpin tcp/443',
    ]);
  });

  it('pod-to-pod on a ULA not on this node is left to the FORWARD policy, not masqueraded', () => {
    const open = loadHost(
      renderRestore(intent),
      parseRestore(HOST_BUILTINS.replace(':FORWARD DROP', ':FORWARD ACCEPT')),
    );
    const result = tracePacket(
      open,
      { hook: 'PREROUTING', src: POD, dst: 'fd00:2::9', proto: 'tcp', dport: 80, inInterface: 'cni0' },
      { localAddresses: [NODE] },
    );
    expect(result).toMatchObject({ verdict: 'ACCEPT', src: POD, masqueraded: false });
  });

  const openHost = (payload: string) =>
    loadHost(payload, parseRestore(HOST_BUILTINS.replace(':FORWARD DROP', ':FORWARD ACCEPT')));

  it('pod egress to 2001:db8::/32 is masqueraded', () => {
    const result = tracePacket(
      openHost(renderRestore(intent)),
      { hook: 'PREROUTING', src: POD, dst: CLIENT, proto: 'tcp', dport: 443, inInterface: 'cni0' },
      { localAddresses: [NODE, GATEWAY], masqueradeAddress: NODE },
    );
    expect(result).toMatchObject({ verdict: 'ACCEPT', delivery: 'out', src: NODE, masqueraded: true });
  });

  it('drops nothing towards a pod it does not publish, even with an open FORWARD', () => {
    const result = tracePacket(
      openHost(renderRestore(intent)),
      { hook: 'PREROUTING', src: CLIENT, dst: 'fd00:1::77', proto: 'tcp', dport: 22, inInterface: 'eth0' },
      { localAddresses: [NODE, GATEWAY] },
    );
    expect(result).toMatchObject({ verdict: 'ACCEPT', delivery: 'out', dst: 'fd00:1::77' });
    expect(result.hits.filter((h) => h.table === 'filter').map((h) => h.comment)).toEqual([
      'acme6: hook',
      'acme6: service web/shop',
    ]);
  });

  it('a kube-proxy NodePort DNAT to a published pod passes our chain (not ours to judge)', () => {
    const kube = `*nat\n:KUBE-NODEPORTS - [0:0]\n-A PREROUTING -j KUBE-NODEPORTS\n-A KUBE-NODEPORTS -d ${NODE}/128 -p tcp -m tcp --dport 30080 -j DNAT --to-destination [${POD}]:22\nCOMMIT\n`;
    const base = parseRestore(kube, parseRestore(HOST_BUILTINS.replace(':FORWARD DROP', ':FORWARD ACCEPT')));
    const result = tracePacket(
      loadHost(renderRestore(intent), base),
      { hook: 'PREROUTING', src: CLIENT, dst: NODE, proto: 'tcp', dport: 30080, inInterface: 'eth0' },
      { localAddresses: [NODE, GATEWAY] },
    );
    expect(result).toMatchObject({ verdict: 'ACCEPT', delivery: 'out', src: CLIENT, dst: POD, dport: 22 });
  });

  it('SNATs egress to a configured address instead of masquerading', () => {
    const snat = openHost(renderRestore(intent, { snatAddress: '2001:db8::20' }));
    const result = tracePacket(
      snat,
      { hook: 'PREROUTING', src: POD, dst: CLIENT, proto: 'udp', dport: 53, inInterface: 'cni0' },
      { localAddresses: [NODE] },
    );
    expect(result).toMatchObject({ verdict: 'ACCEPT', src: '2001:db8::20', masqueraded: true });
  });
});

describe('renderRestore', () => {
  const payload = renderRestore(intent);

  it('writes only our chains and tags every rule with a comment', () => {
    const rules = parseRestore(payload);
    for (const [, chains] of rules) {
      for (const [name, chain] of chains) {
        expect(name).toMatch(/^ACME6-/);
        for (const rule of chain.rules) expect(rule.comment, rule.text).toMatch(/^acme6: /);
      }
    }
    expect(payload).not.toMatch(/^:(PREROUTING|OUTPUT|POSTROUTING|FORWARD|INPUT) /m);
  });

  it('is deterministic', () => {
    expect(renderRestore(intent)).toBe(payload);
  });

  it('excludes link-local sources on every DNAT', () => {
    const dnats = payload.split('\n').filter((l) => l.includes('-j DNAT'));
    expect(dnats).toHaveLength(2);
    for (const line of dnats) expect(line).toContain('! -s fe80::/10 ');
  });

  it('renders one tagged jump per hook', () => {
    const jumps = jumpRules();
    expect(new Set(jumps.map((j) => `${j.table} ${j.chain}`)).size).toBe(jumps.length);
    for (const j of jumps) expect(j.spec).toMatch(/^-m comment --comment "acme6: hook" -j ACME6-/);
  });

  it('deletes stale owned chains and nothing else', () => {
    const oldIntent = { ...intent, mappings: intent.mappings.map((m) => ({ ...m, service: 'web/old' })) };
    const before = loadHost(
      renderRestore(oldIntent),
      parseRestore(`${HOST_BUILTINS}*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n`),
    );
    const existing = [...before].flatMap(([table, chains]) =>
      [...chains.keys()].map((chain) => ({ table, chain })),
    );
    const next = renderRestore(intent, { existingChains: existing });
    const old = serviceChain('web/old');
    expect(next).toContain(`-X ${old}`);
    expect(next).not.toContain('KUBE-SERVICES');
    const after = parseRestore(next, before);
    expect(after.get('nat')?.has(old)).toBe(false);
    expect(after.get('filter')?.has(old)).toBe(false);
    expect(after.get('nat')?.has('KUBE-SERVICES')).toBe(true);
    expect(after.get('nat')?.has(serviceChain('web/shop'))).toBe(true);
  });

  it('reads chain lists from ip6tables-save output', () => {
    const save =
      '# Generated\n*mangle\n:FOO - [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [1:2]\n:ACME6-X - [0:0]\nCOMMIT\n';
    expect(chainsFromSave(save)).toEqual([
      { table: 'nat', chain: 'PREROUTING' },
      { table: 'nat', chain: 'ACME6-X' },
    ]);
    expect(wantedChains(intent).every((c) => c.chain.length <= 28)).toBe(true);
  });

  it('refuses an egress SNAT address that is not global', () => {
    expect(() => renderRestore(intent, { snatAddress: 'fd00::1' })).toThrow(/not a global IPv6 address/);
  });

  it.each(['::1', 'fe80::5', '2001:db8::5'])('refuses to DNAT to %s', (podAddress) => {
    const bad = { ...intent, mappings: intent.mappings.map((m) => ({ ...m, podAddress })) };
    expect(() => renderRestore(bad)).toThrow(/refusing to DNAT/);
  });
});
