import { describe, expect, it } from 'vitest';
import type { CertificateSpec } from '../../api/certificate.ts';
import type { CertificateFacts, SecretFacts } from './facts.ts';
import { evaluate, issuancePolicies, readinessPolicies, type PolicyInput } from './policies.ts';

const spec: CertificateSpec = {
  secretName: 'web-tls',
  dnsNames: ['example.test', '*.example.test'],
  issuerRef: { name: 'pebble', kind: 'ClusterIssuer', group: 'acme6.io' },
  privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
};
const now = new Date('2026-06-01T00:00:00Z');
const goodSecret: SecretFacts = {
  exists: true,
  certificate: {
    dnsNames: ['*.example.test', 'example.test'],
    notBefore: new Date('2026-05-01T00:00:00Z'),
    notAfter: new Date('2026-07-30T00:00:00Z'),
  },
  key: { algorithm: 'ECDSA', size: 256 },
  keyMatchesCertificate: true,
  issuer: { name: 'pebble', kind: 'ClusterIssuer' },
};
const input = (secret: Partial<SecretFacts>, extra: Partial<PolicyInput> = {}): PolicyInput => ({
  spec,
  secret: { ...goodSecret, ...secret },
  now,
  ...extra,
});
const reason = (chain: typeof readinessPolicies, i: PolicyInput): string | undefined =>
  evaluate(chain, i)?.reason;

describe('certificate policies', () => {
  it('passes a matching, valid Secret (names compared as sets)', () => {
    expect(evaluate(readinessPolicies, input({}))).toBeUndefined();
    expect(evaluate(issuancePolicies, input({}))).toBeUndefined();
  });

  it.each([
    ['SecretMissing', { exists: false }],
    ['SecretMissingData', { certificate: undefined }],
    ['InvalidCertificate', { certificate: { error: 'not PEM' } }],
    ['SecretMissingData', { key: undefined }],
    ['InvalidKey', { key: { error: 'not a private key' } }],
    ['KeyMismatch', { keyMatchesCertificate: false }],
    ['NamesMismatch', { certificate: { ...goodSecret.certificate!, dnsNames: ['example.test'] } as never }],
    ['IssuerChanged', { issuer: { name: 'letsencrypt', kind: 'ClusterIssuer' } }],
    ['KeyTypeMismatch', { key: { algorithm: 'RSA' as const, size: 2048 } }],
    ['KeyTypeMismatch', { key: { algorithm: 'ECDSA' as const, size: 384 } }],
    ['Expired', { certificate: { ...goodSecret.certificate!, notAfter: now } as never }],
  ])('is not ready with reason %s', (expected, secret) => {
    expect(reason(readinessPolicies, input(secret as Partial<SecretFacts>))).toBe(expected);
    expect(reason(issuancePolicies, input(secret as Partial<SecretFacts>))).toBe(expected);
  });

  it('names what differs between the certificate and the spec', () => {
    const verdict = evaluate(
      readinessPolicies,
      input({ certificate: { ...goodSecret.certificate!, dnsNames: ['example.test', 'old.example.test'] } }),
    );
    expect(verdict?.message).toBe(
      'certificate names differ from spec.dnsNames: missing *.example.test; not requested old.example.test',
    );
  });

  it('counts a notBefore a few minutes ahead (a CA clock ahead of ours) as valid, not as a reason to issue', () => {
    const skewed = (minutes: number) => {
      const certificate: CertificateFacts = {
        dnsNames: spec.dnsNames,
        notBefore: new Date(now.getTime() + minutes * 60_000),
        notAfter: new Date('2026-07-30T00:00:00Z'),
      };
      return input({ certificate });
    };
    expect(evaluate(readinessPolicies, skewed(5))).toBeUndefined();
    expect(evaluate(issuancePolicies, skewed(5))).toBeUndefined();
    expect(reason(readinessPolicies, skewed(60))).toBe('NotYetValid');
    expect(reason(issuancePolicies, skewed(60))).toBe('NotYetValid');
  });

  it('stays ready but issues when renewal is due', () => {
    const due = input({}, { renewalTime: new Date('2026-05-31T00:00:00Z') });
    expect(evaluate(readinessPolicies, due)).toBeUndefined();
    expect(evaluate(issuancePolicies, due)).toEqual({
      reason: 'Renewing',
      message: 'renewal was due at 2026-05-31T00:00:00.000Z',
    });
    expect(
      evaluate(issuancePolicies, input({}, { renewalTime: new Date('2026-06-02T00:00:00Z') })),
    ).toBeUndefined();
  });

  it('does not compare the issuer of a Secret acme6 did not write', () => {
    expect(evaluate(readinessPolicies, input({ issuer: undefined }))).toBeUndefined();
  });

  it('reports the first failing check only', () => {
    expect(
      reason(
        readinessPolicies,
        input({ keyMatchesCertificate: false, issuer: { name: 'x', kind: 'Issuer' } }),
      ),
    ).toBe('KeyMismatch');
  });
});
