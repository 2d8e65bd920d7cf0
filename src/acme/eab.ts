// External Account Binding (RFC 8555 §7.3.4): a JWS, MACed with the CA-issued key, over the new
// account's public JWK. acme-client only does HS256; the Issuer API also allows HS384 and HS512.
import { createHmac } from 'node:crypto';
import type { ExternalAccountBinding } from './port.ts';

/** A flattened JWS as RFC 8555 sends it. */
export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

const HASH_BY_ALGORITHM = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The externalAccountBinding field for a newAccount request to `newAccountUrl`. */
export function externalAccountBindingJws(
  binding: ExternalAccountBinding,
  accountJwk: object,
  newAccountUrl: string,
): FlattenedJws {
  const protectedHeader = base64urlJson({ alg: binding.algorithm, kid: binding.keyID, url: newAccountUrl });
  const payload = base64urlJson(accountJwk);
  // CAs hand the key out base64url-encoded; Node's decoder also takes the padded standard form.
  const signature = createHmac(
    HASH_BY_ALGORITHM[binding.algorithm],
    Buffer.from(binding.hmacKey, 'base64url'),
  )
    .update(`${protectedHeader}.${payload}`)
    .digest('base64url');
  return { protected: protectedHeader, payload, signature };
}
