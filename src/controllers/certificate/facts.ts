// What the gather step learned about a Certificate's Secret, as plain data. Parsing PEM happens
// before the policies run, so the policies stay pure and cheap to test.
import type { KeyAlgorithm } from '../../api/certificate.ts';

/** The parts of the Secret's certificate the policies look at. */
export interface CertificateFacts {
  dnsNames: readonly string[];
  notBefore: Date;
  notAfter: Date;
}

/** The private key in the Secret: its type, or why it could not be read. */
export type KeyFacts = { algorithm: KeyAlgorithm; size?: number } | { error: string };

/** Everything about the Secret that decides readiness and re-issuance. */
export interface SecretFacts {
  exists: boolean;
  /** tls.crt: absent, parsed, or why it did not parse. */
  certificate?: CertificateFacts | { error: string };
  /** tls.key: absent, its type, or why it did not parse. */
  key?: KeyFacts;
  /** Whether tls.key is the private key of tls.crt's leaf (only when both parsed). */
  keyMatchesCertificate?: boolean;
  /** The issuer recorded on the Secret by the issuance that wrote it. */
  issuer?: { name: string; kind: string };
}
