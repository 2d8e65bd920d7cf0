// The PKCS#10 request sent to finalize an order. acme-client's createCsr knows only RSA and ECDSA
// keys, so we build it with @peculiar/x509, which also signs with Ed25519.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { x509 } from '../crypto/x509.ts';
import { readPrivateKey } from './keys.ts';

/** CSR options beyond the names. */
export interface CsrOptions {
  /** A subject common name; off by default, as Let's Encrypt advises (names belong in the SANs). */
  commonName?: string;
}

type SigningAlgorithm = Algorithm | EcdsaParams | RsaHashedImportParams | EcKeyImportParams;

// The WebCrypto algorithm to import the key with, which is also the one to sign with.
function signingAlgorithmFor(key: KeyObject): SigningAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      if (curve === 'secp384r1') return { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
      throw new Error(`unsupported ECDSA curve ${curve ?? 'unknown'} for a CSR`);
    }
    case 'rsa':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case 'ed25519':
      return { name: 'Ed25519' };
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'} for a CSR`);
  }
}

/** A PEM CSR for `dnsNames` (as SANs) signed with the PEM private key; no subject unless asked. */
export async function createCsr(
  keyPem: string,
  dnsNames: readonly string[],
  options: CsrOptions = {},
): Promise<string> {
  if (dnsNames.length === 0) throw new Error('a CSR needs at least one DNS name');
  const privateKey = readPrivateKey(keyPem);
  if (!privateKey) throw new Error('the private key is not a readable PEM key');
  const algorithm = signingAlgorithmFor(privateKey);
  const keys: CryptoKeyPair = {
    privateKey: privateKey.toCryptoKey(algorithm, false, ['sign']),
    publicKey: createPublicKey(privateKey).toCryptoKey(algorithm, true, ['verify']),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.commonName === undefined ? [] : [{ CN: [options.commonName] }],
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  return csr.toString('pem');
}
