// The testbed's DNS is the real thing: two BIND processes, a primary that takes TSIG-signed updates
// and a secondary that follows it, authoritative only, and pebble validating dns-01 through them.
import { readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import * as acme from 'acme-client';
import { describe, expect, it } from 'vitest';
import { dig, digTxt } from '../testbed/dns-dig.ts';
import { setRecords } from '../testbed/dns-update.ts';
import { testbedDns, testbedProvider, uniqueLabel } from './dns01-testbed.ts';
import { testbed } from './kube.ts';

/** Command lines of every process that runs named. */
function namedCommandLines(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('/named')) found.push(cmd.join(' ').trim());
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

describe('testbed DNS servers', () => {
  it('runs a primary and a secondary as named processes whose command lines name the testbed directory', () => {
    const ours = namedCommandLines().filter((cmd) => cmd.includes(testbed().dir));
    expect(ours).toHaveLength(2);
    expect(ours.join('\n')).toMatch(/-g -c \S+\/dns\/primary\/named\.conf/);
    expect(ours.join('\n')).toMatch(/-g -c \S+\/dns\/secondary\/named\.conf/);
  });

  it('serves every test zone authoritatively from both servers, with NS records naming both', async () => {
    const dns = testbedDns();
    expect(dns.zones).toEqual(['example.test.', 'acme6.test.', 'sub.example.test.']);
    for (const server of [dns.primary, dns.secondary]) {
      for (const zone of dns.zones) {
        const ns = await dig(server, zone, 'NS');
        expect(ns.status).toBe('NOERROR');
        expect(ns.answers.map((r) => r.data).sort()).toEqual(['ns1.acme6.test.', 'ns2.acme6.test.']);
      }
    }
    expect((await dig(dns.primary, 'ns1.acme6.test.', 'A')).answers.map((r) => r.data)).toEqual([
      '127.0.0.1',
    ]);
    expect(
      (await dig(dns.primary, '_acme-challenge.alias.example.test.', 'CNAME')).answers.map((r) => r.data),
    ).toEqual(['alias-target.acme6.test.']);
  });

  it('does not recurse: names outside its zones are refused', async () => {
    expect((await dig(testbedDns().primary, 'example.com.', 'A')).status).toBe('REFUSED');
    expect((await dig(testbedDns().secondary, 'example.com.', 'A')).status).toBe('REFUSED');
  });

  it('lets tests set A and AAAA records that the secondary picks up', async () => {
    const dns = testbedDns();
    const name = `${uniqueLabel('host')}.example.test.`;
    await setRecords(dns, { zone: 'example.test.', name, type: 'A', values: ['127.0.0.1'] });
    await setRecords(dns, { zone: 'example.test.', name, type: 'AAAA', values: ['::1'] });
    await expect
      .poll(async () => (await dig(dns.secondary, name, 'AAAA')).answers.map((r) => r.data), {
        timeout: 30_000,
        interval: 100,
      })
      .toEqual(['::1']);
    expect((await dig(dns.secondary, name, 'A')).answers.map((r) => r.data)).toEqual(['127.0.0.1']);
    await setRecords(dns, { zone: 'example.test.', name, type: 'A', values: [] });
    expect((await dig(dns.primary, name, 'A')).answers).toEqual([]);
  });

  it('quotes TXT values for nsupdate so dig reads them back unchanged', async () => {
    const dns = testbedDns();
    const name = `${uniqueLabel('txt')}.example.test.`;
    const values = ['with "quotes" and \\ backslash', 'x'.repeat(300)];
    await setRecords(dns, { zone: 'example.test.', name, type: 'TXT', values });
    expect(await digTxt(dns.primary, name)).toEqual([...values].sort());
    await setRecords(dns, { zone: 'example.test.', name, type: 'TXT', values: [] });
  });

  it('generates an HMAC-SHA256 key of its own, with a key file for nsupdate', () => {
    const dns = testbedDns();
    expect(dns.tsig.keyName).toBe('acme6-testbed.');
    expect(Buffer.from(dns.tsig.secret, 'base64')).toHaveLength(32);
    expect(readFileSync(dns.tsig.keyFile, 'utf8')).toContain('algorithm hmac-sha256;');
  });
});

describe('pebble resolves through the testbed DNS', () => {
  it('validates a dns-01 challenge whose TXT record the RFC 2136 provider put on the primary', async () => {
    const pebble = testbed().pebble!;
    // acme-client's one axios instance: trusting the testbed CA here affects this test file only.
    acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(pebble.listenerCaFile, 'utf8') });
    const client = new acme.Client({
      directoryUrl: pebble.directoryUrl,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
    });
    await client.createAccount({ termsOfServiceAgreed: true });
    const domain = `${uniqueLabel('pebble')}.example.test`;
    const order = await client.createOrder({ identifiers: [{ type: 'dns', value: domain }] });
    const [authorization] = await client.getAuthorizations(order);
    const challenge = authorization!.challenges.find((c) => c.type === 'dns-01')!;
    const record = {
      fqdn: `_acme-challenge.${domain}.`,
      zone: 'example.test.',
      value: await client.getChallengeKeyAuthorization(challenge),
    };
    const provider = testbedProvider();
    await provider.present(record);
    try {
      await client.completeChallenge(challenge);
      await expect(client.waitForValidStatus(challenge)).resolves.toMatchObject({ status: 'valid' });
    } finally {
      await provider.cleanUp(record);
    }
  });
});
