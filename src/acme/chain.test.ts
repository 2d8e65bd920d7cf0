import { describe, expect, it } from 'vitest';
import { selectPreferredChain, verifyChain } from './chain.ts';
import { mintCertificate, mintChain } from './testing.ts';

const now = new Date();

describe('verifyChain', () => {
  it('accepts a chain that leads to the root, with or without the root in it', async () => {
    const { root, intermediate, leaf } = await mintChain(['acme6.test']);
    expect(verifyChain(leaf.pem + intermediate.pem, root.pem, now)).toEqual({ valid: true });
    expect(verifyChain(leaf.pem + intermediate.pem + root.pem, root.pem, now)).toEqual({ valid: true });
    const other = await mintCertificate({ commonName: 'Other Root', ca: true });
    expect(verifyChain(leaf.pem + intermediate.pem, other.pem + root.pem, now)).toEqual({ valid: true });
  });

  it('rejects a chain that leads to another root', async () => {
    const { intermediate, leaf } = await mintChain(['acme6.test']);
    const other = await mintCertificate({ commonName: 'Other Root', ca: true });
    expect(verifyChain(leaf.pem + intermediate.pem, other.pem, now)).toEqual({
      valid: false,
      reason: 'the chain does not lead to the given roots (its top was issued by Test Root)',
    });
  });

  it('rejects certificates out of order, or an issuer that is no CA', async () => {
    const { root, intermediate, leaf } = await mintChain(['acme6.test']);
    expect(verifyChain(intermediate.pem + leaf.pem, root.pem, now)).toMatchObject({
      valid: false,
      reason: 'certificate 1 (CN=leaf) is not a CA',
    });
    const notCa = await mintCertificate({ commonName: 'Not A CA', issuer: root });
    const underIt = await mintCertificate({ commonName: 'leaf', issuer: notCa, dnsNames: ['acme6.test'] });
    expect(verifyChain(underIt.pem + notCa.pem, root.pem, now)).toMatchObject({
      reason: 'certificate 1 (CN=Not A CA) is not a CA',
    });
  });

  it('rejects a forged link: right issuer name, wrong key', async () => {
    const { root, intermediate } = await mintChain(['acme6.test']);
    const impostor = await mintCertificate({ commonName: 'Test Intermediate', ca: true, issuer: root });
    const leaf = await mintCertificate({ commonName: 'leaf', issuer: impostor, dnsNames: ['acme6.test'] });
    expect(verifyChain(leaf.pem + intermediate.pem, root.pem, now)).toMatchObject({
      reason: 'certificate 0 (CN=leaf) is not signed by certificate 1 (CN=Test Intermediate)',
    });
  });

  it('checks validity at the given time', async () => {
    const { root, intermediate, leaf } = await mintChain(['acme6.test']);
    const later = new Date(now.getTime() + 365 * 24 * 3600_000);
    expect(verifyChain(leaf.pem + intermediate.pem, root.pem, later)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/^certificate 0 \(CN=leaf\) expired at /) as string,
    });
  });
});

describe('selectPreferredChain', () => {
  it('takes the first chain whose top certificate was issued by the preferred CN, else the default', async () => {
    const viaRootA = await mintChain(['acme6.test'], { root: 'Root A', intermediate: 'Intermediate A' });
    const viaRootB = await mintChain(['acme6.test'], { root: 'Root B', intermediate: 'Intermediate B' });
    const a = viaRootA.leaf.pem + viaRootA.intermediate.pem;
    const b = viaRootB.leaf.pem + viaRootB.intermediate.pem;
    expect(selectPreferredChain([a, b], 'Root B')).toBe(b);
    expect(selectPreferredChain([a, b], 'Root A')).toBe(a);
    // Only the top of the chain counts, not an issuer further down.
    expect(selectPreferredChain([a, b], 'Intermediate B')).toBe(a);
    expect(selectPreferredChain([a, b], 'Unknown Root')).toBe(a);
    expect(selectPreferredChain([a, b])).toBe(a);
  });
});
