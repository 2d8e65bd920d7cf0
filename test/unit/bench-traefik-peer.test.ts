// The Traefik peer of `make bench`: what it configures and how it reads its store.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  failedAttempts,
  storedCertificates,
  traefikEnv,
  traefikRouters,
  traefikStaticConfig,
} from '../../bench/controller/traefik-peer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const dns = { kind: 'dns-01', nameserver: '127.0.0.1:5353', tsigKey: 'k.', tsigSecret: 's' } as const;

describe('bench Traefik peer', () => {
  it('asks for name and *.name on one router per name, on its own resolver', () => {
    const routers = (
      traefikRouters(['a.example.test', 'b.example.test'], true) as {
        http: {
          routers: Record<string, { rule: string; tls: { certResolver: string; domains: unknown[] } }>;
        };
      }
    ).http.routers;
    expect(Object.values(routers).map((r) => [r.rule, r.tls.domains])).toEqual([
      ['Host(`a.example.test`)', [{ main: 'a.example.test', sans: ['*.a.example.test'] }]],
      ['Host(`b.example.test`)', [{ main: 'b.example.test', sans: ['*.b.example.test'] }]],
    ]);
    const single = traefikRouters(['c.example.test'], false) as {
      http: { routers: Record<string, unknown> };
    };
    expect(single.http.routers['cert-0']).toMatchObject({ tls: { domains: [{ main: 'c.example.test' }] } });
    expect(JSON.stringify(single)).not.toContain('sans');
  });

  it('binds only loopback and checks propagation against the given primary', () => {
    const config = traefikStaticConfig({
      directoryUrl: 'https://127.0.0.1:1/dir',
      caFile: '/ca.pem',
      challenge: { ...dns, tuned: false },
      dynamicDir: '/d',
      storage: '/acme.json',
      httpsPort: 2,
      pingPort: 3,
    });
    const http = traefikStaticConfig({
      directoryUrl: 'https://127.0.0.1:1/dir',
      caFile: '/ca.pem',
      challenge: { kind: 'http-01', port: 4 },
      dynamicDir: '/d',
      storage: '/acme.json',
      httpsPort: 2,
      pingPort: 3,
    });
    for (const c of [config, http]) {
      const addresses = Object.values(c.entryPoints as Record<string, { address: string }>).map(
        (e) => e.address,
      );
      expect(addresses.every((a) => a.startsWith('127.0.0.1:'))).toBe(true);
    }
    expect(config).toMatchObject({
      certificatesResolvers: {
        bench: {
          acme: {
            caServer: 'https://127.0.0.1:1/dir',
            caCertificates: ['/ca.pem'],
            dnsChallenge: { provider: 'rfc2136', resolvers: ['127.0.0.1:5353'] },
          },
        },
      },
    });
    expect(http).toMatchObject({
      entryPoints: { web: { address: '127.0.0.1:4' } },
      certificatesResolvers: { bench: { acme: { httpChallenge: { entryPoint: 'web' } } } },
    });
  });

  it('tunes only the tuned run: 1 s polling and 1 s between challenges', () => {
    expect(traefikEnv({ ...dns, tuned: false }, '/ca.pem')).not.toHaveProperty('RFC2136_POLLING_INTERVAL');
    expect(traefikEnv({ ...dns, tuned: true }, '/ca.pem')).toMatchObject({
      RFC2136_POLLING_INTERVAL: '1',
      RFC2136_SEQUENCE_INTERVAL: '1',
      RFC2136_NAMESERVER: '127.0.0.1:5353',
    });
  });

  it('counts the resolver certificates in acme.json, and none while it is absent or half-written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-traefik-'));
    dirs.push(dir);
    const file = join(dir, 'acme.json');
    expect(storedCertificates(file)).toBe(0);
    writeFileSync(file, '{"bench": {"Certificates": [{}, ');
    expect(storedCertificates(file)).toBe(0);
    writeFileSync(file, JSON.stringify({ bench: { Account: {}, Certificates: null } }));
    expect(storedCertificates(file)).toBe(0);
    writeFileSync(file, JSON.stringify({ bench: { Certificates: [{}, {}] }, other: { Certificates: [{}] } }));
    expect(storedCertificates(file)).toBe(2);
  });

  it('counts the attempts Traefik logged as failed, with the CA problem of the first', () => {
    const line = String.raw`2026-12-05T22:10:47Z ERR Unable to obtain ACME certificate for domains error="unable to generate a certificate for the domains [a.example.test *.a.example.test]: error: one or more domains had a problem:\n[a.example.test] invalid authorization: acme: error: 403 :: urn:ietf:params:acme:error:unauthorized :: Error retrieving TXT records for DNS challenge (\"dial tcp 127.0.0.1:41211: i/o timeout\")\n" ACME CA=https://127.0.0.1:1/dir`;
    expect(failedAttempts(`INF started\n${line}\n${line}\n`)).toEqual({
      count: 2,
      first: 'Error retrieving TXT records for DNS challenge ("dial tcp 127.0.0.1:41211: i/o timeout")',
    });
    expect(failedAttempts('INF started\n')).toEqual({ count: 0 });
  });
});
