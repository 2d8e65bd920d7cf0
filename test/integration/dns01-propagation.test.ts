// The propagation check against the testbed's two real servers: it asks each one once, reports
// per server, and converges once the secondary has transferred the change.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseNameserver } from '../../src/solvers/dns01/client/nameserver.ts';
import { WireDnsQuerier } from '../../src/solvers/dns01/client/querier.ts';
import { checkPropagation, summarizePropagation } from '../../src/solvers/dns01/propagation.ts';
import type { ChallengeRecord } from '../../src/solvers/dns01/provider.ts';
import { freePort } from '../testbed/ports.ts';
import {
  testbedDns,
  testbedLookup,
  testbedNameservers,
  testbedProvider,
  uniqueLabel,
} from './dns01-testbed.ts';

const freshRecord = (): ChallengeRecord => ({
  fqdn: `_acme-challenge.${uniqueLabel('propagation')}.example.test.`,
  zone: 'example.test.',
  value: randomBytes(32).toString('base64url'),
});

const check = (record: ChallengeRecord, nameservers = testbedNameservers()) =>
  checkPropagation(record, {
    nameservers,
    lookup: testbedLookup(),
    querier: new WireDnsQuerier({ timeoutMs: 2000 }),
  });

describe('propagation check against BIND primary and secondary', () => {
  it('reports a value never presented as missing at both servers, by name', async () => {
    const dns = testbedDns();
    const report = await check(freshRecord());
    expect(report.propagated).toBe(false);
    expect(report.checks.map((c) => [c.state, c.detail])).toEqual([
      ['missing', `${dns.primary} (primary) does not have the TXT value yet`],
      ['missing', `${dns.secondary} (secondary) does not have the TXT value yet`],
    ]);
    expect(summarizePropagation(report)).toContain('is at 0 of 2 nameservers');
  });

  it('converges to present at every server after present (the secondary may lag at first)', async () => {
    const record = freshRecord();
    const provider = testbedProvider();
    await provider.present(record);
    try {
      const first = await check(record);
      // The primary has it the moment the update is acknowledged; the secondary follows by NOTIFY + IXFR.
      expect(first.checks[0]!.state).toBe('present');
      expect(['present', 'missing']).toContain(first.checks[1]!.state);
      await expect
        .poll(async () => (await check(record)).checks.map((c) => c.state), {
          timeout: 30_000,
          interval: 100,
        })
        .toEqual(['present', 'present']);
      const done = await check(record);
      expect(done.propagated).toBe(true);
      expect(summarizePropagation(done)).toBe(`TXT value at ${record.fqdn} is at 2 of 2 nameservers`);
    } finally {
      await provider.cleanUp(record);
    }
    await expect
      .poll(async () => (await check(record)).checks.map((c) => c.state), { timeout: 30_000, interval: 100 })
      .toEqual(['missing', 'missing']);
  });

  it('tells a value apart from its neighbours at the same name', async () => {
    const record = freshRecord();
    const other = { ...record, value: randomBytes(32).toString('base64url') };
    await testbedProvider().present(other);
    try {
      expect((await check(record)).checks[0]!.state).toBe('missing');
    } finally {
      await testbedProvider().cleanUp(other);
    }
  });

  it('reports a server that does not answer as an error naming it, without failing the others', async () => {
    const silent = parseNameserver(`127.0.0.1:${await freePort()}`, 'gone');
    const report = await check(freshRecord(), [testbedNameservers()[0]!, silent]);
    expect(report.checks[0]!.state).toBe('missing');
    expect(report.checks[1]).toMatchObject({ state: 'error' });
    expect(report.checks[1]!.detail).toMatch(
      /^127\.0\.0\.1:\d+ \(gone\) did not answer over UDP: connection refused/,
    );
  });

  it('asks over IPv6 when given [::1]:port', async ({ skip }) => {
    const v6 = testbedDns().primaryV6;
    if (!v6) return skip('no IPv6 loopback on this host');
    const report = await check(freshRecord(), [parseNameserver(v6, 'primary v6')]);
    expect(report.checks[0]!.detail).toBe(`${v6} (primary v6) does not have the TXT value yet`);
  });
});
