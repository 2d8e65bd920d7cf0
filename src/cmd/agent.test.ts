import { describe, expect, it } from 'vitest';
import { parseAgentFlags } from './agent.ts';

describe('parseAgentFlags', () => {
  it('takes the node name from $NODE_NAME and has sensible defaults', () => {
    expect(parseAgentFlags([], { NODE_NAME: 'node-a' })).toEqual({
      nodeName: 'node-a',
      statusNamespace: 'acme6-agent',
      resyncPeriodMs: 30_000,
      minSyncIntervalMs: 1000,
      canaryPeriodMs: 5000,
      backend: 'auto',
      cleanup: false,
      logLevel: 'info',
      healthProbeBindAddress: { port: 9404 },
    });
  });

  it.each(['auto', 'nftables', 'iptables', 'iptables-nft', 'iptables-legacy', 'nft', 'legacy'])(
    'accepts --backend=%s',
    (backend) => {
      expect(parseAgentFlags([`--backend=${backend}`], { NODE_NAME: 'n' })).toMatchObject({ backend });
    },
  );

  it('rejects a bad probe address', () => {
    expect(parseAgentFlags(['--health-probe-bind-address=nope'], { NODE_NAME: 'n' })).toEqual({
      error: expect.stringMatching(/^--health-probe-bind-address: /) as unknown,
    });
  });

  it('canonicalises addresses and parses durations', () => {
    const flags = parseAgentFlags(
      [
        '--node-name=node-a',
        '--node-address=2001:DB8:0::1',
        '--snat-address=2001:db8::2',
        '--resync-period=1m',
        '--min-sync-interval=200ms',
        '--backend=legacy',
      ],
      {},
    );
    expect(flags).toMatchObject({
      nodeAddress: '2001:db8::1',
      snatAddress: '2001:db8::2',
      resyncPeriodMs: 60_000,
      minSyncIntervalMs: 200,
      backend: 'legacy',
    });
  });

  it.each([
    [[], 'node-name is required'],
    [['--node-name=Node_A'], 'not a valid node name'],
    [['--node-name=a', '--node-address=fd00::1'], '--node-address must be a global unicast IPv6 address'],
    [['--node-name=a', '--snat-address=192.0.2.1'], '--snat-address must be a global unicast IPv6 address'],
    [['--node-name=a', '--resync-period=10'], '--resync-period must be a Go duration'],
    [['--node-name=a', '--backend=xtables'], '--backend must be one of auto, nftables, iptables'],
    [['--node-name=a', '--backend=nftable'], '--backend must be one of auto, nftables, iptables'],
    [['--node-name=a', '--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j', (args, message) => {
    const r = parseAgentFlags(args, {});
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error).toContain(message);
  });

  it('needs no node name for --cleanup', () => {
    expect(parseAgentFlags(['--cleanup'], {})).toMatchObject({ cleanup: true });
  });
});
