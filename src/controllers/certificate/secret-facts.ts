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

/** What the other readers of a TLS Secret's leaf need (readiness: the serial; ARI: its dates). */
export interface LeafFacts {
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

/** One Secret's parsed tls.crt and tls.key, for the base64 values they were parsed from. */
interface Parsed {
  crt: string | undefined;
  key: string | undefined;
  facts: Omit<SecretFacts, 'issuer'>;
  leaf?: LeafFacts;
}

/**
 * Parsed facts per cached Secret object: readiness, issuance and ARI each read the same Secret,
 * again for every event of its Certificate, and parsing an X.509 certificate in JavaScript and
 * matching its key cost milliseconds each (10,000 Certificates at start-up: minutes of CPU). An
 * informer replaces the object when the Secret changes, so the entry goes with the old object.
 */
const parsedSecrets = new WeakMap<V1Secret, Parsed>();

function parseSecret(secret: V1Secret): Parsed {
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  const cached = parsedSecrets.get(secret);
  if (cached && cached.crt === crt && cached.key === key) return cached;
  const parsed: Parsed = { crt, key, facts: { exists: true } };
  const { facts } = parsed;
  const certPem = secretValue(secret, 'tls.crt');
  const keyPem = secretValue(secret, 'tls.key');
  let certOk = false;
  if (certPem !== undefined && certPem.trim() !== '') {
    try {
      const { dnsNames, notBefore, notAfter, serialNumber } = readCertificate(certPem);
      facts.certificate = { dnsNames, notBefore, notAfter };
      parsed.leaf = { serialNumber, notBefore, notAfter };
      certOk = true;
    } catch (err) {
      facts.certificate = { error: (err as Error).message };
    }
  }
  if (keyPem !== undefined && keyPem.trim() !== '') {
    const privateKey = readPrivateKey(keyPem);
    facts.key = privateKey ? keyFacts(privateKey) : { error: 'not a PEM private key' };
    if (privateKey && certOk && certPem) facts.keyMatchesCertificate = keyMatchesCertificate(keyPem, certPem);
  }
  parsedSecrets.set(secret, parsed);
  return parsed;
}

/** The leaf certificate in the Secret's tls.crt, if it parses. */
export function readSecretLeaf(secret: V1Secret | undefined): LeafFacts | undefined {
  return secret ? parseSecret(secret).leaf : undefined;
}

/** Reads the Secret (or its absence) into SecretFacts; parse failures become facts, not errors. */
export function readSecretFacts(secret: V1Secret | undefined): SecretFacts {
  if (!secret) return { exists: false };
  const facts: SecretFacts = { ...parseSecret(secret).facts };
  const annotations = secret.metadata?.annotations ?? {};
  const issuerName = annotations[ANNOTATION_ISSUER_NAME];
  const issuerKind = annotations[ANNOTATION_ISSUER_KIND];
  if (issuerName && issuerKind) facts.issuer = { name: issuerName, kind: issuerKind };
  return facts;
}
