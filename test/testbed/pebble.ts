// Pebble, the ACME test CA, in strict mode on loopback. Its roots are regenerated at every start,
// so the harness fetches root 0 from the management API and writes it next to the config.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestbedBinaries } from './binaries.ts';
import { httpsGet } from './https.ts';
import { issueCertificate, type CertificateAuthority } from './pki.ts';
import { freePort } from './ports.ts';
import { ManagedProcess, waitUntil } from './process.ts';

/** How a test wants its CA to behave. */
export interface PebbleOptions {
  /** Lifetime of issued certificates (the single profile's validityPeriod). Default 90 days. */
  validitySeconds?: number;
  /** Percentage of good nonces rejected with badNonce (pebble's default is 5; ours is 0). */
  nonceRejectPercent?: number;
  /** Port the validation authority dials for http-01. Default: a free port (nothing answers). */
  httpPort?: number;
  /** DNS server (host:port) pebble resolves names with, queried over TCP since pebble 2.10. */
  dnsServer?: string;
  /** External Account Binding keys (kid to base64url HMAC key); makes EAB required when set. */
  eabKeys?: Record<string, string>;
  /** Skip challenge validation (PEBBLE_VA_ALWAYS_VALID): every answered challenge becomes valid. */
  alwaysValid?: boolean;
  /** Extra roots, each offering an alternate chain via `Link: rel="alternate"` (PEBBLE_ALTERNATE_ROOTS). */
  alternateRoots?: number;
}

/** A running pebble and how to reach it. */
export interface Pebble {
  directoryUrl: string;
  managementUrl: string;
  /** PEM file trusted for pebble's own HTTPS listeners (the testbed CA). */
  listenerCaFile: string;
  /** PEM file of the root that signs the certificates pebble issues. */
  issuerRootFile: string;
  process: ManagedProcess;
}

const profile = 'default';

/** Starts pebble; resolves once its directory answers and its issuing root is saved. */
export async function startPebble(
  bin: TestbedBinaries,
  dir: string,
  ca: CertificateAuthority,
  options: PebbleOptions = {},
): Promise<Pebble> {
  const [port, managementPort] = [await freePort(), await freePort()];
  const tls = await issueCertificate(ca, {
    kind: 'server',
    commonName: 'pebble',
    dnsNames: ['localhost', 'pebble'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  const write = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const listenerCaFile = write('pebble-listener-ca.pem', ca.certPem);
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${port}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: write('pebble.crt', tls.certPem),
      privateKey: write('pebble.key', tls.keyPem),
      httpPort: options.httpPort ?? (await freePort()),
      tlsPort: await freePort(),
      ocspResponderURL: '',
      externalAccountBindingRequired: options.eabKeys !== undefined,
      externalAccountMACKeys: options.eabKeys ?? {},
      retryAfter: { authz: 1, order: 1 },
      // One profile, so orders without `profile` are deterministic (pebble picks one at random).
      profiles: {
        [profile]: {
          description: 'acme6 testbed profile',
          validityPeriod: options.validitySeconds ?? 7_776_000,
        },
      },
    },
  };
  const args = ['-strict', '-config', write('pebble-config.json', JSON.stringify(config, null, 2))];
  if (options.dnsServer) args.push('-dnsserver', options.dnsServer);
  const pebble = new ManagedProcess('pebble', bin.pebble, args, join(dir, 'pebble.log'), {
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: String(options.nonceRejectPercent ?? 0),
    // Not quite never: pebble still reuses a valid authorization 1% of the time at 0.
    PEBBLE_AUTHZREUSE: '0',
    ...(options.alwaysValid ? { PEBBLE_VA_ALWAYS_VALID: '1' } : {}),
    ...(options.alternateRoots ? { PEBBLE_ALTERNATE_ROOTS: String(options.alternateRoots) } : {}),
  });
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  const managementUrl = `https://127.0.0.1:${managementPort}`;
  await waitUntil(
    'pebble directory',
    async () => (await httpsGet(directoryUrl, { ca: ca.certPem })).status === 200,
    {
      timeoutMs: 30_000,
      process: pebble,
    },
  );
  const root = await httpsGet(`${managementUrl}/roots/0`, { ca: ca.certPem });
  if (root.status !== 200 || !root.body.includes('BEGIN CERTIFICATE')) {
    throw new Error(`pebble /roots/0 answered ${root.status}: ${root.body.slice(0, 200)}`);
  }
  const issuerRootFile = write('pebble-root.pem', root.body);
  return { directoryUrl, managementUrl, listenerCaFile, issuerRootFile, process: pebble };
}
