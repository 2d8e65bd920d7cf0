import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, keyMatchesSpec, readPrivateKey, type KeySpec } from './keys.ts';

describe('generatePrivateKey', () => {
  it.each<[KeySpec, string, Record<string, unknown>]>([
    [{ algorithm: 'ECDSA' }, 'ec', { namedCurve: 'prime256v1' }],
    [{ algorithm: 'ECDSA', size: 384 }, 'ec', { namedCurve: 'secp384r1' }],
    [{ algorithm: 'RSA' }, 'rsa', { modulusLength: 2048 }],
    [{ algorithm: 'RSA', size: 3072 }, 'rsa', { modulusLength: 3072 }],
    [{ algorithm: 'RSA', size: 4096 }, 'rsa', { modulusLength: 4096 }],
    [{ algorithm: 'Ed25519' }, 'ed25519', {}],
  ])('%o gives a PKCS#8 PEM %s key', async (spec, type, details) => {
    const pem = await generatePrivateKey(spec);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe(type);
    expect(key.asymmetricKeyDetails).toMatchObject(details);
    expect(keyMatchesSpec(pem, spec)).toBe(true);
  });

  it('refuses sizes the API does not allow', async () => {
    await expect(generatePrivateKey({ algorithm: 'RSA', size: 1024 })).rejects.toThrow(
      /unsupported RSA key size 1024/,
    );
    await expect(generatePrivateKey({ algorithm: 'ECDSA', size: 521 })).rejects.toThrow(
      /unsupported ECDSA key size/,
    );
  });
});

describe('keyMatchesSpec', () => {
  it('tells a key of another algorithm or size apart (rotationPolicy: Never)', async () => {
    const p256 = await generatePrivateKey({ algorithm: 'ECDSA' });
    expect(keyMatchesSpec(p256, { algorithm: 'ECDSA', size: 256 })).toBe(true);
    expect(keyMatchesSpec(p256, { algorithm: 'ECDSA', size: 384 })).toBe(false);
    expect(keyMatchesSpec(p256, { algorithm: 'RSA' })).toBe(false);
    expect(keyMatchesSpec(p256, { algorithm: 'Ed25519' })).toBe(false);
    const rsa = await generatePrivateKey({ algorithm: 'RSA' });
    expect(keyMatchesSpec(rsa, { algorithm: 'RSA', size: 4096 })).toBe(false);
    expect(keyMatchesSpec(rsa, { algorithm: 'ECDSA' })).toBe(false);
  });

  it('accepts the older PKCS#1 and SEC1 encodings of a matching key', () => {
    const rsa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-384',
      privateKeyEncoding: { type: 'sec1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    expect(rsa).toMatch(/BEGIN RSA PRIVATE KEY/);
    expect(ec).toMatch(/BEGIN EC PRIVATE KEY/);
    expect(keyMatchesSpec(rsa, { algorithm: 'RSA', size: 2048 })).toBe(true);
    expect(keyMatchesSpec(ec, { algorithm: 'ECDSA', size: 384 })).toBe(true);
  });

  it('says no to something that is not a key', () => {
    expect(
      readPrivateKey('-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n'),
    ).toBeUndefined();
    expect(keyMatchesSpec('', { algorithm: 'ECDSA' })).toBe(false);
  });
});
