// Gathering: reads a TLS Secret into the plain facts the policies decide on.
import type { KeyObject } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { ANNOTATION_ISSUER_KIND, ANNOTATION_ISSUER_NAME } from '../../api/group.ts';
import { keyMatchesCertificate, readCertificate } from '../../acme/certificate-info.ts';
import { readPrivateKey } from '../../acme/keys.ts';
import { secretValue } from '../../kube/secrets.ts';
import type { KeyFacts, SecretFacts } from './facts.ts';

const EC_SIZES: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

/** The algorithm and size of a private key, as spec.privateKey names them. */
export function keyFacts(key: KeyObject): KeyFacts {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return {
        algorithm: 'ECDSA',
        ...(details.namedCurve ? { size: EC_SIZES[details.namedCurve] ?? 0 } : {}),
      };
    case 'rsa':
      return { algorithm: 'RSA', ...(details.modulusLength ? { size: details.modulusLength } : {}) };
    case 'ed25519':
      return { algorithm: 'Ed25519' };
    default:
      return { error: `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}` };
  }
}

/** Reads the Secret (or its absence) into SecretFacts; parse failures become facts, not errors. */
export function readSecretFacts(secret: V1Secret | undefined): SecretFacts {
  if (!secret) return { exists: false };
  const facts: SecretFacts = { exists: true };
  const certPem = secretValue(secret, 'tls.crt');
  const keyPem = secretValue(secret, 'tls.key');
  let certOk = false;
  if (certPem !== undefined && certPem.trim() !== '') {
    try {
      const { dnsNames, notBefore, notAfter } = readCertificate(certPem);
      facts.certificate = { dnsNames, notBefore, notAfter };
      certOk = true;
    } catch (err) {
      facts.certificate = { error: (err as Error).message };
    }
  }
  if (keyPem !== undefined && keyPem.trim() !== '') {
    const key = readPrivateKey(keyPem);
    facts.key = key ? keyFacts(key) : { error: 'not a PEM private key' };
    if (key && certOk && certPem) facts.keyMatchesCertificate = keyMatchesCertificate(keyPem, certPem);
  }
  const annotations = secret.metadata?.annotations ?? {};
  const issuerName = annotations[ANNOTATION_ISSUER_NAME];
  const issuerKind = annotations[ANNOTATION_ISSUER_KIND];
  if (issuerName && issuerKind) facts.issuer = { name: issuerName, kind: issuerKind };
  return facts;
}
