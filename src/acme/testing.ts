// Helpers for unit tests of src/acme (not exported from index.ts): a tiny PKI that mints roots,
// intermediates and leaves with exactly the fields a test needs.
import { webcrypto } from 'node:crypto';
import { x509 } from '../crypto/x509.ts';

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

/** A certificate and the keys that go with it. */
export interface TestCert {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
  keyPem: string;
}

/** What to mint; the issuer signs unless absent (self-signed). */
export interface TestCertOptions {
  commonName: string;
  issuer?: TestCert;
  ca?: boolean;
  dnsNames?: string[];
  serialNumber?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** Whether to add an Authority Key Identifier (default: yes, when there is an issuer). */
  authorityKeyIdentifier?: boolean;
  keys?: CryptoKeyPair;
}

/** Mints an ECDSA P-256 certificate for a test. */
export async function mintCertificate(options: TestCertOptions): Promise<TestCert> {
  const keys = options.keys ?? (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']));
  const issuer = options.issuer;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (issuer && (options.authorityKeyIdentifier ?? true)) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  }
  if (options.dnsNames) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ),
    );
  }
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? '01',
    subject: `CN=${options.commonName}`,
    issuer: issuer ? issuer.cert.subject : `CN=${options.commonName}`,
    publicKey: keys.publicKey,
    signingKey: (issuer?.keys ?? keys).privateKey,
    signingAlgorithm: algorithm,
    notBefore: options.notBefore ?? new Date(now - DAY_MS),
    notAfter: options.notAfter ?? new Date(now + 90 * DAY_MS),
    extensions,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    cert,
    keys,
    pem: cert.toString('pem') + '\n',
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}

/** A root, an intermediate under it, and a leaf for `dnsNames` under that. */
export async function mintChain(
  dnsNames: string[],
  names = { root: 'Test Root', intermediate: 'Test Intermediate' },
): Promise<{ root: TestCert; intermediate: TestCert; leaf: TestCert }> {
  const root = await mintCertificate({ commonName: names.root, ca: true });
  const intermediate = await mintCertificate({ commonName: names.intermediate, ca: true, issuer: root });
  const leaf = await mintCertificate({ commonName: 'leaf', issuer: intermediate, dnsNames });
  return { root, intermediate, leaf };
}
