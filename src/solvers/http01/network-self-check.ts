// The self-check's I/O: look the name up, then probe every address at once (a slow address costs
// one request timeout, not one per address).
import { probeAddress } from './probe.ts';
import type { AddressResolver } from './resolve.ts';
import type { SelfCheckReport } from './self-check.ts';

/** One self-check of a challenge. */
export interface SelfChecker {
  check(domain: string, token: string, keyAuthorization: string, timeoutMs: number): Promise<SelfCheckReport>;
}

/** Ports the CA would use; 80 and 443 except in a testbed whose ingress listens elsewhere. */
export interface SelfCheckPorts {
  httpPort: number;
  httpsPort: number;
}

/** A SelfChecker over real DNS and HTTP. */
export class NetworkSelfChecker implements SelfChecker {
  private readonly resolver: AddressResolver;
  private readonly ports: SelfCheckPorts;

  constructor(resolver: AddressResolver, ports: SelfCheckPorts) {
    this.resolver = resolver;
    this.ports = ports;
  }

  async check(
    domain: string,
    token: string,
    keyAuthorization: string,
    timeoutMs: number,
  ): Promise<SelfCheckReport> {
    const { targets, problems } = await this.resolver.resolve(domain);
    const results = await Promise.all(
      targets.map(async (target) => ({
        target,
        port: this.ports.httpPort,
        outcome: await probeAddress(target, domain, token, keyAuthorization, { ...this.ports, timeoutMs }),
      })),
    );
    return { domain, results, lookupProblems: problems };
  }
}
