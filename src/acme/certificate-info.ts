// Reading certificates: the facts the controllers store in status and decide on.
import { createPublicKey, X509Certificate } from 'node:crypto';
import { x509 } from '../crypto/x509.ts';
import { readPrivateKey } from './keys.ts';

/** What acme6 needs to know about one certificate. */
export interface CertificateInfo {
  /** DNS names in the subjectAltName extension, in certificate order. */
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  /** Serial number as lower-case hex, without a sign byte (`7f0a...`). */
  serialNumber: string;
  subjectCommonName?: string;
  issuerCommonName?: string;
  isCA: boolean;
  /** The subject public key as an SPKI PEM. */
  publicKeyPem: string;
  /** The certificate itself, as one PEM block. */
  pem: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks of a bundle, in order, normalised to end in a newline. */
export function splitPemChain(chainPem: string): string[] {
  return [...chainPem.matchAll(PEM_CERTIFICATE)].map((match) => `${match[0]}\n`);
}

function firstField(name: x509.Name, field: string): string | undefined {
  return name.getField(field)[0];
}

// Parsing X.509 in JavaScript costs milliseconds, and the same certificates are read again and
// again (every readiness pass, every ARI check, every Secret event): the facts of the last ones
// read are kept, by their PEM text. Bounded, so a cluster of many thousand certificates only misses.
const PARSED_MAX = 1024;
const parsed = new Map<string, CertificateInfo>();
let parses = 0;

/** How many certificates were parsed (not taken from the cache) since the process started. */
export function certificateParses(): number {
  return parses;
}

const copyOf = (info: CertificateInfo): CertificateInfo => ({
  ...info,
  dnsNames: [...info.dnsNames],
  notBefore: new Date(info.notBefore),
  notAfter: new Date(info.notAfter),
});

/** Parses one PEM (or DER) certificate; each caller gets its own copy of the facts. */
export function readCertificate(certPem: string | Uint8Array): CertificateInfo {
  if (typeof certPem !== 'string') return parseCertificate(certPem);
  const cached = parsed.get(certPem);
  if (cached) {
    // Most recently used last, so the oldest goes first when the cache is full.
    parsed.delete(certPem);
    parsed.set(certPem, cached);
    return copyOf(cached);
  }
  const info = parseCertificate(certPem);
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  parsed.set(certPem, info);
  return copyOf(info);
}

function parseCertificate(certPem: string | Uint8Array): CertificateInfo {
  parses++;
  const cert = new x509.X509Certificate(certPem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const info: CertificateInfo = {
    dnsNames: san ? san.names.items.filter((name) => name.type === 'dns').map((name) => name.value) : [],
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serialNumber: cert.serialNumber.toLowerCase(),
    isCA: cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
    publicKeyPem: cert.publicKey.toString('pem'),
    pem: cert.toString('pem') + '\n',
  };
  const subjectCommonName = firstField(cert.subjectName, 'CN');
  const issuerCommonName = firstField(cert.issuerName, 'CN');
  if (subjectCommonName !== undefined) info.subjectCommonName = subjectCommonName;
  if (issuerCommonName !== undefined) info.issuerCommonName = issuerCommonName;
  return info;
}

/** Parses every certificate of a PEM bundle; the leaf comes first in what ACME servers send. */
export function readCertificateChain(chainPem: string): CertificateInfo[] {
  const blocks = splitPemChain(chainPem);
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((block) => readCertificate(block));
}

/** Whether the private key (PEM) belongs to the certificate's (first PEM block's) public key. */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  const key = readPrivateKey(keyPem);
  const [leaf] = splitPemChain(certPem);
  if (!key || !leaf) return false;
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromCert = new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' });
  return fromKey.equals(fromCert);
}
