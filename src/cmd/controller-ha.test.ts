import { describe, expect, it } from 'vitest';
import { renewPeriodOf } from '../runtime/leader-election.ts';
import { parseControllerFlags } from './controller.ts';

describe('acme6 controller HA, probe and metrics flags', () => {
  it("defaults to leader election renewing every 10 s, and cert-manager's ports", () => {
    const flags = parseControllerFlags([]);
    expect(flags).toMatchObject({
      leaderElect: true,
      leaderElectionTimings: { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 2_000 },
      metricsBindAddress: { port: 9402 },
      healthProbeBindAddress: { port: 9403 },
    });
    expect('error' in flags || renewPeriodOf(flags.leaderElectionTimings)).toBe(10_000);
  });

  it('reads every flag, Go style', () => {
    const flags = parseControllerFlags([
      '--leader-elect=false',
      '--leader-election-namespace',
      'kube-system',
      '--leader-election-lease-duration=6s',
      '--leader-election-renew-deadline=5s',
      '--leader-election-retry-period=1s',
      '--leader-election-renew-period=3s',
      '--metrics-bind-address=0',
      '--health-probe-bind-address=127.0.0.1:8081',
    ]);
    expect(flags).toMatchObject({
      leaderElect: false,
      leaderElectionNamespace: 'kube-system',
      leaderElectionTimings: {
        leaseDurationMs: 6000,
        renewDeadlineMs: 5000,
        retryPeriodMs: 1000,
        renewPeriodMs: 3000,
      },
      metricsBindAddress: 'disabled',
      healthProbeBindAddress: { host: '127.0.0.1', port: 8081 },
    });
    expect(parseControllerFlags(['--leader-elect'])).toMatchObject({ leaderElect: true });
  });

  it.each([
    [['--leader-elect=maybe'], '--leader-elect must be true or false, not "maybe"'],
    [['--leader-election-lease-duration=soon'], '--leader-election-lease-duration must be a Go duration'],
    [['--leader-election-renew-deadline=30s'], 'the lease duration must be longer than the renew deadline'],
    [['--leader-election-renew-period=19s'], 'the renew period plus the retry period must be shorter'],
    [['--metrics-bind-address=9402'], '--metrics-bind-address: "9402" is not an address to listen on'],
  ])('rejects %j with a clear message', (args, message) => {
    const flags = parseControllerFlags(args);
    expect('error' in flags && flags.error).toContain(message);
  });
});
