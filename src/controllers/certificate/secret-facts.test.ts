import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { mintCertificate } from '../../acme/testing.ts';
import { readSecretFacts, readSecretLeaf } from './secret-facts.ts';

async function tlsSecret(name: string, serialNumber: string): Promise<V1Secret> {
  const leaf = await mintCertificate({ commonName: name, dnsNames: [name], serialNumber });
  return {
    metadata: { name: 'web-tls', namespace: 'team', annotations: {} },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(leaf.pem).toString('base64'),
      'tls.key': Buffer.from(leaf.keyPem).toString('base64'),
    },
  };
}

describe('readSecretFacts / readSecretLeaf', () => {
  it('parses a cached Secret once for every reader (readiness, issuance, ARI)', async () => {
    const secret = await tlsSecret('web.example.test', '0a');
    const facts = readSecretFacts(secret);
    expect(facts).toMatchObject({
      exists: true,
      certificate: { dnsNames: ['web.example.test'] },
      key: { algorithm: 'ECDSA', size: 256 },
      keyMatchesCertificate: true,
    });
    const leaf = readSecretLeaf(secret);
    expect(leaf?.serialNumber).toBe('0a');
    // The same parse answers again: the same leaf object, equal facts.
    expect(readSecretLeaf(secret)).toBe(leaf);
    expect(readSecretFacts(secret)).toEqual(facts);
  });

  it('parses again when the object holds another certificate, and reads annotations every time', async () => {
    const secret = await tlsSecret('web.example.test', '0a');
    expect(readSecretLeaf(secret)?.serialNumber).toBe('0a');
    const other = await tlsSecret('other.example.test', '0b');
    secret.data = { ...other.data };
    secret.metadata!.annotations = { 'acme6.io/issuer-name': 'le', 'acme6.io/issuer-kind': 'Issuer' };
    expect(readSecretLeaf(secret)?.serialNumber).toBe('0b');
    const facts = readSecretFacts(secret);
    expect(facts.certificate).toMatchObject({ dnsNames: ['other.example.test'] });
    expect(facts.issuer).toEqual({ name: 'le', kind: 'Issuer' });
    secret.data = { 'tls.crt': Buffer.from('not a certificate').toString('base64') };
    expect(readSecretLeaf(secret)).toBeUndefined();
    expect(readSecretFacts(secret).key).toBeUndefined();
  });
});
