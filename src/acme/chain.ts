// Certificate chains: checking that one leads to a trusted root, and choosing among the alternate
// chains a CA offers (spec.acme.preferredChain).
import { X509Certificate } from 'node:crypto';
import { readCertificate, splitPemChain } from './certificate-info.ts';

/** The outcome of a chain check; the reason names the certificate that broke it. */
export type ChainVerdict = { valid: true } | { valid: false; reason: string };

function label(cert: X509Certificate, index: number): string {
  const cn = readCertificate(cert.raw).subjectCommonName;
  return `certificate ${index}${cn === undefined ? '' : ` (CN=${cn})`}`;
}

function signedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return child.checkIssued(issuer) && child.verify(issuer.publicKey);
}

function validityProblem(cert: X509Certificate, name: string, at: Date): string | undefined {
  const { notBefore, notAfter } = readCertificate(cert.raw);
  if (at < notBefore) return `${name} is not valid before ${notBefore.toISOString()}`;
  if (at > notAfter) return `${name} expired at ${notAfter.toISOString()}`;
  return undefined;
}

/**
 * Checks that each certificate of `chainPem` (leaf first) is signed by the next, that the last is
 * one of `rootsPem` or signed by one, that issuers are CAs, and that all are valid at `at`.
 */
export function verifyChain(chainPem: string, rootsPem: string, at: Date): ChainVerdict {
  const chain = splitPemChain(chainPem).map((pem) => new X509Certificate(pem));
  const roots = splitPemChain(rootsPem).map((pem) => new X509Certificate(pem));
  if (chain.length === 0) return { valid: false, reason: 'the chain holds no certificate' };
  if (roots.length === 0) return { valid: false, reason: 'no root certificate to verify against' };
  for (const [index, cert] of chain.entries()) {
    const problem = validityProblem(cert, label(cert, index), at);
    if (problem) return { valid: false, reason: problem };
    const issuer = chain[index + 1];
    if (!issuer) break;
    if (!issuer.ca) return { valid: false, reason: `${label(issuer, index + 1)} is not a CA` };
    if (!signedBy(cert, issuer)) {
      return { valid: false, reason: `${label(cert, index)} is not signed by ${label(issuer, index + 1)}` };
    }
  }
  const top = chain[chain.length - 1]!;
  const root =
    roots.find((r) => r.fingerprint256 === top.fingerprint256) ?? roots.find((r) => signedBy(top, r));
  if (!root) {
    const issuer = readCertificate(top.raw).issuerCommonName ?? top.issuer;
    return {
      valid: false,
      reason: `the chain does not lead to the given roots (its top was issued by ${issuer})`,
    };
  }
  const rootProblem = validityProblem(root, 'the root', at);
  return rootProblem ? { valid: false, reason: rootProblem } : { valid: true };
}

/**
 * The first chain whose top certificate was issued by `preferredIssuer` (a common name), else the
 * first chain (the CA's default). Chains are PEM bundles, leaf first.
 */
export function selectPreferredChain(chains: readonly string[], preferredIssuer?: string): string {
  const [defaultChain] = chains;
  if (defaultChain === undefined) throw new Error('no certificate chain to choose from');
  if (preferredIssuer === undefined) return defaultChain;
  const preferred = chains.find((chain) => {
    const top = splitPemChain(chain).at(-1);
    return top !== undefined && readCertificate(top).issuerCommonName === preferredIssuer;
  });
  return preferred ?? defaultChain;
}
