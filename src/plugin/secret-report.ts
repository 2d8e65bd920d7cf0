// What a TLS Secret holds, read from its PEM the way `kubectl acme6 inspect secret` shows it.
import { createPublicKey, X509Certificate } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import {
  ANNOTATION_ISSUER_KIND,
  ANNOTATION_ISSUER_NAME,
  ANNOTATION_REVISION,
  LABEL_CERTIFICATE_NAME,
} from '../api/group.ts';
import { keyMatchesCertificate, readCertificate, splitPemChain } from '../acme/certificate-info.ts';
import { readPrivateKey } from '../acme/keys.ts';
import { keyFacts } from '../controllers/certificate/secret-facts.ts';
import { secretValue } from '../kube/secrets.ts';

/** One certificate of the chain. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  isCA: boolean;
  /** The certificate's public key: "ECDSA 256", "RSA 2048", "Ed25519". */
  publicKey: string;
}

/** Everything `inspect secret` shows; `problems` says what is missing or unreadable. */
export interface SecretReport {
  name: string;
  namespace: string;
  type: string;
  /** acme6's own labels and annotations, when acme6 wrote the Secret. */
  writtenBy?: { certificate?: string; issuerKind?: string; issuerName?: string; revision?: string };
  chain: CertificateSummary[];
  /** The private key's type, or why it could not be read. */
  privateKey?: string;
  keyMatches?: boolean;
  problems: string[];
}

/** Node's distinguished name (one attribute per line; undefined when empty, as in ACME leaves) on one line. */
export const distinguishedName = (dn: string | undefined): string =>
  dn?.split('\n').filter(Boolean).join(', ') || '(empty)';

function keyText(facts: ReturnType<typeof keyFacts>): string {
  if ('error' in facts) return facts.error;
  return facts.size === undefined ? facts.algorithm : `${facts.algorithm} ${facts.size}`;
}

function summarise(pem: string): CertificateSummary {
  const info = readCertificate(pem);
  const cert = new X509Certificate(pem);
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    serialNumber: info.serialNumber,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    dnsNames: info.dnsNames,
    isCA: info.isCA,
    publicKey: keyText(keyFacts(createPublicKey(info.publicKeyPem))),
  };
}

function writtenBy(secret: V1Secret): SecretReport['writtenBy'] {
  const labels = secret.metadata?.labels ?? {};
  const annotations = secret.metadata?.annotations ?? {};
  const found = {
    certificate: labels[LABEL_CERTIFICATE_NAME],
    issuerKind: annotations[ANNOTATION_ISSUER_KIND],
    issuerName: annotations[ANNOTATION_ISSUER_NAME],
    revision: annotations[ANNOTATION_REVISION],
  };
  const present = Object.entries(found).filter(([, v]) => v !== undefined);
  return present.length > 0 ? Object.fromEntries(present) : undefined;
}

/** Reads a Secret's tls.crt and tls.key; what cannot be read becomes a problem, not an exception. */
export function readSecretReport(secret: V1Secret): SecretReport {
  const report: SecretReport = {
    name: secret.metadata?.name ?? '',
    namespace: secret.metadata?.namespace ?? '',
    type: secret.type ?? 'Opaque',
    chain: [],
    problems: [],
  };
  const by = writtenBy(secret);
  if (by) report.writtenBy = by;
  const certPem = secretValue(secret, 'tls.crt');
  const keyPem = secretValue(secret, 'tls.key');
  if (!certPem?.trim()) report.problems.push('tls.crt is missing or empty');
  else {
    try {
      report.chain = splitPemChain(certPem).map(summarise);
      if (report.chain.length === 0) report.problems.push('tls.crt holds no PEM certificate');
    } catch (err) {
      report.problems.push(`tls.crt does not parse: ${(err as Error).message}`);
    }
  }
  if (!keyPem?.trim()) report.problems.push('tls.key is missing or empty');
  else {
    const key = readPrivateKey(keyPem);
    if (!key) report.problems.push('tls.key is not a PEM private key');
    else {
      report.privateKey = keyText(keyFacts(key));
      if (report.chain.length > 0 && certPem) report.keyMatches = keyMatchesCertificate(keyPem, certPem);
    }
  }
  if (report.keyMatches === false)
    report.problems.push('tls.key is not the private key of the certificate in tls.crt');
  return report;
}
