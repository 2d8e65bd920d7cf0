// The shared testbed's DNS servers as dns-01 code sees them: labelled nameservers, a provider
// signed with the testbed key, a lookup through both servers, and dig-based visibility checks.
import { randomBytes } from 'node:crypto';
import { lookupThrough, type DnsLookup } from '../../src/solvers/dns01/client/lookup.ts';
import { parseNameserver, type Nameserver } from '../../src/solvers/dns01/client/nameserver.ts';
import { WireDnsQuerier } from '../../src/solvers/dns01/client/querier.ts';
import { Rfc2136Provider, type Rfc2136Settings } from '../../src/solvers/dns01/rfc2136/provider.ts';
import { digTxt } from '../testbed/dns-dig.ts';
import type { TestbedDnsInfo } from '../testbed/dns.ts';
import { testbed } from './kube.ts';

/** The testbed's DNS coordinates; fails if it runs without DNS. */
export function testbedDns(): TestbedDnsInfo {
  const dns = testbed().dns;
  if (!dns) throw new Error('the testbed runs without DNS');
  return dns;
}

/** Primary and secondary as configured nameservers, labelled for messages. */
export function testbedNameservers(): Nameserver[] {
  const dns = testbedDns();
  return [parseNameserver(dns.primary, 'primary'), parseNameserver(dns.secondary, 'secondary')];
}

/** A lookup that asks the testbed servers, the way a user's `propagation.nameservers` would. */
export function testbedLookup(): DnsLookup {
  return lookupThrough(testbedNameservers(), new WireDnsQuerier({ timeoutMs: 2000 }));
}

/** An RFC 2136 provider for the testbed primary with the testbed key, with optional changes. */
export function testbedProvider(overrides: Partial<Rfc2136Settings> = {}): Rfc2136Provider {
  const dns = testbedDns();
  return new Rfc2136Provider({
    nameserver: dns.primary,
    tsig: { keyName: dns.tsig.keyName, algorithm: dns.tsig.algorithm, secret: dns.tsig.secret },
    timeoutMs: 5000,
    ...overrides,
  });
}

/** The TXT values at `fqdn` on the primary and the secondary, asked with dig. */
export async function txtAtBothServers(fqdn: string): Promise<Record<string, string[]>> {
  const dns = testbedDns();
  const [primary, secondary] = await Promise.all([digTxt(dns.primary, fqdn), digTxt(dns.secondary, fqdn)]);
  return { [`${dns.primary} (primary)`]: primary, [`${dns.secondary} (secondary)`]: secondary };
}

/** A unique label, so tests sharing the zones never meet. */
export function uniqueLabel(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
