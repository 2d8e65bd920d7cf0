import { describe, expect, it } from 'vitest';
import { dns01Solver } from '../../api/solver.ts';
import { lookupThrough } from './client/lookup.ts';
import { parseNameserver } from './client/nameserver.ts';
import { Dns01TerminalError } from './provider.ts';
import { FakeDnsServers, type FakeRecord } from './testing.ts';
import { challengeName, findZoneApex, locateChallengeRecord, MAX_CNAME_HOPS } from './zone.ts';

const server = '192.0.2.53:53';
function lookupOver(zones: Record<string, FakeRecord[]>) {
  const dns = new FakeDnsServers();
  for (const [zone, records] of Object.entries(zones)) dns.serveZone(server, zone, records);
  return lookupThrough([parseNameserver(server)], dns);
}

describe('challenge names', () => {
  it('prefixes _acme-challenge and qualifies the name', () => {
    expect(challengeName('www.example.com')).toBe('_acme-challenge.www.example.com.');
  });

  it('gives a wildcard the name of its base domain', () => {
    expect(challengeName('*.example.com')).toBe('_acme-challenge.example.com.');
  });
});

describe('zone apex', () => {
  it('walks up from a name that does not exist to the closest SOA', async () => {
    const lookup = lookupOver({ 'example.test': [] });
    expect(await findZoneApex('_acme-challenge.a.b.example.test.', lookup)).toBe('example.test.');
  });

  it('prefers a delegated child zone over its parent', async () => {
    const lookup = lookupOver({ 'example.test': [], 'sub.example.test': [] });
    expect(await findZoneApex('_acme-challenge.www.sub.example.test', lookup)).toBe('sub.example.test.');
  });

  it('does not take the SOA of a CNAME target as the zone of the alias', async () => {
    const lookup = lookupOver({
      'example.test': [{ name: 'alias.example.test', type: 'CNAME', value: 'target.test' }],
      'target.test': [],
    });
    expect(await findZoneApex('alias.example.test', lookup)).toBe('example.test.');
  });

  it('fails terminally when no parent has an SOA', async () => {
    const dns = new FakeDnsServers().serveZone(server, '.', []);
    // The root serves nothing but itself, so the walk finds no zone below it.
    const err = await findZoneApex('www.nowhere.test', lookupThrough([parseNameserver(server)], dns)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect((err as Error).message).toBe(
      'no DNS zone holds www.nowhere.test.: none of its parent names has an SOA record',
    );
  });
});

describe('locating the challenge record', () => {
  const zones = {
    'example.test': [
      {
        name: '_acme-challenge.alias.example.test',
        type: 'CNAME',
        value: 'alias-target.acme6.test',
      } as FakeRecord,
    ],
    'acme6.test': [],
  };

  it('follows a CNAME at _acme-challenge into the target zone with Follow', async () => {
    expect(
      await locateChallengeRecord('alias.example.test', {
        cnameStrategy: 'Follow',
        lookup: lookupOver(zones),
      }),
    ).toEqual({
      fqdn: 'alias-target.acme6.test.',
      zone: 'acme6.test.',
      cnameChain: ['_acme-challenge.alias.example.test.'],
    });
  });

  it('refuses, as terminal, a name too long once _acme-challenge. is prefixed; 253 characters fit', async () => {
    const label = 'a'.repeat(63);
    const fits = `${label}.${label}.${label}.${'b'.repeat(32)}.example.test`; // 237 + 16 = 253
    const tooLong = `${label}.${label}.${label}.${'b'.repeat(33)}.example.test`;
    const lookup = lookupOver(zones);
    expect((await locateChallengeRecord(fits, { cnameStrategy: 'None', lookup })).zone).toBe('example.test.');
    const refused = locateChallengeRecord(tooLong, { cnameStrategy: 'None', lookup });
    await expect(refused).rejects.toBeInstanceOf(Dns01TerminalError);
    await expect(refused).rejects.toThrow(/has 254 characters, more than a DNS name can have \(253\)/);
  });

  it('writes at _acme-challenge itself with None', async () => {
    expect(
      await locateChallengeRecord('alias.example.test', { cnameStrategy: 'None', lookup: lookupOver(zones) }),
    ).toEqual({
      fqdn: '_acme-challenge.alias.example.test.',
      zone: 'example.test.',
      cnameChain: [],
    });
  });

  it('does not follow the CNAME when the issuer leaves cnameStrategy out (None is the default)', async () => {
    const { cnameStrategy } = dns01Solver.parse({ rfc2136: { nameserver: server } });
    expect(
      await locateChallengeRecord('alias.example.test', { cnameStrategy, lookup: lookupOver(zones) }),
    ).toEqual({
      fqdn: '_acme-challenge.alias.example.test.',
      zone: 'example.test.',
      cnameChain: [],
    });
  });

  it('follows chains of several CNAMEs', async () => {
    const lookup = lookupOver({
      'example.test': [
        { name: '_acme-challenge.www.example.test', type: 'CNAME', value: 'hop.example.test' },
        { name: 'hop.example.test', type: 'CNAME', value: 'final.acme6.test' },
      ],
      'acme6.test': [],
    });
    const location = await locateChallengeRecord('www.example.test', { cnameStrategy: 'Follow', lookup });
    expect(location).toEqual({
      fqdn: 'final.acme6.test.',
      zone: 'acme6.test.',
      cnameChain: ['_acme-challenge.www.example.test.', 'hop.example.test.'],
    });
  });

  it('stops at a CNAME loop with a terminal error that shows the loop', async () => {
    const lookup = lookupOver({
      'example.test': [
        { name: '_acme-challenge.loop.example.test', type: 'CNAME', value: 'back.example.test' },
        { name: 'back.example.test', type: 'CNAME', value: '_acme-challenge.loop.example.test' },
      ],
    });
    await expect(
      locateChallengeRecord('loop.example.test', { cnameStrategy: 'Follow', lookup }),
    ).rejects.toThrow(
      'CNAME loop at back.example.test.: _acme-challenge.loop.example.test. -> back.example.test. -> _acme-challenge.loop.example.test.',
    );
  });

  it(`stops after ${MAX_CNAME_HOPS} hops`, async () => {
    const records: FakeRecord[] = [
      { name: '_acme-challenge.long.example.test', type: 'CNAME', value: 'h1.example.test' },
    ];
    for (let i = 1; i <= MAX_CNAME_HOPS + 1; i++)
      records.push({ name: `h${i}.example.test`, type: 'CNAME', value: `h${i + 1}.example.test` });
    const lookup = lookupOver({ 'example.test': records });
    const err = await locateChallengeRecord('long.example.test', { cnameStrategy: 'Follow', lookup }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect((err as Error).message).toContain(`longer than ${MAX_CNAME_HOPS} hops`);
  });
});
