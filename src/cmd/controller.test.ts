import { describe, expect, it } from 'vitest';
import { parseControllerFlags } from './controller.ts';

describe('acme6 controller flags', () => {
  it('has defaults a cluster can run with', () => {
    expect(parseControllerFlags([])).toMatchObject({
      workers: 2,
      maxConcurrentIssuances: 100,
      logLevel: 'info',
      failureBackoff: { initialMs: 3_600_000, maxMs: 32 * 3_600_000 },
    });
  });

  it('reads durations and numbers', () => {
    const flags = parseControllerFlags([
      '--workers',
      '4',
      '--failure-backoff-initial',
      '2s',
      '--failure-backoff-max',
      '1m',
      '--max-concurrent-issuances',
      '2',
    ]);
    expect(flags).toMatchObject({
      workers: 4,
      maxConcurrentIssuances: 2,
      failureBackoff: { initialMs: 2000, maxMs: 60_000 },
    });
  });

  it('reads the ingress-shim default issuer and the Secret deletion default', () => {
    expect(parseControllerFlags([])).toMatchObject({
      ingressShim: {},
      defaultSecretDeletionPolicy: 'Retain',
    });
    expect(
      parseControllerFlags([
        '--default-issuer-name',
        'letsencrypt',
        '--default-issuer-kind',
        'ClusterIssuer',
        '--enable-certificate-owner-ref',
      ]),
    ).toMatchObject({
      ingressShim: { defaultIssuer: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
      defaultSecretDeletionPolicy: 'Delete',
    });
    expect(parseControllerFlags(['--default-issuer-name', 'team-ca'])).toMatchObject({
      ingressShim: { defaultIssuer: { name: 'team-ca', kind: 'Issuer' } },
    });
  });

  it.each([
    [['--workers', '0'], '--workers must be a whole number from 1 to 64, not "0"'],
    ...['0', '-1', '2.5', 'ten', '', '1e3'].map((n): [string[], string] => [
      [`--max-concurrent-issuances=${n}`],
      `--max-concurrent-issuances must be a whole number of at least 1, not "${n}"`,
    ]),
    [['--log-level', 'loud'], '--log-level must be debug, info, warn or error, not "loud"'],
    [
      ['--failure-backoff-initial', '1d'],
      '--failure-backoff-initial and --failure-backoff-max must be Go durations',
    ],
    [['--failure-backoff-initial', '2h', '--failure-backoff-max', '1h'], 'initial <= max'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
    [
      ['--default-issuer-name', 'le', '--default-issuer-kind', 'Vault'],
      '--default-issuer-kind must be Issuer',
    ],
    [['--default-issuer-name', 'Not_A_Name'], '--default-issuer-name must be an issuer name'],
    [['--default-issuer-kind', 'ClusterIssuer'], '--default-issuer-kind needs --default-issuer-name'],
  ])('rejects %j with a clear message', (args, message) => {
    const flags = parseControllerFlags(args);
    expect('error' in flags && flags.error).toContain(message);
  });
});
