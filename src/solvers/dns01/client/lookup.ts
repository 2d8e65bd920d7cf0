// "Ask the DNS": the nameservers the user configured (host:port), or else the system resolver's.
// Each is asked in turn until one gives a real answer; zone discovery and NS lookups go through it.
import { getServers } from 'node:dns';
import { Dns01TransientError } from '../provider.ts';
import { Rcode, rcodeName, recordTypeName } from '../wire/constants.ts';
import type { DnsMessage } from '../wire/message.ts';
import { describeNameserver, parseNameserver, type Nameserver } from './nameserver.ts';
import type { DnsQuerier } from './querier.ts';

/** Looks names up; throws Dns01TransientError when no server gives an answer. */
export interface DnsLookup {
  /** A response with RCODE NOERROR or NXDOMAIN. */
  query(name: string, type: number): Promise<DnsMessage>;
}

/** The servers in /etc/resolv.conf, as Node's resolver sees them. */
export function systemNameservers(): Nameserver[] {
  return getServers().map((server) => parseNameserver(server));
}

/** A DnsLookup that asks `servers` in order (recursion desired), moving on after any failure. */
export function lookupThrough(servers: readonly Nameserver[], querier: DnsQuerier): DnsLookup {
  if (servers.length === 0) throw new Error('lookupThrough needs at least one nameserver');
  return {
    async query(name, type) {
      const failures: string[] = [];
      for (const server of servers) {
        try {
          const response = await querier.query(server, { name, type, recursionDesired: true });
          if (response.rcode === Rcode.NOERROR || response.rcode === Rcode.NXDOMAIN) return response;
          // REFUSED comes from an authoritative-only server asked about a name outside its zones.
          failures.push(`${describeNameserver(server)} answered ${rcodeName(response.rcode)}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
      throw new Dns01TransientError(
        `no nameserver answered ${name} ${recordTypeName(type)}: ${failures.join('; ')}`,
      );
    },
  };
}
