// The order fingerprint changes with everything an order is placed for, and only with that.
import { describe, expect, it } from 'vitest';
import type { AnyIssuer } from '../../api/issuer.ts';
import { orderFingerprint, orderOutdated } from './order-fingerprint.ts';
import { cert, readyIssuer } from './issuance-testing.ts';
import { chooseSolvers } from './solver-selection.ts';

const base = cert(1);
const withSpec = (spec: Partial<typeof base.spec>) => ({ spec: { ...base.spec, ...spec } });
const fingerprint = (c: { spec: typeof base.spec } = base, issuer: AnyIssuer = readyIssuer) =>
  orderFingerprint(c, issuer, chooseSolvers(issuer.spec.acme.solvers, c.spec.dnsNames).choices);

describe('orderFingerprint', () => {
  it('is the same for the same order, whatever the order of names or keys', () => {
    const two = withSpec({ dnsNames: ['a.example.test', 'b.example.test'] });
    const swapped = withSpec({ dnsNames: ['b.example.test', 'a.example.test'] });
    expect(fingerprint(two)).toBe(fingerprint(swapped));
    const reordered = withSpec({ privateKey: { rotationPolicy: 'Always', algorithm: 'ECDSA' } });
    expect(fingerprint(reordered)).toBe(fingerprint());
    expect(fingerprint()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when a name goes or comes', () => {
    expect(fingerprint(withSpec({ dnsNames: ['web.example.test', 'x.example.test'] }))).not.toBe(
      fingerprint(),
    );
    expect(fingerprint(withSpec({ dnsNames: ['x.example.test'] }))).not.toBe(fingerprint());
  });

  it('changes with the issuerRef, the private key, the CA and the solver', () => {
    const other = { ...base.spec.issuerRef, name: 'other' };
    expect(fingerprint(withSpec({ issuerRef: other }))).not.toBe(fingerprint());
    const rsa = withSpec({ privateKey: { algorithm: 'RSA', size: 2048, rotationPolicy: 'Always' } });
    expect(fingerprint(rsa)).not.toBe(fingerprint());
    const acme = readyIssuer.spec.acme;
    const profiled = { ...readyIssuer, spec: { acme: { ...acme, profile: 'shortlived' } } } as AnyIssuer;
    expect(fingerprint(base, profiled)).not.toBe(fingerprint());
    const http = { ...readyIssuer, spec: { acme: { ...acme, solvers: [{ http01: { ingress: {} } }] } } };
    expect(fingerprint(base, http as AnyIssuer)).not.toBe(fingerprint());
  });
});

describe('orderOutdated', () => {
  const names = ['a.example.test', 'b.example.test'];
  const challenges = names.map((dnsName) => ({ dnsName, type: 'dns-01' as const }));

  it('compares the recorded fingerprint', () => {
    expect(orderOutdated({ orderFingerprint: 'f1', challenges }, 'f1', names)).toBe(false);
    expect(orderOutdated({ orderFingerprint: 'f1', challenges }, 'f2', names)).toBe(true);
  });

  it('judges an order without a fingerprint by an added name only', () => {
    expect(orderOutdated({ challenges }, 'f', names)).toBe(false);
    expect(orderOutdated({ challenges }, 'f', [...names, 'c.example.test'])).toBe(true);
    expect(orderOutdated({ challenges: [] }, 'f', names)).toBe(false);
  });
});
