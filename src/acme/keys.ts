// Private keys for certificates (and ACME accounts), as the Certificate's spec.privateKey asks.
import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { KEY_SIZES, type KeyAlgorithm } from '../api/certificate.ts';

/** What to generate: spec.privateKey's algorithm and size (the algorithm's default if unset). */
export interface KeySpec {
  algorithm: KeyAlgorithm;
  size?: number;
}

// Node names the curves by their OpenSSL names.
const CURVE_BY_SIZE: ReadonlyMap<number, string> = new Map([
  [256, 'prime256v1'],
  [384, 'secp384r1'],
]);

function curveFor(size: number): string {
  const curve = CURVE_BY_SIZE.get(size);
  if (!curve) throw new Error(`unsupported ECDSA key size ${size} (use 256 or 384)`);
  return curve;
}

function sizeOf(spec: KeySpec): number | undefined {
  return spec.size ?? KEY_SIZES[spec.algorithm][0];
}

const pem = {
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
} as const;

type Done = (error: Error | null, publicKey: string, privateKey: string) => void;

// generateKeyPair's overloads do not survive promisify, so each call site names its key type.
function pemKey(start: (done: Done) => void): Promise<string> {
  return new Promise((resolve, reject) =>
    start((error, _publicKey, privateKey) => (error ? reject(error) : resolve(privateKey))),
  );
}

/** Generates a private key per the spec, as a PKCS#8 PEM. */
export async function generatePrivateKey(spec: KeySpec): Promise<string> {
  const size = sizeOf(spec);
  switch (spec.algorithm) {
    case 'ECDSA':
      return pemKey((done) => generateKeyPair('ec', { namedCurve: curveFor(size ?? 256), ...pem }, done));
    case 'RSA': {
      const modulusLength = size ?? 2048;
      if (!KEY_SIZES.RSA.includes(modulusLength)) {
        throw new Error(`unsupported RSA key size ${modulusLength} (use ${KEY_SIZES.RSA.join(', ')})`);
      }
      return pemKey((done) => generateKeyPair('rsa', { modulusLength, ...pem }, done));
    }
    case 'Ed25519':
      return pemKey((done) => generateKeyPair('ed25519', pem, done));
  }
}

/** Reads a PEM private key (PKCS#8, or the older PKCS#1 / SEC1 forms); undefined if it is not one. */
export function readPrivateKey(keyPem: string): KeyObject | undefined {
  try {
    return createPrivateKey(keyPem);
  } catch {
    return undefined;
  }
}

/** Whether a PEM private key has the spec's algorithm and size (for rotationPolicy: Never). */
export function keyMatchesSpec(keyPem: string, spec: KeySpec): boolean {
  const key = readPrivateKey(keyPem);
  if (!key) return false;
  const size = sizeOf(spec);
  switch (spec.algorithm) {
    case 'ECDSA':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === curveFor(size ?? 256);
    case 'RSA':
      return key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === size;
    case 'Ed25519':
      return key.asymmetricKeyType === 'ed25519';
  }
}
