// The A and AAAA records of a name, through the configured nameservers (or the system's), both
// families always asked: the CA uses every address, so the self-check must know them all.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Target } from './self-check.ts';

/** Addresses found, and lookups that failed for another reason than "no such record". */
export interface Resolved {
  targets: Target[];
  problems: string[];
}

/** Answers that mean "this name has no record of that type", not "the lookup failed". */
const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * Checks `host:port` nameserver flags (IPv4 or bracketed IPv6 literals: the resolver cannot look up
 * its own nameservers' names). Returns an error message or undefined.
 */
export function nameserverError(nameserver: string): string | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(nameserver);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || (match[1] ? isIP(host) !== 6 : isIP(host) !== 4) || port < 1 || port > 65535)
    return `"${nameserver}" is not IP:port (IPv6 in brackets, e.g. 192.0.2.53:53 or [2001:db8::53]:53)`;
  return undefined;
}

/** Looks up A and AAAA records; `nameservers` empty means the system's resolver configuration. */
export class AddressResolver {
  private readonly resolver: Resolver;

  constructor(nameservers: readonly string[] = [], timeoutMs = 3000) {
    this.resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    if (nameservers.length > 0) this.resolver.setServers([...nameservers]);
  }

  async resolve(name: string): Promise<Resolved> {
    const [a, aaaa] = await Promise.allSettled([this.resolver.resolve4(name), this.resolver.resolve6(name)]);
    const targets: Target[] = [];
    const problems: string[] = [];
    const collect = (family: Target['family'], result: PromiseSettledResult<string[]>): void => {
      if (result.status === 'fulfilled') {
        for (const address of result.value) targets.push({ family, address });
        return;
      }
      const code = (result.reason as NodeJS.ErrnoException).code ?? '';
      if (!NO_RECORD.has(code))
        problems.push(`${family} lookup of ${name} failed: ${code || String(result.reason)}`);
    };
    // AAAA first: the CA prefers IPv6, and so does the report.
    collect('AAAA', aaaa);
    collect('A', a);
    return { targets, problems };
  }
}
