import { describe, expect, it } from 'vitest';
import { conntrackDeleteArgs, staleFlows } from './conntrack.ts';
import type { Mapping } from './model.ts';

const m = (protocol: 'TCP' | 'UDP', port: number, pod: string, targetPort = port): Mapping => ({
  service: 'web/shop',
  protocol,
  nodeAddress: '2001:db8::1',
  port,
  podAddress: pod,
  targetPort,
});

describe('staleFlows', () => {
  it('keeps the flows of unchanged mappings (a restart or an unrelated change breaks nothing)', () => {
    const same = [m('TCP', 443, 'fd00::2'), m('UDP', 53, 'fd00::2')];
    expect(staleFlows(same, same)).toEqual([]);
  });

  it('clears removed and retargeted mappings, TCP and UDP', () => {
    const before = [m('TCP', 443, 'fd00::2'), m('UDP', 53, 'fd00::2'), m('TCP', 80, 'fd00::2')];
    const after = [m('TCP', 443, 'fd00::3'), m('TCP', 80, 'fd00::2', 8080)];
    expect(staleFlows(before, after)).toEqual([
      { protocol: 'TCP', address: '2001:db8::1', port: 443 },
      { protocol: 'UDP', address: '2001:db8::1', port: 53 },
      { protocol: 'TCP', address: '2001:db8::1', port: 80 },
    ]);
  });

  it('clears a UDP port that gains a mapping, but not a new TCP one', () => {
    expect(staleFlows([], [m('UDP', 53, 'fd00::2'), m('TCP', 443, 'fd00::2')])).toEqual([
      { protocol: 'UDP', address: '2001:db8::1', port: 53 },
    ]);
  });

  it('builds the conntrack command for the original destination', () => {
    expect(conntrackDeleteArgs({ protocol: 'UDP', address: '2001:db8::1', port: 53 })).toEqual([
      'conntrack',
      '-D',
      '-f',
      'ipv6',
      '-p',
      'udp',
      '--orig-dst',
      '2001:db8::1',
      '--orig-port-dst',
      '53',
    ]);
  });
});
