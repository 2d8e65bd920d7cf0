import { describe, expect, it } from 'vitest';
import {
  ariCertificateId,
  chooseRenewalTime,
  fallbackRenewalTime,
  parseRenewalInfo,
  renewalInfoRecheckTime,
} from './ari.ts';
import { mintCertificate } from './testing.ts';

// RFC 9773 Appendix A: the example certificate and its identifier. Its serial, 0x87654321, has the
// high bit set, so DER encodes it with a leading zero byte that the identifier must keep.
const RFC_9773_EXAMPLE = `-----BEGIN CERTIFICATE-----
MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt
cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS
BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu
7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf
qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B
yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb
+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK
-----END CERTIFICATE-----`;

describe('ariCertificateId', () => {
  it('computes RFC 9773’s worked example', () => {
    expect(ariCertificateId(RFC_9773_EXAMPLE)).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });

  it('keeps a serial without a sign byte as it is', async () => {
    const issuer = await mintCertificate({ commonName: 'CA', ca: true });
    const leaf = await mintCertificate({ commonName: 'leaf', issuer, serialNumber: '7f0102' });
    expect(ariCertificateId(leaf.pem).split('.')[1]).toBe(
      Buffer.from([0x7f, 0x01, 0x02]).toString('base64url'),
    );
  });

  it('refuses a certificate without an Authority Key Identifier', async () => {
    const selfSigned = await mintCertificate({ commonName: 'alone' });
    expect(() => ariCertificateId(selfSigned.pem)).toThrow(/Authority Key Identifier/);
  });
});

describe('parseRenewalInfo', () => {
  const retryAfter = new Date('2026-11-25T18:00:00Z');

  it('reads the window, the explanation and the Retry-After', () => {
    const body = {
      suggestedWindow: { start: '2027-01-01T00:00:00Z', end: '2027-01-03T00:00:00Z' },
      explanationURL: 'https://ca.test/why',
    };
    expect(parseRenewalInfo(body, retryAfter)).toEqual({
      suggestedWindow: { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-01-03T00:00:00Z') },
      explanationURL: 'https://ca.test/why',
      retryAfter,
    });
  });

  it('treats an empty or inverted window, or a malformed body, as no answer (RFC 9773 §4.2)', () => {
    const at = '2027-01-01T00:00:00Z';
    expect(parseRenewalInfo({ suggestedWindow: { start: at, end: at } })).toBeUndefined();
    expect(parseRenewalInfo({ suggestedWindow: { start: '2027-01-02T00:00:00Z', end: at } })).toBeUndefined();
    expect(parseRenewalInfo({ suggestedWindow: { start: 'soon', end: at } })).toBeUndefined();
    expect(parseRenewalInfo('not json')).toBeUndefined();
  });
});

describe('chooseRenewalTime', () => {
  const window = { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-01-03T00:00:00Z') };
  const before = new Date('2026-12-01T00:00:00Z');

  it('picks uniformly inside the window', () => {
    expect(chooseRenewalTime(window, before, () => 0)).toEqual(window.start);
    expect(chooseRenewalTime(window, before, () => 0.5)).toEqual(new Date('2027-01-02T00:00:00Z'));
    expect(chooseRenewalTime(window, before, () => 0.999999).getTime()).toBeLessThan(window.end.getTime());
  });

  it('renews now when the window is in the past, or the chosen time has passed', () => {
    const after = new Date('2027-02-01T00:00:00Z');
    expect(chooseRenewalTime(window, after, () => 0.7)).toEqual(after);
    const inside = new Date('2027-01-02T12:00:00Z');
    expect(chooseRenewalTime(window, inside, () => 0.25)).toEqual(inside);
    expect(chooseRenewalTime(window, inside, () => 0.9)).toEqual(new Date('2027-01-02T19:12:00Z'));
  });
});

describe('renewalInfoRecheckTime', () => {
  const now = new Date('2026-11-25T12:00:00Z');

  it('follows Retry-After between one minute and one day (RFC 9773 §4.3)', () => {
    expect(renewalInfoRecheckTime(new Date('2026-11-25T18:00:00Z'), now)).toEqual(
      new Date('2026-11-25T18:00:00Z'),
    );
    expect(renewalInfoRecheckTime(new Date('2026-11-25T12:00:05Z'), now)).toEqual(
      new Date('2026-11-25T12:01:00Z'),
    );
    expect(renewalInfoRecheckTime(new Date('2026-12-25T12:00:00Z'), now)).toEqual(
      new Date('2026-11-26T12:00:00Z'),
    );
  });

  it('checks again in six hours without a Retry-After', () => {
    expect(renewalInfoRecheckTime(undefined, now)).toEqual(new Date('2026-11-25T18:00:00Z'));
  });
});

describe('fallbackRenewalTime (cert-manager semantics)', () => {
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date('2026-03-31T00:00:00Z'); // 89 days
  const HOUR_MS = 3600_000;

  it('renews with a third of the lifetime left by default', () => {
    // 89 days / 3 = 29 d 16 h before notAfter.
    expect(fallbackRenewalTime(notBefore, notAfter)).toEqual(new Date('2026-03-01T08:00:00Z'));
  });

  it('renews renewBefore ahead of expiry when that is shorter than the lifetime', () => {
    expect(fallbackRenewalTime(notBefore, notAfter, 720 * HOUR_MS)).toEqual(new Date('2026-03-01T00:00:00Z'));
  });

  it('ignores a renewBefore that is not shorter than the lifetime, or not positive', () => {
    const byDefault = fallbackRenewalTime(notBefore, notAfter);
    expect(fallbackRenewalTime(notBefore, notAfter, 89 * 24 * HOUR_MS)).toEqual(byDefault);
    expect(fallbackRenewalTime(notBefore, notAfter, 0)).toEqual(byDefault);
  });

  it('renews when renewBeforePercentage of the lifetime remains', () => {
    // 10 % of 89 days = 8 d 21 h 36 m.
    expect(fallbackRenewalTime(notBefore, notAfter, undefined, 10)).toEqual(new Date('2026-03-22T02:24:00Z'));
    expect(fallbackRenewalTime(notBefore, notAfter, undefined, 100)).toEqual(
      fallbackRenewalTime(notBefore, notAfter),
    );
  });

  it('truncates to whole seconds, as status stores times', () => {
    const odd = new Date(notAfter.getTime() + 1);
    expect(fallbackRenewalTime(notBefore, odd).getMilliseconds()).toBe(0);
  });
});
