import { describe, expect, it } from 'vitest';
import { x509 } from '../crypto/x509.ts';
import { createCsr } from './csr.ts';
import { generatePrivateKey, type KeySpec } from './keys.ts';

function sans(csr: x509.Pkcs10CertificateRequest): string[] {
  const san = csr.extensions.find((e) => e instanceof x509.SubjectAlternativeNameExtension);
  return san ? san.names.items.map((name) => `${name.type}:${name.value}`) : [];
}

describe('createCsr', () => {
  it.each<KeySpec>([
    { algorithm: 'ECDSA', size: 256 },
    { algorithm: 'ECDSA', size: 384 },
    { algorithm: 'RSA', size: 2048 },
    { algorithm: 'Ed25519' },
  ])('signs a %o CSR with the DNS names as SANs and no subject', async (spec) => {
    const keyPem = await generatePrivateKey(spec);
    const pem = await createCsr(keyPem, ['www.acme6.test', '*.acme6.test']);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const csr = new x509.Pkcs10CertificateRequest(pem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('');
    expect(sans(csr)).toEqual(['dns:www.acme6.test', 'dns:*.acme6.test']);
  });

  it('adds a common name only when asked', async () => {
    const keyPem = await generatePrivateKey({ algorithm: 'ECDSA' });
    const csr = new x509.Pkcs10CertificateRequest(
      await createCsr(keyPem, ['acme6.test'], { commonName: 'acme6.test' }),
    );
    expect(csr.subjectName.getField('CN')).toEqual(['acme6.test']);
  });

  it('refuses an empty name list and an unreadable key', async () => {
    const keyPem = await generatePrivateKey({ algorithm: 'ECDSA' });
    await expect(createCsr(keyPem, [])).rejects.toThrow(/at least one DNS name/);
    await expect(createCsr('nope', ['acme6.test'])).rejects.toThrow(/not a readable PEM key/);
  });
});
