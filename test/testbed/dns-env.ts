// The testbed's DNS as .testbed/env names it, for tools that run beside a `make testbed-up` testbed.
import type { TestbedDnsInfo } from './dns.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: source .testbed/env first (make testbed-up)`);
  return value;
}

/** Reads ACME6_DNS_* and ACME6_TSIG_* (written by `make testbed-up`) into a TestbedDnsInfo. */
export function testbedDnsFromEnv(): TestbedDnsInfo {
  return {
    primary: env('ACME6_DNS_PRIMARY'),
    secondary: env('ACME6_DNS_SECONDARY'),
    zones: env('ACME6_DNS_ZONES').split(','),
    nameserverNames: [],
    tsig: {
      keyName: env('ACME6_TSIG_KEY_NAME'),
      algorithm: 'HMACSHA256',
      secret: env('ACME6_TSIG_SECRET'),
      keyFile: env('ACME6_TSIG_KEY_FILE'),
    },
  };
}
