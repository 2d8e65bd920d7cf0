import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { externalAccountBindingJws } from './eab.ts';

const decode = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('externalAccountBindingJws', () => {
  const jwk = { crv: 'P-256', kty: 'EC', x: 'x', y: 'y' };
  const hmacKey = Buffer.alloc(64, 1).toString('base64url');

  it.each([
    ['HS256', 'sha256', 32],
    ['HS384', 'sha384', 48],
    ['HS512', 'sha512', 64],
  ] as const)('%s: MACs the account JWK with the CA key, no nonce', (algorithm, hash, bytes) => {
    const jws = externalAccountBindingJws(
      { keyID: 'kid-1', hmacKey, algorithm },
      jwk,
      'https://ca.test/new-acct',
    );
    expect(decode(jws.protected)).toEqual({ alg: algorithm, kid: 'kid-1', url: 'https://ca.test/new-acct' });
    expect(decode(jws.payload)).toEqual(jwk);
    const expected = createHmac(hash, Buffer.alloc(64, 1)).update(`${jws.protected}.${jws.payload}`).digest();
    expect(Buffer.from(jws.signature, 'base64url')).toEqual(expected);
    expect(expected).toHaveLength(bytes);
    expect(JSON.stringify(jws)).not.toContain(hmacKey);
  });
});
