// Decisions about a Certificate as chains of small named checks (architecture principle 4): the
// first check that fails names the reason, e.g. Ready=False reason SecretMissing.
import type { CertificateSpec } from '../../api/certificate.ts';
import { effectiveKeySize } from '../../api/certificate.ts';
import type { CertificateFacts, SecretFacts } from './facts.ts';

/** Input of every policy: the spec, the Secret as gathered, the time, and when renewal is due. */
export interface PolicyInput {
  spec: CertificateSpec;
  secret: SecretFacts;
  now: Date;
  /** When the current certificate should be renewed (status.renewalTime), if known. */
  renewalTime?: Date;
}

/** Why a check failed: `reason` is a CamelCase word for conditions, `message` is for people. */
export interface Verdict {
  reason: string;
  message: string;
}

/** One check: a verdict if it fails, undefined if it passes. */
export type Policy = (input: PolicyInput) => Verdict | undefined;

const parsedCertificate = (s: SecretFacts): CertificateFacts | undefined =>
  s.certificate && !('error' in s.certificate) ? s.certificate : undefined;

/** The Secret does not exist. */
export const secretMissing: Policy = ({ spec, secret }) =>
  secret.exists
    ? undefined
    : { reason: 'SecretMissing', message: `Secret ${spec.secretName} does not exist` };

/** tls.crt is missing or does not parse. */
export const certificateInvalid: Policy = ({ spec, secret }) => {
  if (!secret.certificate)
    return { reason: 'SecretMissingData', message: `Secret ${spec.secretName} has no tls.crt` };
  if ('error' in secret.certificate) {
    return {
      reason: 'InvalidCertificate',
      message: `tls.crt in Secret ${spec.secretName}: ${secret.certificate.error}`,
    };
  }
  return undefined;
};

/** tls.key is missing, does not parse, or is not the certificate's key. */
export const keyInvalid: Policy = ({ spec, secret }) => {
  if (!secret.key)
    return { reason: 'SecretMissingData', message: `Secret ${spec.secretName} has no tls.key` };
  if ('error' in secret.key) {
    return { reason: 'InvalidKey', message: `tls.key in Secret ${spec.secretName}: ${secret.key.error}` };
  }
  if (secret.keyMatchesCertificate === false) {
    return {
      reason: 'KeyMismatch',
      message: `tls.key in Secret ${spec.secretName} is not the private key of the certificate in tls.crt`,
    };
  }
  return undefined;
};

/** The certificate's DNS names differ from spec.dnsNames (as sets). */
export const namesMismatch: Policy = ({ spec, secret }) => {
  const cert = parsedCertificate(secret);
  if (!cert) return undefined;
  const want = new Set(spec.dnsNames);
  const have = new Set(cert.dnsNames);
  const missing = [...want].filter((n) => !have.has(n));
  const extra = [...have].filter((n) => !want.has(n));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const parts = [
    missing.length ? `missing ${missing.join(', ')}` : '',
    extra.length ? `not requested ${extra.join(', ')}` : '',
  ].filter(Boolean);
  return {
    reason: 'NamesMismatch',
    message: `certificate names differ from spec.dnsNames: ${parts.join('; ')}`,
  };
};

/** The Secret was issued by another issuer than spec.issuerRef names. */
export const issuerMismatch: Policy = ({ spec, secret }) => {
  if (!secret.issuer) return undefined; // not written by acme6 (adopted): nothing recorded to compare
  const { name, kind } = spec.issuerRef;
  if (secret.issuer.name === name && secret.issuer.kind === kind) return undefined;
  return {
    reason: 'IssuerChanged',
    message: `certificate was issued by ${secret.issuer.kind} ${secret.issuer.name}, spec names ${kind} ${name}`,
  };
};

/** The key's algorithm or size differs from spec.privateKey. */
export const keyTypeMismatch: Policy = ({ spec, secret }) => {
  if (!secret.key || 'error' in secret.key) return undefined;
  const wantSize = effectiveKeySize(spec.privateKey);
  const { algorithm, size } = secret.key;
  if (algorithm === spec.privateKey.algorithm && (wantSize === undefined || size === wantSize))
    return undefined;
  const show = (a: string, s?: number): string => (s === undefined ? a : `${a} ${s}`);
  return {
    reason: 'KeyTypeMismatch',
    message: `key is ${show(algorithm, size)}, spec.privateKey asks for ${show(spec.privateKey.algorithm, wantSize)}`,
  };
};

/**
 * How far a certificate's notBefore may lie ahead of our clock and still count as valid: a CA whose
 * clock runs a little ahead of ours issues such certificates, and ordering again would only get
 * another one like it (a new order at every reconcile).
 */
export const CLOCK_SKEW_TOLERANCE_MS = 10 * 60_000;

/** The certificate has expired (or is not valid yet, beyond the clock skew tolerated). */
export const expired: Policy = ({ secret, now }) => {
  const cert = parsedCertificate(secret);
  if (!cert) return undefined;
  if (now >= cert.notAfter)
    return { reason: 'Expired', message: `certificate expired at ${cert.notAfter.toISOString()}` };
  if (now.getTime() + CLOCK_SKEW_TOLERANCE_MS < cert.notBefore.getTime()) {
    return {
      reason: 'NotYetValid',
      message: `certificate is not valid before ${cert.notBefore.toISOString()}`,
    };
  }
  return undefined;
};

/** Reason of a renewal while the current certificate is still valid. */
export const RENEWING_REASON = 'Renewing';

/** The renewal time has come. */
export const renewalDue: Policy = ({ now, renewalTime }) =>
  renewalTime && now >= renewalTime
    ? { reason: RENEWING_REASON, message: `renewal was due at ${renewalTime.toISOString()}` }
    : undefined;

/** Checks that must all pass for Ready=True. */
export const readinessPolicies: readonly Policy[] = [
  secretMissing,
  certificateInvalid,
  keyInvalid,
  namesMismatch,
  issuerMismatch,
  keyTypeMismatch,
  expired,
];

/** Checks that decide whether to issue: anything that makes it not Ready, or renewal being due. */
export const issuancePolicies: readonly Policy[] = [...readinessPolicies, renewalDue];

/** Runs a chain; the first failing check's verdict, or undefined when all pass. */
export function evaluate(chain: readonly Policy[], input: PolicyInput): Verdict | undefined {
  for (const policy of chain) {
    const verdict = policy(input);
    if (verdict) return verdict;
  }
  return undefined;
}
