// ACME Renewal Information (RFC 9773): the certificate identifier, reading a renewalInfo answer,
// and when to renew, with cert-manager's lifetime-based schedule as the fallback.
import { z } from 'zod';
import { MAX_URL } from '../api/bounded-text.ts';
import { x509 } from '../crypto/x509.ts';
import { certificateSerialBytes } from './der.ts';

/** The window in which the CA suggests renewing. */
export interface RenewalWindow {
  start: Date;
  end: Date;
}

/** A renewalInfo answer (RFC 9773 §4.2) plus its Retry-After. */
export interface RenewalInfo {
  suggestedWindow: RenewalWindow;
  explanationURL?: string;
  /** When the CA wants to be asked again (raw; see renewalInfoRecheckTime). */
  retryAfter?: Date;
}

/**
 * RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial number bytes as DER-encoded, so
 * with the leading zero a positive serial with its high bit set carries). Throws without an AKI.
 */
export function ariCertificateId(certPem: string): string {
  const cert = new x509.X509Certificate(certPem);
  const keyId = cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  if (!keyId) throw new Error('the certificate has no Authority Key Identifier, so ARI cannot name it');
  const serial = certificateSerialBytes(new Uint8Array(cert.rawData));
  return `${Buffer.from(keyId, 'hex').toString('base64url')}.${Buffer.from(serial).toString('base64url')}`;
}

const renewalInfoBody = z.object({
  suggestedWindow: z.object({
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
  }),
  explanationURL: z.string().optional(),
});

/**
 * Reads a renewalInfo body; undefined when it is malformed or its window is empty or inverted,
 * which RFC 9773 §4.2 says to treat as no answer at all.
 */
export function parseRenewalInfo(body: unknown, retryAfter?: Date): RenewalInfo | undefined {
  const parsed = renewalInfoBody.safeParse(body);
  if (!parsed.success) return undefined;
  const start = new Date(parsed.data.suggestedWindow.start);
  const end = new Date(parsed.data.suggestedWindow.end);
  if (end.getTime() <= start.getTime()) return undefined;
  const info: RenewalInfo = { suggestedWindow: { start, end } };
  // Optional and for people: a URL too long for status is dropped, not stored.
  if (parsed.data.explanationURL !== undefined && parsed.data.explanationURL.length <= MAX_URL)
    info.explanationURL = parsed.data.explanationURL;
  if (retryAfter !== undefined) info.retryAfter = retryAfter;
  return info;
}

/**
 * RFC 9773 §4.2: a uniformly random time in the window; if that time has passed, now.
 * `random` returns a number in [0, 1), like Math.random.
 */
export function chooseRenewalTime(window: RenewalWindow, now: Date, random: () => number): Date {
  const span = window.end.getTime() - window.start.getTime();
  const chosen = window.start.getTime() + Math.floor(random() * span);
  return chosen < now.getTime() ? new Date(now) : new Date(chosen);
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** How often to re-check when the CA sends no Retry-After (Let's Encrypt and pebble send six hours). */
export const DEFAULT_RENEWAL_INFO_RECHECK_MS = 6 * 60 * MINUTE_MS;

/** When to fetch renewalInfo again: Retry-After clamped to [1 minute, 1 day] from now (RFC 9773 §4.3). */
export function renewalInfoRecheckTime(retryAfter: Date | undefined, now: Date): Date {
  const wanted = retryAfter ? retryAfter.getTime() - now.getTime() : DEFAULT_RENEWAL_INFO_RECHECK_MS;
  return new Date(now.getTime() + Math.min(DAY_MS, Math.max(MINUTE_MS, wanted)));
}

/**
 * cert-manager's renewal time without ARI: `renewBeforeMs` before notAfter if it is positive and
 * shorter than the lifetime; else `renewBeforePercentage` (1-99) of the lifetime before notAfter;
 * else with a third of the lifetime left. Truncated to whole seconds, as status stores it.
 */
export function fallbackRenewalTime(
  notBefore: Date,
  notAfter: Date,
  renewBeforeMs?: number,
  renewBeforePercentage?: number,
): Date {
  const lifetimeMs = notAfter.getTime() - notBefore.getTime();
  let renewBefore = Math.floor(lifetimeMs / 3);
  if (renewBeforeMs !== undefined && renewBeforeMs > 0 && renewBeforeMs < lifetimeMs) {
    renewBefore = renewBeforeMs;
  } else if (
    renewBeforePercentage !== undefined &&
    renewBeforePercentage > 0 &&
    renewBeforePercentage < 100
  ) {
    renewBefore = Math.floor((lifetimeMs * renewBeforePercentage) / 100);
  }
  const renewAtMs = notAfter.getTime() - renewBefore;
  return new Date(Math.floor(renewAtMs / 1000) * 1000);
}
