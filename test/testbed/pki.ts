// A throwaway PKI for one testbed: a CA, serving certificates, client certificates, and the
// service-account signing key. Keys are ECDSA P-256, which every component here accepts.
import { webcrypto } from 'node:crypto';
import { x509 } from '../../src/crypto/x509.ts';

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const dayMs = 24 * 3600 * 1000;

/** PEM-encoded certificate and PKCS#8 private key. */
export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

/** The testbed CA: signs every serving and client certificate of one testbed. */
export interface CertificateAuthority extends CertAndKey {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 3600_000), notAfter: new Date(now + 30 * dayMs) };
}

/** Creates a self-signed CA named `commonName`. */
export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: algorithm,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** What a leaf certificate is for: serving (SANs) or client authentication (user and groups). */
export type LeafProfile =
  | { kind: 'server'; commonName: string; dnsNames: string[]; ipAddresses: string[] }
  | { kind: 'client'; user: string; groups?: string[] };

/** Issues a leaf certificate signed by `ca`, valid from an hour ago for 30 days unless `period` says. */
export async function issueCertificate(
  ca: CertificateAuthority,
  profile: LeafProfile,
  period: { notBefore: Date; notAfter: Date } = validity(),
): Promise<CertAndKey> {
  const keys = await newKeys();
  const subject =
    profile.kind === 'server'
      ? `CN=${profile.commonName}`
      : [...(profile.groups ?? []).map((g) => `O=${g}`), `CN=${profile.user}`].join(', ');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([
      profile.kind === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    ]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (profile.kind === 'server') {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...profile.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...profile.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: algorithm,
    ...period,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** Creates the key pair kube-apiserver signs service-account tokens with. */
export async function createSigningKey(): Promise<{ privatePem: string; publicPem: string }> {
  const keys = await newKeys();
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  return {
    privatePem: await privateKeyPem(keys.privateKey),
    publicPem: x509.PemConverter.encode(spki, 'PUBLIC KEY'),
  };
}
