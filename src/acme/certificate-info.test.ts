import { describe, expect, it } from 'vitest';
import {
  certificateParses,
  keyMatchesCertificate,
  readCertificate,
  readCertificateChain,
  splitPemChain,
} from './certificate-info.ts';
import { generatePrivateKey } from './keys.ts';
import { mintChain } from './testing.ts';

describe('readCertificateChain', () => {
  it('reads SANs, validity, serial, issuer and public key of every certificate, leaf first', async () => {
    const { root, intermediate, leaf } = await mintChain(['www.acme6.test', 'acme6.test']);
    const chain = readCertificateChain(leaf.pem + intermediate.pem);
    expect(chain).toHaveLength(2);
    const [first, second] = chain;
    expect(first).toMatchObject({
      dnsNames: ['www.acme6.test', 'acme6.test'],
      notBefore: leaf.cert.notBefore,
      notAfter: leaf.cert.notAfter,
      serialNumber: '01',
      subjectCommonName: 'leaf',
      issuerCommonName: 'Test Intermediate',
      isCA: false,
      publicKeyPem: leaf.cert.publicKey.toString('pem'),
    });
    expect(second).toMatchObject({
      subjectCommonName: 'Test Intermediate',
      issuerCommonName: 'Test Root',
      isCA: true,
    });
    expect(readCertificate(root.pem).dnsNames).toEqual([]);
  });

  it('splits bundles whatever the whitespace between blocks', async () => {
    const { intermediate, leaf } = await mintChain(['acme6.test']);
    const bundle = `junk\r\n${leaf.pem.trim()}\n\n\n${intermediate.pem.trim()}`;
    expect(splitPemChain(bundle)).toEqual([leaf.pem, intermediate.pem].map((p) => `${p.trim()}\n`));
    expect(() => readCertificateChain('no certificates here')).toThrow(/no PEM certificate/);
  });
});

describe('keyMatchesCertificate', () => {
  it('matches the leaf’s own key and nothing else', async () => {
    const { intermediate, leaf } = await mintChain(['acme6.test']);
    expect(keyMatchesCertificate(leaf.keyPem, leaf.pem + intermediate.pem)).toBe(true);
    expect(keyMatchesCertificate(intermediate.keyPem, leaf.pem + intermediate.pem)).toBe(false);
    expect(keyMatchesCertificate(await generatePrivateKey({ algorithm: 'RSA' }), leaf.pem)).toBe(false);
    expect(keyMatchesCertificate('not a key', leaf.pem)).toBe(false);
    expect(keyMatchesCertificate(leaf.keyPem, 'not a certificate')).toBe(false);
  });
});

describe('readCertificate of a certificate read before', () => {
  it('does not parse it again, and gives each caller facts of its own', async () => {
    const { leaf } = await mintChain(['again.acme6.test']);
    const first = readCertificate(leaf.pem);
    const parsesBefore = certificateParses();
    first.dnsNames.push('changed.acme6.test');
    first.notAfter.setTime(0);
    for (let i = 0; i < 100; i++) readCertificate(leaf.pem);
    expect(certificateParses()).toBe(parsesBefore);
    expect(readCertificate(leaf.pem)).toMatchObject({
      dnsNames: ['again.acme6.test'],
      notAfter: leaf.cert.notAfter,
    });
  });
});
