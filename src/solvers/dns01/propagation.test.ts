import { describe, expect, it } from 'vitest';
import { lookupThrough } from './client/lookup.ts';
import { parseNameserver } from './client/nameserver.ts';
import {
  authoritativeNameservers,
  checkPropagation,
  judgeTxtAnswer,
  summarizePropagation,
} from './propagation.ts';
import { fakeResponse, FakeDns01Provider, FakeDnsServers } from './testing.ts';
import { Rcode } from './wire/constants.ts';

const zone = 'example.test.';
const record = { fqdn: '_acme-challenge.www.example.test.', zone, value: 'token-digest' };

/** A resolver at 192.0.2.1 that knows the zone's NS set, and the two authoritative servers. */
function world() {
  const dns = new FakeDnsServers();
  const delegation = [
    { name: 'example.test', type: 'NS', value: 'ns1.example.test' },
    { name: 'example.test', type: 'NS', value: 'ns2.example.test' },
    { name: 'ns1.example.test', type: 'A', value: '192.0.2.11' },
    { name: 'ns1.example.test', type: 'AAAA', value: '2001:db8::11' },
    { name: 'ns2.example.test', type: 'A', value: '192.0.2.12' },
  ] as const;
  dns.serveZone('192.0.2.1:53', zone, [...delegation]);
  for (const server of ['192.0.2.11:53', '[2001:db8::11]:53', '192.0.2.12:53'])
    dns.serveZone(server, zone, []);
  const lookup = lookupThrough([parseNameserver('192.0.2.1')], dns);
  const primary = new FakeDns01Provider(dns, '192.0.2.11:53');
  return { dns, lookup, primary };
}

describe('authoritative nameservers', () => {
  it('ask an address shared by several NS names once, naming them all', async () => {
    const dns = new FakeDnsServers().serveZone('192.0.2.1:53', zone, [
      { name: 'example.test', type: 'NS', value: 'a.example.test' },
      { name: 'example.test', type: 'NS', value: 'b.example.test' },
      { name: 'a.example.test', type: 'A', value: '192.0.2.11' },
      { name: 'b.example.test', type: 'A', value: '192.0.2.11' },
    ]);
    expect(await authoritativeNameservers(zone, lookupThrough([parseNameserver('192.0.2.1')], dns))).toEqual([
      { host: '192.0.2.11', port: 53, label: 'a.example.test., b.example.test.' },
    ]);
  });

  it("are the zone's NS names resolved to every A and AAAA address, on port 53", async () => {
    const { lookup } = world();
    expect(await authoritativeNameservers(zone, lookup)).toEqual([
      { host: '192.0.2.11', port: 53, label: 'ns1.example.test.' },
      { host: '2001:db8::11', port: 53, label: 'ns1.example.test.' },
      { host: '192.0.2.12', port: 53, label: 'ns2.example.test.' },
    ]);
  });
});

describe('checkPropagation', () => {
  it('asks every address of every NS directly, without recursion, and names the ones that lack the value', async () => {
    const { dns, lookup, primary } = world();
    await primary.present(record);
    dns.transferZone('192.0.2.11:53', '[2001:db8::11]:53', zone);
    const report = await checkPropagation(record, { lookup, querier: dns });
    expect(report.propagated).toBe(false);
    expect(report.checks.map((c) => [c.state, c.detail])).toEqual([
      ['present', '192.0.2.11:53 (ns1.example.test.) has the TXT value'],
      ['present', '[2001:db8::11]:53 (ns1.example.test.) has the TXT value'],
      ['missing', '192.0.2.12:53 (ns2.example.test.) does not have the TXT value yet'],
    ]);
    expect(summarizePropagation(report)).toBe(
      'TXT value at _acme-challenge.www.example.test. is at 2 of 3 nameservers; 192.0.2.12:53 (ns2.example.test.) does not have the TXT value yet',
    );
    const direct = dns.asked.filter((a) => a.question.name === record.fqdn);
    expect(direct.map((a) => a.question.recursionDesired)).toEqual([false, false, false]);
  });

  it('is propagated once every server has the value', async () => {
    const { dns, lookup, primary } = world();
    await primary.present(record);
    for (const to of ['[2001:db8::11]:53', '192.0.2.12:53']) dns.transferZone('192.0.2.11:53', to, zone);
    const report = await checkPropagation(record, { lookup, querier: dns });
    expect(report.propagated).toBe(true);
    expect(summarizePropagation(report)).toBe(
      'TXT value at _acme-challenge.www.example.test. is at 3 of 3 nameservers',
    );
  });

  it('uses the configured nameservers instead of the NS set, asking them with recursion desired', async () => {
    const { dns, lookup, primary } = world();
    await primary.present(record);
    const nameservers = [
      parseNameserver('192.0.2.11:53', 'primary'),
      parseNameserver('192.0.2.12:53', 'secondary'),
    ];
    const report = await checkPropagation(record, { nameservers, lookup, querier: dns });
    expect(report.checks.map((c) => c.detail)).toEqual([
      '192.0.2.11:53 (primary) has the TXT value',
      '192.0.2.12:53 (secondary) does not have the TXT value yet',
    ]);
    expect(dns.asked.every((a) => a.question.recursionDesired)).toBe(true);
    expect(dns.asked.map((a) => a.server)).toEqual(['192.0.2.11:53', '192.0.2.12:53']); // no NS lookup
  });

  it('reports a server that does not answer as an error, and the rest as usual', async () => {
    const { dns, lookup } = world();
    dns.setDown('192.0.2.12:53');
    const report = await checkPropagation(record, { lookup, querier: dns });
    expect(report.checks.map((c) => c.state)).toEqual(['missing', 'missing', 'error']);
    expect(report.checks[2]!.detail).toBe(
      '192.0.2.12:53 (ns2.example.test.) did not answer over UDP: no answer within 3000 ms',
    );
  });

  it('fails transiently when the zone has no NS records', async () => {
    const dns = new FakeDnsServers().serveZone('192.0.2.1:53', zone, []);
    await expect(
      checkPropagation(record, { lookup: lookupThrough([parseNameserver('192.0.2.1')], dns), querier: dns }),
    ).rejects.toThrow('zone example.test. has no NS records');
  });
});

describe('judging one TXT answer', () => {
  const server = parseNameserver('192.0.2.11:53', 'ns1');
  const txt = (values: string[]) =>
    fakeResponse({
      rcode: Rcode.NOERROR,
      answers: values.map((v) => ({
        name: record.fqdn,
        type: 16,
        class: 1,
        ttl: 60,
        rdata: Buffer.alloc(0),
        data: { kind: 'txt' as const, strings: [Buffer.from(v)] },
        offset: 0,
        rdataOffset: 0,
      })),
    });

  it('finds the value among several', () => {
    expect(judgeTxtAnswer(server, txt(['other', 'token-digest']), record, true).state).toBe('present');
  });

  it('does not count another value', () => {
    expect(judgeTxtAnswer(server, txt(['other']), record, true).state).toBe('missing');
  });

  it('counts NXDOMAIN as missing', () => {
    expect(judgeTxtAnswer(server, fakeResponse({ rcode: Rcode.NXDOMAIN }), record, true).state).toBe(
      'missing',
    );
  });

  it('treats SERVFAIL and REFUSED as errors naming the RCODE', () => {
    expect(judgeTxtAnswer(server, fakeResponse({ rcode: Rcode.SERVFAIL }), record, true)).toMatchObject({
      state: 'error',
      detail: '192.0.2.11:53 (ns1) answered SERVFAIL',
    });
  });

  it('distrusts an answer without the AA bit from a server that should be authoritative', () => {
    const lame = { ...txt(['token-digest']), authoritative: false };
    expect(judgeTxtAnswer(server, lame, record, true)).toMatchObject({
      state: 'error',
      detail: expect.stringContaining('lame delegation') as string,
    });
    expect(judgeTxtAnswer(server, lame, record, false).state).toBe('present');
  });
});

describe('summarizePropagation with many servers', () => {
  it('stays within what status.selfCheck holds (4096 characters)', () => {
    const checks = Array.from({ length: 300 }, (_, i) => ({
      nameserver: parseNameserver(`192.0.2.${i % 250}:53`),
      state: 'missing' as const,
      detail: `192.0.2.${i % 250}:53 (ns${i}.${'long-label.'.repeat(20)}example.test.) does not have the TXT value yet`,
    }));
    const summary = summarizePropagation({
      fqdn: '_acme-challenge.a.test.',
      value: 'v',
      checks,
      propagated: false,
    });
    expect(summary.length).toBeLessThanOrEqual(4096);
    expect(summary).toMatch(
      /^TXT value at _acme-challenge\.a\.test\. is at 0 of 300 nameservers; .*\[truncated \d+ characters\]/,
    );
  });
});
