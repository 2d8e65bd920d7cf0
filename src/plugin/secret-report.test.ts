import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { mintChain, mintCertificate } from '../acme/testing.ts';
import { distinguishedName, readSecretReport } from './secret-report.ts';
import { formatSecretReport } from './secret-view.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function tlsSecret(data: Record<string, string>, extra: Partial<V1Secret['metadata']> = {}): V1Secret {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));
  return {
    type: 'kubernetes.io/tls',
    metadata: { name: 'web-tls', namespace: 'team', ...extra },
    data: encoded,
  };
}

describe('inspect secret', () => {
  it('reads subject, names, issuer, validity, key and the chain of an acme6 Secret', async () => {
    const { intermediate, leaf } = await mintChain(['web.example.test', '*.web.example.test']);
    const secret = tlsSecret(
      { 'tls.crt': leaf.pem + intermediate.pem, 'tls.key': leaf.keyPem },
      {
        labels: { 'acme6.io/certificate-name': 'web' },
        annotations: {
          'acme6.io/issuer-name': 'le',
          'acme6.io/issuer-kind': 'ClusterIssuer',
          'acme6.io/revision': '3',
        },
      },
    );
    const report = readSecretReport(secret);
    expect(report.problems).toEqual([]);
    expect(report.keyMatches).toBe(true);
    expect(report.privateKey).toBe('ECDSA 256');
    expect(report.writtenBy).toEqual({
      certificate: 'web',
      issuerKind: 'ClusterIssuer',
      issuerName: 'le',
      revision: '3',
    });
    expect(report.chain.map((c) => [c.subject, c.issuer, c.isCA])).toEqual([
      ['CN=leaf', 'CN=Test Intermediate', false],
      ['CN=Test Intermediate', 'CN=Test Root', true],
    ]);
    expect(report.chain[0]).toMatchObject({
      dnsNames: ['web.example.test', '*.web.example.test'],
      serialNumber: '01',
      publicKey: 'ECDSA 256',
    });

    const now = new Date(report.chain[0]!.notAfter.getTime() - 2 * 86_400_000);
    const text = formatSecretReport(report, now);
    expect(text).toContain('Secret team/web-tls (type kubernetes.io/tls)');
    expect(text).toMatch(/Certificate: +web\n/);
    expect(text).toMatch(/Issuer: +ClusterIssuer le\n/);
    expect(text).toMatch(/DNS names: +web\.example\.test, \*\.web\.example\.test\n/);
    expect(text).toMatch(/\(in 2d\), valid now/);
    expect(text).toMatch(/Private key: +ECDSA 256, matches the certificate/);
    expect(text).toContain('Chain (2 certificates, leaf first):');
    expect(text).toContain('  1  CN=Test Intermediate [CA]\n     issued by CN=Test Root');
    expect(text).not.toContain('Problems:');
  });

  it('says what is wrong: a foreign key, an expired certificate', async () => {
    const old = await mintCertificate({
      commonName: 'old',
      dnsNames: ['old.example.test'],
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2020-04-01T00:00:00Z'),
    });
    const other = await mintCertificate({ commonName: 'other' });
    const report = readSecretReport(tlsSecret({ 'tls.crt': old.pem, 'tls.key': other.keyPem }));
    expect(report.keyMatches).toBe(false);
    expect(report.problems).toEqual(['tls.key is not the private key of the certificate in tls.crt']);
    const text = formatSecretReport(report, new Date('2026-11-25T12:00:00Z'));
    expect(text).toContain('EXPIRED');
    expect(text).toContain('DOES NOT match the certificate');
    expect(text).toContain('Problems:\n  - tls.key is not the private key');
    expect(text).not.toContain('Written by');
  });

  it('reports missing and unreadable data instead of failing', () => {
    const empty = readSecretReport({ metadata: { name: 'x', namespace: 'team' }, type: 'Opaque' });
    expect(empty.chain).toEqual([]);
    expect(empty.problems).toEqual(['tls.crt is missing or empty', 'tls.key is missing or empty']);
    const junk = readSecretReport(tlsSecret({ 'tls.crt': 'hello', 'tls.key': 'world' }));
    expect(junk.problems).toEqual(['tls.crt holds no PEM certificate', 'tls.key is not a PEM private key']);
    expect(formatSecretReport(junk, new Date())).toContain('Problems:\n  - tls.crt holds no PEM certificate');
  });

  it('prints a distinguished name on one line, and an empty one (ACME leaves may have none) as such', () => {
    expect(distinguishedName('C=JP\nO=Example\nCN=web')).toBe('C=JP, O=Example, CN=web');
    expect(distinguishedName(undefined)).toBe('(empty)');
    expect(distinguishedName('')).toBe('(empty)');
  });
});
