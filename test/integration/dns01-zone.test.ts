// Zone discovery against the testbed's real BIND servers: walking up to the closest SOA, stopping
// at a delegated child zone, and following the CNAME at _acme-challenge into another zone.
import { describe, expect, it } from 'vitest';
import { authoritativeNameservers, checkPropagation } from '../../src/solvers/dns01/propagation.ts';
import { WireDnsQuerier } from '../../src/solvers/dns01/client/querier.ts';
import { findZoneApex, locateChallengeRecord } from '../../src/solvers/dns01/zone.ts';
import { digTxt } from '../testbed/dns-dig.ts';
import { testbedDns, testbedLookup, testbedNameservers, testbedProvider } from './dns01-testbed.ts';

describe('zone discovery against BIND', () => {
  it('finds the zone of a challenge name that does not exist yet', async () => {
    await expect(
      locateChallengeRecord('www.example.test', { cnameStrategy: 'Follow', lookup: testbedLookup() }),
    ).resolves.toEqual({
      fqdn: '_acme-challenge.www.example.test.',
      zone: 'example.test.',
      cnameChain: [],
    });
  });

  it('gives a wildcard the challenge name of its base domain', async () => {
    const location = await locateChallengeRecord('*.example.test', {
      cnameStrategy: 'None',
      lookup: testbedLookup(),
    });
    expect(location).toMatchObject({ fqdn: '_acme-challenge.example.test.', zone: 'example.test.' });
  });

  it('stops at a delegated child zone', async () => {
    expect(await findZoneApex('_acme-challenge.deep.sub.example.test.', testbedLookup())).toBe(
      'sub.example.test.',
    );
    expect(await findZoneApex('acme6.test', testbedLookup())).toBe('acme6.test.');
  });

  it('follows the CNAME at _acme-challenge into the target zone with cnameStrategy Follow', async () => {
    await expect(
      locateChallengeRecord('alias.example.test', { cnameStrategy: 'Follow', lookup: testbedLookup() }),
    ).resolves.toEqual({
      fqdn: 'alias-target.acme6.test.',
      zone: 'acme6.test.',
      cnameChain: ['_acme-challenge.alias.example.test.'],
    });
  });

  it('ignores the CNAME with cnameStrategy None', async () => {
    await expect(
      locateChallengeRecord('alias.example.test', { cnameStrategy: 'None', lookup: testbedLookup() }),
    ).resolves.toEqual({
      fqdn: '_acme-challenge.alias.example.test.',
      zone: 'example.test.',
      cnameChain: [],
    });
  });

  it('presents through the CNAME: the value lands at the target in acme6.test on both servers', async () => {
    const location = await locateChallengeRecord('alias.example.test', {
      cnameStrategy: 'Follow',
      lookup: testbedLookup(),
    });
    const record = { fqdn: location.fqdn, zone: location.zone, value: `delegated-${Date.now()}` };
    const provider = testbedProvider();
    await provider.present(record);
    try {
      const report = () =>
        checkPropagation(record, {
          nameservers: testbedNameservers(),
          lookup: testbedLookup(),
          querier: new WireDnsQuerier(),
        });
      await expect
        .poll(async () => (await report()).propagated, { timeout: 30_000, interval: 100 })
        .toBe(true);
      // What a resolver following the CNAME from the challenge name finds:
      expect(await digTxt(testbedDns().primary, 'alias-target.acme6.test.')).toContain(record.value);
    } finally {
      await provider.cleanUp(record);
    }
  });

  it("reads a zone's NS set and resolves it to addresses on port 53, each address once", async () => {
    const servers = await authoritativeNameservers('example.test.', testbedLookup());
    const both = 'ns1.acme6.test., ns2.acme6.test.';
    expect(servers).toEqual([
      { host: '127.0.0.1', port: 53, label: both },
      { host: '::1', port: 53, label: both },
    ]);
  });
});
