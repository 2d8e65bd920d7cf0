// When to renew the certificate in the Secret. With ACME Renewal Information the CA's window rules
// (a point in it, stable for this certificate so every reconcile agrees without storing a random
// draw); an explicit renewBefore / renewBeforePercentage can only make renewal earlier. Without ARI,
// the lifetime rule: renewBefore, the percentage, or with a third of the lifetime left.
import { createHash } from 'node:crypto';
import type { CertificateSpec } from '../../api/certificate.ts';
import { parseGoDuration } from '../../api/duration.ts';
import { chooseRenewalTime, fallbackRenewalTime, type RenewalWindow } from '../../acme/ari.ts';

/** A stable number in [0, 1) for a seed (e.g. the certificate's serial). */
export function stableFraction(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0) / 2 ** 32;
}

/** The renewal time of a certificate, and which rule chose it. */
export function renewalTime(
  spec: Pick<CertificateSpec, 'renewBefore' | 'renewBeforePercentage'>,
  cert: { notBefore: Date; notAfter: Date; serial: string },
  now: Date,
  ariWindow?: RenewalWindow,
): { time: Date; rule: 'ari' | 'lifetime' } {
  const renewBeforeMs = spec.renewBefore ? parseGoDuration(spec.renewBefore) : undefined;
  const lifetime = fallbackRenewalTime(
    cert.notBefore,
    cert.notAfter,
    renewBeforeMs,
    spec.renewBeforePercentage,
  );
  if (!ariWindow) return { time: lifetime, rule: 'lifetime' };
  const ari = chooseRenewalTime(ariWindow, now, () => stableFraction(cert.serial));
  const explicit = spec.renewBefore !== undefined || spec.renewBeforePercentage !== undefined;
  return explicit && lifetime < ari ? { time: lifetime, rule: 'lifetime' } : { time: ari, rule: 'ari' };
}
