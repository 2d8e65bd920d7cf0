// Where a dns-01 TXT record goes: `_acme-challenge.<name>`, or the end of its CNAME chain when the
// solver follows CNAMEs (delegating the challenge to another zone), and which zone holds it: the
// closest enclosing name with an SOA record, found by walking up one label at a time.
import type { DnsLookup } from './client/lookup.ts';
import { Dns01TerminalError } from './provider.ts';
import { RecordType } from './wire/constants.ts';
import { fqdn, parentName, sameName } from './wire/name.ts';

/** Longest CNAME chain followed; real delegations use one hop. */
export const MAX_CNAME_HOPS = 8;

/** Whether to follow a CNAME at `_acme-challenge.<name>` (the Issuer's dns01.cnameStrategy). */
export type CnameStrategy = 'None' | 'Follow';

/** Where to write a challenge's TXT record. */
export interface ChallengeLocation {
  /** The name the TXT record is written at (after CNAMEs, if followed). */
  fqdn: string;
  /** The apex of the zone holding it. */
  zone: string;
  /** Names passed through on the way, starting with `_acme-challenge.<name>.`; empty without CNAMEs. */
  cnameChain: string[];
}

/** Longest DNS name in text form, without the root dot (255 bytes on the wire). */
const MAX_CHALLENGE_NAME = 253;

/** `_acme-challenge.<domain>.`; a wildcard's challenge uses its base name (RFC 8555 section 8.4). */
export function challengeName(domain: string): string {
  return fqdn(`_acme-challenge.${domain.replace(/^\*\./, '')}`);
}

/** Follows CNAMEs from `name`; returns the final name and every name before it. */
export async function followCnames(
  name: string,
  lookup: DnsLookup,
): Promise<{ target: string; chain: string[] }> {
  const chain: string[] = [];
  let current = fqdn(name);
  for (;;) {
    const response = await lookup.query(current, RecordType.CNAME);
    const cname = response.answers.find((rr) => rr.type === RecordType.CNAME && sameName(rr.name, current));
    if (!cname || cname.data.kind !== 'name') return { target: current, chain };
    chain.push(current);
    const next = cname.data.target;
    if (chain.some((seen) => sameName(seen, next))) {
      throw new Dns01TerminalError(`CNAME loop at ${current}: ${[...chain, next].join(' -> ')}`);
    }
    if (chain.length >= MAX_CNAME_HOPS) {
      throw new Dns01TerminalError(`CNAME chain from ${chain[0]} is longer than ${MAX_CNAME_HOPS} hops`);
    }
    current = next;
  }
}

/** The apex of the zone holding `name`: `name` or the closest parent that has an SOA record. */
export async function findZoneApex(name: string, lookup: DnsLookup): Promise<string> {
  for (
    let candidate: string | undefined = fqdn(name);
    candidate && candidate !== '.';
    candidate = parentName(candidate)
  ) {
    const response = await lookup.query(candidate, RecordType.SOA);
    // An SOA owned by another name means a CNAME was chased: that is the target's zone, not ours.
    const owner = candidate;
    if (response.answers.some((rr) => rr.type === RecordType.SOA && sameName(rr.name, owner)))
      return candidate;
  }
  throw new Dns01TerminalError(`no DNS zone holds ${fqdn(name)}: none of its parent names has an SOA record`);
}

/** Finds where the TXT record for a challenge on `domain` goes, and its zone. */
export async function locateChallengeRecord(
  domain: string,
  options: { cnameStrategy: CnameStrategy; lookup: DnsLookup },
): Promise<ChallengeLocation> {
  const name = challengeName(domain);
  // A name the schema allows can still be too long once prefixed: no DNS server could hold the
  // record, so retrying is pointless (the lookup would only fail to encode it).
  if (name.length > MAX_CHALLENGE_NAME + 1) {
    throw new Dns01TerminalError(
      `${name} has ${name.length - 1} characters, more than a DNS name can have (${MAX_CHALLENGE_NAME}): dns-01 cannot validate ${domain}; use http-01 for it`,
    );
  }
  const { target, chain } =
    options.cnameStrategy === 'Follow'
      ? await followCnames(name, options.lookup)
      : { target: name, chain: [] };
  return { fqdn: target, zone: await findZoneApex(target, options.lookup), cnameChain: chain };
}
